"""Times pa.ipc.open_file(path).read_all().to_pylist() on one file.
Usage: pyarrow_decode.py FILE N  -> prints "p50_ns p99_ns max_ns n"."""
import sys
import time

import pyarrow as pa


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    for _ in range(min(n, 200)):  # warm-up
        pa.ipc.open_file(path).read_all().to_pylist()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        pa.ipc.open_file(path).read_all().to_pylist()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    rank = lambda p: samples[max(0, min(len(samples) - 1, int(-(-p * len(samples) // 100)) - 1))]
    print(rank(50), rank(99), samples[-1], len(samples))


if __name__ == "__main__":
    main()
