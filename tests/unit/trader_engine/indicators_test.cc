// The trader's indicator inputs: reading DOLPHIN_FEATURES' obf and ExtF values for the strategy's
// asset, their ages, their journal text, and the vel_div gates that decide on them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "dolphin/core/config.h"
#include "dolphin/testing/testing.h"
#include "dolphin/trader/engine.h"
#include "dolphin/trader/indicator_inputs.h"
#include "dolphin/trader/trader_options.h"

namespace dolphin::trader {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const Timestamp kPushed = Timestamp::FromUnixMicros(1774432800000000);  // 2026-03-25T10:00:00Z

// ob_features_latest and exf_latest as the indicator flows publish them (docs/indicators.md §4).
Json ObFeatures() {
  return ParseJson(R"({
    "BTCUSDT": {"mid": 100.01, "spread_bps": 1.9998, "imbalance_5": 0.25, "imbalance_20": -0.1,
                "depth_bid_10bps": 25000.5, "depth_ask_10bps": 18000, "depth_10bps_complete": true,
                "best_bid": 100.0, "best_ask": 100.02, "levels": 20, "last_update_id": 17,
                "ts": "2026-03-25T09:59:59.500000+00:00"},
    "ETHUSDT": {"mid": 3500.5, "spread_bps": 0.3},
    "_pushed_at": "2026-03-25T10:00:00.000000+00:00", "_source_ts": "2026-03-25T09:59:59.500000+00:00",
    "_flow_run_id": "run-1"})")
      .value();
}

Json Exf() {
  return ParseJson(R"({
    "funding": {"BTCUSDT": {"rate": -0.0006, "mark_price": 64213.41}, "ETHUSDT": {"rate": 0.0001},
                "_pushed_at": "2026-03-25T09:59:00.000000+00:00", "_source_ts": "x", "_flow_run_id": "r"},
    "dvol": {"BTC": {"value": 52.1, "ts": "2026-03-25T09:58:00+00:00"},
             "_pushed_at": "2026-03-25T09:58:30.000000+00:00"},
    "fear_greed": {"value": 47, "classification": "Neutral",
                   "_pushed_at": "2026-03-25T09:00:00.000000+00:00"},
    "_pushed_at": "2026-03-25T09:00:00.000000+00:00"})")
      .value();
}

TEST(IndicatorInputsTest, ReadsTheAssetsValuesAndEachSourcesAge) {
  const Json ob = ObFeatures(), exf = Exf();
  const IndicatorReading r = ReadIndicators("BTCUSDT", &ob, &exf);
  const IndicatorValues v = IndicatorsAt(r, kPushed + std::chrono::milliseconds(2500));
  EXPECT_THAT(
      v, UnorderedElementsAre(Pair("obf.mid", 100.01), Pair("obf.spread_bps", 1.9998),
                              Pair("obf.imbalance_5", 0.25), Pair("obf.imbalance_20", -0.1),
                              Pair("obf.depth_bid_10bps", 25000.5),
                              Pair("obf.depth_ask_10bps", 18000.0), Pair("obf.age_s", 2.5),
                              Pair("funding.rate", -0.0006), Pair("funding.age_s", 62.5),
                              Pair("dvol.value", 52.1), Pair("dvol.age_s", 92.5),
                              Pair("fear_greed.value", 47.0), Pair("fear_greed.age_s", 3602.5)));
  // Another asset: its own book and funding; no DVOL for ETH in this value.
  const IndicatorValues eth = IndicatorsAt(ReadIndicators("ETHUSDT", &ob, &exf), kPushed);
  EXPECT_EQ(eth.at("obf.spread_bps"), 0.3);
  EXPECT_EQ(eth.at("funding.rate"), 0.0001);
  EXPECT_FALSE(eth.contains("dvol.value"));
  EXPECT_FALSE(eth.contains("dvol.age_s"));
}

