"""Writes seed inputs for fuzz/bus_hazelcast/frame_decoder_fuzz.cc: well-formed member
messages (auth response, Get/Set/KeySet/EntrySet/Size responses, an error response, entry
events, a fragmented message) as the protocol lays them out. Rerun to regenerate seeds/."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz-corpus", "seeds")
BEGIN, END, NULL, FINAL, EVENT, UNFRAG = 0x1000, 0x0800, 0x0400, 0x2000, 0x0200, 0xC000


def frame(flags, payload=b""):
    return struct.pack("<iH", len(payload) + 6, flags) + payload


def msg(initial_flags, initial, frames):
    if not frames:
        return frame(initial_flags | FINAL, initial)
    out = frame(initial_flags, initial)
    for i, (fl, p) in enumerate(frames):
        out += frame(fl | (FINAL if i == len(frames) - 1 else 0), p)
    return out


def resp(mtype, corr, fixed=b""):
    return struct.pack("<iqB", mtype, corr, 0) + fixed


def data(s):
    b = s.encode()
    return struct.pack(">iii", 0, -11, len(b)) + b


uuid = bytes([0]) + struct.pack("<qq", 0x0011223344556677, -0x7766554433221101)
seeds = {
    "auth_ok": msg(UNFRAG, resp(0x101, 1, bytes([0]) + uuid + bytes([1]) + struct.pack("<i", 271)
                                + uuid + bytes([0]) + struct.pack("<ii", 1, 1)),
                   [(BEGIN, b""), (0, struct.pack("<i", 5701)), (0, b"127.0.0.1"), (END, b""),
                    (0, b"5.7.0"), (NULL, b"")]),
    "auth_refused": msg(UNFRAG, resp(0x101, 1, bytes([1]) + bytes(50)), [(NULL, b""), (0, b"5.7.0")]),
    "get_value": msg(UNFRAG, resp(0x10201, 4), [(0, data("{\"scan_number\": 42}"))]),
    "get_null": msg(UNFRAG, resp(0x10201, 4), [(NULL, b"")]),
    "set": msg(UNFRAG, resp(0x10F01, 5), []),
    "size": msg(UNFRAG, resp(0x12A01, 6, struct.pack("<i", 3)), []),
    "contains": msg(UNFRAG, resp(0x10601, 6, bytes([1])), []),
    "listener_uuid": msg(UNFRAG, resp(0x11901, 7, uuid), []),
    "keyset": msg(UNFRAG, resp(0x12201, 8), [(BEGIN, b""), (0, data("a")), (0, data("b")), (END, b"")]),
    "entryset": msg(UNFRAG, resp(0x12501, 9), [(BEGIN, b""), (0, data("a")), (0, data("1")), (END, b"")]),
    "objects": msg(UNFRAG, resp(0x801, 10), [(BEGIN, b""), (BEGIN, b""), (0, b"hz:impl:mapService"),
                                             (0, b"m"), (END, b""), (END, b"")]),
    "error": msg(UNFRAG, resp(0, 11), [(BEGIN, b""), (BEGIN, b""), (0, struct.pack("<i", 23)),
                                       (0, b"java.lang.IllegalArgumentException"), (0, b"bad"),
                                       (BEGIN, b""), (BEGIN, b""), (0, struct.pack("<i", 7)),
                                       (0, b"C"), (0, b"m"), (NULL, b""), (END, b""), (END, b""),
                                       (END, b""), (END, b"")]),
    "event_updated": msg(UNFRAG | EVENT, struct.pack("<iqii", 0x11902, 7, 41, 4) + uuid + struct.pack("<i", 1),
                         [(0, data("k")), (0, data("new")), (0, data("old")), (NULL, b"")]),
    "event_removed": msg(UNFRAG | EVENT, struct.pack("<iqii", 0x11802, 7, 41, 2) + uuid + struct.pack("<i", 1),
                         [(0, data("k")), (NULL, b""), (0, data("old")), (NULL, b"")]),
}
fid = struct.pack("<q", 99)
seeds["fragmented"] = (frame(0x8000, fid) + frame(FINAL, resp(0x10201, 12)) + frame(0, fid)
                       + frame(FINAL, data("x" * 40)) + frame(0x4000, fid) + frame(FINAL, b""))
seeds["two_messages"] = seeds["set"] + seeds["event_updated"]
os.makedirs(OUT, exist_ok=True)
for name, b in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b)
print(f"wrote {len(seeds)} seeds to {OUT}")
