// [sim] section of the config file (docs/architecture.md §11) and the `dolphin sim` flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "dolphin/core/config.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"
#include "dolphin/sim/scanner.h"

namespace dolphin::sim {

struct SimOptions {
  // Whether `dolphin run` starts the simulator. Default: decided by the caller (true only when
  // no config file is given).
  bool enabled = true;
  // Root of the scan folders (<scan_dir>/YYYY-MM-DD/...). Default: <state_dir>/scans.
  std::filesystem::path scan_dir = "var/scans";
  // Time between scans; 0 = as fast as possible. Config key interval_ms. Default: 1000 ms.
  Duration interval = std::chrono::milliseconds(1000);
  // Number of synthetic assets, 2..20000 (ignored with `prices`). Default: 400.
  int64_t assets = 400;
  // Seed of the synthetic market (logged at start). Default: 42.
  int64_t seed = 42;
  // Scans to write before stopping; 0 = until stopped. Default: 0.
  int64_t count = 0;
  // Number of the first scan written (a lower number than the last run imitates an upstream
  // restart). Default: 1.
  int64_t start_scan = 1;
  // CSV of `timestamp,symbol,close` rows to replay instead of the synthetic market; the run
  // stops when it is exhausted. Default: empty (synthetic).
  std::filesystem::path prices;
  // Synthetic scans computed (not written) before the first file so every correlation window
  // starts full. Default: 750.
  int64_t warmup_scans = 750;
  // Log one line every this many scans; 0 = automatic (about one line per second, at least
  // one per scan at intervals >= 1 s). Default: 0.
  int64_t log_every = 0;
};

// Reads [sim]. `state_dir` gives the default scan_dir; `enabled_by_default` the default of
// `enabled`. Every problem is recorded in the section's diagnostics (unknown keys included) and
// makes the result an InvalidArgument error.
Result<SimOptions> ParseSimOptions(ConfigSection section, const std::filesystem::path& state_dir,
                                   bool enabled_by_default);
void WriteSimOptions(const SimOptions& options, ConfigWriter& out);

// The scanner part of the options (live mode: timestamps come from the clock).
ScannerOptions ToScannerOptions(const SimOptions& options);

}  // namespace dolphin::sim
