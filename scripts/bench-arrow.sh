#!/usr/bin/env bash
# Arrow decode + JSON encode benchmark (docs/architecture.md §10: 400-asset scan, p50 < 50 us), with
# pyarrow timed on the same files in the same run. Appends JSON lines to the results file
# ($DOLPHIN_BENCH_OUT, default bench/results/results.jsonl).
#   scripts/bench-arrow.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${DOLPHIN_ARROW_BENCH_BUILD:-build/arrow-bench}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOLPHIN_BUILD_TESTS=OFF \
  -DDOLPHIN_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target arrow_decode_bench -j2
[[ -x .venv/bin/python ]] || echo "bench-arrow: .venv missing (scripts/setup.d/10-python-venv.sh): pyarrow will not be timed" >&2
"$build/bench/arrow/arrow_decode_bench" "${1:-20000}"
