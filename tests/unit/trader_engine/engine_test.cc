// trader_engine: strategy, risk, trading states, paper venue, portfolio, snapshots.
#include "dolphin/trader/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include "dolphin/testing/testing.h"

namespace dolphin::trader {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kEpoch = 1700000000000000;
const Timestamp kT0 = Timestamp::FromUnixSeconds(1774432800);  // 2026-03-25T10:00:00Z

Scan MakeScan(int64_t n, double vel_div, double btc, int64_t epoch = kEpoch,
              Duration step = std::chrono::seconds(5)) {
  Scan s;
  s.epoch = epoch;
  s.scan_number = n;
  s.timestamp = kT0 + step * n;
  s.vel_div = vel_div;
  s.prices = {{"BTCUSDT", btc}, {"ETHUSDT", 3000.0}};
  return s;
}

EngineOptions Options() {
  EngineOptions o;
  o.initial_equity = 100000;
  o.slippage_bps = 10;  // 0.1 %
  o.taker_fee_bps = 5;  // 0.05 %
  return o;
}

ScanContext Apex() {
  ScanContext c;
  c.posture = Posture::kApex;
  return c;
}

Engine MakeEngine(EngineOptions o = Options(), VelDivOptions v = {}) {
  return Engine(std::move(o), NewVelDivStrategy(v));
}

TEST(EngineTest, EntersShortOnVelDivAndFillsAtTheNextScanWithSlippageAndFee) {
  Engine e = MakeEngine();
  auto r1 = e.OnScan(MakeScan(1, -0.03, 60000), Apex());
  ASSERT_OK(r1);
  ASSERT_THAT(r1->intents, SizeIs(1));
  const OrderIntent& o = r1->intents[0];
  EXPECT_EQ(o.client_order_id, "BLUE-1700000000000000-1-0");
  EXPECT_EQ(o.side, Side::kSell);
  EXPECT_FALSE(o.reducing);
  EXPECT_DOUBLE_EQ(o.qty, 100000 * 0.5 / 60000);  // size_fraction 0.5, APEX 1.0
  EXPECT_THAT(r1->fills, IsEmpty());
  EXPECT_THAT(e.pending(), SizeIs(1));

  auto r2 = e.OnScan(MakeScan(2, -0.01, 61000), Apex());
  ASSERT_OK(r2);
  ASSERT_THAT(r2->fills, SizeIs(1));
  const Fill& f = r2->fills[0];
  EXPECT_DOUBLE_EQ(f.price, 61000 * (1 - 0.001));  // a sell fills lower
  EXPECT_DOUBLE_EQ(f.fee, f.qty * f.price * 0.0005);
  EXPECT_EQ(f.scan_number, 2);
  ASSERT_EQ(e.positions().count("BTCUSDT"), 1u);
  EXPECT_DOUBLE_EQ(e.positions().at("BTCUSDT").qty, -o.qty);
  EXPECT_DOUBLE_EQ(e.equity(), 100000 + o.qty * f.price - f.fee - o.qty * 61000);
}

TEST(EngineTest, ExitsWhenVelDivRecoversAndCountsTheRoundTrip) {
  Engine e = MakeEngine();
  ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex()));
  ASSERT_OK(e.OnScan(MakeScan(2, -0.01, 60000), Apex()));  // filled, holding
  auto r3 = e.OnScan(MakeScan(3, 0.01, 59800), Apex());    // vel_div >= 0: exit
  ASSERT_OK(r3);
  ASSERT_THAT(r3->intents, SizeIs(1));
  EXPECT_TRUE(r3->intents[0].reducing);
  EXPECT_EQ(r3->intents[0].side, Side::kBuy);
  EXPECT_THAT(r3->intents[0].reason, HasSubstr("exit: vel_div="));
  auto r4 = e.OnScan(MakeScan(4, 0.0, 58000), Apex());
  ASSERT_OK(r4);
  ASSERT_THAT(r4->fills, SizeIs(1));
  EXPECT_GT(r4->fills[0].realized_pnl, 0);  // short from ~59940 covered at ~58058
  EXPECT_TRUE(e.positions().empty());
  EXPECT_EQ(e.wins(), 1);
  EXPECT_EQ(e.losses(), 0);
  EXPECT_EQ(e.fills_total(), 2);
  EXPECT_NEAR(e.equity(), 100000 + e.realized_total() - e.fees_total(), 1e-6);
}

