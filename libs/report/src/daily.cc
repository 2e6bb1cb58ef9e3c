#include "dolphin/report/daily.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "dolphin/trader/journal.h"

namespace dolphin::report {

namespace {

using ScanKey = std::pair<int64_t, int64_t>;  // (epoch, scan_number)

int64_t Millis(Timestamp ts) { return ts.UnixMicros() / 1000; }

// At most `max` of `n` indices, evenly spaced, always with the first and the last.
std::vector<size_t> Thin(size_t n, size_t max) {
  std::vector<size_t> out;
  if (n == 0) return out;
  if (n <= max || max < 2) {
    for (size_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  for (size_t k = 0; k < max; ++k) out.push_back(k * (n - 1) / (max - 1));
  return out;
}

Json FillJson(const trader::Fill& f) {
  return Json{{"ts", FormatRfc3339(f.ts)},
              {"t", Millis(f.ts)},
              {"scan_number", f.scan_number},
              {"asset", f.asset},
              {"side", trader::SideName(f.side)},
              {"qty", f.qty},
              {"price", f.price},
              {"fee", f.fee},
              {"realized_pnl", f.realized_pnl}};
}

// The day's health timeline from <health_history_dir>/D.jsonl (written by the health service).
Json HealthDay(const DayOptions& o, Env env, Timestamp begin, Timestamp end) {
  Json h = {{"file", (o.health_history_dir / (o.day + ".jsonl")).string()},
            {"timeline", Json::array()},
            {"seconds", Json::object()},
            {"bad_lines", 0}};
  auto text = env.fs.ReadFile(o.health_history_dir / (o.day + ".jsonl"));
  if (!text.ok()) {
    h["missing"] = true;
    return h;
  }
  std::vector<std::pair<Timestamp, std::string>> points;
  size_t pos = 0;
  int64_t bad = 0;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    const std::string_view line(text->data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    auto j = ParseJson(line, "health history");
    if (!j.ok() || !j->is_object() || !(*j)["ts"].is_string() || !(*j)["status"].is_string() ||
        !(*j)["rm_meta"].is_number()) {
      ++bad;  // a line cut by a crash: skipped, counted
      continue;
    }
    auto ts = ParseRfc3339((*j)["ts"].get<std::string>());
    if (!ts.ok() || *ts < begin || *ts >= end) {
      ++bad;
      continue;
    }
    h["timeline"].push_back(Json::array(
        {Millis(*ts), (*j)["status"], (*j)["rm_meta"], (*j).value("m", Json::array())}));
    points.emplace_back(*ts, (*j)["status"].get<std::string>());
  }
  h["bad_lines"] = bad;
  // Time in each status: from one line to the next; the last one counts until the next minute
  // line would have come (the history's cadence), never past the end of the day.
  for (size_t i = 0; i < points.size(); ++i) {
    const Timestamp until = i + 1 < points.size()
                                ? points[i + 1].first
                                : std::min(end, points[i].first + std::chrono::minutes(1));
    const double s = SecondsOf(until - points[i].first);
    h["seconds"][points[i].second] = h["seconds"].value(points[i].second, 0.0) + s;
  }
  return h;
}

// The newest saved replay state of `color` from a day before o.day whose last scan is `last`
// (the journal's last scan before the day): (its day, the engine state). A day without scans or
// one whose parity failed wrote none, so the newest earlier one that still matches is used.
std::optional<std::pair<std::string, Json>> FindState(const DayOptions& o, Env env,
                                                      const std::string& color,
                                                      const trader::ProcessedScan& last) {
  auto names = env.fs.ListDir(o.reports_dir);
  if (!names.ok()) return std::nullopt;
  const std::string suffix = ".state." + color + ".json";
  std::vector<std::string> days;
  for (const std::string& n : *names) {
    if (n.size() == 10 + suffix.size() && n.compare(10, std::string::npos, suffix) == 0 &&
        ParseDay(n.substr(0, 10)).ok() && n.substr(0, 10) < o.day) {
      days.push_back(n.substr(0, 10));
    }
  }
  std::sort(days.rbegin(), days.rend());
  for (const std::string& d : days) {
    auto text = env.fs.ReadFile(o.reports_dir / (d + suffix));
    if (!text.ok()) continue;
    auto j = ParseJson(*text, d + suffix);
    if (!j.ok() || !j->is_object() || !(*j)["epoch"].is_number_integer() ||
        !(*j)["scan_number"].is_number_integer() || !(*j)["state"].is_object()) {
      continue;  // unreadable: an older one, or the journal's start
    }
    if ((*j)["epoch"].get<int64_t>() == last.epoch &&
        (*j)["scan_number"].get<int64_t>() == last.scan_number) {
      return std::make_pair(d, std::move((*j)["state"]));
    }
    return std::nullopt;  // the newest state is not where the journal was: replay from the start
  }
  return std::nullopt;
}

// One colour's day: parity, live figures, series, plain replay.
Json TraderDay(const DayTrader& t, const DayOptions& o, Env env,
               const std::vector<trader::ScanFileEntry>& scans, Timestamp begin, Timestamp end) {
  Json out = {{"color", t.color}, {"journal", t.journal.string()}};
  // `out` is an ordered map: no reference into it survives an insertion, so the verdict is
  // built here and put in on every return.
  Json parity = {
      {"verdict", kParityNoJournal}, {"fills_compared", 0}, {"scans", 0}, {"first_difference", ""}};
  auto done = [&]() {
    out["parity"] = parity;
    return out;
  };

  auto journal = trader::OpenJournalReadOnly(t.journal);
  Result<std::vector<trader::ProcessedScan>> processed =
      journal.ok() ? (*journal)->Processed()
                   : Result<std::vector<trader::ProcessedScan>>(journal.status());
  Result<std::vector<trader::Fill>> fills =
      journal.ok() ? (*journal)->Fills() : Result<std::vector<trader::Fill>>(journal.status());

  // The plain replay of the day's scan files: what the strategy would have done from a fresh
  // portfolio with the configured posture (and the indicator values the journal recorded for
  // each scan), beside what it did live.
  {
    trader::ScanContext context;
    if (!t.options.posture.from_bus) context.posture = t.options.posture.fixed;
    const trader::RecordedIndicators recorded =
        processed.ok() ? trader::IndicatorsByScan(*processed) : trader::RecordedIndicators{};
    trader::Backtest plain(t.options.engine, trader::MakeStrategy(t.options));
    for (const trader::ScanFileEntry& e : scans) {
      if (e.scan.timestamp < begin || e.scan.timestamp >= end) continue;
      context.indicators = trader::RecordedFor(recorded, e.scan);
      if (Status st = plain.Add(e.scan, context); !st.ok()) {
        out["backtest_error"] = fmt::format("scan #{}: {}", e.scan.scan_number, st.message());
        break;
      }
    }
    out["backtest"] = plain.Finish().ToJson();
  }

  if (!journal.ok()) {
    // Only a journal that does not exist means "never traded"; one that cannot be read is a
    // failure, never silent.
    if (journal.status().code() != StatusCode::kNotFound) parity["verdict"] = kParityFailed;
    parity["first_difference"] = std::string(journal.status().message());
    return done();
  }
  if (!processed.ok() || !fills.ok()) {
    parity["verdict"] = kParityFailed;
    parity["first_difference"] =
        std::string((!processed.ok() ? processed.status() : fills.status()).message());
    return done();
  }
  std::vector<trader::ProcessedScan> before, during;
  for (const trader::ProcessedScan& p : *processed) {
    if (p.scan_ts < begin) before.push_back(p);
    else if (p.scan_ts < end) during.push_back(p);
  }
  if (during.empty()) {
    parity["verdict"] = kParityNoScans;
    parity["first_difference"] = fmt::format("the journal has no scan of {}", o.day);
    return done();
  }

  // Start from the state the replay of the day before ended in, when it matches the journal's
  // last scan before this day; otherwise replay the journal from its first scan.
  std::vector<trader::ProcessedScan> markers;
  Json restored_state;
  bool restored = false;
  std::string restored_from;
  if (!before.empty()) {
    if (auto found = FindState(o, env, t.color, before.back())) {
      restored_state = std::move(found->second);
      restored_from = found->first;
      restored = true;
    }
  }
  if (!restored) markers = before;
  markers.insert(markers.end(), during.begin(), during.end());
  out["replay_from"] = restored ? "state of " + restored_from : std::string("journal start");

  auto seq = trader::JournalSequence(markers, scans);
  if (!seq.ok()) {
    parity["verdict"] = kParityNoScans;
    parity["first_difference"] = std::string(seq.status().message());
    return done();
  }
  trader::Backtest replay(t.options.engine, trader::MakeStrategy(t.options));
  if (restored) {
    if (Status st = replay.Restore(restored_state); !st.ok()) {
      parity["verdict"] = kParityFailed;
      parity["first_difference"] = fmt::format("state of {}: {}", restored_from, st.message());
      return done();
    }
  }

  // Replay, keeping the day's equity after every scan and the PnL of each regime.
  std::vector<std::pair<int64_t, double>> equity;
  std::map<std::string, double> by_regime;
  double start_equity = replay.engine().equity();
  std::map<std::string, std::vector<std::pair<int64_t, double>>> prices;
  for (const auto& [scan, context] : *seq) {
    const bool in_day = scan.timestamp >= begin;
    if (in_day && equity.empty()) start_equity = replay.engine().equity();
    const double before_eq = replay.engine().equity();
    if (Status st = replay.Add(scan, context); !st.ok()) {
      parity["verdict"] = kParityFailed;
      parity["first_difference"] = fmt::format("scan #{}: {}", scan.scan_number, st.message());
      return done();
    }
    if (!in_day) continue;
    const double eq = replay.engine().equity();
    equity.emplace_back(Millis(scan.timestamp), eq);
    by_regime[scan.regime.empty() ? "unknown" : scan.regime] += eq - before_eq;
  }
  const trader::BacktestReport report = replay.Finish();

  // The journal's fills of the replayed scans, in journal order, against the replay's.
  std::set<ScanKey> replayed_keys;
  for (const trader::ProcessedScan& p : markers) replayed_keys.emplace(p.epoch, p.scan_number);
  std::vector<trader::Fill> journal_fills, day_fills;
  for (const trader::Fill& f : *fills) {
    if (replayed_keys.count({f.epoch, f.scan_number}) == 0) continue;
    journal_fills.push_back(f);
    if (f.ts >= begin && f.ts < end) day_fills.push_back(f);
  }
  const trader::ParityResult pr = trader::CompareFills(journal_fills, report.fill_list);
  parity["verdict"] = pr.ok ? kParityOk : kParityFailed;
  parity["fills_compared"] = pr.fills_compared;
  parity["scans"] = markers.size();
  parity["first_difference"] = pr.first_difference;

  const auto state_path = o.reports_dir / fmt::format("{}.state.{}.json", o.day, t.color);
  if (!pr.ok && o.write_state) {
    (void)env.fs.Remove(state_path);  // a forced re-run that failed: the next day never uses it
  }
  if (pr.ok && o.write_state) {
    // The next day starts here (written only for a state the journal agrees with).
    Json state = {{"day", o.day},
                  {"epoch", during.back().epoch},
                  {"scan_number", during.back().scan_number},
                  {"state", replay.engine().SaveState()}};
    if (Status st = env.fs.WriteAtomically(state_path, DumpJson(state) + "\n"); !st.ok()) {
      out["state_error"] = std::string(st.message());
    }
  }

  // Live figures of the day: the journal's fills, the replayed equity (equal to the live one
  // when parity holds).
  Json live;
  double realized = 0, fees = 0, peak = start_equity, max_dd = 0, max_dd_pct = 0;
  int64_t stale = 0;
  for (const trader::Fill& f : day_fills) {
    realized += f.realized_pnl;
    fees += f.fee;
  }
  for (const trader::ProcessedScan& p : during) stale += p.outcome == "stale" ? 1 : 0;
  std::vector<double> dd_pct(equity.size());
  for (size_t i = 0; i < equity.size(); ++i) {
    peak = std::max(peak, equity[i].second);
    max_dd = std::max(max_dd, peak - equity[i].second);
    dd_pct[i] = peak > 0 ? (peak - equity[i].second) / peak * 100.0 : 0;
    max_dd_pct = std::max(max_dd_pct, dd_pct[i]);
  }
  const double end_equity = equity.back().second;
  live = {{"scans", during.size()},
          {"stale_scans", stale},
          {"first_scan", FormatRfc3339(during.front().scan_ts)},
          {"last_scan", FormatRfc3339(during.back().scan_ts)},
          {"fills", day_fills.size()},
          {"start_equity", start_equity},
          {"end_equity", end_equity},
          {"net_pnl", end_equity - start_equity},
          {"return_pct", start_equity > 0 ? (end_equity / start_equity - 1.0) * 100.0 : 0.0},
          {"realized", realized},
          {"fees", fees},
          {"max_drawdown", max_dd},
          {"max_drawdown_pct", max_dd_pct}};
  out["live"] = std::move(live);

  // The series the report draws, thinned to max_points.
  Json series = {{"equity", Json::array()}, {"drawdown_pct", Json::array()}};
  for (size_t i : Thin(equity.size(), o.max_points)) {
    series["equity"].push_back(Json::array({equity[i].first, equity[i].second}));
    series["drawdown_pct"].push_back(Json::array({equity[i].first, dd_pct[i]}));
  }
  out["series"] = std::move(series);
  out["pnl_by_regime"] = Json::object();
  for (const auto& [regime, pnl] : by_regime) out["pnl_by_regime"][regime] = pnl;
  out["fill_list"] = Json::array();
  for (size_t i = 0; i < day_fills.size() && i < 2000; ++i) {
    out["fill_list"].push_back(FillJson(day_fills[i]));
  }
  // Prices of the traded assets (the four most filled; the first asset when none traded).
  std::map<std::string, int> counts;
  for (const trader::Fill& f : day_fills) ++counts[f.asset];
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [asset, n] : counts) ranked.emplace_back(-n, asset);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> assets;
  for (size_t i = 0; i < ranked.size() && i < 4; ++i) assets.push_back(ranked[i].second);
  if (assets.empty() && !seq->empty() && !seq->back().first.prices.empty()) {
    assets.push_back(seq->back().first.prices.front().first);
  }
  std::vector<const trader::Scan*> day_scans;
  for (const auto& [scan, context] : *seq) {
    if (scan.timestamp >= begin) day_scans.push_back(&scan);
  }
  out["prices"] = Json::object();
  for (const std::string& asset : assets) {
    Json points = Json::array();
    for (size_t i : Thin(day_scans.size(), o.max_points)) {
      if (auto p = day_scans[i]->Price(asset)) {
        points.push_back(Json::array({Millis(day_scans[i]->timestamp), *p}));
      }
    }
    out["prices"][asset] = std::move(points);
  }
  return done();
}

}  // namespace

Result<Timestamp> ParseDay(std::string_view day) {
  unsigned y = 0, m = 0, d = 0;
  char tail = 0;
  const std::string text(day);
  auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
    }
    return true;
  };
  if (text.size() != 10 || !digits(0, 4) || !digits(5, 2) || !digits(8, 2) ||
      std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || text[4] != '-' ||
      text[7] != '-' || m < 1 || m > 12 || d < 1 || d > 31) {
    return InvalidArgumentError(fmt::format("bad day \"{}\": expected YYYY-MM-DD", text));
  }
  const int64_t days = DaysFromCivil(y, m, d);
  const CivilDate back = CivilFromDays(days);
  if (back.month != m || back.day != d) {
    return InvalidArgumentError(fmt::format("bad day \"{}\": no such date", text));
  }
  return Timestamp::FromUnixSeconds(days * 86400);
}

