#include "dolphin/contract/trader_state.h"

#include <fmt/format.h>

#include "dolphin/contract/json_fields.h"

namespace dolphin::contract {

namespace {

constexpr char kWhat[] = "DOLPHIN_STATE[latest_nautilus]";

Json OptionalJson(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Result<std::optional<int64_t>> OptionalInt(const Json& j, std::string_view key) {
  const Json* v = FindField(j, key);
  if (v == nullptr || v->is_null()) return std::optional<int64_t>();
  DOLPHIN_ASSIGN_OR_RETURN(int64_t n, AsInt64(*v, key, kWhat));
  return std::optional<int64_t>(n);
}

Result<TraderPosition> DecodePosition(const Json& p) {
  constexpr char kPos[] = "DOLPHIN_STATE[latest_nautilus]: positions[]";
  if (!p.is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", kPos));
  TraderPosition out;
  DOLPHIN_ASSIGN_OR_RETURN(out.asset, GetString(p, "asset", kPos));
  DOLPHIN_ASSIGN_OR_RETURN(out.side, GetString(p, "side", kPos));
  if (out.side != "LONG" && out.side != "SHORT") {
    return InvalidArgumentError(
        fmt::format("{}: side: expected LONG or SHORT, got \"{}\"", kPos, out.side));
  }
  DOLPHIN_ASSIGN_OR_RETURN(out.qty, GetDouble(p, "qty", kPos));
  DOLPHIN_ASSIGN_OR_RETURN(out.avg_price, GetDoubleOr(p, "avg_price", 0, kPos));
  DOLPHIN_ASSIGN_OR_RETURN(out.mark, GetDoubleOr(p, "mark", 0, kPos));
  DOLPHIN_ASSIGN_OR_RETURN(out.unrealized, GetDoubleOr(p, "unrealized", 0, kPos));
  DOLPHIN_ASSIGN_OR_RETURN(out.held_scans, GetInt64Or(p, "held_scans", 0, kPos));
  return out;
}

}  // namespace

std::string EncodeTraderState(const TraderState& s) {
  Json j;
  j["updated_at"] = FormatRfc3339(s.updated_at);
  j["color"] = s.color;
  j["scan_number"] = OptionalJson(s.scan_number);
  j["epoch"] = OptionalJson(s.epoch);
  j["scan_ts"] = s.scan_ts ? Json(FormatRfc3339(*s.scan_ts)) : Json(nullptr);
  j["trading_state"] = TradingStateName(s.trading_state);
  j["state_reason"] = s.state_reason;
  j["posture"] = PostureName(s.posture);
  j["strategy"] = s.strategy;
  j["equity"] = s.equity;
  j["cash"] = s.cash;
  Json positions = Json::array();
  for (const TraderPosition& p : s.positions) {
    positions.push_back({{"asset", p.asset},
                         {"side", p.side},
                         {"qty", p.qty},
                         {"avg_price", p.avg_price},
                         {"mark", p.mark},
                         {"unrealized", p.unrealized},
                         {"held_scans", p.held_scans}});
  }
  j["positions"] = std::move(positions);
  j["pending_orders"] = s.pending_orders;
  j["last_signal"] = s.last_signal;
  j["last_order"] = s.last_order;
  j["trades_today"] = s.trades_today;
  j["missed_scans"] = s.missed_scans;
  j["stale_scans"] = s.stale_scans;
  j["scans_processed"] = s.scans_processed;
  j["status"] = s.status;
  j["controls"] = {{"halted", s.halted}, {"flatten_pending", s.flatten_pending}};
  if (!s.posture_source.empty()) j["posture_source"] = s.posture_source;
  if (!s.posture_problem.empty()) j["posture_problem"] = s.posture_problem;
  return DumpJson(j);
}

Result<TraderState> DecodeTraderState(std::string_view json) {
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseObject(json, kWhat));
  TraderState s;
  DOLPHIN_ASSIGN_OR_RETURN(s.updated_at, GetTimestamp(j, "updated_at", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.color, GetString(j, "color", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.scan_number, OptionalInt(j, "scan_number"));
  DOLPHIN_ASSIGN_OR_RETURN(s.epoch, OptionalInt(j, "epoch"));
  if (const Json* v = FindField(j, "scan_ts"); v != nullptr && !v->is_null()) {
    DOLPHIN_ASSIGN_OR_RETURN(Timestamp ts, GetTimestamp(j, "scan_ts", kWhat));
    s.scan_ts = ts;
  }
  DOLPHIN_ASSIGN_OR_RETURN(std::string state, GetString(j, "trading_state", kWhat));
  auto ts = ParseTradingState(state);
  if (!ts.ok()) return ts.status().WithPrefix(kWhat);
  s.trading_state = *ts;
  DOLPHIN_ASSIGN_OR_RETURN(s.state_reason, GetStringOr(j, "state_reason", "", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(std::string posture, GetString(j, "posture", kWhat));
  auto p = ParsePosture(posture);
  if (!p.ok()) return p.status().WithPrefix(kWhat);
  s.posture = *p;
  DOLPHIN_ASSIGN_OR_RETURN(s.posture_source, GetStringOr(j, "posture_source", "", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.posture_problem, GetStringOr(j, "posture_problem", "", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.strategy, GetStringOr(j, "strategy", "", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.equity, GetDouble(j, "equity", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.cash, GetDoubleOr(j, "cash", 0, kWhat));
  if (const Json* v = FindField(j, "positions"); v != nullptr && !v->is_null()) {
    if (!v->is_array())
      return InvalidArgumentError(fmt::format("{}: positions: expected an array", kWhat));
    for (const Json& e : *v) {
      DOLPHIN_ASSIGN_OR_RETURN(TraderPosition pos, DecodePosition(e));
      s.positions.push_back(std::move(pos));
    }
  }
  if (const Json* v = FindField(j, "pending_orders"); v != nullptr && !v->is_null()) {
    if (!v->is_array())
      return InvalidArgumentError(fmt::format("{}: pending_orders: expected an array", kWhat));
    for (const Json& e : *v) {
      DOLPHIN_ASSIGN_OR_RETURN(std::string id, AsString(e, "pending_orders[]", kWhat));
      s.pending_orders.push_back(std::move(id));
    }
  }
  for (auto [key, slot] :
       {std::pair{"last_signal", &s.last_signal}, std::pair{"last_order", &s.last_order}}) {
    const Json* v = FindField(j, key);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_object())
      return InvalidArgumentError(fmt::format("{}: {}: expected an object", kWhat, key));
    *slot = *v;
  }
  DOLPHIN_ASSIGN_OR_RETURN(s.trades_today, GetInt64Or(j, "trades_today", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.missed_scans, GetInt64Or(j, "missed_scans", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.stale_scans, GetInt64Or(j, "stale_scans", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.scans_processed, GetInt64Or(j, "scans_processed", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(s.status, GetStringOr(j, "status", "", kWhat));
  if (const Json* c = FindField(j, "controls"); c != nullptr && !c->is_null()) {
    constexpr char kControls[] = "DOLPHIN_STATE[latest_nautilus]: controls";
    if (!c->is_object())
      return InvalidArgumentError(fmt::format("{}: expected an object", kControls));
    DOLPHIN_ASSIGN_OR_RETURN(s.halted, GetBoolOr(*c, "halted", false, kControls));
    DOLPHIN_ASSIGN_OR_RETURN(s.flatten_pending, GetBoolOr(*c, "flatten_pending", false, kControls));
  }
  return s;
}

}  // namespace dolphin::contract
