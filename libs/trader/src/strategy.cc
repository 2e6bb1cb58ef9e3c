#include "dolphin/trader/strategy.h"

#include <fmt/format.h>

#include <cmath>
#include <variant>

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
  s.Read("max_spread_bps", &o.max_spread_bps, 0, 10000);
  s.Read("max_adverse_funding", &o.max_adverse_funding, 0, 0.1);
  s.Read("min_depth_10bps", &o.min_depth_10bps, 0, 1e15);
  s.Read("max_obf_age_s", &o.max_obf_age_s, 0.001, 1e9);
  s.Read("max_exf_age_s", &o.max_exf_age_s, 0.001, 1e9);
  if (s.Has("on_missing_indicator")) {
    std::string missing = o.block_on_missing ? "block" : "allow";
    s.ReadEnum("on_missing_indicator", &missing, {"block", "allow"});
    o.block_on_missing = missing == "block";
  }
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
  out.Value("max_spread_bps", o.max_spread_bps);
  out.Value("max_adverse_funding", o.max_adverse_funding);
  out.Value("min_depth_10bps", o.min_depth_10bps);
  out.Value("max_obf_age_s", o.max_obf_age_s);
  out.Value("max_exf_age_s", o.max_exf_age_s);
  out.Value("on_missing_indicator", std::string(o.block_on_missing ? "block" : "allow"));
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
      d.reason = fmt::format("vel_div={:.6g} <= {}", v, o_.entry_threshold);
      if (std::optional<Gated> g = CheckGates(in.indicators)) {
        d.gated_by = g->gate;
        d.reason += fmt::format("; held back by {}: {}", g->gate, g->why);
        return d;
      }
      d.action = Action::kEnter;
      d.side = o_.direction;
      d.fraction = o_.size_fraction;
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
    j["max_spread_bps"] = o_.max_spread_bps;
    j["max_adverse_funding"] = o_.max_adverse_funding;
    j["min_depth_10bps"] = o_.min_depth_10bps;
    j["max_obf_age_s"] = o_.max_obf_age_s;
    j["max_exf_age_s"] = o_.max_exf_age_s;
    j["on_missing_indicator"] = o_.block_on_missing ? "block" : "allow";
    return j;
  }

 private:
  struct Gated {
    std::string gate;  // the option's key
    std::string why;
  };

  // The first gate that holds back an entry in the configured direction, or nullopt. A value
  // that is absent, older than its source's max age or stamped further than that in the
  // future is missing: it holds the entry back with on_missing_indicator = "block", and lets
  // it pass with "allow".
  std::optional<Gated> CheckGates(const IndicatorValues& in) const {
    const bool short_side = o_.direction == Side::kSell;
    // The value of `name` when present and fresh; otherwise why not.
    auto value = [&](const std::string& name, std::string_view source,
                     double max_age) -> std::variant<double, std::string> {
      auto it = in.find(name);
      if (it == in.end()) return fmt::format("{} is not on the bus", name);
      auto age = in.find(fmt::format("{}.age_s", source));
      if (age == in.end()) return fmt::format("{} has no age", name);
      if (age->second > max_age) {
        return fmt::format("{} is {:.1f} s old (max {} s)", name, age->second, max_age);
      }
      // Pushed later than the decision by more than a source's whole age allowance: the
      // flow's clock and the trader's disagree, and the value's age is unknown.
      if (age->second < -max_age) {
        return fmt::format("{} is stamped {:.1f} s in the future (clocks disagree)", name,
                           -age->second);
      }
      return it->second;
    };
    // Runs one gate: `blocks(v)` says why `v` holds the entry back ("" = it passes).
    auto gate = [&](const char* key, const std::string& name, std::string_view source,
                    double max_age, auto blocks) -> std::optional<Gated> {
      auto v = value(name, source, max_age);
      if (const std::string* missing = std::get_if<std::string>(&v)) {
        if (!o_.block_on_missing) return std::nullopt;
        return Gated{key, *missing};
      }
      std::string why = blocks(std::get<double>(v));
      if (why.empty()) return std::nullopt;
      return Gated{key, std::move(why)};
    };
    if (o_.max_spread_bps > 0) {
      auto g = gate("max_spread_bps", "obf.spread_bps", "obf", o_.max_obf_age_s, [&](double x) {
        return x > o_.max_spread_bps
                   ? fmt::format("obf.spread_bps={:.6g} > {}", x, o_.max_spread_bps)
                   : std::string();
      });
      if (g) return g;
    }
    if (o_.min_depth_10bps > 0) {
      const std::string name = short_side ? "obf.depth_bid_10bps" : "obf.depth_ask_10bps";
      auto g = gate("min_depth_10bps", name, "obf", o_.max_obf_age_s, [&](double x) {
        return x < o_.min_depth_10bps ? fmt::format("{}={:.6g} < {}", name, x, o_.min_depth_10bps)
                                      : std::string();
      });
      if (g) return g;
    }
    if (o_.max_adverse_funding > 0) {
      // Longs pay a positive rate, shorts a negative one.
      auto g = gate(
          "max_adverse_funding", "funding.rate", "funding", o_.max_exf_age_s, [&](double rate) {
            const double adverse = short_side ? -rate : rate;
            return adverse > o_.max_adverse_funding
                       ? fmt::format("funding.rate={:.6g} against a {} by more than {}", rate,
                                     short_side ? "short" : "long", o_.max_adverse_funding)
                       : std::string();
          });
      if (g) return g;
    }
    return std::nullopt;
  }

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