std::string PreviousDay(std::string_view day) {
  auto t = ParseDay(day);
  if (!t.ok()) return "";
  return FormatUtcDate(*t - std::chrono::hours(24));
}

Result<Json> BuildDay(const DayOptions& options, Env env, const trader::Progress& progress) {
  DOLPHIN_ASSIGN_OR_RETURN(Timestamp begin, ParseDay(options.day));
  const Timestamp end = begin + std::chrono::hours(24);
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<trader::ScanFileEntry> scans,
                           trader::LoadScanDir(options.scans_dir, progress));
  DOLPHIN_RETURN_IF_ERROR(env.fs.CreateDirs(options.reports_dir));
  int64_t day_files = 0;
  for (const trader::ScanFileEntry& e : scans) {
    day_files += e.scan.timestamp >= begin && e.scan.timestamp < end ? 1 : 0;
  }
  Json day = {{"day", options.day},
              {"generated_at", FormatRfc3339(env.clock.Now())},
              {"dolphin_version", options.version},
              {"scans", {{"dir", options.scans_dir.string()}, {"files_of_day", day_files}}},
              {"traders", Json::object()}};
  for (const DayTrader& t : options.traders) {
    day["traders"][t.color] = TraderDay(t, options, env, scans, begin, end);
    const Json& p = day["traders"][t.color]["parity"];
    env.logger.Info("batch", "day replayed",
                    {{"day", options.day},
                     {"color", t.color},
                     {"parity", p["verdict"].get<std::string>()},
                     {"fills_compared", p["fills_compared"].get<int64_t>()}});
  }
  day["health"] = HealthDay(options, env, begin, end);
  return day;
}

