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
  // The indicator values of the strategy's asset at this decision (ScanContext::indicators:
  // read from DOLPHIN_FEATURES live, from the journal in a replay).
  const IndicatorValues& indicators;
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
  // The gate that held back an entry the signal asked for ("max_spread_bps"), "" otherwise.
  std::string gated_by;
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

  // Indicator gates (docs/trader.md): each holds back entries only, never an exit; 0 = off.
  double max_spread_bps = 0;       // no entry while obf.spread_bps > this
  double max_adverse_funding = 0;  // no entry while funding.rate is against the entry side by
                                   // more than this (a fraction per interval: 0.0005 = 0.05 %)
  double min_depth_10bps = 0;      // no entry while the quote depth within 10 bps on the side
                                   // the entry takes (bids for a short, asks for a long) < this
  double max_obf_age_s = 10;       // an obf value older than this counts as missing
  double max_exf_age_s = 300;      // a funding value older than this counts as missing
  // A gate whose value is missing or too old: "block" (default) refuses the entry, "allow"
  // lets the gate pass.
  bool block_on_missing = true;
  bool AnyGate() const {
    return max_spread_bps > 0 || max_adverse_funding > 0 || min_depth_10bps > 0;
  }
};

Result<VelDivOptions> ParseVelDivOptions(ConfigSection& section, VelDivOptions defaults);
void WriteVelDivOptions(const VelDivOptions& options, ConfigWriter& out);
std::unique_ptr<Strategy> NewVelDivStrategy(VelDivOptions options);

}  // namespace dolphin::trader