TEST(IndicatorInputsTest, NothingOnTheBusOrUnreadableValuesGiveNoValues) {
  EXPECT_THAT(IndicatorsAt(ReadIndicators("BTCUSDT", nullptr, nullptr), kPushed), IsEmpty());
  // No _pushed_at (or an unreadable one): a value of unknown age is not taken.
  Json ob = ObFeatures();
  ob.erase("_pushed_at");
  EXPECT_THAT(IndicatorsAt(ReadIndicators("BTCUSDT", &ob, nullptr), kPushed), IsEmpty());
  ob["_pushed_at"] = "yesterday";
  EXPECT_THAT(IndicatorsAt(ReadIndicators("BTCUSDT", &ob, nullptr), kPushed), IsEmpty());
  // Strings, nulls and non-objects in place of numbers are skipped, the rest kept.
  ob = ObFeatures();
  ob["BTCUSDT"]["spread_bps"] = "1.9";
  ob["BTCUSDT"]["mid"] = nullptr;
  const IndicatorValues v = IndicatorsAt(ReadIndicators("BTCUSDT", &ob, nullptr), kPushed);
  EXPECT_FALSE(v.contains("obf.spread_bps"));
  EXPECT_FALSE(v.contains("obf.mid"));
  EXPECT_EQ(v.at("obf.imbalance_5"), 0.25);
  Json odd = Json::array({1, 2});
  EXPECT_THAT(IndicatorsAt(ReadIndicators("BTCUSDT", &odd, &odd), kPushed), IsEmpty());
  // An asset the book does not have.
  EXPECT_THAT(IndicatorsAt(ReadIndicators("SOLUSDT", &ob, nullptr), kPushed), IsEmpty());
}

TEST(IndicatorInputsTest, BaseCurrencyOfASymbol) {
  EXPECT_EQ(BaseCurrency("BTCUSDT"), "BTC");
  EXPECT_EQ(BaseCurrency("ETHUSDC"), "ETH");
  EXPECT_EQ(BaseCurrency("BNBFDUSD"), "BNB");
  EXPECT_EQ(BaseCurrency("XBTUSD"), "XBT");
  EXPECT_EQ(BaseCurrency("USDT"), "");
  EXPECT_EQ(BaseCurrency("BTCEUR"), "");
}

TEST(IndicatorInputsTest, JournalTextRoundTripsEveryFiniteDoubleExactly) {
  const IndicatorValues values = {{"a", 0.1 + 0.2},
                                  {"b", 1e-300},
                                  {"c", -0.0},
                                  {"d", 0.0},
                                  {"e", 3.0},
                                  {"f", -1e300},
                                  {"g", 123456789012345678.0},
                                  {"h", std::numeric_limits<double>::denorm_min()},
                                  {"i", std::numeric_limits<double>::max()},
                                  {"j\"k", -2.5}};
  const std::string text = IndicatorsToJson(values);
  auto back = IndicatorsFromJson(text);
  ASSERT_OK(back);
  ASSERT_EQ(back->size(), values.size()) << text;
  for (const auto& [name, v] : values) {
    SCOPED_TRACE(name);
    EXPECT_EQ(std::bit_cast<uint64_t>(back->at(name)), std::bit_cast<uint64_t>(v)) << text;
  }
  EXPECT_EQ(IndicatorsToJson({}), "{}");
}

TEST(IndicatorInputsTest, JournalTextThatIsNotAnObjectOfNumbersIsRefused) {
  EXPECT_THAT(IndicatorsFromJson("[1]").status(),
              testing::StatusHasMessage("expected a JSON object"));
  EXPECT_THAT(IndicatorsFromJson(R"({"obf.mid":"1"})").status(),
              testing::StatusHasMessage("obf.mid: expected a number, got \"1\""));
  EXPECT_THAT(IndicatorsFromJson(R"({"obf.mid":null})").status(),
              testing::StatusHasMessage("expected a number"));
  EXPECT_FALSE(IndicatorsFromJson("{").ok());
}

// --- the vel_div gates ---

constexpr int64_t kEpoch = 1700000000000000;
const Timestamp kT0 = Timestamp::FromUnixSeconds(1774432800);

Scan MakeScan(int64_t n, double vel_div, double btc = 60000) {
  Scan s;
  s.epoch = kEpoch;
  s.scan_number = n;
  s.timestamp = kT0 + std::chrono::seconds(5) * n;
  s.vel_div = vel_div;
  s.prices = {{"BTCUSDT", btc}};
  return s;
}

