#!/usr/bin/env bash
# `dolphin sim` throughput at 400 assets (docs/architecture.md §10: >= 100 scans/s, Release build).
# Builds bench/sim (Release, build/sim-bench), then runs it twice: scanner compute only, and
# compute + Arrow encoding + atomic file write into a temporary folder. Appends JSON lines to
# $DOLPHIN_BENCH_OUT (default bench/results/results.jsonl).
#   scripts/bench-sim.sh [scans]     (default 2000 scans after the 750-scan warm-up)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scans=${1:-2000}
build=${DOLPHIN_SIM_BENCH_BUILD:-build/sim-bench}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOLPHIN_BUILD_TESTS=OFF \
  -DDOLPHIN_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target dolphin_sim_bench -j2
dir=$(mktemp -d /tmp/dolphin-sim-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$build/bench/sim/dolphin_sim_bench" --scans "$scans" --assets 400
"$build/bench/sim/dolphin_sim_bench" --scans "$scans" --assets 400 --write "$dir"
