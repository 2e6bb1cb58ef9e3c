#include "dolphin/trader/strategy.h"

#include <fmt/format.h>

#include <cmath>

namespace dolphin::trader {

double PositionView::ReturnPct() const {
  if (avg_price <= 0 || qty == 0) return 0;
  double r = (mark / avg_price - 1.0) * 100.0;
  return qty > 0 ? r : -r;
}

std::string_view ActionName(StrategyDecision::Action action) {
  switch (action) {
    case StrategyDecision::Action::kHold: return "hold";
    case StrategyDecision::Action::kEnter: return "enter";
    case StrategyDecision::Action::kExit: return "exit";
  }
  return "?";
}

Result<VelDivOptions> ParseVelDivOptions(ConfigSection& s, VelDivOptions o) {
  int before = s.error_count();
  s.Read("asset", &o.asset);
  if (s.Has("direction")) {
    std::string direction = o.direction == Side::kSell ? "short" : "long";
    s.ReadEnum("direction", &direction, {"short", "long"});
    o.direction = direction == "short" ? Side::kSell : Side::kBuy;
  }
  s.Read("entry_threshold", &o.entry_threshold, -10, 10);
  s.Read("exit_threshold", &o.exit_threshold, -10, 10);
  s.Read("max_hold_scans", &o.max_hold_scans, 1, int64_t{1} << 40);
  s.Read("take_profit_pct", &o.take_profit_pct, 0.0001, 1000);
  s.Read("stop_loss_pct", &o.stop_loss_pct, 0.0001, 100);
  s.Read("size_fraction", &o.size_fraction, 0.0001, 10);
  if (o.asset.empty()) s.ErrorAt("asset", "expected a symbol such as \"BTCUSDT\", got \"\"");
  bool short_side = o.direction == Side::kSell;
  if (short_side ? o.exit_threshold <= o.entry_threshold : o.exit_threshold >= o.entry_threshold) {
    // Not an error: a strategy that exits at once is legal, but almost surely a mistake.
    s.WarnAt("exit_threshold",
             fmt::format("{} {} entry_threshold {}: positions exit on the scan after entry",
                         o.exit_threshold, short_side ? "<=" : ">=", o.entry_threshold));
  }
  if (s.error_count() != before) return InvalidArgumentError("invalid vel_div options");
  return o;
}

void WriteVelDivOptions(const VelDivOptions& o, ConfigWriter& out) {
  out.Value("asset", o.asset);
  out.Value("direction", std::string(o.direction == Side::kSell ? "short" : "long"));
  out.Value("entry_threshold", o.entry_threshold);
  out.Value("exit_threshold", o.exit_threshold);
  out.Value("max_hold_scans", o.max_hold_scans);
  out.Value("take_profit_pct", o.take_profit_pct);
  out.Value("stop_loss_pct", o.stop_loss_pct);
  out.Value("size_fraction", o.size_fraction);
}

namespace {

// vel_div = w50_velocity - w150_velocity: the short window's eigenvalue velocity running ahead
// of the long one. A strongly negative value (correlation collapsing fast) enters in the
// configured direction; the position exits when vel_div recovers, after max_hold_scans, or at
// the take-profit / stop-loss.
class VelDivStrategy final : public Strategy {
 public:
  explicit VelDivStrategy(VelDivOptions options) : o_(std::move(options)) {}
  std::string name() const override { return "vel_div"; }
  const std::string& asset() const override { return o_.asset; }

  StrategyDecision OnScan(const StrategyInput& in) override {
    using Action = StrategyDecision::Action;
    StrategyDecision d;
    const double v = in.scan.vel_div;
    if (in.position) {
      const PositionView& p = *in.position;
      double ret = p.ReturnPct();
      if (ret >= o_.take_profit_pct) {
        return Exit(fmt::format("take_profit {:.3f}% >= {}%", ret, o_.take_profit_pct));
      }
      if (ret <= -o_.stop_loss_pct) {
        return Exit(fmt::format("stop_loss {:.3f}% <= -{}%", ret, o_.stop_loss_pct));
      }
      if (p.held_scans >= o_.max_hold_scans) {
        return Exit(fmt::format("max_hold {} >= {} scans", p.held_scans, o_.max_hold_scans));
      }
      if (!std::isnan(v) && v >= o_.exit_threshold) {
        return Exit(fmt::format("vel_div={:.6g} >= {}", v, o_.exit_threshold));
      }
      d.reason = fmt::format("holding {} scans, {:.3f}%", p.held_scans, ret);
      return d;
    }
    if (std::isnan(v)) {
      d.reason = "no vel_div";
      return d;
    }
    if (v <= o_.entry_threshold) {
      d.action = Action::kEnter;
      d.side = o_.direction;
      d.fraction = o_.size_fraction;
      d.reason = fmt::format("vel_div={:.6g} <= {}", v, o_.entry_threshold);
      return d;
    }
    d.reason = fmt::format("vel_div={:.6g}", v);
    return d;
  }

  Json OptionsJson() const override {
    Json j;
    j["asset"] = o_.asset;
    j["direction"] = o_.direction == Side::kSell ? "short" : "long";
    j["entry_threshold"] = o_.entry_threshold;
    j["exit_threshold"] = o_.exit_threshold;
    j["max_hold_scans"] = o_.max_hold_scans;
    j["take_profit_pct"] = o_.take_profit_pct;
    j["stop_loss_pct"] = o_.stop_loss_pct;
    j["size_fraction"] = o_.size_fraction;
    return j;
  }

 private:
  static StrategyDecision Exit(std::string reason) {
    StrategyDecision d;
    d.action = StrategyDecision::Action::kExit;
    d.reason = std::move(reason);
    return d;
  }
  const VelDivOptions o_;
};

}  // namespace

std::unique_ptr<Strategy> NewVelDivStrategy(VelDivOptions options) {
  return std::make_unique<VelDivStrategy>(std::move(options));
}

}  // namespace dolphin::trader