// Fresh values of an ordinary book: 2 bps spread, deep on both sides, funding +0.0001.
IndicatorValues Fresh() {
  return {{"obf.spread_bps", 2.0},          {"obf.depth_bid_10bps", 50000.0},
          {"obf.depth_ask_10bps", 40000.0}, {"obf.age_s", 0.8},
          {"funding.rate", 0.0001},         {"funding.age_s", 30.0}};
}

ScanContext With(IndicatorValues values) {
  ScanContext c;
  c.posture = Posture::kApex;
  c.indicators = std::move(values);
  return c;
}

StrategyDecision Decide(VelDivOptions o, const IndicatorValues& values, double vel_div = -0.03) {
  Engine e(EngineOptions{}, NewVelDivStrategy(o));
  auto r = e.OnScan(MakeScan(1, vel_div), With(values));
  EXPECT_OK(r);
  return r.ok() ? r->decision : StrategyDecision{};
}

using Action = StrategyDecision::Action;

TEST(VelDivGatesTest, NoGateConfiguredIgnoresTheIndicators) {
  EXPECT_EQ(Decide({}, {}).action, Action::kEnter);
  IndicatorValues wide = Fresh();
  wide["obf.spread_bps"] = 500;
  EXPECT_EQ(Decide({}, wide).action, Action::kEnter);
}

TEST(VelDivGatesTest, MaxSpreadHoldsBackAnEntryOnAWideBook) {
  VelDivOptions o;
  o.max_spread_bps = 5;
  EXPECT_EQ(Decide(o, Fresh()).action, Action::kEnter);
  IndicatorValues wide = Fresh();
  wide["obf.spread_bps"] = 7.25;
  StrategyDecision d = Decide(o, wide);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.gated_by, "max_spread_bps");
  EXPECT_THAT(d.reason, HasSubstr("vel_div=-0.03 <= -0.02; held back by max_spread_bps: "
                                  "obf.spread_bps=7.25 > 5"));
  wide["obf.spread_bps"] = 5;  // at the limit: passes
  EXPECT_EQ(Decide(o, wide).action, Action::kEnter);
  // No entry signal: nothing to hold back, no gate named.
  EXPECT_EQ(Decide(o, wide, -0.001).gated_by, "");
}

TEST(VelDivGatesTest, MissingOrStaleValuesBlockOrPassAsConfigured) {
  VelDivOptions o;
  o.max_spread_bps = 5;
  o.max_obf_age_s = 10;
  StrategyDecision d = Decide(o, {});
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_THAT(d.reason, HasSubstr("max_spread_bps: obf.spread_bps is not on the bus"));
  IndicatorValues old = Fresh();
  old["obf.age_s"] = 12.5;
  d = Decide(o, old);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_THAT(d.reason, HasSubstr("obf.spread_bps is 12.5 s old (max 10 s)"));
  // A little in the future is clock jitter; beyond the age allowance the age is unknown.
  IndicatorValues ahead = Fresh();
  ahead["obf.age_s"] = -0.5;
  EXPECT_EQ(Decide(o, ahead).action, Action::kEnter);
  ahead["obf.age_s"] = -11;
  EXPECT_THAT(Decide(o, ahead).reason,
              HasSubstr("obf.spread_bps is stamped 11.0 s in the future (clocks disagree)"));
  o.block_on_missing = false;
  EXPECT_EQ(Decide(o, {}).action, Action::kEnter);
  EXPECT_EQ(Decide(o, old).action, Action::kEnter);
  // "allow" lets a missing value pass, never a present one beyond the limit.
  IndicatorValues wide = Fresh();
  wide["obf.spread_bps"] = 9;
  EXPECT_EQ(Decide(o, wide).action, Action::kHold);
}

