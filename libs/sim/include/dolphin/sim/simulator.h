// Simulator: the `dolphin sim` service loop. Every interval it asks its Scanner for the next
// scan (timestamped with the injected Clock's Now()), hands it to its ScanSink (Arrow files by
// default) and logs a line. It waits with Clock::WaitUntil, never sleeps, so a SimulatedClock
// drives it deterministically in tests.
//
// Usage from a composition root (`dolphin sim`, `dolphin run`):
//   DOLPHIN_ASSIGN_OR_RETURN(auto sim, Simulator::Create(options, env.clock, env.logger));
//   CancelToken stop;                 // stop.Cancel() from another thread ends Run() promptly
//   Status s = sim->Run(stop);        // blocks on the calling (service) thread
//
// Thread-safety: Run() is called from one thread; stats() and the CancelToken may be used from
// any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dolphin/core/clock.h"
#include "dolphin/core/env.h"
#include "dolphin/core/logging.h"
#include "dolphin/core/result.h"
#include "dolphin/sim/scan_sink.h"
#include "dolphin/sim/scanner.h"
#include "dolphin/sim/sim_options.h"

namespace dolphin::sim {

struct SimStats {
  int64_t scans_written = 0;
  int64_t write_failures = 0;
  int64_t last_scan_number = -1;  // -1 before the first scan
};

class Simulator {
 public:
  // Builds the scanner (runs the warm-up; reads and validates the CSV) and an Arrow file sink
  // under options.scan_dir, which is created (files written with env.fs). Errors:
  // InvalidArgument (options, CSV content), IoError (CSV unreadable, scan_dir not creatable).
  // Everything `env` refers to must outlive the simulator.
  static Result<std::unique_ptr<Simulator>> Create(const SimOptions& options, Env env);

  // Explicit parts (tests, or a caller with its own sink). The clock and logger must outlive
  // the simulator.
  Simulator(const SimOptions& options, std::unique_ptr<Scanner> scanner,
            std::unique_ptr<ScanSink> sink, Clock& clock, Logger& logger);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Writes the first scan at once, then one per interval (deadlines on the monotonic clock,
  // interval 0: back to back) until options.count scans were produced (written or failed), the CSV
  // is exhausted or `cancel` is cancelled; returns OK in all three cases. A failed write is logged
  // (warning), counted in stats() and the loop carries on. When the loop falls more than one
  // interval behind, it skips ahead instead of bursting.
  Status Run(const CancelToken& cancel);

  SimStats stats() const;

 private:
  const SimOptions options_;
  std::unique_ptr<Scanner> scanner_;
  std::unique_ptr<ScanSink> sink_;
  Clock& clock_;
  Logger& logger_;
  std::atomic<int64_t> written_{0};
  std::atomic<int64_t> failures_{0};
  std::atomic<int64_t> last_number_{-1};
};

}  // namespace dolphin::sim
