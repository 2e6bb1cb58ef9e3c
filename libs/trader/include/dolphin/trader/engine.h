// trader_engine: scan -> strategy -> risk -> paper venue -> portfolio, one scan at a time.
//
// The same Engine runs live (the trader service, around it: bus, journal, controls) and in
// `dolphin backtest`. It is a deterministic function of (its state, the scan, the ScanContext):
// no clock, no I/O, no randomness. Time is the scan's timestamp (rate limits, the PnL day);
// holding time counts scan-number differences.
//
// One OnScan, in order:
//  1. ordering: a scan not after the last one (IsAfterLast) is refused (FailedPrecondition); a jump
//  in
//     scan_number within an epoch counts the missed scans (a new epoch counts none);
//  2. the paper venue fills orders pending from the previous scan at this scan's price
//     (fill_price = next_scan), with slippage and the taker fee;
//  3. positions are marked at this scan's prices; equity, the UTC day's PnL and drawdown update;
//  4. the trading state: HALTED (operator), REDUCING (posture from the bus missing or stale,
//     HIBERNATE, or the day's loss beyond max_daily_loss_pct), else ACTIVE;
//  5. orders: flatten (operator) or HIBERNATE close everything; otherwise the strategy's exit or
//     entry, through risk (entries only when ACTIVE and the scan is not stale, at most
//     max_orders_per_minute orders in the last 60 s of scan time, notional capped at
//     max_notional; reducing orders are never blocked by rate or loss limits). Every rejection
//     names its rule;
//  6. hooks.before_send (the journal commits the intents), the venue takes the orders
//     (fill_price = signal_scan fills them now at this scan's price), hooks.after_send.
// Thread-safety: none; one thread drives an Engine.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dolphin/core/json.h"
#include "dolphin/trader/strategy.h"
#include "dolphin/trader/types.h"

namespace dolphin::trader {

enum class FillPrice { kNextScan, kSignalScan };

struct EngineOptions {
  std::string color = "BLUE";
  double initial_equity = 100000.0;  // quote currency (USDT)
  FillPrice fill_price = FillPrice::kNextScan;
  double slippage_bps = 2.0;        // against us, on every fill
  double taker_fee_bps = 5.0;       // on every fill's notional
  double max_notional = 0;          // per position, quote currency; 0 = no cap
  double max_daily_loss_pct = 5.0;  // of the day's opening equity -> REDUCING for the day
  int max_orders_per_minute = 10;   // entries beyond it are rejected (60 s of scan time)
};

struct Position {
  std::string asset;
  double qty = 0;  // signed
  double avg_price = 0;
  double mark = 0;
  int64_t held_scans = 0;
  double round_trip_pnl = 0;  // realised pnl minus fees since the position opened
  Timestamp opened_at;
};

// The UTC day of the scan timestamps (DOLPHIN_PNL_<COLOR>["YYYY-MM-DD"]).
struct DayPnl {
  std::string day;
  double realized = 0;
  double fees = 0;
  int64_t trades = 0;  // fills
  int64_t wins = 0;    // round trips closed with pnl (fees included) > 0
  int64_t losses = 0;
  double equity_open = 0;
  double equity_peak = 0;
  double max_drawdown = 0;  // largest fall from the day's peak, quote currency
  bool loss_limit_hit = false;
};

// The rule behind a refused (or clipped) order. A refusal is a domain event, not an error.
enum class RiskRule {
  kNoPrice,      // the asset has no price on this scan
  kPending,      // an order for the asset is still pending
  kHalted,       // trading state HALTED (operator's halt)
  kReducing,     // trading state REDUCING: exits only
  kStaleScan,    // the scan is older than max_scan_age_s
  kOrderRate,    // max_orders_per_minute reached
  kPosture,      // the posture's size scale gives no entry
  kMaxNotional,  // the entry was clipped to max_notional
};
// The rule's spelling in logs, the journal's signal line and state: "no_price", "pending",
// "halted", "reducing", "max_scan_age", "max_orders_per_minute", "posture", "max_notional".
std::string_view RiskRuleName(RiskRule rule);

struct RiskDenial {
  RiskRule rule;
  std::string detail;
  std::string ToString() const;  // "rule: detail", as logged
  bool operator==(const RiskDenial&) const = default;
};

// What one OnScan did.
struct ScanResult {
  int64_t missed_before = 0;           // scans skipped before this one (same epoch)
  std::vector<Fill> fills;             // fills on this scan (pending ones and signal_scan ones)
  std::vector<OrderIntent> intents;    // orders decided on this scan (sent)
  StrategyDecision decision;           // what the strategy said
  std::vector<RiskDenial> rejections;  // refusals and clips, in decision order
  TradingState state = TradingState::kActive;
  std::string state_reason;        // why REDUCING / HALTED ("" when ACTIVE)
  bool closed_everything = false;  // flatten / HIBERNATE produced closing orders
  std::string Summary() const;     // one line: signal, orders, fills, rejections
};

struct ScanHooks {
  // Called with the new intents before the venue sees them; an error aborts the scan (the
  // engine must then be restored from its last snapshot).
  std::function<Status(std::span<const OrderIntent>)> before_send;
  // Called after the venue took them (and filled them, with fill_price = signal_scan).
  std::function<void(std::span<const Fill>)> after_send;
};

class Engine {
 public:
  Engine(EngineOptions options, std::unique_ptr<Strategy> strategy);

