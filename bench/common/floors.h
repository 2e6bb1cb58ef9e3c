// The floors every latency benchmark measures in the same run (docs/architecture.md §10): what the
// machine itself costs, so our figures are reported beside it.
#pragma once

#include <filesystem>

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

}  // namespace dolphin::bench
