#include "dolphin/safety/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dolphin/health/scoring.h"

namespace dolphin::safety {

namespace {

double AgeSeconds(Timestamp now, Timestamp t) { return std::max(0.0, SecondsOf(now - t)); }

std::string_view Name(Posture p) { return contract::PostureName(p); }

// Collects the most conservative posture and the reasons behind it.
class Verdict {
 public:
  void AtMost(Posture p, std::string why) {
    if (p == Posture::kApex) return;
    posture_ = std::max(posture_, p);
    lines_.push_back({p, std::move(why)});
  }
  Posture posture() const { return posture_; }
  std::vector<std::string> Reasons() const {
    auto sorted = lines_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> out;
    for (auto& [p, why] : sorted) out.push_back(why);
    return out;
  }

 private:
  Posture posture_ = Posture::kApex;
  std::vector<std::pair<Posture, std::string>> lines_;
};

std::string Pct(double v) { return fmt::format("{:.2f}%", v); }
std::string Limit(double v) { return fmt::format("{:g}%", v); }
std::string Secs(Duration d) { return fmt::format("{:g}s", SecondsOf(d)); }

}  // namespace

PostureDecision DecidePosture(const SafetyInputs& in, const SafetyOptions& o) {
  Verdict v;
  Json inputs = Json::object();
  const double max_age = SecondsOf(o.posture_max_age);

  // Health: the published status, fresh.
  std::optional<double> rm_meta;
  if (!in.health) {
    v.AtMost(Posture::kHibernate,
             fmt::format("health record {}: HIBERNATE",
                         in.health_problem.empty() ? "missing" : in.health_problem));
    inputs["health"] = {{"problem", in.health_problem.empty() ? "missing" : in.health_problem}};
  } else {
    const double age = AgeSeconds(in.now, in.health->timestamp);
    inputs["health"] = {{"status", contract::HealthStatusName(in.health->status)},
                        {"rm_meta", in.health->rm_meta},
                        {"age_s", age}};
    if (age > max_age) {
      v.AtMost(Posture::kHibernate,
               fmt::format("health record {:.1f}s old (> posture_max_age_s {}): HIBERNATE", age,
                           Secs(o.posture_max_age)));
    } else {
      rm_meta = std::clamp(in.health->rm_meta, 0.0, 1.0);
      const contract::MetaHealth& h = *in.health;
      // Data staleness alone never means HIBERNATE (as it never triggers a recovery): a DEAD
      // status whose only low sensor is M3 counts as CRITICAL.
      const bool data_only = h.m1_proc >= 1.0 && h.m2_heartbeat >= 1.0 &&
                             h.m4_control_plane >= 1.0 && h.m5_coherence >= 1.0;
      if (h.status == HealthStatus::kDead && data_only) {
        const Posture p = PostureForHealth(HealthStatus::kCritical, o);
        v.AtMost(p, fmt::format("health DEAD from data freshness alone (M3) allows at most {}",
                                Name(p)));
      } else {
        const Posture p = PostureForHealth(h.status, o);
        v.AtMost(p, fmt::format("health {} allows at most {}", contract::HealthStatusName(h.status),
                                Name(p)));
      }
    }
  }

  // Each trader: fresh state and PnL; drawdown from the day's peak.
  Json traders = Json::object();
  for (const TraderInput& t : in.traders) {
    Json j = Json::object();
    if (!t.state) {
      const std::string problem = t.state_problem.empty() ? "missing" : t.state_problem;
      v.AtMost(Posture::kHibernate, fmt::format("{} state {}: HIBERNATE", t.color, problem));
      j["problem"] = problem;
      traders[t.color] = std::move(j);
      continue;
    }
    const double state_age = AgeSeconds(in.now, t.state->updated_at);
    j["state_age_s"] = state_age;
    j["trading_state"] = contract::TradingStateName(t.state->trading_state);
    if (state_age > max_age) {
      v.AtMost(Posture::kHibernate,
               fmt::format("{} state {:.1f}s old (> posture_max_age_s {}): HIBERNATE", t.color,
                           state_age, Secs(o.posture_max_age)));
    }
    if (!t.state->scan_ts) {
      j["drawdown_pct"] = 0.0;
      j["pnl"] = "no scan yet";
    } else if (!t.pnl) {
      const std::string problem = t.pnl_problem.empty() ? "missing" : t.pnl_problem;
      v.AtMost(Posture::kHibernate, fmt::format("{} PnL {}: HIBERNATE", t.color, problem));
      j["problem"] = problem;
    } else {
      const double pnl_age = AgeSeconds(in.now, t.pnl->updated_at);
      const double dd = t.pnl->DrawdownPct();
      j["pnl_age_s"] = pnl_age;
      j["equity"] = t.pnl->equity_now;
      j["equity_peak"] = t.pnl->equity_peak;
      j["drawdown_pct"] = dd;
      if (pnl_age > max_age) {
        v.AtMost(Posture::kHibernate,
                 fmt::format("{} PnL {:.1f}s old (> posture_max_age_s {}): HIBERNATE", t.color,
                             pnl_age, Secs(o.posture_max_age)));
      }
      if (dd >= o.drawdown_hibernate_pct) {
        v.AtMost(Posture::kHibernate, fmt::format("{} drawdown {} >= {}: HIBERNATE", t.color,
                                                  Pct(dd), Limit(o.drawdown_hibernate_pct)));
      } else if (dd >= o.drawdown_turtle_pct) {
        v.AtMost(Posture::kTurtle, fmt::format("{} drawdown {} >= {} allows at most TURTLE",
                                               t.color, Pct(dd), Limit(o.drawdown_turtle_pct)));
      } else if (dd >= o.drawdown_stalker_pct) {
        v.AtMost(Posture::kStalker, fmt::format("{} drawdown {} >= {} allows at most STALKER",
                                                t.color, Pct(dd), Limit(o.drawdown_stalker_pct)));
      }
    }
    traders[t.color] = std::move(j);
  }
  inputs["traders"] = std::move(traders);

  // The scan source: stale or missing allows at most TURTLE, never HIBERNATE.
  if (!in.scan_bridge_ts) {
    const std::string problem = in.scan_problem.empty() ? "missing" : in.scan_problem;
    v.AtMost(Posture::kTurtle, fmt::format("scan {} allows at most TURTLE", problem));
    inputs["scan"] = {{"problem", problem}};
  } else {
    const double age = AgeSeconds(in.now, *in.scan_bridge_ts);
    inputs["scan"] = {{"age_s", age}};
    if (age > SecondsOf(o.scan_stale)) {
      v.AtMost(Posture::kTurtle,
               fmt::format("scan {:.1f}s old (> scan_stale_s {}) allows at most TURTLE", age,
                           Secs(o.scan_stale)));
    }
  }

  // The operator's cap.
  if (o.max_posture != Posture::kApex) {
    v.AtMost(o.max_posture, fmt::format("max_posture {}", Name(o.max_posture)));
  }

  PostureDecision d;
  d.posture = v.posture();
  d.reasons = v.Reasons();
  d.rm = d.posture == Posture::kHibernate || !rm_meta ? 0.0 : *rm_meta;
  d.inputs = std::move(inputs);
  return d;
}

}  // namespace dolphin::safety