bool ParityFailed(const Json& day, std::string* why) {
  if (!day.is_object() || !day.contains("traders") || !day["traders"].is_object()) return false;
  for (const auto& [color, t] : day["traders"].items()) {
    const Json p = t.is_object() ? t.value("parity", Json::object()) : Json::object();
    if (p.is_object() && p.value("verdict", Json("")) == kParityFailed) {
      if (why != nullptr) {
        const Json d = day.value("day", Json("?"));
        const Json diff = p.value("first_difference", Json(""));
        *why = fmt::format("parity {} {}: {}", color, d.is_string() ? d.get<std::string>() : "?",
                           diff.is_string() ? diff.get<std::string>() : diff.dump());
      }
      return true;
    }
  }
  return false;
}

Json PnlFields(const Json& trader_day) {
  Json f = Json::object();
  const Json& b = trader_day.value("backtest", Json::object());
  for (const char* k : {"net_pnl", "return_pct", "fills", "trades", "win_rate", "max_drawdown_pct",
                        "sharpe", "final_equity"}) {
    if (b.contains(k)) f[std::string("backtest_") + k] = b[k];
  }
  const Json p = trader_day.value("parity", Json::object());
  f["parity"] = p.value("verdict", Json("unknown"));
  f["parity_fills_compared"] = p.value("fills_compared", Json(0));
  const Json diff = p.value("first_difference", Json(""));
  if (!diff.is_string() || !diff.get<std::string>().empty()) f["parity_first_difference"] = diff;
  return f;
}

}  // namespace dolphin::report
