#include "dolphin/trader/trader_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "dolphin/contract/names.h"
#include "dolphin/contract/safety.h"
#include "dolphin/trader/indicator_inputs.h"
#include "dolphin/trader/journal.h"
#include "dolphin/trader/scan_parse.h"

namespace dolphin::trader {

using contract::kExfKey;
using contract::kFeaturesMap;
using contract::kObFeaturesKey;
using contract::kSafetyKey;
using contract::kSafetyMap;
using contract::kScanKey;
using contract::kStateKey;
using contract::PnlMapName;
using contract::StateMapName;

namespace {

// DOLPHIN_TEST_CRASH_AT=<point>[:<n>]: SIGKILL at the n-th arrival at <point>.
class CrashPoints {
 public:
  CrashPoints() {
    const char* spec = std::getenv("DOLPHIN_TEST_CRASH_AT");
    if (spec == nullptr || *spec == '\0') return;
    std::string s(spec);
    auto colon = s.find(':');
    point_ = s.substr(0, colon);
    if (colon != std::string::npos)
      nth_ = std::max(1L, std::strtol(s.c_str() + colon + 1, nullptr, 10));
  }
  bool armed() const { return !point_.empty(); }
  const std::string& point() const { return point_; }
  void Reach(std::string_view point, Logger& logger) {
    if (point_ != point) return;
    if (++seen_ < nth_) return;
    logger.Warn("trader", "test crash point reached: killing this process", {{"point", point_}});
    ::kill(::getpid(), SIGKILL);
  }

 private:
  std::string point_;
  long nth_ = 1;
  long seen_ = 0;
};

struct SafetyValue {
  bool present = false;
  bool valid = false;
  Posture posture = Posture::kTurtle;
  double rm = 1.0;
  Timestamp ts;
  std::vector<std::string> reasons;
  std::string problem;
};

// The contract's decoder: never throws; a malformed value is named in `problem` (shown in the
// state as posture_problem) and the trader goes to REDUCING as for a missing one.
SafetyValue ParseSafety(const std::string& text) {
  SafetyValue v;
  v.present = true;
  auto record = contract::DecodeSafety(text);
  if (!record.ok()) {
    v.problem = record.status().message();
    return v;
  }
  v.posture = record->posture;
  v.ts = record->ts;
  v.rm = std::clamp(record->rm, 0.0, 1.0);
  v.reasons = record->reasons;
  v.valid = true;
  return v;
}

// The trader's metric handles, labelled with its colour (docs/observability.md "trader").
struct TraderMeters {
  TraderMeters(Metrics& m, const std::string& color)
      : metrics(m),
        labels{{"color", color}},
        processed(m.Counter("dolphin_trader_scans_processed_total", "Scans decided and committed",
                            labels)),
        stale(m.Counter("dolphin_trader_scans_stale_total",
                        "Scans too old for entries (max_scan_age_s)", labels)),
        missed(m.Counter("dolphin_trader_scans_missed_total",
                         "Scans never seen (gaps in scan numbers)", labels)),
        failures(m.Counter("dolphin_trader_scan_failures_total",
                           "Scans not processed (journal or venue error)", labels)),
        orders(m.Counter("dolphin_trader_orders_total", "Orders sent to the venue", labels)),
        decision_latency(m.Histogram("dolphin_trader_scan_decision_latency_seconds",
                                     "Scan published on the bus (bridge_ts) -> trader decision",
                                     MetricBuckets::kLatency, labels)),
        journal_commit(m.Histogram("dolphin_trader_journal_commit_seconds",
                                   "One scan's journal transaction (fills, snapshot, marker)",
                                   MetricBuckets::kDuration, labels)),
        equity(m.Gauge("dolphin_trader_equity", "Equity, quote currency", labels)),
        positions(m.Gauge("dolphin_trader_positions", "Open positions", labels)),
        last_scan(m.Gauge("dolphin_trader_last_scan_number", "Number of the last processed scan",
                          labels)) {}

