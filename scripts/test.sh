#!/usr/bin/env bash
# Sets up everything the tests need (idempotent; scripts/setup.sh), builds once with
# AddressSanitizer + UBSan, builds check_headers (every public header compiles alone), runs every
# test (labels unit, integration and slow; the lints lint.determinism and lint.layering among
# them), then the format check (scripts/check_format.sh). With DOLPHIN_CI_TSAN=1 it also runs
# scripts/test_tsan.sh (docs/testing.md). Exits non-zero on any failure. Extra args go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset asan
cmake --build --preset asan -j"$jobs"
cmake --build --preset asan -j"$jobs" --target check_headers
(
  cd build/asan
  # Sanitizer reports fail the test that triggered them.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  ctest --output-on-failure --timeout 900 -j"$jobs" "$@"
)
bash scripts/check_format.sh
if [[ ${DOLPHIN_CI_TSAN:-0} == 1 ]]; then
  DOLPHIN_JOBS=$jobs bash scripts/test_tsan.sh
fi
