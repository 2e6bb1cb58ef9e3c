"""The original system's scan bridge, as a yardstick (not part of the product).

Written from the original design's description: every POLL seconds, look for the newest scan
file (by modification time) in the newest day folder of SCAN_DIR; when it is a file not seen
before, read it with pyarrow (`read_all().to_pylist()`), turn the row into the scan's JSON
(asset_prices as a symbol -> price object, timestamps as ISO text, the bridge's own fields) and
`put` it into DOLPHIN_FEATURES["latest_eigen_scan"] with the official hazelcast-python-client.

  reference_bridge.py --member 127.0.0.1:5701 --scan-dir D --poll-ms 5000 [--ready-file F]

Runs until SIGTERM/SIGINT. --ready-file is written once the client is connected (the
benchmark waits for it). Errors reading a file are printed (one line) and the file is skipped.
"""
import argparse
import datetime
import json
import os
import signal
import sys
import threading

import hazelcast
import pyarrow as pa
import pyarrow.ipc


def newest_scan_file(scan_dir):
    """The newest *.arrow (by mtime) of the newest YYYY-MM-DD folder, or None."""
    try:
        days = sorted(d for d in os.listdir(scan_dir)
                      if len(d) == 10 and d[4] == "-" and d[7] == "-")
    except FileNotFoundError:
        return None
    for day in reversed(days):
        folder = os.path.join(scan_dir, day)
        best, best_mtime = None, -1
        with os.scandir(folder) as it:
            for e in it:
                if e.name.endswith(".arrow") and not e.name.startswith("."):
                    m = e.stat().st_mtime_ns
                    if m > best_mtime:
                        best, best_mtime = e.path, m
        if best:
            return best
    return None


def to_json_value(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return v.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    return v


def read_scan(path):
    with pa.memory_map(path, "r") as source:
        try:
            table = pa.ipc.open_file(source).read_all()
        except pa.ArrowInvalid:
            source.seek(0)
            table = pa.ipc.open_stream(source).read_all()
    row = table.to_pylist()[0]
    scan = {k: to_json_value(v) for k, v in row.items() if not isinstance(v, list)}
    for k, v in row.items():
        if isinstance(v, list):
            scan[k] = [to_json_value(x) for x in v]
    if "assets" in row and "asset_prices" in row:
        scan["asset_prices"] = dict(zip(row["assets"], row["asset_prices"]))
    return scan


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--member", default="127.0.0.1:5701")
    ap.add_argument("--cluster-name", default="dolphin")
    ap.add_argument("--scan-dir", required=True)
    ap.add_argument("--poll-ms", type=float, default=5000.0)
    ap.add_argument("--ready-file")
    a = ap.parse_args()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    client = hazelcast.HazelcastClient(cluster_name=a.cluster_name, cluster_members=[a.member])
    features = client.get_map("DOLPHIN_FEATURES").blocking()
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write("%d\n" % os.getpid())
    last = None
    published = 0
    while not stop.is_set():
        path = newest_scan_file(a.scan_dir)
        if path and path != last:
            last = path
            try:
                scan = read_scan(path)
            except Exception as e:  # a bad file is skipped, as the original did
                print("reference bridge: cannot read %s: %s" % (path, e), file=sys.stderr,
                      flush=True)
                continue
            scan["bridge_ts"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
            scan["bridge_source"] = "reference_python_bridge"
            scan["file"] = os.path.basename(path)
            features.put("latest_eigen_scan", json.dumps(scan))
            published += 1
        stop.wait(a.poll_ms / 1000.0)
    client.shutdown()
    print("reference bridge: stopped after %d scans" % published, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