TEST(EngineTest, SignalScanFillsImmediately) {
  EngineOptions o = Options();
  o.fill_price = FillPrice::kSignalScan;
  Engine e = MakeEngine(o);
  auto r = e.OnScan(MakeScan(1, -0.03, 60000), Apex());
  ASSERT_OK(r);
  ASSERT_THAT(r->fills, SizeIs(1));
  EXPECT_DOUBLE_EQ(r->fills[0].price, 60000 * 0.999);
  EXPECT_THAT(e.pending(), IsEmpty());
}

TEST(EngineTest, TakeProfitStopLossAndMaxHoldExit) {
  VelDivOptions v;
  v.take_profit_pct = 1.0;
  v.stop_loss_pct = 0.5;
  v.max_hold_scans = 10;
  {
    Engine e = MakeEngine(Options(), v);
    ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex()));
    ASSERT_OK(e.OnScan(MakeScan(2, -0.03, 60000), Apex()));
    auto r = e.OnScan(MakeScan(3, -0.03, 59000), Apex());  // short gained ~1.6 %
    ASSERT_OK(r);
    ASSERT_THAT(r->intents, SizeIs(1));
    EXPECT_THAT(r->intents[0].reason, HasSubstr("take_profit"));
  }
  {
    Engine e = MakeEngine(Options(), v);
    ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex()));
    ASSERT_OK(e.OnScan(MakeScan(2, -0.03, 60000), Apex()));
    auto r = e.OnScan(MakeScan(3, -0.03, 60500), Apex());  // short lost ~0.9 %
    ASSERT_OK(r);
    ASSERT_THAT(r->intents, SizeIs(1));
    EXPECT_THAT(r->intents[0].reason, HasSubstr("stop_loss"));
  }
  {
    Engine e = MakeEngine(Options(), v);
    ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex()));
    ASSERT_OK(e.OnScan(MakeScan(2, -0.03, 60000), Apex()));
    // Holding counts scan-number differences: scan 12 is 10 scans after the fill at 2.
    auto r = e.OnScan(MakeScan(12, -0.03, 60000), Apex());
    ASSERT_OK(r);
    ASSERT_THAT(r->intents, SizeIs(1));
    EXPECT_THAT(r->intents[0].reason, HasSubstr("max_hold 10"));
    EXPECT_EQ(r->missed_before, 9);
  }
}

TEST(EngineTest, PostureScalesEntrySizeAndRm) {
  for (auto [posture, scale] : {std::pair{Posture::kApex, 1.0}, std::pair{Posture::kStalker, 0.5},
                                std::pair{Posture::kTurtle, 0.25}}) {
    Engine e = MakeEngine();
    ScanContext c;
    c.posture = posture;
    c.rm = 0.8;
    auto r = e.OnScan(MakeScan(1, -0.03, 50000), c);
    ASSERT_OK(r);
    ASSERT_THAT(r->intents, SizeIs(1)) << PostureName(posture);
    EXPECT_DOUBLE_EQ(r->intents[0].qty, 100000 * 0.5 * scale * 0.8 / 50000);
  }
}

TEST(EngineTest, HibernateClosesPositionsAndEntersNothing) {
  Engine e = MakeEngine();
  ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex()));
  ASSERT_OK(e.OnScan(MakeScan(2, -0.03, 60000), Apex()));
  ScanContext h;
  h.posture = Posture::kHibernate;
  auto r = e.OnScan(MakeScan(3, -0.05, 60000), h);
  ASSERT_OK(r);
  EXPECT_EQ(r->state, TradingState::kReducing);
  EXPECT_TRUE(r->closed_everything);
  ASSERT_THAT(r->intents, SizeIs(1));
  EXPECT_TRUE(r->intents[0].reducing);
  ASSERT_OK(e.OnScan(MakeScan(4, -0.05, 60000), h));
  EXPECT_TRUE(e.positions().empty());
  auto r5 = e.OnScan(MakeScan(5, -0.05, 60000), h);
  ASSERT_OK(r5);
  EXPECT_THAT(r5->intents, IsEmpty());
}

