#include "dolphin/report/batch_options.h"

#include <fmt/format.h>

namespace dolphin::report {

namespace {

struct Category {
  const char* name;
  int BatchOptions::*days;
};
constexpr Category kCategories[] = {{"scans", &BatchOptions::scans_days},
                                    {"quarantine", &BatchOptions::quarantine_days},
                                    {"run_logs", &BatchOptions::run_logs_days},
                                    {"flow_runs", &BatchOptions::flow_runs_days},
                                    {"reports", &BatchOptions::reports_days}};

}  // namespace

Result<BatchOptions> ParseBatchOptions(ConfigSection batch, ConfigSection housekeeping,
                                       const std::function<Status(std::string_view)>& check_cron) {
  BatchOptions o;
  int sub_errors = 0;
  batch.Read("daily_backtest", &o.daily_backtest);
  batch.Read("daily_backtest_cron", &o.daily_backtest_cron);
  batch.Read("html_report", &o.html_report);
  batch.Read("housekeeping", &o.housekeeping);
  batch.Read("housekeeping_cron", &o.housekeeping_cron);
  for (const char* key : {"daily_backtest_cron", "housekeeping_cron"}) {
    const std::string& cron = std::string_view(key) == "daily_backtest_cron" ? o.daily_backtest_cron
                                                                             : o.housekeeping_cron;
    if (!batch.Has(key) || !check_cron) continue;
    if (Status st = check_cron(cron); !st.ok()) batch.ErrorAt(key, std::string(st.message()));
  }
  batch.RejectUnknownKeys();
  housekeeping.Read("watched_scans", &o.watched_scans);
  for (const Category& c : kCategories) {
    ConfigSection sub = housekeeping.Sub(c.name);
    sub.Read("retention_days", &(o.*c.days), 0, 36500);
    sub.RejectUnknownKeys();
    sub_errors += sub.error_count();
  }
  housekeeping.RejectUnknownKeys();
  if (batch.error_count() + housekeeping.error_count() + sub_errors > 0) {
    return InvalidArgumentError("invalid [batch] or [housekeeping] section");
  }
  return o;
}

void WriteBatchOptions(const BatchOptions& o, ConfigWriter& out) {
  out.Section("batch", "the daily batch in pool dolphin (docs/batch.md)");
  out.Value("daily_backtest", o.daily_backtest);
  out.Value("daily_backtest_cron", o.daily_backtest_cron);
  out.Value("html_report", o.html_report);
  out.Value("housekeeping", o.housekeeping);
  out.Value("housekeeping_cron", o.housekeeping_cron);
  out.Section("housekeeping", "retention of what dolphin writes; the journal is never pruned");
  out.Value("watched_scans", o.watched_scans);
  for (const Category& c : kCategories) {
    out.Section(fmt::format("housekeeping.{}", c.name));
    out.Value("retention_days", o.*c.days);
  }
}

}  // namespace dolphin::report
