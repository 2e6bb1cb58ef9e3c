"""Baseline: the same operations as hazelcast_bus_bench.cc with the official
hazelcast-python-client (unisocket, like ours), appended to the same results file in the
docs/architecture.md §10 format.

  python_client_bench.py --member 127.0.0.1:5701 --n 5000 --floor-p99-us 120.5
"""
import argparse
import json
import os
import sys
import threading
import time

import hazelcast

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "common"))
import bench_results  # noqa: E402  (bench/common)
from bench_results import pct  # noqa: E402


def append(record):
    bench_results.append(record, echo=True)


def emit(name, samples_us, floor_p99):
    p99 = pct(samples_us, 99)
    append({"name": name, "unit": "us", "n": len(samples_us), "p50": pct(samples_us, 50),
            "p99": p99, "max": max(samples_us), "floor_p99": floor_p99,
            "ratio": p99 / floor_p99 if floor_p99 else None})


def value_1k(i):
    v = '{"scan_number": %d, "pad": "' % i
    return v + "p" * (1000 - len(v) - 3) + '"}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--member", default="127.0.0.1:5701")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--floor-p99-us", type=float, default=None)
    a = ap.parse_args()
    n = a.n
    writer = hazelcast.HazelcastClient(cluster_name="dolphin", cluster_members=[a.member],
                                       smart_routing=False)
    reader = hazelcast.HazelcastClient(cluster_name="dolphin", cluster_members=[a.member],
                                       smart_routing=False)
    name = "BENCH_PY_%d" % os.getpid()
    m = writer.get_map(name).blocking()
    for i in range(n // 10):
        m.set("warm", value_1k(i))
    set_us, get_us = [], []
    for i in range(n):
        v = value_1k(i)
        t0 = time.perf_counter()
        m.set("k", v)
        t1 = time.perf_counter()
        m.get("k")
        t2 = time.perf_counter()
        set_us.append((t1 - t0) * 1e6)
        get_us.append((t2 - t1) * 1e6)
    emit("hazelcast.python.set_rtt_1k", set_us, a.floor_p99_us)
    emit("hazelcast.python.get_rtt_1k", get_us, a.floor_p99_us)

    t0 = time.perf_counter()
    for i in range(n):
        m.set("t%d" % (i % 64), value_1k(i))
    secs = time.perf_counter() - t0
    append({"name": "hazelcast.python.set_throughput_1thread", "unit": "ops/s", "n": n,
            "p50": n / secs, "p99": None, "max": None, "floor_p99": None, "ratio": None})

    cond = threading.Condition()
    state = {"seen": -1, "at": 0.0}

    def on_event(event):
        now = time.perf_counter()
        k = json.loads(event.value)["scan_number"]
        with cond:
            state["seen"] = k
            state["at"] = now
            cond.notify_all()

    rmap = reader.get_map(name).blocking()
    rmap.add_entry_listener(key="ev", include_value=True, added_func=on_event,
                            updated_func=on_event)
    ev_us = []
    for i in range(n):
        start = time.perf_counter()
        m.set("ev", value_1k(i))
        with cond:
            if not cond.wait_for(lambda: state["seen"] == i, timeout=5):
                raise SystemExit("event %d lost" % i)
            ev_us.append((state["at"] - start) * 1e6)
    emit("hazelcast.python.put_to_listener_1k", ev_us, a.floor_p99_us)
    m.destroy()
    writer.shutdown()
    reader.shutdown()


if __name__ == "__main__":
    main()
