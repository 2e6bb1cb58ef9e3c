// Strategy: what the trader wants, scan by scan. Risk, sizing limits and execution are the
// engine's; a strategy only says enter (with a side and a fraction of equity), exit, or hold,
// with a one-line reason. Strategies must be deterministic functions of their input (the
// backtest relies on it). Thread-safety: one engine calls its strategy from one thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "dolphin/core/config.h"
#include "dolphin/core/json.h"
#include "dolphin/trader/types.h"

namespace dolphin::trader {

// The strategy's view of its position in its asset (nullopt when flat).
struct PositionView {
  double qty = 0;  // signed: > 0 long, < 0 short
  double avg_price = 0;
  double mark = 0;           // this scan's price
  int64_t held_scans = 0;    // scan-number differences since entry
  double ReturnPct() const;  // (mark / avg - 1) in the position's direction, in percent
};

struct StrategyInput {
  const Scan& scan;
  const Json* ob_features = nullptr;  // DOLPHIN_FEATURES["ob_features_latest"] when present
  const Json* exf = nullptr;          // DOLPHIN_FEATURES["exf_latest"] when present
  std::optional<PositionView> position;
  Timestamp now;  // the scan's timestamp
  double equity = 0;
};

struct StrategyDecision {
  enum class Action { kHold, kEnter, kExit };
  Action action = Action::kHold;
  Side side = Side::kSell;  // for kEnter
  double fraction = 0;      // of equity, for kEnter (before posture scaling)
  std::string reason;       // "vel_div=-0.0312 <= -0.02", "take_profit 1.2% >= 1%"
};
std::string_view ActionName(StrategyDecision::Action action);  // "hold" | "enter" | "exit"

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  // The asset the strategy trades (its position is reported for this asset).
  virtual const std::string& asset() const = 0;
  virtual StrategyDecision OnScan(const StrategyInput& input) = 0;
  virtual Json OptionsJson() const = 0;
};

// The default strategy `vel_div` (keys in [trader] / [trader.<COLOR>]).
struct VelDivOptions {
  std::string asset = "BTCUSDT";
  Side direction = Side::kSell;    // `direction = "short"` (default) or "long"
  double entry_threshold = -0.02;  // enter when vel_div <= this
  double exit_threshold = 0.0;     // exit when vel_div >= this
  int64_t max_hold_scans = 120;    // exit after this many scans held
  double take_profit_pct = 1.0;    // exit when the position gained this much (percent)
  double stop_loss_pct = 0.5;      // exit when it lost this much (percent)
  double size_fraction = 0.5;      // entry notional as a fraction of equity (before posture)
};

Result<VelDivOptions> ParseVelDivOptions(ConfigSection& section, VelDivOptions defaults);
void WriteVelDivOptions(const VelDivOptions& options, ConfigWriter& out);
std::unique_ptr<Strategy> NewVelDivStrategy(VelDivOptions options);

}  // namespace dolphin::trader
