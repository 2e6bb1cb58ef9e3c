#include "dolphin/safety/safety_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dolphin/contract/json_fields.h"
#include "dolphin/contract/meta_health.h"
#include "dolphin/contract/names.h"
#include "dolphin/contract/pnl.h"
#include "dolphin/contract/trader_state.h"

namespace dolphin::safety {

namespace {

constexpr char kComponent[] = "safety";

std::string DayOf(Timestamp t) { return FormatRfc3339(t).substr(0, 10); }

}  // namespace

SafetyService::SafetyService(Env env, bus::KvBus& bus, SafetyServiceOptions options)
    : env_(env),
      bus_(bus),
      options_(std::move(options)),
      hold_(Duration::zero(), options_.safety.recover_after) {}

SafetyService::~SafetyService() { Stop(); }

Status SafetyService::Start() {
  started_at_ = env_.clock.Now();
  started_set_ = true;
  cancel_ = std::make_unique<CancelToken>();
  // A record left by a previous run (a shared bus) must not steer the traders while we wait:
  // without it they reduce (exits only, positions kept) until we publish.
  if (Status st = bus_.Remove(contract::kSafetyMap, contract::kSafetyKey).status(); !st.ok()) {
    env_.logger.Warn(kComponent, "cannot remove the previous run's posture",
                     {{"error", st.ToString()}});
  }
  env_.logger.Info(
      kComponent, "deciding the posture",
      {{"traders", fmt::format("{}", fmt::join(options_.colors, ","))},
       {"max_posture", std::string(contract::PostureName(options_.safety.max_posture))},
       {"interval", FormatDuration(options_.safety.interval)},
       {"waiting_for", "health's first record after its start-up grace"}});
  DOLPHIN_ASSIGN_OR_RETURN(thread_, env_.threads.Start("safety", [this] { Loop(); }));
  return Status::Ok();
}

void SafetyService::Stop() {
  if (cancel_) cancel_->Cancel();
  if (thread_ && thread_->joinable()) thread_->Join();
  thread_.reset();
}

void SafetyService::Loop() {
  MonoTime next = env_.clock.MonotonicNow();
  while (env_.clock.WaitUntil(next, *cancel_)) {
    RunCycle();
    next = next + options_.safety.interval;
    const MonoTime now = env_.clock.MonotonicNow();
    if (next < now) next = now;
  }
}

SafetyInputs SafetyService::ReadInputs() {
  SafetyInputs in;
  in.now = env_.clock.Now();
  auto get = [&](const std::string& map, const std::string& key,
                 std::string* problem) -> std::optional<std::string> {
    auto v = bus_.Get(map, key);
    if (!v.ok()) {
      *problem = fmt::format("unreadable (bus: {})", v.status().message());
      return std::nullopt;
    }
    if (!v->has_value()) {
      *problem = "missing";
      return std::nullopt;
    }
    return **v;
  };
  if (auto text = get(contract::kMetaHealthMap, contract::kMetaHealthKey, &in.health_problem)) {
    auto r = contract::DecodeMetaHealth(*text);
    if (r.ok()) {
      in.health = std::move(*r);
    } else {
      in.health_problem = std::string(r.status().message());
    }
  }
  if (auto text = get(contract::kFeaturesMap, contract::kScanKey, &in.scan_problem)) {
    auto j = contract::ParseObject(*text, "DOLPHIN_FEATURES[latest_eigen_scan]");
    auto ts = j.ok() ? contract::GetTimestamp(*j, contract::kScanFreshnessField,
                                              "DOLPHIN_FEATURES[latest_eigen_scan]")
                     : Result<Timestamp>(j.status());
    if (ts.ok()) {
      in.scan_bridge_ts = *ts;
    } else {
      in.scan_problem = std::string(ts.status().message());
    }
  }
  for (const std::string& color : options_.colors) {
    TraderInput t;
    t.color = color;
    if (auto text = get(contract::StateMapName(color), contract::kStateKey, &t.state_problem)) {
      auto s = contract::DecodeTraderState(*text);
      if (s.ok()) {
        t.state = std::move(*s);
      } else {
        t.state_problem = std::string(s.status().message());
      }
    }
    if (t.state && t.state->scan_ts) {
      if (auto text = get(contract::PnlMapName(color), DayOf(*t.state->scan_ts), &t.pnl_problem)) {
        auto p = contract::DecodePnl(*text);
        if (p.ok()) {
          t.pnl = std::move(*p);
        } else {
          t.pnl_problem = std::string(p.status().message());
        }
      }
    }
    in.traders.push_back(std::move(t));
  }
  return in;
}

std::optional<contract::SafetyRecord> SafetyService::RunCycle() {
  if (!started_set_) {
    started_at_ = env_.clock.Now();
    started_set_ = true;
  }
  ++cycles_;
  SafetyInputs in = ReadInputs();
  // A restarted health service starts a new grace: its first records are no basis for a
  // posture either (publish nothing; the last record ages and the traders reduce).
  if (armed_ && in.health && in.health->in_startup_grace) {
    armed_ = false;
    env_.logger.Warn(kComponent, "health restarted: no posture until its start-up grace is over");
  }
  if (!armed_) {
    std::string waiting;
    if (!in.health) {
      waiting = fmt::format("health record {}", in.health_problem);
    } else if (in.health->timestamp < started_at_) {
      waiting = "a health record written after safety started";
    } else if (in.health->in_startup_grace) {
      waiting = "health's start-up grace to end";
    }
    if (!waiting.empty()) {
      {
        std::lock_guard lock(mu_);
        waiting_for_ = waiting;
      }
      if (waiting != last_waiting_logged_) {
        env_.logger.Info(kComponent,
                         "posture not published yet: traders on posture \"bus\" stay REDUCING",
                         {{"waiting_for", waiting}});
        last_waiting_logged_ = waiting;
      }
      return std::nullopt;
    }
    armed_ = true;
    std::lock_guard lock(mu_);
    waiting_for_.clear();
  }

  PostureDecision d = DecidePosture(in, options_.safety);
  const MonoTime mono = env_.clock.MonotonicNow();
  const Posture held = hold_.Update(d.posture, mono);
  contract::SafetyRecord record;
  record.posture = held;
  record.ts = in.now;
  record.reasons = d.reasons;
  if (auto p = hold_.pending(mono); p && held != d.posture) {
    record.reasons.insert(record.reasons.begin(),
                          fmt::format("held at {}: the rules allow {} for {} of recover_after_s {}",
                                      contract::PostureName(held), contract::PostureName(d.posture),
                                      FormatDuration(p->held), FormatDuration(p->needed)));
  }
  record.rm = held == Posture::kHibernate ? 0.0 : d.rm;
  record.inputs = std::move(d.inputs);
  record.inputs["decided"] = std::string(contract::PostureName(d.posture));

  Status st = bus_.Put(contract::kSafetyMap, contract::kSafetyKey, contract::EncodeSafety(record));
  std::optional<contract::SafetyRecord> previous;
  {
    std::lock_guard lock(mu_);
    previous = last_;
    last_error_ = st.ok() ? "" : std::string(st.message());
    if (st.ok()) last_ = record;
  }
  if (!st.ok()) {
    env_.logger.Error(kComponent, "posture not published", {{"error", st.ToString()}});
    env_.metrics.Counter("dolphin_safety_publish_failures_total", "Posture records the bus refused")
        .Increment();
    return std::nullopt;
  }
  // GET /metrics: the published posture (one series per value) and Rm.
  SetStateGauge(env_.metrics, "dolphin_safety_posture", "Published safety posture (1 = current)",
                {}, "posture", {"APEX", "STALKER", "TURTLE", "HIBERNATE"},
                contract::PostureName(record.posture));
  env_.metrics.Gauge("dolphin_safety_rm", "Published risk multiplier Rm in [0, 1]").Set(record.rm);
  if (!previous || previous->posture != record.posture) {
    const bool worse = previous && record.posture > previous->posture;
    const std::string from =
        previous ? std::string(contract::PostureName(previous->posture)) : "none";
    const std::string line =
        fmt::format("posture {} -> {}", from, contract::PostureName(record.posture));
    const LogLevel level =
        worse || record.posture == Posture::kHibernate ? LogLevel::kWarn : LogLevel::kInfo;
    env_.logger.Log(
        level, kComponent, line,
        {{"Rm", record.rm}, {"reasons", fmt::format("{}", fmt::join(record.reasons, "; "))}});
  }
  return record;
}

std::optional<contract::SafetyRecord> SafetyService::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

runtime::ServiceHealth SafetyService::Health() const {
  std::lock_guard lock(mu_);
  runtime::ServiceHealth h;
  if (!last_error_.empty()) {
    h.status = contract::HeartbeatStatus::kDegraded;
    h.detail = "posture not published: " + last_error_;
    return h;
  }
  if (!last_) {
    h.detail = waiting_for_.empty() ? "no cycle yet" : "waiting for " + waiting_for_;
    return h;
  }
  h.detail = fmt::format("{} Rm={:.2f}", contract::PostureName(last_->posture), last_->rm);
  return h;
}

Json SafetyService::StatusJson() const {
  std::lock_guard lock(mu_);
  Json j;
  j["cycles"] = cycles_.load();
  if (!waiting_for_.empty()) j["waiting_for"] = waiting_for_;
  if (last_) {
    j["posture"] = std::string(contract::PostureName(last_->posture));
    j["Rm"] = last_->rm;
    j["reasons"] = last_->reasons;
    j["ts"] = FormatRfc3339(last_->ts);
  }
  return j;
}

}  // namespace dolphin::safety
