#include "dolphin/trader/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dolphin::trader {

namespace {

constexpr Duration kRateWindow = std::chrono::seconds(60);

Json IntentJson(const OrderIntent& o) {
  Json j;
  j["client_order_id"] = o.client_order_id;
  j["epoch"] = o.epoch;
  j["scan_number"] = o.scan_number;
  j["seq"] = o.seq;
  j["asset"] = o.asset;
  j["side"] = SideName(o.side);
  j["qty"] = o.qty;
  j["reducing"] = o.reducing;
  j["reason"] = o.reason;
  j["ts_us"] = o.ts.UnixMicros();
  return j;
}

Result<OrderIntent> IntentFromJson(const Json& j) {
  OrderIntent o;
  try {
    o.client_order_id = j.at("client_order_id").get<std::string>();
    o.epoch = j.at("epoch").get<int64_t>();
    o.scan_number = j.at("scan_number").get<int64_t>();
    o.seq = j.at("seq").get<int>();
    o.asset = j.at("asset").get<std::string>();
    DOLPHIN_ASSIGN_OR_RETURN(o.side, ParseSide(j.at("side").get<std::string>()));
    o.qty = j.at("qty").get<double>();
    o.reducing = j.at("reducing").get<bool>();
    o.reason = j.at("reason").get<std::string>();
    o.ts = Timestamp::FromUnixMicros(j.at("ts_us").get<int64_t>());
  } catch (const Json::exception& e) {
    return InvalidArgumentError(fmt::format("pending order: {}", e.what()));
  }
  return o;
}

}  // namespace

std::string_view RiskRuleName(RiskRule rule) {
  switch (rule) {
    case RiskRule::kNoPrice: return "no_price";
    case RiskRule::kPending: return "pending";
    case RiskRule::kHalted: return "halted";
    case RiskRule::kReducing: return "reducing";
    case RiskRule::kStaleScan: return "max_scan_age";
    case RiskRule::kOrderRate: return "max_orders_per_minute";
    case RiskRule::kPosture: return "posture";
    case RiskRule::kMaxNotional: return "max_notional";
  }
  return "?";
}

std::string RiskDenial::ToString() const {
  return fmt::format("{}: {}", RiskRuleName(rule), detail);
}

std::string ScanResult::Summary() const {
  std::string s = fmt::format("signal={} ({})", ActionName(decision.action), decision.reason);
  for (const OrderIntent& o : intents) {
    s += fmt::format(" order={} {} {:.6g} {}", o.client_order_id, SideName(o.side), o.qty, o.asset);
  }
  for (const Fill& f : fills) {
    s += fmt::format(" fill={} {} {:.6g}@{:.6g}", f.client_order_id, SideName(f.side), f.qty,
                     f.price);
  }
  for (const RiskDenial& r : rejections) s += fmt::format(" rejected=[{}]", r.ToString());
  return s;
}

Engine::Engine(EngineOptions options, std::unique_ptr<Strategy> strategy)
    : options_(std::move(options)), strategy_(std::move(strategy)), cash_(options_.initial_equity) {
  equity_peak_ = options_.initial_equity;
  day_.equity_open = options_.initial_equity;
  day_.equity_peak = options_.initial_equity;
}

double Engine::equity() const {
  double e = cash_;
  for (const auto& [asset, p] : positions_) e += p.qty * p.mark;
  return e;
}

OrderIntent Engine::MakeIntent(const Scan& scan, int seq, const std::string& asset, Side side,
                               double qty, bool reducing, std::string reason) const {
  OrderIntent o;
  o.client_order_id = fmt::format("{}-{}-{}-{}", options_.color, scan.epoch, scan.scan_number, seq);
  o.epoch = scan.epoch;
  o.scan_number = scan.scan_number;
  o.seq = seq;
  o.asset = asset;
  o.side = side;
  o.qty = qty;
  o.reducing = reducing;
  o.reason = std::move(reason);
  o.ts = scan.timestamp;
  return o;
}