TEST(VelDivGatesTest, AdverseFundingDependsOnTheEntrySide) {
  VelDivOptions o;
  o.max_adverse_funding = 0.0005;
  IndicatorValues v = Fresh();
  // A short pays a negative rate.
  v["funding.rate"] = -0.0006;
  StrategyDecision d = Decide(o, v);
  EXPECT_EQ(d.gated_by, "max_adverse_funding");
  EXPECT_THAT(d.reason, HasSubstr("funding.rate=-0.0006 against a short by more than 0.0005"));
  v["funding.rate"] = 0.002;  // a short receives it
  EXPECT_EQ(Decide(o, v).action, Action::kEnter);
  // A long pays a positive rate.
  o.direction = Side::kBuy;
  o.entry_threshold = -0.02;
  o.exit_threshold = 0.01;
  EXPECT_EQ(Decide(o, v).gated_by, "max_adverse_funding");
  v["funding.rate"] = -0.002;
  EXPECT_EQ(Decide(o, v).action, Action::kEnter);
  // Funding is judged by its own age limit.
  v["funding.age_s"] = 400;
  EXPECT_THAT(Decide(o, v).reason, HasSubstr("funding.rate is 400.0 s old (max 300 s)"));
}

TEST(VelDivGatesTest, MinDepthReadsTheSideTheEntryTakes) {
  VelDivOptions o;
  o.min_depth_10bps = 45000;
  // A short sells into the bids (50 000 deep): passes; a long buys the asks (40 000): held.
  EXPECT_EQ(Decide(o, Fresh()).action, Action::kEnter);
  o.direction = Side::kBuy;
  o.exit_threshold = 0.01;
  StrategyDecision d = Decide(o, Fresh());
  EXPECT_EQ(d.gated_by, "min_depth_10bps");
  EXPECT_THAT(d.reason, HasSubstr("obf.depth_ask_10bps=40000 < 45000"));
}

TEST(VelDivGatesTest, GatesNeverHoldAnExit) {
  VelDivOptions o;
  o.max_spread_bps = 5;
  Engine e(EngineOptions{}, NewVelDivStrategy(o));
  ASSERT_OK(e.OnScan(MakeScan(1, -0.03), With(Fresh())));
  ASSERT_OK(e.OnScan(MakeScan(2, -0.03), With(Fresh())));  // filled: short
  ASSERT_EQ(e.positions().size(), 1u);
  auto r = e.OnScan(MakeScan(3, 0.01), With({}));  // vel_div recovered; no book at all
  ASSERT_OK(r);
  EXPECT_EQ(r->decision.action, Action::kExit);
  EXPECT_EQ(r->intents.size(), 1u);
}

TEST(VelDivGatesTest, OptionsParseWithRangesAndShowInConfigShow) {
  auto parse = [](std::string_view toml, ConfigDiagnostics* diag) {
    auto config = Config::LoadString(toml, "t.toml", "/cfg");
    EXPECT_OK(config);
    return ParseTraderSetup(config->Root(diag).Sub("trader"), "/state");
  };
  ConfigDiagnostics diag;
  auto setup = parse(
      "[trader.BLUE]\nmax_spread_bps = 4.5\nmax_adverse_funding = 0.0005\nmin_depth_10bps = 1e5\n"
      "max_obf_age_s = 3\nmax_exf_age_s = 120\non_missing_indicator = \"allow\"\n",
      &diag);
  ASSERT_OK(setup);
  const VelDivOptions& o = setup->traders.at(0).vel_div;
  EXPECT_EQ(o.max_spread_bps, 4.5);
  EXPECT_EQ(o.max_adverse_funding, 0.0005);
  EXPECT_EQ(o.min_depth_10bps, 1e5);
  EXPECT_EQ(o.max_obf_age_s, 3);
  EXPECT_EQ(o.max_exf_age_s, 120);
  EXPECT_FALSE(o.block_on_missing);
  EXPECT_TRUE(o.AnyGate());
  EXPECT_FALSE(VelDivOptions{}.AnyGate());
  ConfigWriter out;
  WriteTraderSetup(*setup, out);
  EXPECT_THAT(out.text(), HasSubstr("max_spread_bps = 4.5"));
  EXPECT_THAT(out.text(), HasSubstr("on_missing_indicator = \"allow\""));

  ConfigDiagnostics bad_diag;
  EXPECT_FALSE(
      parse("[trader]\nmax_spread_bps = -1\non_missing_indicator = \"maybe\"\n", &bad_diag).ok());
  ASSERT_EQ(bad_diag.errors().size(), 2u);
  EXPECT_THAT(bad_diag.errors()[0], HasSubstr("max_spread_bps"));
  EXPECT_THAT(bad_diag.errors()[1], HasSubstr("on_missing_indicator"));
}

}  // namespace
}  // namespace dolphin::trader
