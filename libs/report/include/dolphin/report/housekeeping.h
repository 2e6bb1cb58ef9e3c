// Housekeeping (deployment `housekeeping/daily`, docs/batch.md): retention for what dolphin
// itself writes, each category with its own `retention_days` (0 = keep forever). Ages come from
// the day in a file's or folder's name where dolphin names them by day (scan day folders, health
// history, reports), else from the file's modification time, against the injected clock.
// It never removes a file it did not write: only names dolphin's writers produce, only in the
// folders they write to; an upstream scanner's folder only when configured. The journal is never
// touched. Thread-safety: none.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "dolphin/core/env.h"
#include "dolphin/core/result.h"

namespace dolphin::report {

struct HousekeepingOptions {
  // Day folders YYYY-MM-DD of scan_NNNNNN_HHMMSS.arrow files (the simulator's layout).
  std::vector<std::filesystem::path> scan_dirs;
  int scans_days = 3;
  std::filesystem::path quarantine_dir;  // quarantined files and their .reason files
  int quarantine_days = 30;
  std::filesystem::path run_logs_dir;  // flow_runs/<id>.log and health_history/D.jsonl
  int run_logs_days = 30;
  std::filesystem::path reports_dir;  // D.json, D.html, D.state.<COLOR>.json
  int reports_days = 365;
  int flow_runs_days = 90;
  // Deletes terminal flow runs that ended before `cutoff` from the run store; returns how many
  // (the wiring gives it the scheduler's store; unset: flow-run history is left alone).
  std::function<Result<int64_t>(Timestamp cutoff)> prune_flow_runs;
  bool dry_run = false;  // report what would go, remove nothing
};

struct HousekeepingCategory {
  std::string name;  // "scans", "quarantine", "run_logs", "reports", "flow_runs"
  int retention_days = 0;
  int64_t removed = 0;  // files (flow runs for "flow_runs")
  uint64_t bytes = 0;
  std::vector<std::string> errors;  // one line each; the others still go
};

struct HousekeepingResult {
  std::vector<HousekeepingCategory> categories;
  int64_t removed() const;
  uint64_t bytes() const;
  std::string Summary() const;  // one line: "freed 1.2 GB: scans 86400 files 1.1 GB, ..."
};

HousekeepingResult Housekeep(const HousekeepingOptions& options, Env env);

}  // namespace dolphin::report
