#include "dolphin/contract/names.h"

namespace dolphin::contract {

std::string StateMapName(std::string_view color) {
  return std::string(kStateMapPrefix).append(color);
}
std::string PnlMapName(std::string_view color) { return std::string(kPnlMapPrefix).append(color); }
std::string TraderServiceName(std::string_view color) {
  return std::string("trader.").append(color);
}

}  // namespace dolphin::contract