TEST(EngineTest, StalePostureReducesButStillExits) {
  Engine e = MakeEngine();
  ScanContext stale = Apex();
  stale.posture_stale = true;
  auto r1 = e.OnScan(MakeScan(1, -0.03, 60000), stale);
  ASSERT_OK(r1);
  EXPECT_EQ(r1->state, TradingState::kReducing);
  EXPECT_THAT(r1->intents, IsEmpty());
  ASSERT_THAT(r1->rejections, SizeIs(1));
  EXPECT_THAT(r1->rejections[0].ToString(), HasSubstr("reducing: no entry"));
  EXPECT_EQ(r1->rejections[0].rule, RiskRule::kReducing);
  EXPECT_THAT(e.StateJson(kT0)["status"].get<std::string>(), HasSubstr("posture missing or stale"));

  ASSERT_OK(e.OnScan(MakeScan(2, -0.03, 60000), Apex()));  // enters
  ASSERT_OK(e.OnScan(MakeScan(3, -0.03, 60000), Apex()));  // filled
  auto r4 = e.OnScan(MakeScan(4, 0.05, 60000), stale);
  ASSERT_OK(r4);
  ASSERT_THAT(r4->intents, SizeIs(1));
  EXPECT_TRUE(r4->intents[0].reducing);
}

TEST(EngineTest, HaltSendsNothingAndFlattenClosesEverything) {
  Engine e = MakeEngine();
  ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex()));
  ASSERT_OK(e.OnScan(MakeScan(2, -0.03, 60000), Apex()));
  ScanContext halted = Apex();
  halted.halted = true;
  auto r3 = e.OnScan(MakeScan(3, 0.05, 60000), halted);  // exit signal, but halted
  ASSERT_OK(r3);
  EXPECT_EQ(r3->state, TradingState::kHalted);
  EXPECT_THAT(r3->intents, IsEmpty());
  EXPECT_THAT(r3->rejections[0].ToString(), HasSubstr("halted"));
  EXPECT_EQ(r3->rejections[0].rule, RiskRule::kHalted);
  ScanContext flatten = halted;
  flatten.flatten = true;
  auto r4 = e.OnScan(MakeScan(4, -0.05, 60000), flatten);
  ASSERT_OK(r4);
  ASSERT_THAT(r4->intents, SizeIs(1));
  EXPECT_EQ(r4->intents[0].reason, "flatten");
  ASSERT_OK(e.OnScan(MakeScan(5, -0.05, 60000), halted));
  EXPECT_TRUE(e.positions().empty());
}

TEST(EngineTest, RateLimitBlocksEntriesButNeverExits) {
  EngineOptions o = Options();
  o.max_orders_per_minute = 2;
  o.fill_price = FillPrice::kSignalScan;
  VelDivOptions v;
  v.exit_threshold = -0.025;  // enter at -0.03, exit at -0.02: one order per scan
  Engine e = MakeEngine(o, v);
  Duration step = std::chrono::seconds(1);
  auto r1 = e.OnScan(MakeScan(1, -0.03, 60000, kEpoch, step), Apex());  // entry (1)
  auto r2 = e.OnScan(MakeScan(2, -0.02, 60000, kEpoch, step), Apex());  // exit (2)
  auto r3 = e.OnScan(MakeScan(3, -0.03, 60000, kEpoch, step), Apex());  // entry blocked
  ASSERT_OK(r1);
  ASSERT_OK(r2);
  ASSERT_OK(r3);
  EXPECT_THAT(r3->intents, IsEmpty());
  ASSERT_THAT(r3->rejections, SizeIs(1));
  EXPECT_THAT(r3->rejections[0].ToString(), HasSubstr("max_orders_per_minute"));
  EXPECT_EQ(r3->rejections[0].rule, RiskRule::kOrderRate);
  // 61 s later the window has room again.
  auto r4 = e.OnScan(MakeScan(64, -0.03, 60000, kEpoch, step), Apex());
  ASSERT_OK(r4);
  EXPECT_THAT(r4->intents, SizeIs(1));
  // Now at the limit with a position open: the exit still goes out.
  auto r5 = e.OnScan(MakeScan(65, -0.02, 60000, kEpoch, step), Apex());
  ASSERT_OK(r5);
  auto r6 = e.OnScan(MakeScan(66, -0.03, 60000, kEpoch, step), Apex());  // blocked (3rd)
  ASSERT_OK(r6);
  EXPECT_THAT(r6->intents, IsEmpty());
}