  MetricLabels With(std::string_view name, std::string_view value) const {
    MetricLabels l = labels;
    l.emplace_back(std::string(name), std::string(value));
    return l;
  }

  Metrics& metrics;
  const MetricLabels labels;
  MetricCounter& processed;
  MetricCounter& stale;
  MetricCounter& missed;
  MetricCounter& failures;
  MetricCounter& orders;
  MetricHistogram& decision_latency;
  MetricHistogram& journal_commit;
  MetricGauge& equity;
  MetricGauge& positions;
  MetricGauge& last_scan;
};

class TraderServiceImpl final : public TraderService {
 public:
  TraderServiceImpl(TraderOptions options, bus::KvBus& bus, Env env, DecisionObserver observer)
      : o_(std::move(options)),
        bus_(bus),
        env_(env),
        observer_(std::move(observer)),
        name_("trader." + o_.engine.color),
        engine_(std::make_unique<Engine>(o_.engine, MakeStrategy(o_))),
        meters_(env.metrics, o_.engine.color) {}

  ~TraderServiceImpl() override { Stop(); }

  std::string name() const override { return name_; }
  const std::string& color() const override { return o_.engine.color; }

  Status Start() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      DOLPHIN_RETURN_IF_ERROR(OpenAndRestore());
    }
    if (o_.posture.from_bus) {
      auto id = bus_.AddKeyListener(kSafetyMap, kSafetyKey,
                                    [this](const bus::BusEvent& e) { OnSafety(e); },
                                    {.queue_capacity = 16, .name = name_ + ".safety"});
      if (!id.ok()) return id.status();
      listeners_.push_back(*id);
    }
    for (const char* key : {kObFeaturesKey, kExfKey}) {
      auto id =
          bus_.AddKeyListener(kFeaturesMap, key, [this](const bus::BusEvent& e) { OnFeature(e); },
                              {.queue_capacity = 16, .name = name_ + "." + key});
      if (!id.ok()) return id.status();
      listeners_.push_back(*id);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      PublishLocked();
    }
    // A restarted cluster (new identity, empty maps) gets our state again at once.
    auto conn = bus_.AddConnectionListener([this](bus::ConnectionEvent e) {
      if (e != bus::ConnectionEvent::kClusterChanged) return;
      std::lock_guard<std::mutex> lock(mu_);
      env_.logger.Warn(name_, "bus cluster changed: republishing state and PnL");
      PublishLocked();
    });
    if (!conn.ok()) return conn.status();
    connection_listener_ = *conn;
    auto id = bus_.AddKeyListener(kFeaturesMap, kScanKey,
                                  [this](const bus::BusEvent& e) { OnScanEvent(e); },
                                  {.queue_capacity = 64, .name = name_});
    if (!id.ok()) return id.status();
    listeners_.push_back(*id);
    {
      std::lock_guard<std::mutex> lock(mu_);
      scan_listener_ = *id;
    }
    env_.logger.Info(
        name_, "trader started",
        {{"journal", o_.journal.string()},
         {"sync", std::string(JournalSyncName(o_.journal_sync))},
         {"posture", PostureSettingName(o_.posture)},
         {"fill_price", o_.engine.fill_price == FillPrice::kNextScan ? "next_scan" : "signal_scan"},
         {"equity", engine_->equity()}});
    if (crash_.armed())
      env_.logger.Warn(name_, "test crash point armed", {{"point", crash_.point()}});
    return Status::Ok();
  }

  void Stop() override {
    for (bus::ListenerId id : listeners_) bus_.RemoveListener(id).IgnoreError();
    listeners_.clear();
    if (connection_listener_) bus_.RemoveConnectionListener(*connection_listener_).IgnoreError();
    connection_listener_.reset();
    std::lock_guard<std::mutex> lock(mu_);
    scan_listener_.reset();
    journal_.reset();
  }