Fill Engine::Execute(const OrderIntent& order, double ref_price, const Scan& scan) {
  const double slip = options_.slippage_bps / 1e4;
  Fill f;
  f.client_order_id = order.client_order_id;
  f.epoch = scan.epoch;
  f.scan_number = scan.scan_number;
  f.asset = order.asset;
  f.side = order.side;
  f.qty = order.qty;
  f.price = order.side == Side::kBuy ? ref_price * (1 + slip) : ref_price * (1 - slip);
  f.fee = order.qty * f.price * options_.taker_fee_bps / 1e4;
  f.ts = scan.timestamp;

  const double d = order.side == Side::kBuy ? order.qty : -order.qty;
  auto [it, created] = positions_.try_emplace(order.asset);
  Position& p = it->second;
  if (created) {
    p.asset = order.asset;
    p.opened_at = scan.timestamp;
  }
  bool closed = false;
  if (p.qty == 0 || (p.qty > 0) == (d > 0)) {
    p.avg_price =
        (std::abs(p.qty) * p.avg_price + std::abs(d) * f.price) / (std::abs(p.qty) + std::abs(d));
    p.qty += d;
  } else {
    const double closing = std::min(std::abs(d), std::abs(p.qty));
    f.realized_pnl = closing * (f.price - p.avg_price) * (p.qty > 0 ? 1 : -1);
    if (std::abs(d) >= std::abs(p.qty)) {
      const double rest = std::abs(d) - std::abs(p.qty);
      closed = true;
      p.qty = 0;
      if (rest > 0) {  // flipped through zero: the rest opens a new position
        p.qty = d > 0 ? rest : -rest;
        p.avg_price = f.price;
      }
    } else {
      p.qty += d;
    }
  }
  cash_ -= d * f.price + f.fee;
  p.mark = ref_price;
  p.round_trip_pnl += f.realized_pnl - f.fee;
  if (closed) {
    if (p.round_trip_pnl > 0) {
      ++wins_;
      ++day_.wins;
    } else {
      ++losses_;
      ++day_.losses;
    }
    if (p.qty == 0) {
      positions_.erase(it);
    } else {
      p.round_trip_pnl = 0;
      p.held_scans = 0;
      p.opened_at = scan.timestamp;
    }
  }
  day_.realized += f.realized_pnl;
  day_.fees += f.fee;
  ++day_.trades;
  realized_total_ += f.realized_pnl;
  fees_total_ += f.fee;
  ++fills_total_;
  last_order_ = IntentJson(order);
  last_order_["status"] = "filled";
  last_order_["fill_price"] = f.price;
  last_order_["fill_scan_number"] = f.scan_number;
  return f;
}

void Engine::MarkAndRollDay(const Scan& scan) {
  if (scan.timestamp >= day_begin_ && scan.timestamp < day_end_) return;
  constexpr int64_t kDaySeconds = 86400;
  const int64_t seconds = scan.timestamp.UnixSeconds();
  const int64_t day_start =
      (seconds >= 0 ? seconds : seconds - (kDaySeconds - 1)) / kDaySeconds * kDaySeconds;
  day_begin_ = Timestamp::FromUnixSeconds(day_start);
  day_end_ = Timestamp::FromUnixSeconds(day_start + kDaySeconds);
  std::string day = FormatUtcDate(scan.timestamp);
  if (day != day_.day) {
    const double open = equity();
    day_ = DayPnl{};
    day_.day = std::move(day);
    day_.equity_open = open;
    day_.equity_peak = open;
  }
}

bool Engine::IsAfterLast(const Scan& scan) const {
  if (!has_last_) return true;
  if (scan.epoch == last_epoch_) return scan.scan_number > last_scan_number_;
  return scan.epoch > last_epoch_ && scan.timestamp > last_ts_;
}

