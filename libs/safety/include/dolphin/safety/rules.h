// The safety posture's rule table (docs/safety.md): the values the safety service read in one
// cycle -> the posture the rules allow, its risk multiplier Rm, the reasons and the inputs as
// they go into DOLPHIN_SAFETY["latest"]. Pure: no clock, no bus; `now` comes with the inputs.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dolphin/contract/meta_health.h"
#include "dolphin/contract/pnl.h"
#include "dolphin/contract/trader_state.h"
#include "dolphin/core/json.h"
#include "dolphin/safety/safety_options.h"

namespace dolphin::safety {

// One trader's values: its state and the PnL record of its state's day. A missing or
// unreadable value is nullopt with `problem` saying why.
struct TraderInput {
  std::string color;
  std::optional<contract::TraderState> state;
  std::string state_problem;  // "missing", or the decoder's message
  std::optional<contract::DayPnlRecord> pnl;
  std::string pnl_problem;
};

struct SafetyInputs {
  Timestamp now;
  std::optional<contract::MetaHealth> health;
  std::string health_problem;
  // bridge_ts of DOLPHIN_FEATURES["latest_eigen_scan"]; nullopt: no scan (or unreadable).
  std::optional<Timestamp> scan_bridge_ts;
  std::string scan_problem;
  std::vector<TraderInput> traders;
};

struct PostureDecision {
  Posture posture = Posture::kHibernate;
  // Rm: the health record's rm_meta (a continuous scale within the posture), 0 for HIBERNATE.
  double rm = 0;
  // Every rule that lowered the posture below APEX, most severe first, as one line each:
  // "health DEGRADED allows at most STALKER", "BLUE drawdown 2.40% >= 2% allows at most TURTLE".
  std::vector<std::string> reasons;
  // The values read: {health: {status, rm_meta, age_s}, scan: {age_s}, traders: {C: {...}}}.
  Json inputs = Json::object();
};

// The posture the rules allow (before any hold): the most conservative of each input's
// posture, never above `options.max_posture`.
PostureDecision DecidePosture(const SafetyInputs& inputs, const SafetyOptions& options);

}  // namespace dolphin::safety