  runtime::ServiceHealth Health() const override {
    std::lock_guard<std::mutex> lock(mu_);
    runtime::ServiceHealth h;
    if (!journal_) {
      h.status = contract::HeartbeatStatus::kDegraded;
      h.detail = "journal not open";
      return h;
    }
    if (journal_failing_) h.status = contract::HeartbeatStatus::kDegraded;
    h.detail =
        fmt::format("{} {} scans, last #{}, equity {:.2f}{}", TradingStateName(DisplayState()),
                    stats_.processed, stats_.last_scan_number, engine_->equity(),
                    journal_failing_ ? ", journal failing" : "");
    return h;
  }

  Json StatusJson() const override {
    std::lock_guard<std::mutex> lock(mu_);
    Json j = StateLocked(env_.clock.Now());
    j["journal"] = o_.journal.string();
    j["stats"] = {{"processed", stats_.processed}, {"stale", stats_.stale},
                  {"missed", stats_.missed},       {"duplicates", stats_.duplicates},
                  {"bad_scans", stats_.bad_scans}, {"failures", stats_.failures},
                  {"intents", stats_.intents},     {"fills", stats_.fills}};
    // The scan listener's queue: coalesced scans are scans this trader had no time for.
    if (scan_listener_) {
      if (auto ls = bus_.GetListenerStats(*scan_listener_); ls.ok()) {
        j["listener"] = {{"delivered", ls->delivered},
                         {"coalesced", ls->coalesced},
                         {"pending", ls->pending},
                         {"capacity", ls->capacity}};
      }
    }
    return j;
  }

