// Backtest: scans replayed through the same Engine as live trading, then summarised.
//
// Two sources: a folder of archived scan files (`dolphin backtest --scans DIR`: every .arrow
// file below DIR, ordered and given epochs the way the bridge does), or a journal's processed
// sequence (each marker's scan looked up in DIR by scan number and timestamp, replayed with the
// context the journal recorded: the parity check). Thread-safety: none.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "dolphin/contract/scan_json.h"
#include "dolphin/core/json.h"
#include "dolphin/trader/engine.h"
#include "dolphin/trader/journal.h"
#include "dolphin/trader/types.h"

namespace dolphin::trader {

// A scan file's bytes -> Scan exactly as the live trader would see it (contract_arrow).
using contract::ScanFromArrow;

struct BacktestReport {
  std::string color;
  int64_t scans = 0;
  int64_t missed_scans = 0;
  int64_t stale_scans = 0;
  int64_t fills = 0;
  int64_t round_trips = 0;
  int64_t wins = 0;
  int64_t losses = 0;
  double initial_equity = 0;
  double final_equity = 0;
  double realized = 0;
  double fees = 0;
  double net_pnl = 0;  // final - initial equity
  double return_pct = 0;
  double win_rate = 0;          // wins / round trips (0 when none)
  double max_drawdown = 0;      // quote currency
  double max_drawdown_pct = 0;  // of the peak equity it fell from
  double sharpe = 0;            // per-scan equity returns, annualised by the median scan interval
  std::vector<Fill> fill_list;

  Json ToJson() const;         // without fill_list
  std::string Format() const;  // the human summary `dolphin backtest` prints
};

// Accumulates per-scan equity for Sharpe and drawdown percentages. Feed every scan.
class Backtest {
 public:
  Backtest(EngineOptions options, std::unique_ptr<Strategy> strategy);
  // Continues from a saved engine state (Engine::SaveState) instead of a fresh portfolio: the
  // daily parity of one day starts from the state the replay of the day before ended in.
  // REQUIRES: before the first Add.
  Status Restore(const Json& state);
  Status Add(const Scan& scan, const ScanContext& context);
  BacktestReport Finish() const;
  Engine& engine() { return engine_; }

 private:
  Engine engine_;
  std::vector<Fill> fills_;
  double prev_equity_;
  double sum_ret_ = 0, sum_ret2_ = 0;
  int64_t n_ret_ = 0;
  std::vector<int64_t> intervals_us_;
  Timestamp prev_ts_;
  bool has_prev_ = false;
  double peak_ = 0;
  double max_dd_pct_ = 0;
};

// One fill in one line, every field the parity compares ("id scan #N BUY 0.1 BTCUSDT @ ...").
std::string FillLine(const Fill& f);
// Same fill, field by field; doubles compared bit for bit (==).
bool SameFill(const Fill& a, const Fill& b);

// The parity verdict of a replay against the journal (`dolphin backtest --parity` and the daily
// batch): the same fills in the same order, bit for bit.
struct ParityResult {
  bool ok = true;
  size_t fills_compared = 0;  // fills that matched before the first difference (all when ok)
  size_t difference_at = 0;   // 1-based index of the first differing fill; 0 when counts differ
  std::string journal_fill, replay_fill;  // FillLine of both at difference_at
  std::string first_difference;           // one line naming it; "" when ok
};
ParityResult CompareFills(std::span<const Fill> journal, std::span<const Fill> replay);

using Progress = std::function<void(size_t done, size_t total)>;

struct ScanFileEntry {
  std::filesystem::path path;
  Scan scan;
};

// Every .arrow file below `dir`, decoded, sorted by (timestamp, scan_number), epochs assigned
// by the bridge's own contract::EpochSequencer (a lower-or-equal scan number with a strictly
// newer timestamp starts a new epoch = that timestamp in Unix microseconds; with an equal or
// older timestamp the scan is a duplicate or stale, and dropped as the bridge would not publish
// it). A file that does not decode is an error naming it.
Result<std::vector<ScanFileEntry>> LoadScanDir(const std::filesystem::path& dir,
                                               const Progress& progress = {});

// The epoch step of LoadScanDir on scans in the order given: each scan's epoch set by the
// EpochSequencer, duplicates and stale scans dropped (a lower number with an equal timestamp is
// stale, never a new epoch).
std::vector<ScanFileEntry> AssignEpochs(std::vector<ScanFileEntry> ordered);

// The indicator values a journal recorded, by scan (number, timestamp in Unix microseconds):
// a plain replay of scan files gives each scan the values the live trader saw for it
// (`dolphin backtest --scans DIR --indicators-from JOURNAL`, the daily batch's plain replay).
using RecordedIndicators = std::map<std::pair<int64_t, int64_t>, IndicatorValues>;
RecordedIndicators IndicatorsByScan(const std::vector<ProcessedScan>& processed);
// The values recorded for `scan`; empty when the journal has none for it.
const IndicatorValues& RecordedFor(const RecordedIndicators& recorded, const Scan& scan);

// The journal's processed sequence matched against `scans` (by scan number and timestamp), with
// the recorded contexts and epochs. A marker whose scan is not in `scans` is an error naming it.
Result<std::vector<std::pair<Scan, ScanContext>>> JournalSequence(
    const std::vector<ProcessedScan>& processed, const std::vector<ScanFileEntry>& scans);

}  // namespace dolphin::trader
