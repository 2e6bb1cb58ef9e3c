#include "dolphin/trader/backtest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "dolphin/contract/epoch_sequencer.h"
#include "dolphin/trader/scan_parse.h"

namespace dolphin::trader {

Backtest::Backtest(EngineOptions options, std::unique_ptr<Strategy> strategy)
    : engine_(std::move(options), std::move(strategy)) {
  prev_equity_ = engine_.equity();
  peak_ = prev_equity_;
}

Status Backtest::Restore(const Json& state) {
  DOLPHIN_RETURN_IF_ERROR(engine_.RestoreState(state));
  prev_equity_ = engine_.equity();
  peak_ = prev_equity_;
  return Status::Ok();
}

Status Backtest::Add(const Scan& scan, const ScanContext& context) {
  DOLPHIN_ASSIGN_OR_RETURN(ScanResult r, engine_.OnScan(scan, context));
  fills_.insert(fills_.end(), r.fills.begin(), r.fills.end());
  const double eq = engine_.equity();
  if (prev_equity_ > 0) {
    const double ret = eq / prev_equity_ - 1.0;
    sum_ret_ += ret;
    sum_ret2_ += ret * ret;
    ++n_ret_;
  }
  prev_equity_ = eq;
  peak_ = std::max(peak_, eq);
  if (peak_ > 0) max_dd_pct_ = std::max(max_dd_pct_, (peak_ - eq) / peak_ * 100.0);
  if (has_prev_) {
    intervals_us_.push_back(scan.timestamp.UnixMicros() - prev_ts_.UnixMicros());
  }
  prev_ts_ = scan.timestamp;
  has_prev_ = true;
  return Status::Ok();
}

BacktestReport Backtest::Finish() const {
  const Engine& e = engine_;
  BacktestReport r;
  r.color = e.options().color;
  r.scans = e.scans_processed();
  r.missed_scans = e.missed_scans();
  r.stale_scans = e.stale_scans();
  r.fills = e.fills_total();
  r.round_trips = e.round_trips();
  r.wins = e.wins();
  r.losses = e.losses();
  r.initial_equity = e.options().initial_equity;
  r.final_equity = e.equity();
  r.realized = e.realized_total();
  r.fees = e.fees_total();
  r.net_pnl = r.final_equity - r.initial_equity;
  r.return_pct = r.initial_equity > 0 ? r.net_pnl / r.initial_equity * 100.0 : 0;
  r.win_rate =
      r.round_trips > 0 ? static_cast<double>(r.wins) / static_cast<double>(r.round_trips) : 0;
  r.max_drawdown = e.max_drawdown();
  r.max_drawdown_pct = max_dd_pct_;
  if (n_ret_ > 1 && !intervals_us_.empty()) {
    const double n = static_cast<double>(n_ret_);
    const double mean = sum_ret_ / n;
    const double var = std::max(0.0, (sum_ret2_ - n * mean * mean) / (n - 1));
    std::vector<int64_t> iv = intervals_us_;
    std::nth_element(iv.begin(), iv.begin() + static_cast<std::ptrdiff_t>(iv.size() / 2), iv.end());
    const double median_s = static_cast<double>(iv[iv.size() / 2]) / 1e6;
    if (var > 0 && median_s > 0)
      r.sharpe = mean / std::sqrt(var) * std::sqrt(365.0 * 86400.0 / median_s);
  }
  r.fill_list = fills_;
  return r;
}

std::string FillLine(const Fill& f) {
  return fmt::format("{} scan #{} {} {} {} @ {} fee {} realized {}", f.client_order_id,
                     f.scan_number, SideName(f.side), FormatDouble(f.qty), f.asset,
                     FormatDouble(f.price), FormatDouble(f.fee), FormatDouble(f.realized_pnl));
}

bool SameFill(const Fill& a, const Fill& b) {
  return a.client_order_id == b.client_order_id && a.epoch == b.epoch &&
         a.scan_number == b.scan_number && a.asset == b.asset && a.side == b.side &&
         a.qty == b.qty && a.price == b.price && a.fee == b.fee &&
         a.realized_pnl == b.realized_pnl && a.ts == b.ts;
}

ParityResult CompareFills(std::span<const Fill> journal, std::span<const Fill> replay) {
  ParityResult r;
  const size_t n = std::min(journal.size(), replay.size());
  for (size_t i = 0; i < n; ++i) {
    if (!SameFill(journal[i], replay[i])) {
      r.ok = false;
      r.fills_compared = i;
      r.difference_at = i + 1;
      r.journal_fill = FillLine(journal[i]);
      r.replay_fill = FillLine(replay[i]);
      r.first_difference =
          fmt::format("fill {}: journal {} | backtest {}", i + 1, r.journal_fill, r.replay_fill);
      return r;
    }
  }
  r.fills_compared = n;
  if (journal.size() != replay.size()) {
    r.ok = false;
    r.first_difference =
        fmt::format("the journal has {} fills, the backtest {}", journal.size(), replay.size());
  }
  return r;
}

Json BacktestReport::ToJson() const {
  Json j;
  j["color"] = color;
  j["scans"] = scans;
  j["missed_scans"] = missed_scans;
  j["stale_scans"] = stale_scans;
  j["fills"] = fills;
  j["trades"] = round_trips;
  j["wins"] = wins;
  j["losses"] = losses;
  j["win_rate"] = win_rate;
  j["initial_equity"] = initial_equity;
  j["final_equity"] = final_equity;
  j["realized"] = realized;
  j["fees"] = fees;
  j["net_pnl"] = net_pnl;
  j["return_pct"] = return_pct;
  j["max_drawdown"] = max_drawdown;
  j["max_drawdown_pct"] = max_drawdown_pct;
  j["sharpe"] = sharpe;
  return j;
}

std::string BacktestReport::Format() const {
  std::string s;
  s += fmt::format("backtest {}: {} scans ({} missed, {} stale)\n", color, scans, missed_scans,
                   stale_scans);
  s += fmt::format("  trades       {} round trips, {} fills\n", round_trips, fills);
  s += fmt::format("  win rate     {:.1f}% ({} wins, {} losses)\n", win_rate * 100.0, wins, losses);
  s += fmt::format("  pnl          {:+.2f} ({:+.3f}%), realized {:+.2f}\n", net_pnl, return_pct,
                   realized);
  s += fmt::format("  fees         {:.2f}\n", fees);
  s += fmt::format("  equity       {:.2f} -> {:.2f}\n", initial_equity, final_equity);
  s += fmt::format("  max drawdown {:.2f} ({:.3f}%)\n", max_drawdown, max_drawdown_pct);
  s += fmt::format("  sharpe       {:.3f} (per-scan returns, annualised)\n", sharpe);
  return s;
}

Result<std::vector<ScanFileEntry>> LoadScanDir(const std::filesystem::path& dir,
                                               const Progress& progress) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFoundError(fmt::format("{}: not a folder of scan files", dir.string()));
  }
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".arrow") files.push_back(it->path());
  }
  if (ec) return UnavailableError(fmt::format("{}: {}", dir.string(), ec.message()));
  std::sort(files.begin(), files.end());
  std::vector<ScanFileEntry> entries;
  entries.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i], std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
      return UnavailableError(fmt::format("{}: cannot read", files[i].string()));
    auto scan = ScanFromArrow(bytes, 0, files[i].filename().string());
    if (!scan.ok())
      return InvalidArgumentError(
          fmt::format("{}: {}", files[i].string(), scan.status().message()));
    entries.push_back({files[i], std::move(*scan)});
    if (progress) progress(i + 1, files.size());
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const ScanFileEntry& a, const ScanFileEntry& b) {
                     if (a.scan.timestamp != b.scan.timestamp)
                       return a.scan.timestamp < b.scan.timestamp;
                     return a.scan.scan_number < b.scan.scan_number;
                   });
  return AssignEpochs(std::move(entries));
}

