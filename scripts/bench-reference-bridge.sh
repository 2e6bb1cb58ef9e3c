#!/usr/bin/env bash
# `dolphin serve bridge` beside the original system's Python bridge design (polling the newest
# file every 10 ms and every 5 s; bench/reference_bridge/), on one Hazelcast member and the same
# scan files, observed by one official-client entry listener. Builds the `bench` preset
# (Release) into build/bench, starts a member on a free port, runs
# bench/reference_bridge/compare_bridges.py, appends to $DOLPHIN_BENCH_OUT (default
# bench/results/results.jsonl), stops the member.
# Usage: scripts/bench-reference-bridge.sh [extra compare_bridges.py flags, e.g. --n 200 --n-slow 20]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build/bench}
[[ -x .venv/bin/python ]] || { echo "bench-reference-bridge: .venv missing: run scripts/setup.sh" >&2; exit 1; }

cmake --preset bench -B "$build" >/dev/null
cmake --build "$build" --target dolphin -j2

. scripts/lib/bench-member.sh
bench_member_start refbridge

.venv/bin/python bench/reference_bridge/compare_bridges.py --member "127.0.0.1:$member_port" \
  --dolphin "$build/apps/dolphin/dolphin" "$@"
