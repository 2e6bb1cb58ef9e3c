// The trader's value types, shared by the engine (live and backtest), the journal and the
// service. docs/trader.md is the contract. Thread-safety: plain values.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dolphin/contract/enums.h"
#include "dolphin/contract/scan.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::trader {

enum class Side { kBuy, kSell };
std::string_view SideName(Side side);  // "BUY" | "SELL"
Result<Side> ParseSide(std::string_view text);

// Posture scales entry size (docs/trader.md): APEX 1.0, STALKER 0.5, TURTLE 0.25,
// HIBERNATE 0 (and positions closed). The enum is the bus contract's (DOLPHIN_SAFETY).
using Posture = contract::Posture;
using contract::ParsePosture;
using contract::PostureName;
double PostureScale(Posture posture);

// ACTIVE: entries and exits; REDUCING: exits only; HALTED: nothing (operator's halt).
using TradingState = contract::TradingState;
using contract::TradingStateName;

// The journal's SQLite synchronous mode (docs/trader.md): full (default) or normal.
enum class JournalSync { kFull, kNormal };
std::string_view JournalSyncName(JournalSync sync);  // "full" | "normal"

// One scan as the trader sees it: DOLPHIN_FEATURES["latest_eigen_scan"] decoded by the
// contract (live), or a scan file decoded through the bridge's own JSON path (backtest), so
// both are bit-identical.
using Scan = contract::Scan;

// An order the engine decided on one scan. The client order id is deterministic:
// "<COLOR>-<epoch>-<scan_number>-<seq>", so a re-decided scan can never make a second order.
struct OrderIntent {
  std::string client_order_id;
  int64_t epoch = 0;
  int64_t scan_number = 0;  // the scan the decision was made on
  int seq = 0;              // 0, 1, ... within that scan
  std::string asset;
  Side side = Side::kBuy;
  double qty = 0;         // base units, > 0
  bool reducing = false;  // closes (part of) a position: never blocked by rate/loss limits
  std::string reason;     // "entry: vel_div=-0.031 <= -0.02", "exit: take_profit", "flatten"
  Timestamp ts;           // the decision scan's timestamp
};

// An execution report from the venue.
struct Fill {
  std::string client_order_id;
  int64_t epoch = 0;
  int64_t scan_number = 0;  // the scan whose price filled it
  std::string asset;
  Side side = Side::kBuy;
  double qty = 0;
  double price = 0;         // after slippage
  double fee = 0;           // quote currency, >= 0
  double realized_pnl = 0;  // realised by this fill, fees excluded
  Timestamp ts;             // the filling scan's timestamp
};

// The indicator values the trader saw at one decision, for its strategy's asset: a flat map
// "source.field" -> number (docs/trader.md lists the names), e.g. "obf.spread_bps",
// "funding.rate", and each source's age at the decision, "obf.age_s". A name that is absent was
// not on the bus. Recorded in the journal with the scan, so a replay decides on exactly these.
using IndicatorValues = std::map<std::string, double, std::less<>>;

// What the trader knew about one scan from outside the scan itself. The live service decides
// it (posture from the bus, the operator's controls, the scan's age) and the journal records
// it with the processed marker, so a backtest over the journal replays the same decisions.
struct ScanContext {
  Posture posture = Posture::kTurtle;
  double rm = 1.0;             // DOLPHIN_SAFETY risk multiplier (1.0 for a fixed posture)
  bool posture_stale = false;  // posture = "bus" and the safety key is missing or stale
  bool halted = false;         // operator halt in force
  bool flatten = false;        // operator flatten requested: close everything on this scan
  bool stale = false;          // the scan is older than max_scan_age_s: no entries
  IndicatorValues indicators;  // DOLPHIN_FEATURES' obf / ExtF values at the decision
};

}  // namespace dolphin::trader
