#!/usr/bin/env bash
# Builds the Release benchmarks and runs them; every result is appended as one JSON line
# (docs/architecture.md §10) to bench/results/results.jsonl (or $DOLPHIN_BENCH_OUT).
# Usage: scripts/bench.sh [bus|arrow|sim|bridge|trader|hazelcast ...]   (default: every benchmark built)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
cmake --preset bench >/dev/null
cmake --build --preset bench -j"$(nproc)"
want=("$@")
for b in build/bench/bench/*/dolphin_*_bench; do
  [[ -x $b ]] || continue
  name=$(basename "$b"); name=${name#dolphin_}; name=${name%_bench}
  if ((${#want[@]})) && [[ ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  echo "== $name"
  "$b" --benchmark_min_time=0.5
done
echo "results: ${DOLPHIN_BENCH_OUT:-bench/results/results.jsonl}"
