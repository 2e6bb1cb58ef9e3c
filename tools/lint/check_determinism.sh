#!/usr/bin/env bash
# Determinism lint (STYLE.md F): library and app code reads time, sleeps, waits with a timeout,
# draws randomness and starts threads only through core's Clock/Random/ThreadFactory (and the
# few places marked `// determinism-ok: <reason>` on the same line). A condition wait with a
# deadline is Clock::WaitUntil(deadline, lock, cv, pred), never cv.wait_for/wait_until, so a
# SimulatedClock drives every timeout. Runs as a ctest.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
pattern='(system_clock|steady_clock|high_resolution_clock)::now|sleep_for|sleep_until|wait_for|wait_until|random_device|[^a-z_]rand\(|std::thread *\(|std::thread [a-z_]+ *[({]|std::jthread'
hits=$(grep -rnE "$pattern" libs apps --include='*.cc' --include='*.h' \
  | grep -v 'determinism-ok' \
  | grep -vE '^libs/core/src/(clock|random|thread_factory)\.cc:' || true)
if [[ -n $hits ]]; then
  echo "determinism lint: direct time/sleep/timed wait/random/thread use (use Clock/Random/ThreadFactory, or mark the line '// determinism-ok: <reason>'):"
  echo "$hits"
  exit 1
fi
echo "determinism lint: clean"
