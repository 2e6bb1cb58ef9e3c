// DOLPHIN_PNL_<COLOR>["YYYY-MM-DD"] (docs/architecture.md §3 and docs/trader.md): one trader's
// PnL of one UTC day of scan timestamps, as the trader writes it; the safety service reads the
// drawdown from the day's peak from it. Thread-safety: plain values; pure functions. Decoding
// never throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::contract {

struct DayPnlRecord {
  std::string day;  // "YYYY-MM-DD" (also the key)
  std::string color;
  double realized = 0;
  double unrealized = 0;
  double fees = 0;
  int64_t trades = 0;  // fills
  int64_t wins = 0;
  int64_t losses = 0;
  double max_drawdown = 0;  // largest fall from the day's peak so far, quote currency
  double equity_open = 0;
  double equity_peak = 0;  // the day's highest equity so far
  double equity_now = 0;
  Timestamp updated_at;  // the freshness field

  // The current fall from the day's peak, in percent of the peak (0 when the peak is not
  // positive or equity is at or above it).
  double DrawdownPct() const;
  bool operator==(const DayPnlRecord&) const = default;
};

std::string EncodePnl(const DayPnlRecord& record);

// Required: updated_at, equity_now. Optional (default 0 / ""): the rest; equity_peak, when
// absent (a writer older than issue 12), is max(equity_open, equity_now). Errors name the
// field: "DOLPHIN_PNL[day]: equity_now: expected a number, got string".
Result<DayPnlRecord> DecodePnl(std::string_view json);

}  // namespace dolphin::contract