  // The strategy sees `context.indicators` (the indicator values at the decision).
  Result<ScanResult> OnScan(const Scan& scan, const ScanContext& context,
                            const ScanHooks& hooks = {});

  // The whole state as JSON (doubles round-trip exactly), and back. Restore checks the colour.
  Json SaveState() const;
  Status RestoreState(const Json& state);

  // DOLPHIN_STATE_<COLOR>["latest_nautilus"] (the service adds status details) and
  // DOLPHIN_PNL_<COLOR>[day]. `updated_at` is the wall-clock time of publication.
  Json StateJson(Timestamp updated_at) const;
  Json PnlJson(Timestamp updated_at) const;

  // Accessors.
  const EngineOptions& options() const { return options_; }
  const Strategy& strategy() const { return *strategy_; }
  double cash() const { return cash_; }
  double equity() const;
  const std::map<std::string, Position>& positions() const { return positions_; }
  const std::vector<OrderIntent>& pending() const { return pending_; }
  bool has_last() const { return has_last_; }
  int64_t last_epoch() const { return last_epoch_; }
  int64_t last_scan_number() const { return last_scan_number_; }
  Timestamp last_ts() const { return last_ts_; }
  // Whether (epoch, scan_number, timestamp) comes after the last processed scan: a higher
  // number in the same epoch, or a later epoch whose scan is also newer in time (a scan
  // re-sent under another epoch with an old timestamp is not new).
  bool IsAfterLast(const Scan& scan) const;
  const DayPnl& day() const { return day_; }
  int64_t scans_processed() const { return scans_processed_; }
  int64_t stale_scans() const { return stale_scans_; }
  int64_t missed_scans() const { return missed_scans_; }
  int64_t fills_total() const { return fills_total_; }
  int64_t round_trips() const { return wins_ + losses_; }
  int64_t wins() const { return wins_; }
  int64_t losses() const { return losses_; }
  double fees_total() const { return fees_total_; }
  double realized_total() const { return realized_total_; }
  double max_drawdown() const { return max_drawdown_; }  // over the whole run, quote currency
  TradingState state() const { return state_; }
  const std::string& state_reason() const { return state_reason_; }

 private:
  Fill Execute(const OrderIntent& order, double ref_price, const Scan& scan);
  void MarkAndRollDay(const Scan& scan);
  OrderIntent MakeIntent(const Scan& scan, int seq, const std::string& asset, Side side, double qty,
                         bool reducing, std::string reason) const;

  EngineOptions options_;
  std::unique_ptr<Strategy> strategy_;

  double cash_;
  std::map<std::string, Position> positions_;
  std::vector<OrderIntent> pending_;
  bool has_last_ = false;
  int64_t last_epoch_ = 0;
  int64_t last_scan_number_ = 0;
  Timestamp last_ts_;
  DayPnl day_;
  std::deque<Timestamp> recent_orders_;  // order times within the last minute of scan time
  int64_t scans_processed_ = 0;
  int64_t stale_scans_ = 0;
  int64_t missed_scans_ = 0;
  int64_t fills_total_ = 0;
  int64_t wins_ = 0;
  int64_t losses_ = 0;
  double fees_total_ = 0;
  double realized_total_ = 0;
  double equity_peak_ = 0;
  double max_drawdown_ = 0;
  TradingState state_ = TradingState::kActive;
  std::string state_reason_;
  Posture posture_ = Posture::kTurtle;
  // The strategy's last decision; JSON only when shown or saved (OnScan is the backtest's hot
  // path).
  struct LastSignal {
    bool set = false;
    int64_t scan_number = 0;
    int64_t epoch = 0;
    std::string_view action;
    std::string reason;
    double vel_div = 0;
  };
  LastSignal last_signal_;
  Json LastSignalJson() const;  // null before the first scan
  // [day_begin_, day_end_): the UTC day of day_.day, so most scans skip formatting a date.
  // Not saved: an engine restored from a snapshot recomputes it on its first scan.
  Timestamp day_begin_, day_end_;
  Json last_order_;
};

}  // namespace dolphin::trader
