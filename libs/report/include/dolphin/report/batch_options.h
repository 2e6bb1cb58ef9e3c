// `[batch]` and `[housekeeping]` (docs/batch.md): the daily batch's deployments and the
// retention of what dolphin writes. Defaults work without a config file.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "dolphin/core/config.h"
#include "dolphin/core/result.h"

namespace dolphin::report {

struct BatchOptions {
  // daily-backtest/daily: replay and parity of the previous UTC day, then D.json and D.html.
  bool daily_backtest = true;
  std::string daily_backtest_cron = "5 0 * * *";
  bool html_report = true;  // the daily run also writes D.html (`dolphin report --day D`)
  // housekeeping/daily.
  bool housekeeping = true;
  std::string housekeeping_cron = "30 0 * * *";
  // [housekeeping.<category>] retention_days (0 = keep forever).
  int scans_days = 3;
  int quarantine_days = 30;
  int run_logs_days = 30;
  int flow_runs_days = 90;
  int reports_days = 365;
  // [housekeeping] watched_scans: also prune the bridge's watched folder (an upstream
  // scanner's, read-only to dolphin unless this is set). The simulator's own folder is always
  // dolphin's.
  bool watched_scans = false;
};

// `check_cron` validates a cron expression (the scheduler's parser, given by the wiring).
Result<BatchOptions> ParseBatchOptions(ConfigSection batch, ConfigSection housekeeping,
                                       const std::function<Status(std::string_view)>& check_cron);
void WriteBatchOptions(const BatchOptions& o, ConfigWriter& out);

}  // namespace dolphin::report
