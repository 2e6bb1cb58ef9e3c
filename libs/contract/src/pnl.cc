#include "dolphin/contract/pnl.h"

#include <algorithm>

#include "dolphin/contract/json_fields.h"
#include "dolphin/core/json.h"

namespace dolphin::contract {

namespace {
constexpr char kWhat[] = "DOLPHIN_PNL[day]";
}  // namespace

double DayPnlRecord::DrawdownPct() const {
  if (!(equity_peak > 0) || equity_now >= equity_peak) return 0;
  return (equity_peak - equity_now) / equity_peak * 100.0;
}

std::string EncodePnl(const DayPnlRecord& r) {
  Json j;
  j["day"] = r.day;
  j["color"] = r.color;
  j["realized"] = r.realized;
  j["unrealized"] = r.unrealized;
  j["fees"] = r.fees;
  j["trades"] = r.trades;
  j["wins"] = r.wins;
  j["losses"] = r.losses;
  j["max_drawdown"] = r.max_drawdown;
  j["equity_open"] = r.equity_open;
  j["equity_peak"] = r.equity_peak;
  j["equity_now"] = r.equity_now;
  j["updated_at"] = FormatRfc3339(r.updated_at);
  return DumpJson(j);
}

Result<DayPnlRecord> DecodePnl(std::string_view json) {
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseObject(json, kWhat));
  DayPnlRecord r;
  DOLPHIN_ASSIGN_OR_RETURN(r.day, GetStringOr(j, "day", "", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.color, GetStringOr(j, "color", "", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.realized, GetDoubleOr(j, "realized", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.unrealized, GetDoubleOr(j, "unrealized", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.fees, GetDoubleOr(j, "fees", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.trades, GetInt64Or(j, "trades", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.wins, GetInt64Or(j, "wins", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.losses, GetInt64Or(j, "losses", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.max_drawdown, GetDoubleOr(j, "max_drawdown", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.equity_open, GetDoubleOr(j, "equity_open", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.equity_now, GetDouble(j, "equity_now", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(
      r.equity_peak, GetDoubleOr(j, "equity_peak", std::max(r.equity_open, r.equity_now), kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.updated_at, GetTimestamp(j, "updated_at", kWhat));
  return r;
}

}  // namespace dolphin::contract
