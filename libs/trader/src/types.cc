#include "dolphin/trader/types.h"

#include <fmt/format.h>

namespace dolphin::trader {

std::string_view SideName(Side side) { return side == Side::kBuy ? "BUY" : "SELL"; }

Result<Side> ParseSide(std::string_view text) {
  if (text == "BUY") return Side::kBuy;
  if (text == "SELL") return Side::kSell;
  return InvalidArgumentError(fmt::format("side: expected BUY or SELL, got \"{}\"", text));
}

std::string_view PostureName(Posture posture) {
  switch (posture) {
    case Posture::kApex: return "APEX";
    case Posture::kStalker: return "STALKER";
    case Posture::kTurtle: return "TURTLE";
    case Posture::kHibernate: return "HIBERNATE";
  }
  return "?";
}

Result<Posture> ParsePosture(std::string_view text) {
  if (text == "APEX") return Posture::kApex;
  if (text == "STALKER") return Posture::kStalker;
  if (text == "TURTLE") return Posture::kTurtle;
  if (text == "HIBERNATE") return Posture::kHibernate;
  return InvalidArgumentError(
      fmt::format("posture: expected APEX, STALKER, TURTLE or HIBERNATE, got \"{}\"", text));
}

double PostureScale(Posture posture) {
  switch (posture) {
    case Posture::kApex: return 1.0;
    case Posture::kStalker: return 0.5;
    case Posture::kTurtle: return 0.25;
    case Posture::kHibernate: return 0.0;
  }
  return 0.0;
}

std::string_view TradingStateName(TradingState state) {
  switch (state) {
    case TradingState::kActive: return "ACTIVE";
    case TradingState::kReducing: return "REDUCING";
    case TradingState::kHalted: return "HALTED";
  }
  return "?";
}

std::optional<double> Scan::Price(std::string_view asset) const {
  for (const auto& [symbol, price] : prices) {
    if (symbol == asset) {
      if (std::isfinite(price) && price > 0) return price;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace dolphin::trader