Result<ScanResult> Engine::OnScan(const Scan& scan, const ScanContext& ctx,
                                  const ScanHooks& hooks) {
  ScanResult r;
  // 1. Ordering and gaps.
  int64_t step = 1;
  if (has_last_) {
    if (!IsAfterLast(scan)) {
      return FailedPreconditionError(fmt::format(
          "scan (epoch {}, #{}, {}) is not after the last processed (epoch {}, #{}, {})",
          scan.epoch, scan.scan_number, FormatRfc3339(scan.timestamp), last_epoch_,
          last_scan_number_, FormatRfc3339(last_ts_)));
    }
    if (scan.epoch == last_epoch_) {
      step = scan.scan_number - last_scan_number_;
      r.missed_before = step - 1;
    }
  }
  for (auto& [asset, p] : positions_) p.held_scans += step;
  MarkAndRollDay(scan);

  // 2. Orders pending from the previous scan fill at this scan's price.
  std::vector<OrderIntent> still_pending;
  for (const OrderIntent& o : pending_) {
    if (auto price = scan.Price(o.asset)) {
      r.fills.push_back(Execute(o, *price, scan));
    } else {
      still_pending.push_back(o);
      r.rejections.push_back(RiskDenial{
          RiskRule::kNoPrice, fmt::format("{} has no price on this scan, {} stays pending", o.asset,
                                          o.client_order_id)});
    }
  }
  pending_ = std::move(still_pending);

  // 3. Mark to market, drawdown, the day's loss limit.
  for (auto& [asset, p] : positions_) {
    if (auto price = scan.Price(asset)) p.mark = *price;
  }
  const double eq = equity();
  day_.equity_peak = std::max(day_.equity_peak, eq);
  day_.max_drawdown = std::max(day_.max_drawdown, day_.equity_peak - eq);
  equity_peak_ = std::max(equity_peak_, eq);
  max_drawdown_ = std::max(max_drawdown_, equity_peak_ - eq);
  if (!day_.loss_limit_hit && options_.max_daily_loss_pct > 0 &&
      day_.equity_open - eq >= day_.equity_open * options_.max_daily_loss_pct / 100.0) {
    day_.loss_limit_hit = true;
  }

  // 4. Trading state.
  posture_ = ctx.posture;
  if (ctx.halted) {
    r.state = TradingState::kHalted;
    r.state_reason = "operator halt";
  } else if (ctx.posture_stale) {
    r.state = TradingState::kReducing;
    r.state_reason = "posture missing or stale on the bus";
  } else if (ctx.posture == Posture::kHibernate) {
    r.state = TradingState::kReducing;
    r.state_reason = "posture HIBERNATE";
  } else if (day_.loss_limit_hit) {
    r.state = TradingState::kReducing;
    r.state_reason = fmt::format("daily loss limit {}% hit", options_.max_daily_loss_pct);
  }

  // 5. Orders.
  while (!recent_orders_.empty() && scan.timestamp - recent_orders_.front() >= kRateWindow) {
    recent_orders_.pop_front();
  }
  auto has_pending = [&](const std::string& asset) {
    return std::any_of(pending_.begin(), pending_.end(),
                       [&](const OrderIntent& o) { return o.asset == asset; });
  };
  auto close_all = [&](const std::string& why) {
    for (const auto& [asset, p] : positions_) {
      if (has_pending(asset)) {
        r.rejections.push_back(RiskDenial{
            RiskRule::kPending, fmt::format("{} has an order pending, {} waits", asset, why)});
        continue;
      }
      r.intents.push_back(MakeIntent(scan, static_cast<int>(r.intents.size()), asset,
                                     p.qty > 0 ? Side::kSell : Side::kBuy, std::abs(p.qty), true,
                                     why));
    }
    r.closed_everything = true;
  };

  const std::string& asset = strategy_->asset();
  StrategyInput in{scan, ctx.indicators, std::nullopt, scan.timestamp, eq};
  if (auto it = positions_.find(asset); it != positions_.end()) {
    const Position& p = it->second;
    in.position = PositionView{p.qty, p.avg_price, p.mark, p.held_scans};
  }
  r.decision = strategy_->OnScan(in);
  using Action = StrategyDecision::Action;

  if (ctx.flatten) {
    close_all("flatten");
  } else if (r.state == TradingState::kHalted) {
    if (r.decision.action != Action::kHold) {
      r.rejections.push_back(RiskDenial{
          RiskRule::kHalted,
          fmt::format("{} not sent, the operator halted trading", ActionName(r.decision.action))});
    }
  } else if (ctx.posture == Posture::kHibernate) {
    close_all("posture HIBERNATE");
  } else if (r.decision.action == Action::kExit && in.position) {
    if (has_pending(asset)) {
      r.rejections.push_back(
          RiskDenial{RiskRule::kPending, fmt::format("{} has an order pending", asset)});
    } else {
      r.intents.push_back(
          MakeIntent(scan, 0, asset, in.position->qty > 0 ? Side::kSell : Side::kBuy,
                     std::abs(in.position->qty), true, "exit: " + r.decision.reason));
    }
  } else if (r.decision.action == Action::kEnter && !in.position) {
    auto price = scan.Price(asset);
    const double scale = PostureScale(ctx.posture) * ctx.rm;
    double notional = eq * r.decision.fraction * scale;
    if (r.state != TradingState::kActive) {
      r.rejections.push_back(RiskDenial{
          RiskRule::kReducing, fmt::format("no entry while REDUCING ({})", r.state_reason)});
    } else if (ctx.stale) {
      r.rejections.push_back(RiskDenial{RiskRule::kStaleScan, "no entry on a stale scan"});
    } else if (!price) {
      r.rejections.push_back(
          RiskDenial{RiskRule::kNoPrice, fmt::format("{} has no price on this scan", asset)});
    } else if (has_pending(asset)) {
      r.rejections.push_back(
          RiskDenial{RiskRule::kPending, fmt::format("{} has an order pending", asset)});
    } else if (static_cast<int>(recent_orders_.size()) >= options_.max_orders_per_minute) {
      r.rejections.push_back(RiskDenial{
          RiskRule::kOrderRate, fmt::format("{} orders in the last 60 s", recent_orders_.size())});
    } else if (!(notional > 0)) {
      r.rejections.push_back(
          RiskDenial{RiskRule::kPosture, fmt::format("size scale {} gives no entry", scale)});
    } else {
      std::string reason = "entry: " + r.decision.reason;
      if (options_.max_notional > 0 && notional > options_.max_notional) {
        r.rejections.push_back(RiskDenial{
            RiskRule::kMaxNotional,
            fmt::format("entry {:.2f} clipped to {:.2f}", notional, options_.max_notional)});
        notional = options_.max_notional;
        reason += " (clipped by max_notional)";
      }
      r.intents.push_back(
          MakeIntent(scan, 0, asset, r.decision.side, notional / *price, false, std::move(reason)));
    }
  }

  // 6. Journal first, then the venue.
  if (!r.intents.empty() && hooks.before_send) {
    DOLPHIN_RETURN_IF_ERROR(hooks.before_send(r.intents));
  }
  std::vector<Fill> sent_fills;
  for (const OrderIntent& o : r.intents) {
    recent_orders_.push_back(scan.timestamp);
    last_order_ = IntentJson(o);
    last_order_["status"] = "sent";
    if (options_.fill_price == FillPrice::kSignalScan) {
      // Entries were priced above; exits close positions marked at this scan.
      double ref =
          scan.Price(o.asset).value_or(positions_.count(o.asset) ? positions_.at(o.asset).mark : 0);
      if (ref > 0) {
        sent_fills.push_back(Execute(o, ref, scan));
        continue;
      }
    }
    pending_.push_back(o);
  }
  r.fills.insert(r.fills.end(), sent_fills.begin(), sent_fills.end());
  if (!r.intents.empty() && hooks.after_send) hooks.after_send(sent_fills);

  // Bookkeeping.
  has_last_ = true;
  last_epoch_ = scan.epoch;
  last_scan_number_ = scan.scan_number;
  last_ts_ = scan.timestamp;
  ++scans_processed_;
  if (ctx.stale) ++stale_scans_;
  missed_scans_ += r.missed_before;
  state_ = r.state;
  state_reason_ = r.state_reason;
  last_signal_.set = true;
  last_signal_.scan_number = scan.scan_number;
  last_signal_.epoch = scan.epoch;
  last_signal_.action = ActionName(r.decision.action);
  last_signal_.reason = r.decision.reason;
  last_signal_.vel_div = scan.vel_div;
  return r;
}