TEST(EngineTest, MaxNotionalClipsAndDailyLossReduces) {
  EngineOptions o = Options();
  o.max_notional = 10000;
  o.max_daily_loss_pct = 1.0;
  VelDivOptions v;
  v.stop_loss_pct = 50;  // let the loss run
  Engine e = MakeEngine(o, v);
  auto r1 = e.OnScan(MakeScan(1, -0.03, 50000), Apex());
  ASSERT_OK(r1);
  ASSERT_THAT(r1->intents, SizeIs(1));
  EXPECT_DOUBLE_EQ(r1->intents[0].qty, 10000.0 / 50000);
  EXPECT_THAT(r1->rejections[0].ToString(), HasSubstr("max_notional"));
  EXPECT_EQ(r1->rejections[0].rule, RiskRule::kMaxNotional);
  ASSERT_OK(e.OnScan(MakeScan(2, -0.03, 50000), Apex()));
  // The short loses 10 % of 10,000 = 1,000 > 1 % of 100,000.
  auto r3 = e.OnScan(MakeScan(3, -0.03, 55100), Apex());
  ASSERT_OK(r3);
  EXPECT_EQ(r3->state, TradingState::kReducing);
  EXPECT_THAT(r3->state_reason, HasSubstr("daily loss"));
}

TEST(EngineTest, StaleScanNoEntry) {
  Engine e = MakeEngine();
  ScanContext c = Apex();
  c.stale = true;
  auto r = e.OnScan(MakeScan(1, -0.03, 60000), c);
  ASSERT_OK(r);
  EXPECT_THAT(r->intents, IsEmpty());
  EXPECT_THAT(r->rejections[0].ToString(), HasSubstr("max_scan_age"));
  EXPECT_EQ(r->rejections[0].rule, RiskRule::kStaleScan);
  EXPECT_EQ(e.stale_scans(), 1);
}

TEST(EngineTest, OrderingGapsAndEpochs) {
  Engine e = MakeEngine();
  ASSERT_OK(e.OnScan(MakeScan(5, 0, 60000), Apex()));
  auto dup = e.OnScan(MakeScan(5, 0, 60000), Apex());
  EXPECT_EQ(dup.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(e.OnScan(MakeScan(4, 0, 60000), Apex()).status().code(),
            StatusCode::kFailedPrecondition);
  auto r = e.OnScan(MakeScan(9, 0, 60000), Apex());
  ASSERT_OK(r);
  EXPECT_EQ(r->missed_before, 3);
  // The same scan re-sent under another epoch is not new (its timestamp is not newer).
  EXPECT_EQ(e.OnScan(MakeScan(9, 0, 60000, kEpoch + 1), Apex()).status().code(),
            StatusCode::kFailedPrecondition);
  Scan restart = MakeScan(1, 0, 60000, kEpoch + 1);  // upstream restart: lower number, newer time
  restart.timestamp = kT0 + std::chrono::seconds(100);
  auto r2 = e.OnScan(restart, Apex());
  ASSERT_OK(r2);
  EXPECT_EQ(r2->missed_before, 0);
  EXPECT_EQ(e.missed_scans(), 3);
  EXPECT_EQ(e.StateJson(kT0)["missed_scans"], 3);
}

TEST(EngineTest, MissingPriceKeepsTheOrderPending) {
  Engine e = MakeEngine();
  ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex()));
  Scan s2 = MakeScan(2, -0.03, 60000);
  s2.prices = {{"ETHUSDT", 3000}};
  auto r2 = e.OnScan(s2, Apex());
  ASSERT_OK(r2);
  EXPECT_THAT(r2->fills, IsEmpty());
  EXPECT_THAT(e.pending(), SizeIs(1));
  auto r3 = e.OnScan(MakeScan(3, -0.03, 60000), Apex());
  ASSERT_OK(r3);
  EXPECT_THAT(r3->fills, SizeIs(1));
}

