#!/usr/bin/env bash
# Determinism lint (STYLE.md F): library and app code reads time, sleeps, draws randomness and
# starts threads only through core's Clock/Random (and the few places marked
# `// determinism-ok: <reason>` on the same line). Runs as a ctest.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
pattern='(system_clock|steady_clock|high_resolution_clock)::now|sleep_for|sleep_until|random_device|[^a-z_]rand\(|std::thread *\(|std::thread [a-z_]+ *[({]|std::jthread'
hits=$(grep -rnE "$pattern" libs apps --include='*.cc' --include='*.h' \
  | grep -v 'determinism-ok' \
  | grep -vE '^libs/core/src/(clock|random)\.cc:' || true)
if [[ -n $hits ]]; then
  echo "determinism lint: direct time/sleep/random/thread use (use Clock/Random, or mark the line '// determinism-ok: <reason>'):"
  echo "$hits"
  exit 1
fi
echo "determinism lint: clean"
