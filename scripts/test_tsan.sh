#!/usr/bin/env bash
# ThreadSanitizer run (docs/testing.md): builds the tsan preset's threaded test binaries (and the
# dolphin binary the Hazelcast tests start) and runs each of them. Exits non-zero when a build
# fails, a test fails or TSan reports a race (halt_on_error). Not part of CI by default: see
# docs/testing.md for its cost; scripts/test.sh runs it when DOLPHIN_CI_TSAN=1.
#   bash scripts/test_tsan.sh [binary ...]    (default: every binary below)
# Kernels with 28+ bits of mmap randomisation make TSan abort with "unexpected memory mapping";
# the binaries then run under `setarch -R` (no address randomisation for that process only).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${DOLPHIN_JOBS:-2}
binaries=("$@")
if ((${#binaries[@]} == 0)); then
  binaries=(dolphin_bus_tests dolphin_bridge_tests dolphin_bus_hazelcast_tests
    dolphin_bus_hazelcast_client_tests dolphin_trader_service_tests dolphin_trader_journal_tests
    dolphin_trader_backtest_tests dolphin_health_tests dolphin_supervisor_tests
    dolphin_scheduler_tests dolphin_runtime_tests)
fi
cmake --preset tsan
cmake --build build/tsan -j"$jobs" --target dolphin "${binaries[@]}"
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tools/tsan.supp}
export DOLPHIN_SOURCE_DIR=$PWD
wrap=()
probe=$(find build/tsan -name "${binaries[0]}" -type f -perm -u+x | head -1)
if [[ -n $probe ]] && ! "$probe" --gtest_list_tests >/dev/null 2>&1; then
  wrap=(setarch "$(uname -m)" -R)
  echo "test_tsan: running under ${wrap[*]} (TSan cannot map its shadow memory otherwise)"
fi
failed=()
for b in "${binaries[@]}"; do
  path=$(find build/tsan -name "$b" -type f -perm -u+x | head -1)
  if [[ -z $path ]]; then
    echo "test_tsan: $b was not built"
    failed+=("$b")
    continue
  fi
  echo "=== $b"
  start=$(date +%s)
  if (cd "$(dirname "$path")" && "${wrap[@]}" "./$b" --gtest_brief=1); then
    echo "=== $b passed in $(($(date +%s) - start)) s"
  else
    echo "=== $b FAILED"
    failed+=("$b")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "test_tsan: failed: ${failed[*]}"
  exit 1
fi
echo "test_tsan: all ${#binaries[@]} binaries passed under ThreadSanitizer"