TEST(EngineTest, HooksRunBeforeAndAfterTheVenueAndAFailedJournalStopsTheSend) {
  Engine e = MakeEngine();
  std::vector<std::string> seen;
  ScanHooks hooks;
  hooks.before_send = [&](std::span<const OrderIntent> intents) {
    seen.push_back("before " + intents[0].client_order_id);
    return Status::Ok();
  };
  hooks.after_send = [&](std::span<const Fill>) { seen.push_back("after"); };
  ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex(), hooks));
  EXPECT_THAT(seen, ::testing::ElementsAre("before BLUE-1700000000000000-1-0", "after"));

  Engine f = MakeEngine();
  ScanHooks failing;
  failing.before_send = [](std::span<const OrderIntent>) { return IoError("disk full"); };
  auto r = f.OnScan(MakeScan(1, -0.03, 60000), Apex(), failing);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(f.pending(), IsEmpty());
}

// A snapshot taken after any scan, restored into a fresh engine, continues identically.
TEST(EngineTest, SnapshotRestoreContinuesIdentically) {
  std::vector<Scan> scans;
  double price = 60000;
  for (int i = 1; i <= 400; ++i) {
    price *= 1 + 0.004 * std::sin(i * 0.7);
    scans.push_back(MakeScan(i, 0.04 * std::sin(i * 0.31), price));
  }
  Engine a = MakeEngine();
  std::vector<std::string> fills_a;
  for (const Scan& s : scans) {
    auto r = a.OnScan(s, Apex());
    ASSERT_OK(r);
    for (const Fill& f : r->fills)
      fills_a.push_back(fmt::format("{} {} {}", f.client_order_id, f.qty, f.price));
  }
  ASSERT_GT(fills_a.size(), 10u);
  for (size_t cut : {size_t{1}, size_t{57}, size_t{200}, size_t{399}}) {
    Engine b = MakeEngine();
    std::vector<std::string> fills_b;
    for (size_t i = 0; i < cut; ++i) {
      auto r = b.OnScan(scans[i], Apex());
      for (const Fill& f : r->fills)
        fills_b.push_back(fmt::format("{} {} {}", f.client_order_id, f.qty, f.price));
    }
    std::string text = DumpJson(b.SaveState());
    Engine c = MakeEngine();
    ASSERT_OK(c.RestoreState(ParseJson(text).value()));
    EXPECT_EQ(DumpJson(c.SaveState()), text);
    for (size_t i = cut; i < scans.size(); ++i) {
      auto r = c.OnScan(scans[i], Apex());
      ASSERT_OK(r);
      for (const Fill& f : r->fills)
        fills_b.push_back(fmt::format("{} {} {}", f.client_order_id, f.qty, f.price));
    }
    EXPECT_EQ(fills_b, fills_a) << "cut at " << cut;
    EXPECT_EQ(c.equity(), a.equity());
  }
}

TEST(EngineTest, RestoreRefusesAnotherColourAndGarbage) {
  Engine a = MakeEngine();
  EngineOptions green = Options();
  green.color = "GREEN";
  Engine g = MakeEngine(green);
  EXPECT_THAT(g.RestoreState(a.SaveState()), testing::StatusHasMessage("colour BLUE"));
  EXPECT_FALSE(a.RestoreState(Json::object()).ok());
}

