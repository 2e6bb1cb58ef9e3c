// DOLPHIN_STATE_<COLOR>["latest_nautilus"] (docs/architecture.md §3 and docs/trader.md; field list
// in docs/trader.md): a trader's published state, as the trader writes it. Thread-safety: plain
// values; pure functions. Decoding never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/contract/enums.h"
#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::contract {

struct TraderPosition {
  std::string asset;
  std::string side;  // "LONG" | "SHORT"
  double qty = 0;    // > 0
  double avg_price = 0;
  double mark = 0;
  double unrealized = 0;
  int64_t held_scans = 0;

  bool operator==(const TraderPosition&) const = default;
};

struct TraderState {
  Timestamp updated_at;  // the freshness field
  std::string color;
  // The last processed scan (all three nullopt before the first).
  std::optional<int64_t> scan_number;
  std::optional<int64_t> epoch;
  std::optional<Timestamp> scan_ts;
  TradingState trading_state = TradingState::kActive;
  std::string state_reason;
  Posture posture = Posture::kTurtle;
  std::string posture_source;   // "bus" | "config" (empty: not written)
  std::string posture_problem;  // why the bus posture is not used (empty: none)
  std::string strategy;
  double equity = 0;
  double cash = 0;
  std::vector<TraderPosition> positions;
  std::vector<std::string> pending_orders;  // client order ids
  Json last_signal = Json::object();
  Json last_order = Json::object();
  int64_t trades_today = 0;
  int64_t missed_scans = 0;
  int64_t stale_scans = 0;
  int64_t scans_processed = 0;
  std::string status;            // "ok" or "<STATE>: <reason>"
  bool halted = false;           // controls.halted
  bool flatten_pending = false;  // controls.flatten_pending

  bool operator==(const TraderState&) const = default;
};

std::string EncodeTraderState(const TraderState& state);

// Required: updated_at, color, trading_state, posture, equity. Every other field is optional
// (its default above) but typed when present; unknown fields are ignored. Errors name the field:
// "DOLPHIN_STATE[latest_nautilus]: equity: expected a number, got string".
Result<TraderState> DecodeTraderState(std::string_view json);

}  // namespace dolphin::contract
