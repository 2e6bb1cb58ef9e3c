#!/usr/bin/env bash
# Hazelcast backend benchmarks, ours vs the official Python client, on one member in one run:
# builds bench/bus_hazelcast (Release, build/hz-bench), starts a member on a free port, runs
# the C++ benchmark (which also measures the 1 KB loopback TCP floor) and the Python baseline,
# appends everything to $DOLPHIN_BENCH_OUT (default bench/results/results.jsonl), stops the
# member. Usage: scripts/bench-hazelcast.sh [N]   (default N=5000 samples per figure)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${1:-5000}
build=${BUILD_DIR:-build/hz-bench}

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOLPHIN_BUILD_TESTS=OFF \
  -DDOLPHIN_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target dolphin_bus_hazelcast_bench -j2

. scripts/lib/bench-member.sh
bench_member_start hz-bench

out=$("$build/bench/bus_hazelcast/dolphin_bus_hazelcast_bench" --member "127.0.0.1:$member_port" --n "$n")
echo "$out" | grep -v '^FLOOR_P99_US='
floor=$(echo "$out" | sed -n 's/^FLOOR_P99_US=//p')
.venv/bin/python bench/bus_hazelcast/python_client_bench.py --member "127.0.0.1:$member_port" --n "$n" \
  --floor-p99-us "$floor" 2> >(grep -v -E '^\s*$|INFO' >&2)