TEST(EngineTest, StateAndPnlJsonCarryTheContractFields) {
  Engine e = MakeEngine();
  ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000), Apex()));
  ASSERT_OK(e.OnScan(MakeScan(2, -0.03, 60000), Apex()));
  Json s = e.StateJson(kT0);
  for (const char* k :
       {"updated_at", "scan_number", "epoch", "trading_state", "posture", "equity", "cash",
        "positions", "last_signal", "last_order", "trades_today", "missed_scans", "status"}) {
    EXPECT_TRUE(s.contains(k)) << k;
  }
  EXPECT_EQ(s["trading_state"], "ACTIVE");
  EXPECT_EQ(s["positions"][0]["side"], "SHORT");
  Json p = e.PnlJson(kT0);
  for (const char* k : {"realized", "unrealized", "fees", "trades", "wins", "losses",
                        "max_drawdown", "equity_open", "equity_now", "updated_at"}) {
    EXPECT_TRUE(p.contains(k)) << k;
  }
  EXPECT_EQ(p["day"], "2026-03-25");
  EXPECT_EQ(p["trades"], 1);
}

TEST(EngineTest, PnlDayRollsAtUtcMidnight) {
  Engine e = MakeEngine();
  Duration hour = std::chrono::hours(1);
  ASSERT_OK(e.OnScan(MakeScan(1, -0.03, 60000, kEpoch, hour), Apex()));
  ASSERT_OK(e.OnScan(MakeScan(2, -0.01, 60000, kEpoch, hour), Apex()));
  EXPECT_EQ(e.day().day, "2026-03-25");
  EXPECT_EQ(e.day().trades, 1);
  ASSERT_OK(e.OnScan(MakeScan(14, -0.01, 60000, kEpoch, hour), Apex()));  // 10:00 + 14 h
  EXPECT_EQ(e.day().day, "2026-03-26");
  EXPECT_EQ(e.day().trades, 0);
}

// A refusal is a typed event; its text (logs, the journal's signal line) keeps the rule names.
TEST(RiskDenialTest, RulesKeepTheirLoggedSpelling) {
  EXPECT_EQ(RiskRuleName(RiskRule::kNoPrice), "no_price");
  EXPECT_EQ(RiskRuleName(RiskRule::kPending), "pending");
  EXPECT_EQ(RiskRuleName(RiskRule::kHalted), "halted");
  EXPECT_EQ(RiskRuleName(RiskRule::kReducing), "reducing");
  EXPECT_EQ(RiskRuleName(RiskRule::kStaleScan), "max_scan_age");
  EXPECT_EQ(RiskRuleName(RiskRule::kOrderRate), "max_orders_per_minute");
  EXPECT_EQ(RiskRuleName(RiskRule::kPosture), "posture");
  EXPECT_EQ(RiskRuleName(RiskRule::kMaxNotional), "max_notional");
  EXPECT_EQ((RiskDenial{RiskRule::kStaleScan, "no entry on a stale scan"}).ToString(),
            "max_scan_age: no entry on a stale scan");
}

// Outside data (issue 10): the journal's snapshot column is read back through RestoreState,
// which reports a mistyped or missing field as an error naming the snapshot, never throws.
TEST(EngineSnapshotTest, MistypedSnapshotIsAnErrorNotAnException) {
  EngineOptions o;
  Engine engine(o, NewVelDivStrategy(VelDivOptions{}));
  Json good = engine.SaveState();
  for (const char* field : {"cash", "positions", "day", "last_signal", "recent_orders_us"}) {
    Json bad = good;
    bad[field] = "not the right type";
    Engine fresh(o, NewVelDivStrategy(VelDivOptions{}));
    Status st = fresh.RestoreState(bad);
    EXPECT_FALSE(st.ok()) << field;
    EXPECT_THAT(st.message(), HasSubstr("engine snapshot")) << field;
  }
  Engine fresh(o, NewVelDivStrategy(VelDivOptions{}));
  EXPECT_FALSE(fresh.RestoreState(Json::array()).ok());
  EXPECT_FALSE(fresh.RestoreState(Json::object()).ok());
}

}  // namespace
}  // namespace dolphin::trader