Json Engine::LastSignalJson() const {
  if (!last_signal_.set) return Json(nullptr);
  Json j;
  j["scan_number"] = last_signal_.scan_number;
  j["epoch"] = last_signal_.epoch;
  j["action"] = last_signal_.action;
  j["reason"] = last_signal_.reason;
  j["vel_div"] = std::isfinite(last_signal_.vel_div) ? Json(last_signal_.vel_div) : Json(nullptr);
  return j;
}

Json Engine::SaveState() const {
  Json j;
  j["color"] = options_.color;
  j["cash"] = cash_;
  j["has_last"] = has_last_;
  j["last_epoch"] = last_epoch_;
  j["last_scan_number"] = last_scan_number_;
  j["last_ts_us"] = last_ts_.UnixMicros();
  Json positions = Json::array();
  for (const auto& [asset, p] : positions_) {
    positions.push_back({{"asset", p.asset},
                         {"qty", p.qty},
                         {"avg_price", p.avg_price},
                         {"mark", p.mark},
                         {"held_scans", p.held_scans},
                         {"round_trip_pnl", p.round_trip_pnl},
                         {"opened_at_us", p.opened_at.UnixMicros()}});
  }
  j["positions"] = std::move(positions);
  Json pending = Json::array();
  for (const OrderIntent& o : pending_) pending.push_back(IntentJson(o));
  j["pending"] = std::move(pending);
  j["day"] = {{"day", day_.day},
              {"realized", day_.realized},
              {"fees", day_.fees},
              {"trades", day_.trades},
              {"wins", day_.wins},
              {"losses", day_.losses},
              {"equity_open", day_.equity_open},
              {"equity_peak", day_.equity_peak},
              {"max_drawdown", day_.max_drawdown},
              {"loss_limit_hit", day_.loss_limit_hit}};
  Json recent = Json::array();
  for (Timestamp t : recent_orders_) recent.push_back(t.UnixMicros());
  j["recent_orders_us"] = std::move(recent);
  j["scans_processed"] = scans_processed_;
  j["stale_scans"] = stale_scans_;
  j["missed_scans"] = missed_scans_;
  j["fills_total"] = fills_total_;
  j["wins"] = wins_;
  j["losses"] = losses_;
  j["fees_total"] = fees_total_;
  j["realized_total"] = realized_total_;
  j["equity_peak"] = equity_peak_;
  j["max_drawdown"] = max_drawdown_;
  j["state"] = TradingStateName(state_);
  j["state_reason"] = state_reason_;
  j["posture"] = PostureName(posture_);
  j["last_signal"] = LastSignalJson();
  j["last_order"] = last_order_;
  return j;
}