  // A quiet market is not a dead trader: the state (and today's PnL) go out again once per
  // heartbeat interval when nothing else published them since the last beat.
  void OnHeartbeat() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!journal_) return;
    if (!published_since_beat_) PublishLocked();
    published_since_beat_ = false;
  }

  Result<Json> Halt() override { return Control("halt", true, std::nullopt); }
  Result<Json> Resume() override { return Control("resume", false, false); }
  Result<Json> Flatten() override { return Control("flatten", std::nullopt, true); }

  TraderStats Stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }
  Json CurrentStateJson() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return StateLocked(env_.clock.Now());
  }

 private:
  Status OpenAndRestore() {
    JournalOptions jo;
    jo.color = o_.engine.color;
    jo.sync = o_.journal_sync;
    DOLPHIN_ASSIGN_OR_RETURN(journal_, OpenJournal(o_.journal, jo));
    if (journal_->migrated_from() != 0) {
      env_.logger.Info(name_,
                       fmt::format("journal migrated from schema version {} to {}",
                                   journal_->migrated_from(), journal_->schema_version()),
                       {{"journal", o_.journal.string()}});
    }
    DOLPHIN_RETURN_IF_ERROR(RestoreEngine());
    DOLPHIN_ASSIGN_OR_RETURN(controls_, journal_->LoadControlState());
    DOLPHIN_ASSIGN_OR_RETURN(ReconcileResult rec, Reconcile());
    DOLPHIN_ASSIGN_OR_RETURN(JournalCounts counts, journal_->Counts());
    stats_.processed = counts.processed;
    stats_.stale = counts.stale;
    stats_.missed = counts.missed_scans;
    stats_.intents = counts.intents;
    stats_.fills = counts.fills;
    stats_.last_scan_number = engine_->has_last() ? engine_->last_scan_number() : -1;
    env_.logger.Info(name_, "journal restored",
                     {{"processed", counts.processed},
                      {"last_scan", stats_.last_scan_number},
                      {"fills", counts.fills},
                      {"open_orders_kept", rec.kept},
                      {"intents_cancelled", rec.cancelled},
                      {"halted", controls_.halted},
                      {"flatten_pending", controls_.flatten}});
    return Status::Ok();
  }

  struct ReconcileResult {
    int64_t kept = 0;
    int64_t cancelled = 0;
  };
  // Open intents the paper venue still holds (pending in the snapshot) stay open; the rest
  // were decided on a scan that was never committed, so no order exists for them.
  Result<ReconcileResult> Reconcile() {
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<IntentRow> intents, journal_->Intents());
    std::vector<std::string> cancel;
    ReconcileResult r;
    for (const IntentRow& row : intents) {
      if (row.status != "open") continue;
      bool held = std::any_of(
          engine_->pending().begin(), engine_->pending().end(),
          [&](const OrderIntent& p) { return p.client_order_id == row.intent.client_order_id; });
      if (held) {
        ++r.kept;
      } else {
        cancel.push_back(row.intent.client_order_id);
      }
    }
    if (!cancel.empty()) {
      DOLPHIN_RETURN_IF_ERROR(journal_->CancelIntents(
          cancel, "reconciled: its scan was never committed, the paper venue never held it"));
    }
    r.cancelled = static_cast<int64_t>(cancel.size());
    return r;
  }

  // Engine := the journal's snapshot (or a fresh engine for a new journal).
  Status RestoreEngine() {
    engine_ = std::make_unique<Engine>(o_.engine, MakeStrategy(o_));
    DOLPHIN_ASSIGN_OR_RETURN(std::optional<std::string> snapshot, journal_->LoadSnapshot());
    if (!snapshot) return Status::Ok();
    auto json = ParseJson(*snapshot);
    if (!json.ok())
      return CorruptionError(
          fmt::format("journal {}: snapshot: {}", o_.journal.string(), json.status().message()));
    return engine_->RestoreState(*json);
  }

  TradingState DisplayState() const {
    if (controls_.halted) return TradingState::kHalted;
    return engine_->state();
  }

  Json StateLocked(Timestamp now) const {
    Json j = engine_->StateJson(now);
    if (controls_.halted) {
      j["trading_state"] = "HALTED";
      j["status"] = "HALTED: operator halt";
    }
    j["controls"] = {{"halted", controls_.halted}, {"flatten_pending", controls_.flatten}};
    // The indicator values the strategy sees now (ages at `now`), as the next scan would.
    Json indicators = Json::object();
    for (const auto& [name, v] : IndicatorsAt(indicators_, now)) indicators[name] = v;
    j["indicators"] = std::move(indicators);
    // Which posture the next scan applies, and why (the engine's `posture` is the one the last
    // scan applied).
    if (o_.posture.from_bus) {
      j["posture_source"] = "bus";
      std::string problem;
      if (!safety_.valid) {
        problem = safety_.present ? safety_.problem : "DOLPHIN_SAFETY[latest] missing";
      } else if (now - safety_.ts > DurationOfSeconds(o_.posture_max_age_s)) {
        problem = fmt::format("DOLPHIN_SAFETY[latest] is {} old (posture_max_age_s {:g})",
                              FormatDuration(now - safety_.ts), o_.posture_max_age_s);
      }
      if (!problem.empty()) {
        // The next scan reduces (the engine's own state is the last scan's): say so now.
        if (!controls_.halted) {
          j["trading_state"] = "REDUCING";
          j["state_reason"] = "posture missing or stale on the bus";
          j["status"] = fmt::format("REDUCING: posture missing or stale on the bus ({})", problem);
        }
        j["posture_problem"] = problem;
        j["posture_reason"] =
            fmt::format("bus: {}: REDUCING (exits only, positions kept)", problem);
        j["posture_next"] = nullptr;
        j["rm"] = nullptr;
      } else {
        j["posture_next"] = PostureName(safety_.posture);
        j["posture_reason"] =
            fmt::format("bus: {} Rm {:.2f}{}{}", PostureName(safety_.posture), safety_.rm,
                        safety_.reasons.empty() ? "" : ": ", fmt::join(safety_.reasons, "; "));
        j["rm"] = safety_.rm;
      }
    } else {
      j["posture_source"] = "config";
      j["posture_reason"] = fmt::format("config: posture = \"{}\"", PostureName(o_.posture.fixed));
      j["posture_next"] = PostureName(o_.posture.fixed);
      j["rm"] = 1.0;
    }
    return j;
  }

  // Writes the state and today's PnL. Called with mu_ held, so a reader that saw a scan
  // counted in Stats() also sees its state on the bus. `keep_batch_fields`: the daily batch's
  // `parity*` and `backtest_*` fields already in the PnL record are carried over (one bus read;
  // every publication but the per-scan one, whose day the batch has not run yet: docs/batch.md).
  void PublishLocked(bool keep_batch_fields = true) {
    published_since_beat_ = true;
    Timestamp now = env_.clock.Now();
    const Json state = StateLocked(now);
    ExportStateLocked(state);
    const std::string state_map = StateMapName(o_.engine.color);
    const std::string state_json = DumpJson(state);
    const std::string pnl_map = PnlMapName(o_.engine.color);
    std::string pnl_json;
    std::vector<bus::KvPut> puts{{state_map, kStateKey, state_json}};
    Status st;
    if (engine_->has_last()) {
      Json pnl = engine_->PnlJson(now);
      if (keep_batch_fields) {
        auto old = bus_.Get(pnl_map, engine_->day().day);
        // Unreadable: nothing is written (the record's batch fields must not be lost, and the
        // bus just failed a request).
        if (!old.ok()) st = old.status();
        if (old.ok() && old->has_value()) {
          auto j = ParseJson(**old, "pnl");
          if (j.ok() && j->is_object()) {
            for (const auto& [k, v] : j->items()) {
              if (k.rfind("parity", 0) == 0 || k.rfind("backtest_", 0) == 0) pnl[k] = v;
            }
          }
        }
      }
      pnl_json = DumpJson(pnl);
      puts.push_back({pnl_map, engine_->day().day, pnl_json});
    }
    // One round trip for both (PutAll): a scan costs the trader one bus wait, not two.
    if (st.ok()) st = bus_.PutAll(puts);
    if (!st.ok()) {
      ++stats_.publish_failures;
      env_.logger.Warn(name_, "cannot publish state", {{"error", st.ToString()}});
    }
  }

  // The gauges of what was just published: trading state and posture as one series per value.
  void ExportStateLocked(const Json& state) {
    meters_.equity.Set(engine_->equity());
    meters_.positions.Set(static_cast<double>(engine_->positions().size()));
    SetStateGauge(meters_.metrics, "dolphin_trader_state", "Trading state (1 = current)",
                  meters_.labels, "state", {"ACTIVE", "REDUCING", "HALTED"},
                  JsonString(state, "trading_state"));
    SetStateGauge(meters_.metrics, "dolphin_trader_posture",
                  "Posture the last scan applied (1 = current)", meters_.labels, "posture",
                  {"APEX", "STALKER", "TURTLE", "HIBERNATE"}, JsonString(state, "posture"));
  }

  static std::string JsonString(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  }

  Result<Json> Control(std::string_view action, std::optional<bool> halted,
                       std::optional<bool> flatten) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!journal_) return FailedPreconditionError(fmt::format("{} is not running", name_));
      ControlState next = controls_;
      if (halted) next.halted = *halted;
      if (flatten) next.flatten = *flatten;
      ControlEvent event;
      event.ts = env_.clock.Now();
      event.action = std::string(action);
      event.detail = fmt::format("halted={} flatten={}", next.halted, next.flatten);
      DOLPHIN_RETURN_IF_ERROR(journal_->RecordControl(event, next));
      controls_ = next;
      env_.logger.Warn(name_, fmt::format("operator {}", action),
                       {{"halted", next.halted}, {"flatten_pending", next.flatten}});
      PublishLocked();
    }
    return CurrentStateJson();
  }

  void OnSafety(const bus::BusEvent& e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.type == bus::EventType::kRemoved) {
      safety_ = SafetyValue{};
      return;
    }
    const SafetyValue before = safety_;
    safety_ = ParseSafety(e.value);
    if (!safety_.valid) {
      env_.logger.Warn(name_, "ignoring the safety value", {{"problem", safety_.problem}});
    } else if (!before.valid || before.posture != safety_.posture) {
      env_.logger.Info(name_, "posture from the bus",
                       {{"posture", std::string(PostureName(safety_.posture))},
                        {"was", before.valid ? std::string(PostureName(before.posture)) : "none"},
                        {"Rm", safety_.rm},
                        {"reasons", fmt::format("{}", fmt::join(safety_.reasons, "; "))}});
    }
  }

  void OnFeature(const bus::BusEvent& e) {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<Json>& slot = e.key == kObFeaturesKey ? ob_features_ : exf_;
    if (e.type == bus::EventType::kRemoved) {
      slot.reset();
      ReadIndicatorsLocked();
      return;
    }
    auto j = ParseJson(e.value);
    if (j.ok() && j->is_object()) {
      slot = std::move(*j);
    } else {
      env_.logger.Warn(
          name_, "ignoring an unreadable feature value",
          {{"key", e.key},
           {"error", j.ok() ? std::string("not a JSON object") : j.status().message()}});
      slot.reset();
    }
    ReadIndicatorsLocked();
  }

  // The strategy asset's indicator values, read once per feature update (never per scan).
  void ReadIndicatorsLocked() {
    indicators_ = ReadIndicators(engine_->strategy().asset(),
                                 ob_features_ ? &*ob_features_ : nullptr, exf_ ? &*exf_ : nullptr);
  }

  ScanContext ContextFor(const Scan& scan, Timestamp now) const {
    ScanContext c;
    if (o_.posture.from_bus) {
      if (safety_.valid && now - safety_.ts <= DurationOfSeconds(o_.posture_max_age_s)) {
        c.posture = safety_.posture;
        c.rm = safety_.rm;
      } else {
        c.posture_stale = true;
      }
    } else {
      c.posture = o_.posture.fixed;
    }
    c.halted = controls_.halted;
    c.flatten = controls_.flatten;
    c.stale = now - scan.timestamp > DurationOfSeconds(o_.max_scan_age_s);
    c.indicators = IndicatorsAt(indicators_, now);
    return c;
  }

  void OnScanEvent(const bus::BusEvent& event) {
    if (event.type == bus::EventType::kRemoved) return;
    auto parsed = ParseScanJson(event.value);
    std::unique_lock<std::mutex> lock(mu_);
    if (!journal_) return;
    if (!parsed.ok()) {
      ++stats_.bad_scans;
      env_.logger.Error(name_, "ignoring an unreadable scan",
                        {{"error", parsed.status().message()}});
      return;
    }
    const Scan& scan = *parsed;
    if (!engine_->IsAfterLast(scan)) {
      ++stats_.duplicates;
      env_.logger.Debug(name_, "scan already processed",
                        {{"scan", scan.scan_number}, {"epoch", scan.epoch}});
      return;
    }
    const Timestamp now = env_.clock.Now();
    const ScanContext ctx = ContextFor(scan, now);

    ScanHooks hooks;
    hooks.before_send = [&](std::span<const OrderIntent> intents) -> Status {
      DOLPHIN_RETURN_IF_ERROR(journal_->CommitIntents(intents));
      crash_.Reach("after_intent", env_.logger);
      return Status::Ok();
    };
    hooks.after_send = [&](std::span<const Fill>) { crash_.Reach("after_send", env_.logger); };
    auto result = engine_->OnScan(scan, ctx, hooks);
    const MonoTime decided = env_.clock.MonotonicNow();
    const Timestamp decided_wall = env_.clock.Now();
    if (!result.ok()) {
      Fail(scan, result.status());
      return;
    }
    if (!result->fills.empty()) crash_.Reach("after_fill", env_.logger);
    std::optional<Gap> gap;
    if (result->missed_before > 0) {
      gap = Gap{scan.epoch, scan.scan_number - result->missed_before, scan.scan_number - 1, now};
    }

    ScanCommit commit;
    commit.processed.epoch = scan.epoch;
    commit.processed.scan_number = scan.scan_number;
    commit.processed.scan_ts = scan.timestamp;
    commit.processed.file = scan.file;
    commit.processed.context = ctx;
    commit.processed.outcome = ctx.stale ? "stale" : "processed";
    commit.processed.signal = result->Summary();
    commit.processed.processed_at = decided_wall;
    commit.fills = result->fills;
    commit.gap = gap;
    commit.snapshot_json = DumpJson(engine_->SaveState());
    if (ctx.flatten) {
      // Flatten is done once its closing orders are out: trading stays halted until resumed.
      commit.controls = ControlState{true, false};
      commit.control_event = ControlEvent{
          0, decided_wall, "flatten_done",
          fmt::format("{} closing orders on scan #{}", result->intents.size(), scan.scan_number)};
    }
    const MonoTime commit_start = env_.clock.MonotonicNow();
    if (Status st = journal_->CommitScan(commit); !st.ok()) {
      Fail(scan, st);
      return;
    }
    meters_.journal_commit.Observe(
        std::chrono::duration<double>(env_.clock.MonotonicNow() - commit_start).count());
    if (commit.controls) controls_ = *commit.controls;
    journal_failing_ = false;
    if (!result->intents.empty() || !result->fills.empty())
      crash_.Reach("after_commit", env_.logger);

    ++stats_.processed;
    if (ctx.stale) ++stats_.stale;
    stats_.missed += result->missed_before;
    stats_.intents += static_cast<int64_t>(result->intents.size());
    stats_.fills += static_cast<int64_t>(result->fills.size());
    stats_.last_scan_number = scan.scan_number;
    stats_.last_decision_latency = scan.bridge_ts ? decided_wall - *scan.bridge_ts : Duration(0);
    meters_.processed.Increment();
    if (ctx.stale) meters_.stale.Increment();
    meters_.missed.Increment(static_cast<double>(result->missed_before));
    meters_.orders.Increment(static_cast<double>(result->intents.size()));
    meters_.last_scan.Set(static_cast<double>(scan.scan_number));
    if (scan.bridge_ts) {
      meters_.decision_latency.Observe(
          std::chrono::duration<double>(decided_wall - *scan.bridge_ts).count());
    }
    for (const Fill& f : result->fills) {
      meters_.metrics
          .Counter("dolphin_trader_fills_total", "Fills, by side",
                   meters_.With("side", SideName(f.side)))
          .Increment();
    }
    for (const RiskDenial& r : result->rejections) {
      meters_.metrics
          .Counter("dolphin_trader_orders_refused_total",
                   "Orders refused or clipped by risk, by rule",
                   meters_.With("rule", RiskRuleName(r.rule)))
          .Increment();
    }
    if (result->missed_before > 0) {
      env_.logger.Warn(
          name_, "scans missed",
          {{"from", gap->from_scan}, {"to", gap->to_scan}, {"count", result->missed_before}});
    }
    if (ctx.stale) {
      env_.logger.Warn(name_, "stale scan: no entries",
                       {{"scan", scan.scan_number}, {"age_s", SecondsOf(now - scan.timestamp)}});
    }
    if (!result->decision.gated_by.empty()) {
      meters_.metrics
          .Counter("dolphin_trader_entries_held_total",
                   "Entries the signal asked for that an indicator gate held back, by gate",
                   meters_.With("gate", result->decision.gated_by))
          .Increment();
      env_.logger.Info(name_, "entry held back",
                       {{"scan", scan.scan_number},
                        {"gate", result->decision.gated_by},
                        {"signal", result->decision.reason}});
    }
    for (const RiskDenial& r : result->rejections) {
      env_.logger.Info(name_, "order rejected",
                       {{"scan", scan.scan_number}, {"rule", r.ToString()}});
    }
    for (const Fill& f : result->fills) {
      env_.logger.Info(name_, "fill",
                       {{"order", f.client_order_id},
                        {"side", std::string(SideName(f.side))},
                        {"qty", f.qty},
                        {"price", f.price},
                        {"fee", f.fee}});
    }
    if (o_.log_each_scan) LogScan(scan, *result);
    PublishLocked(/*keep_batch_fields=*/false);
    lock.unlock();
    if (observer_) observer_(scan, *result, decided);
  }

  void LogScan(const Scan& scan, const ScanResult& r) {
    std::string position = "flat";
    if (auto it = engine_->positions().find(engine_->strategy().asset());
        it != engine_->positions().end()) {
      const Position& p = it->second;
      position = fmt::format("{} {:.6g} {}@{:.6g}", p.qty > 0 ? "LONG" : "SHORT", std::abs(p.qty),
                             p.asset, p.avg_price);
    }
    std::string orders;
    for (const OrderIntent& o : r.intents) {
      orders += fmt::format("{}{} {} {:.6g}", orders.empty() ? "" : ",", o.client_order_id,
                            SideName(o.side), o.qty);
    }
    env_.logger.Info(
        name_, "scan",
        {{"scan", scan.scan_number},
         {"regime", scan.regime},
         {"vel_div", scan.vel_div},
         {"signal", fmt::format("{} ({})", ActionName(r.decision.action), r.decision.reason)},
         {"orders", orders.empty() ? "-" : orders},
         {"position", position},
         {"state",
          std::string(TradingStateName(controls_.halted ? TradingState::kHalted : r.state))},
         {"equity", engine_->equity()},
         {"latency_us",
          std::chrono::duration_cast<std::chrono::microseconds>(stats_.last_decision_latency)
              .count()}});
  }

  // The scan could not be committed: nothing of it is durable, so memory goes back to the
  // journal's state and the scan stays unprocessed.
  void Fail(const Scan& scan, const Status& st) {
    ++stats_.failures;
    meters_.failures.Increment();
    journal_failing_ = true;
    env_.logger.Error(name_, "scan not processed",
                      {{"scan", scan.scan_number}, {"error", st.ToString()}});
    if (Status rs = RestoreEngine(); !rs.ok()) {
      env_.logger.Error(name_, "cannot restore from the journal", {{"error", rs.ToString()}});
    } else if (auto rec = Reconcile(); !rec.ok()) {
      env_.logger.Error(name_, "cannot reconcile open intents",
                        {{"error", rec.status().ToString()}});
    }
  }

  const TraderOptions o_;
  bus::KvBus& bus_;
  Env env_;
  DecisionObserver observer_;
  const std::string name_;
  CrashPoints crash_;

  mutable std::mutex mu_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Journal> journal_;
  ControlState controls_;
  SafetyValue safety_;
  std::optional<Json> ob_features_;
  std::optional<Json> exf_;
  IndicatorReading indicators_;  // the strategy asset's values in ob_features_ and exf_
  TraderStats stats_;
  TraderMeters meters_;
  bool journal_failing_ = false;
  bool published_since_beat_ = false;
  std::vector<bus::ListenerId> listeners_;
  std::optional<bus::ListenerId> scan_listener_;
  std::optional<bus::ListenerId> connection_listener_;
};

}  // namespace

std::unique_ptr<TraderService> NewTraderService(TraderOptions options, bus::KvBus& bus, Env env,
                                                DecisionObserver observer) {
  return std::make_unique<TraderServiceImpl>(std::move(options), bus, env, std::move(observer));
}

}  // namespace dolphin::trader
