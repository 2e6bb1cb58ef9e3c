"""The Python benchmarks' side of bench/common/histogram.h: percentiles as the C++ histogram
reports them (nearest rank) and one JSON line per figure appended to $DOLPHIN_BENCH_OUT
(default bench/results/results.jsonl), in the docs/architecture.md section 10 format."""
import json
import math
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pct(samples, p):
    """The nearest-rank p-th percentile of `samples` (non-empty)."""
    s = sorted(samples)
    rank = max(1, math.ceil(p / 100.0 * len(s)))
    return s[min(rank, len(s)) - 1]


def results_path():
    return os.environ.get("DOLPHIN_BENCH_OUT") or os.path.join(ROOT, "bench", "results",
                                                               "results.jsonl")


def append(record, echo=False):
    """Appends `record` as one line; `echo` also prints it."""
    line = json.dumps(record)
    path = results_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write(line + "\n")
    if echo:
        print(line, flush=True)
