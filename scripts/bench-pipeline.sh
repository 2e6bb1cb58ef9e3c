#!/usr/bin/env bash
# File renamed -> trader decision across processes (`dolphin serve bridge` + `dolphin serve
# trader`) over one Hazelcast member on loopback, beside the rename -> inotify and loopback TCP
# floors measured in the same run (docs/architecture.md §10; method in bench/pipeline/pipeline_bench.cc
# and docs/hazelcast.md). Builds the `bench` preset (Release) into build/pipe-bench, starts a
# member on a free port, runs the benchmark (journal_sync normal, then full), appends to
# $DOLPHIN_BENCH_OUT (default bench/results/results.jsonl), stops the member.
# Usage: scripts/bench-pipeline.sh [N] [extra dolphin_pipeline_bench flags]  (default N=400)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${1:-400}
shift || true
build=${BUILD_DIR:-build/pipe-bench}

cmake --preset bench -B "$build" >/dev/null
cmake --build "$build" --target dolphin dolphin_pipeline_bench -j2

. scripts/lib/bench-member.sh
bench_member_start pipe

"$build/bench/pipeline/dolphin_pipeline_bench" --member "127.0.0.1:$member_port" --n "$n" \
  --dolphin "$build/apps/dolphin/dolphin" "$@"
