"""Hand-made hostile Arrow IPC streams (raw FlatBuffers bytes) for the regression folder
tests/data/arrow/fuzz-regressions. Each must be rejected quickly by a bounded reader:
  handmade-field-dag.arrows       schema whose struct children point twice at the same child,
                                  30 levels deep (2^30 fields if expanded naively)
  handmade-null-rows.arrows       null column with a batch of 2^40 rows (no buffers)
  handmade-columnless-rows.arrows schema without fields, batch of 2^62 rows
  handmade-deep-nesting.arrows    struct nested 5000 levels deep
Usage: make_hostile.py OUT_DIR"""
import os
import struct
import sys


class Buf:
    """Front-to-back FlatBuffers writer: objects are appended, offsets patched afterwards."""

    def __init__(self):
        self.b = bytearray(struct.pack("<I", 0))  # root offset, patched

    def align(self, n):
        while len(self.b) % n:
            self.b.append(0)

    def table(self, fields):
        """fields: list of (slot, fmt, value) scalars or (slot, 'ref', None) placeholders.
        Returns (table_pos, {slot: field_pos})."""
        nslots = max([s for s, _, _ in fields], default=-1) + 1
        layout, pos = [], 4
        for slot, fmt, value in sorted(fields, key=lambda f: -struct.calcsize("<" + ("I" if f[1] == "ref" else f[1]))):
            size = 4 if fmt == "ref" else struct.calcsize("<" + fmt)
            pos = (pos + size - 1) // size * size
            layout.append((slot, fmt, value, pos))
            pos += size
        self.align(2)
        vt = len(self.b)
        vtable = [4 + 2 * nslots, pos] + [0] * nslots
        for slot, _, _, rel in layout:
            vtable[2 + slot] = rel
        self.b += struct.pack("<%dH" % len(vtable), *vtable)
        self.align(8)
        t = len(self.b)
        self.b += bytes(pos)
        struct.pack_into("<i", self.b, t, t - vt)
        refs = {}
        for slot, fmt, value, rel in layout:
            if fmt == "ref":
                refs[slot] = t + rel
            else:
                struct.pack_into("<" + fmt, self.b, t + rel, value)
        return t, refs

    def vector_slots(self, n):
        self.align(4)
        at = len(self.b)
        self.b += struct.pack("<I", n) + bytes(4 * n)
        return at, [at + 4 + 4 * i for i in range(n)]

    def bytes_vector(self, data, elem, count):
        while (len(self.b) + 4) % 8:
            self.b.append(0)
        at = len(self.b)
        self.b += struct.pack("<I", count) + data
        return at

    def string(self, s):
        self.align(4)
        at = len(self.b)
        self.b += struct.pack("<I", len(s)) + s + b"\0"
        return at

    def patch(self, field_pos, target):
        assert target >= field_pos
        struct.pack_into("<I", self.b, field_pos, target - field_pos)

    def done(self, root):
        struct.pack_into("<I", self.b, 0, root)
        self.align(8)
        return bytes(self.b)


def message(header_type, build_header, body_len=0):
    f = Buf()
    msg, refs = f.table([(0, "h", 4), (1, "B", header_type), (2, "ref", None), (3, "q", body_len)])
    f.patch(refs[2], build_header(f))
    meta = f.done(msg)
    return struct.pack("<Ii", 0xFFFFFFFF, len(meta)) + meta + bytes(body_len)


def schema_with(build_fields):
    def header(f):
        s, refs = f.table([(1, "ref", None)])
        vec, slots = f.vector_slots(1)
        f.patch(refs[1], vec)
        build_fields(f, slots[0])
        return s
    return message(1, header)


def batch(length, nodes):
    def header(f):
        rb, refs = f.table([(0, "q", length), (1, "ref", None), (2, "ref", None)])
        data = b"".join(struct.pack("<qq", n, nc) for n, nc in nodes)
        f.patch(refs[1], f.bytes_vector(data, 16, len(nodes)))
        f.patch(refs[2], f.bytes_vector(b"", 16, 0))
        return rb
    return message(3, header)


EOS = struct.pack("<II", 0xFFFFFFFF, 0)


def field_chain(depth, fanout):
    """Struct fields nested `depth` deep, each with `fanout` children pointing at one table."""
    def build(f, slot_pos):
        name_refs, type_refs = [], []
        prev_slots = [slot_pos]
        for level in range(depth + 1):
            leaf = level == depth
            fld, refs = f.table([(0, "ref", None), (2, "B", 2 if leaf else 13), (3, "ref", None)] +
                                ([] if leaf else [(5, "ref", None)]))
            for p in prev_slots:
                f.patch(p, fld)
            name_refs.append(refs[0])
            type_refs.append((refs[3], leaf))
            if not leaf:
                vec, prev_slots = f.vector_slots(fanout)
                f.patch(refs[5], vec)
        name = f.string(b"x")
        for r in name_refs:
            f.patch(r, name)
        struct_t, _ = f.table([])
        int_t, _ = f.table([(0, "i", 32), (1, "B", 1)])
        for r, leaf in type_refs:
            f.patch(r, int_t if leaf else struct_t)
    return build


def null_field(f, slot_pos):
    fld, refs = f.table([(0, "ref", None), (2, "B", 1), (3, "ref", None)])
    f.patch(slot_pos, fld)
    f.patch(refs[0], f.string(b"n"))
    t, _ = f.table([])
    f.patch(refs[3], t)


def no_fields():
    def header(f):
        s, _ = f.table([])
        return s
    return message(1, header)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {
        "handmade-field-dag.arrows": schema_with(field_chain(30, 2)) + EOS,
        "handmade-null-rows.arrows": schema_with(null_field) + batch(1 << 40, [(1 << 40, 0)]) + EOS,
        "handmade-columnless-rows.arrows": no_fields() + batch(1 << 62, []) + EOS,
        "handmade-deep-nesting.arrows": schema_with(field_chain(5000, 1)) + EOS,
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