std::vector<ScanFileEntry> AssignEpochs(std::vector<ScanFileEntry> entries) {
  // Epochs as the bridge assigns them: the same sequencer decides.
  std::vector<ScanFileEntry> out;
  out.reserve(entries.size());
  contract::SequencePosition position;
  for (ScanFileEntry& e : entries) {
    const contract::SequenceDecision d =
        contract::EpochSequencer::Decide(position, e.scan.scan_number, e.scan.timestamp);
    if (d == contract::SequenceDecision::kDuplicate || d == contract::SequenceDecision::kStale)
      continue;
    position = contract::EpochSequencer::Advance(position, e.scan.scan_number, e.scan.timestamp, d);
    e.scan.epoch = position.epoch;
    out.push_back(std::move(e));
  }
  return out;
}

RecordedIndicators IndicatorsByScan(const std::vector<ProcessedScan>& processed) {
  RecordedIndicators recorded;
  for (const ProcessedScan& p : processed) {
    if (p.context.indicators.empty()) continue;
    recorded[{p.scan_number, p.scan_ts.UnixMicros()}] = p.context.indicators;
  }
  return recorded;
}

const IndicatorValues& RecordedFor(const RecordedIndicators& recorded, const Scan& scan) {
  static const IndicatorValues kNone;
  auto it = recorded.find({scan.scan_number, scan.timestamp.UnixMicros()});
  return it == recorded.end() ? kNone : it->second;
}

Result<std::vector<std::pair<Scan, ScanContext>>> JournalSequence(
    const std::vector<ProcessedScan>& processed, const std::vector<ScanFileEntry>& scans) {
  std::map<std::pair<int64_t, int64_t>, const Scan*> by_key;
  for (const ScanFileEntry& e : scans)
    by_key[{e.scan.scan_number, e.scan.timestamp.UnixMicros()}] = &e.scan;
  std::vector<std::pair<Scan, ScanContext>> seq;
  seq.reserve(processed.size());
  for (const ProcessedScan& p : processed) {
    auto it = by_key.find({p.scan_number, p.scan_ts.UnixMicros()});
    if (it == by_key.end()) {
      return NotFoundError(
          fmt::format("journal marks scan #{} ({}, epoch {}) processed but no scan file has it",
                      p.scan_number, FormatRfc3339(p.scan_ts), p.epoch));
    }
    Scan s = *it->second;
    s.epoch = p.epoch;
    seq.emplace_back(std::move(s), p.context);
  }
  return seq;
}

}  // namespace dolphin::trader