Status Engine::RestoreState(const Json& j) {
  try {
    if (j.at("color").get<std::string>() != options_.color) {
      return FailedPreconditionError(fmt::format("snapshot is for colour {}, this trader is {}",
                                                 j.at("color").get<std::string>(), options_.color));
    }
    cash_ = j.at("cash").get<double>();
    has_last_ = j.at("has_last").get<bool>();
    last_epoch_ = j.at("last_epoch").get<int64_t>();
    last_scan_number_ = j.at("last_scan_number").get<int64_t>();
    last_ts_ = Timestamp::FromUnixMicros(j.at("last_ts_us").get<int64_t>());
    positions_.clear();
    for (const Json& pj : j.at("positions")) {
      Position p;
      p.asset = pj.at("asset").get<std::string>();
      p.qty = pj.at("qty").get<double>();
      p.avg_price = pj.at("avg_price").get<double>();
      p.mark = pj.at("mark").get<double>();
      p.held_scans = pj.at("held_scans").get<int64_t>();
      p.round_trip_pnl = pj.at("round_trip_pnl").get<double>();
      p.opened_at = Timestamp::FromUnixMicros(pj.at("opened_at_us").get<int64_t>());
      positions_[p.asset] = p;
    }
    pending_.clear();
    for (const Json& oj : j.at("pending")) {
      DOLPHIN_ASSIGN_OR_RETURN(OrderIntent o, IntentFromJson(oj));
      pending_.push_back(std::move(o));
    }
    const Json& d = j.at("day");
    day_.day = d.at("day").get<std::string>();
    day_.realized = d.at("realized").get<double>();
    day_.fees = d.at("fees").get<double>();
    day_.trades = d.at("trades").get<int64_t>();
    day_.wins = d.at("wins").get<int64_t>();
    day_.losses = d.at("losses").get<int64_t>();
    day_.equity_open = d.at("equity_open").get<double>();
    day_.equity_peak = d.at("equity_peak").get<double>();
    day_.max_drawdown = d.at("max_drawdown").get<double>();
    day_.loss_limit_hit = d.at("loss_limit_hit").get<bool>();
    recent_orders_.clear();
    for (const Json& t : j.at("recent_orders_us"))
      recent_orders_.push_back(Timestamp::FromUnixMicros(t.get<int64_t>()));
    scans_processed_ = j.at("scans_processed").get<int64_t>();
    stale_scans_ = j.at("stale_scans").get<int64_t>();
    missed_scans_ = j.at("missed_scans").get<int64_t>();
    fills_total_ = j.at("fills_total").get<int64_t>();
    wins_ = j.at("wins").get<int64_t>();
    losses_ = j.at("losses").get<int64_t>();
    fees_total_ = j.at("fees_total").get<double>();
    realized_total_ = j.at("realized_total").get<double>();
    equity_peak_ = j.at("equity_peak").get<double>();
    max_drawdown_ = j.at("max_drawdown").get<double>();
    std::string state = j.at("state").get<std::string>();
    state_ = state == "HALTED"     ? TradingState::kHalted
             : state == "REDUCING" ? TradingState::kReducing
                                   : TradingState::kActive;
    state_reason_ = j.at("state_reason").get<std::string>();
    DOLPHIN_ASSIGN_OR_RETURN(posture_, ParsePosture(j.at("posture").get<std::string>()));
    const Json& ls = j.at("last_signal");
    last_signal_ = LastSignal{};
    if (!ls.is_null()) {
      last_signal_.set = true;
      last_signal_.scan_number = ls.at("scan_number").get<int64_t>();
      last_signal_.epoch = ls.at("epoch").get<int64_t>();
      const std::string action = ls.at("action").get<std::string>();
      bool known = false;
      for (auto a : {StrategyDecision::Action::kHold, StrategyDecision::Action::kEnter,
                     StrategyDecision::Action::kExit}) {
        if (ActionName(a) == action) {
          last_signal_.action = ActionName(a);
          known = true;
        }
      }
      if (!known)
        return InvalidArgumentError(
            fmt::format("engine snapshot: last_signal.action \"{}\"", action));
      last_signal_.reason = ls.at("reason").get<std::string>();
      last_signal_.vel_div =
          ls.at("vel_div").is_null() ? std::nan("") : ls.at("vel_div").get<double>();
    }
    day_begin_ = day_end_ = Timestamp();
    last_order_ = j.at("last_order");
  } catch (const Json::exception& e) {
    return InvalidArgumentError(fmt::format("engine snapshot: {}", e.what()));
  }
  return Status::Ok();
}

