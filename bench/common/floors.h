// The floors every latency benchmark measures in the same run (docs/architecture.md §10): what the
// machine itself costs, so our figures are reported beside it.
#pragma once

#include <filesystem>
#include <functional>

#include "histogram.h"

namespace dolphin::bench {

// Bare rename() -> inotify wake (IN_MOVED_TO) in `dir` (created, removed at the end), n samples.
// gap_ms > 0 idles that long between samples (the "paced" floor: every thread wakes from idle).
// Values in nanoseconds divided by `unit_ns` (1 = ns, 1000 = us).
// `cpu_ns`, when set, receives the waiting thread's CPU time per wake (CLOCK_THREAD_CPUTIME_ID,
// ns): what one wake-up and one read cost this host in CPU, the floor of an event-driven step.
Histogram InotifyFloor(const std::filesystem::path& dir, int n, double gap_ms = 0,
                       double unit_ns = 1, double* cpu_ns = nullptr);

// 1 KB request/response over loopback TCP with TCP_NODELAY: one round trip. n samples after a
// 10 % warm-up; gap_ms and unit_ns as above. Aborts with a line on stderr if loopback fails.
// `cpu_ns`, when set, receives the echo server thread's CPU time per request (ns): one wake,
// a 1 KB recv and a 1 KB send.
Histogram TcpFloor(int n, double gap_ms = 0, double unit_ns = 1, double* cpu_ns = nullptr);

// The thread CPU time (CLOCK_THREAD_CPUTIME_ID) of `step`, n samples after n / 10 warm-up calls,
// idling gap_ms before each sample when gap_ms > 0; values in ns / unit_ns. The same code costs
// this VM several times more after an idle gap than back to back (its caches and branch
// predictors are shared with the host's other guests): the "cold" cost of a scan's fixed work.
Histogram CpuOfStep(const std::function<void()>& step, int n, double gap_ms = 0,
                    double unit_ns = 1);

}  // namespace dolphin::bench
