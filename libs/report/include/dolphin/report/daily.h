// The daily batch's replay of one UTC day (layer 5, docs/batch.md): for each trader colour, the
// journal's processed scans of the day replayed through the trader engine from the archived
// scan files and compared with the journal's fills bit for bit (the `backtest --parity`
// semantics), the live figures of the day beside a plain replay of the same scan files, and the
// series the HTML report draws. The result is `<state_dir>/reports/D.json` (its fields are in
// docs/batch.md). Thread-safety: none; one call at a time.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/env.h"
#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/trader/backtest.h"
#include "dolphin/trader/trader_options.h"

namespace dolphin::report {

struct DayTrader {
  std::string color;
  std::filesystem::path journal;
  trader::TraderOptions options;  // engine and strategy, as the live trader runs them
};

struct DayOptions {
  std::string day;                           // YYYY-MM-DD (UTC)
  std::filesystem::path scans_dir;           // the archived scan files (every .arrow below it)
  std::filesystem::path reports_dir;         // D.json, D.html and D.state.<COLOR>.json
  std::filesystem::path health_history_dir;  // <run_logs>/health_history/D.jsonl
  std::vector<DayTrader> traders;
  size_t max_points = 1500;  // per plotted series (equity, prices): evenly thinned beyond it
  std::string version;       // the dolphin build, recorded in the report
  // Write D.state.<COLOR>.json for the next day (the daily batch); `dolphin report` does not.
  bool write_state = true;
};

// Verdicts of one colour's parity.
inline constexpr const char* kParityOk = "ok";
inline constexpr const char* kParityFailed = "failed";
inline constexpr const char* kParityNoJournal = "no_journal";  // the colour never traded
inline constexpr const char* kParityNoScans = "no_scans";      // nothing to replay that day

// "YYYY-MM-DD" -> its first instant (UTC); InvalidArgument naming the text otherwise.
Result<Timestamp> ParseDay(std::string_view day);
// The UTC day before `day` ("2026-03-01" -> "2026-02-28").
std::string PreviousDay(std::string_view day);

// Builds the day's report JSON. Errors only for what makes the whole report impossible (an
// unreadable scan folder, a bad day); a colour whose journal is missing or whose scans are gone
// gets its verdict instead. Side effect: D.state.<COLOR>.json (the replay's engine state at the
// end of the day) for each colour whose parity held, so that the next day replays only its own
// scans (older scan files may then be pruned by housekeeping).
Result<Json> BuildDay(const DayOptions& options, Env env, const trader::Progress& progress = {});

// True when the report JSON has a colour whose parity failed; `why` gets its first difference.
bool ParityFailed(const Json& day, std::string* why);

// The fields the daily batch merges into DOLPHIN_PNL_<COLOR>[D] (backtest_* and parity).
Json PnlFields(const Json& trader_day);

}  // namespace dolphin::report