Json Engine::StateJson(Timestamp updated_at) const {
  Json j;
  j["updated_at"] = FormatRfc3339(updated_at);
  j["color"] = options_.color;
  j["scan_number"] = has_last_ ? Json(last_scan_number_) : Json(nullptr);
  j["epoch"] = has_last_ ? Json(last_epoch_) : Json(nullptr);
  j["scan_ts"] = has_last_ ? Json(FormatRfc3339(last_ts_)) : Json(nullptr);
  j["trading_state"] = TradingStateName(state_);
  j["state_reason"] = state_reason_;
  j["posture"] = PostureName(posture_);
  j["strategy"] = strategy_->name();
  j["equity"] = equity();
  j["cash"] = cash_;
  Json positions = Json::array();
  for (const auto& [asset, p] : positions_) {
    positions.push_back({{"asset", asset},
                         {"side", p.qty > 0 ? "LONG" : "SHORT"},
                         {"qty", std::abs(p.qty)},
                         {"avg_price", p.avg_price},
                         {"mark", p.mark},
                         {"unrealized", p.qty * (p.mark - p.avg_price)},
                         {"held_scans", p.held_scans}});
  }
  j["positions"] = std::move(positions);
  Json pending = Json::array();
  for (const OrderIntent& o : pending_) pending.push_back(o.client_order_id);
  j["pending_orders"] = std::move(pending);
  j["last_signal"] = last_signal_.set ? LastSignalJson() : Json::object();
  j["last_order"] = last_order_.is_null() ? Json::object() : last_order_;
  j["trades_today"] = day_.trades;
  j["missed_scans"] = missed_scans_;
  j["stale_scans"] = stale_scans_;
  j["scans_processed"] = scans_processed_;
  j["status"] = state_ == TradingState::kActive
                    ? "ok"
                    : fmt::format("{}: {}", TradingStateName(state_), state_reason_);
  return j;
}

Json Engine::PnlJson(Timestamp updated_at) const {
  double unrealized = 0;
  for (const auto& [asset, p] : positions_) unrealized += p.qty * (p.mark - p.avg_price);
  Json j;
  j["day"] = day_.day;
  j["color"] = options_.color;
  j["realized"] = day_.realized;
  j["unrealized"] = unrealized;
  j["fees"] = day_.fees;
  j["trades"] = day_.trades;
  j["wins"] = day_.wins;
  j["losses"] = day_.losses;
  j["max_drawdown"] = day_.max_drawdown;
  j["equity_open"] = day_.equity_open;
  j["equity_peak"] = day_.equity_peak;
  j["equity_now"] = equity();
  j["updated_at"] = FormatRfc3339(updated_at);
  return j;
}

}  // namespace dolphin::trader
