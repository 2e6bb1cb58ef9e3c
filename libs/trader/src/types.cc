#include "dolphin/trader/types.h"

#include <fmt/format.h>

namespace dolphin::trader {

std::string_view SideName(Side side) { return side == Side::kBuy ? "BUY" : "SELL"; }

Result<Side> ParseSide(std::string_view text) {
  if (text == "BUY") return Side::kBuy;
  if (text == "SELL") return Side::kSell;
  return InvalidArgumentError(fmt::format("side: expected BUY or SELL, got \"{}\"", text));
}

std::string_view JournalSyncName(JournalSync sync) {
  return sync == JournalSync::kFull ? "full" : "normal";
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

}  // namespace dolphin::trader
