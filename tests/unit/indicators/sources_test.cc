// The sources' parsers and schema checks, and the order-book formulas (DESIGN §10).
#include "dolphin/indicators/sources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_samples.h"
#include "dolphin/testing/testing.h"

namespace dolphin::indicators {
namespace {

using ::testing::HasSubstr;
const Timestamp kNow = Timestamp::FromUnixSeconds(samples::kNowUnixS);

TEST(FundingTest, GoodResponseGivesExactFields) {
  auto p =
      ParseFunding(samples::Premium("BTCUSDT", "0.00010000", "64213.41000000"), "BTCUSDT", kNow);
  ASSERT_OK(p);
  EXPECT_EQ(p->symbol, "BTCUSDT");
  EXPECT_EQ(p->rate, 0.0001);
  EXPECT_EQ(p->mark_price, 64213.41);
  EXPECT_EQ(p->index_price, 64240.12345678);
  EXPECT_EQ(FormatRfc3339(p->ts), "2024-06-10T03:28:43.000000+00:00");
  EXPECT_EQ(FormatRfc3339(p->next_funding_time), "2024-06-10T08:00:00.000000+00:00");
  EXPECT_EQ(FundingUrl("https://fapi.binance.com/", "BTCUSDT"),
            "https://fapi.binance.com/fapi/v1/premiumIndex?symbol=BTCUSDT");
}

TEST(FundingTest, SchemaFailuresNameTheField) {
  struct Case {
    std::string body;
    std::string want;
  };
  const std::string good = samples::Premium("BTCUSDT", "0.00010000", "64213.41000000");
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const Case cases[] = {
      {replace(R"("markPrice":"64213.41000000")", R"("markPrice":64213.41)"),
       "markPrice: expected a decimal string"},
      {replace(R"("lastFundingRate":"0.00010000")", R"("lastFundingRate":"NaN")"),
       "lastFundingRate: expected a finite"},
      {replace(R"("lastFundingRate":"0.00010000")", R"("lastFundingRate":"")"), "not a perpetual"},
      {replace(R"("lastFundingRate":"0.00010000")", R"("lastFundingRate":"0.5")"),
       "lastFundingRate: expected a value in"},
      {replace(R"("markPrice":"64213.41000000",)", ""),
       "markPrice: expected the field, got nothing (missing)"},
      {replace(R"("symbol":"BTCUSDT")", R"("symbol":"ETHUSDT")"), "symbol: expected \"BTCUSDT\""},
      {replace("1717990123000", "1917990123000"), "time: expected a time between 2017 and now"},
      {replace(R"("time":1717990123000)", R"("time":"1717990123000")"),
       "time: expected an integer"},
      {good.substr(0, good.size() / 2), "not valid JSON"},
      {"[" + good + "]", "expected one object"},
      {R"({"code":-1121,"msg":"Invalid symbol."})", "Binance error -1121: Invalid symbol."},
      {"", "not valid JSON"},
  };
  for (const Case& c : cases) {
    auto p = ParseFunding(c.body, "BTCUSDT", kNow);
    ASSERT_FALSE(p.ok()) << c.body;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(p.status().message(), HasSubstr(c.want)) << c.body;
  }
}

TEST(DvolTest, NewestCandleClose) {
  auto p = ParseDvol(samples::kDvolBtc, "BTC", kNow);
  ASSERT_OK(p);
  EXPECT_EQ(p->value, 52.10);
  EXPECT_EQ(FormatRfc3339(p->ts), "2024-06-10T02:37:00.000000+00:00");
  EXPECT_EQ(
      DvolUrl("https://www.deribit.com/api/v2", "BTC", kNow),
      "https://www.deribit.com/api/v2/public/get_volatility_index_data?currency=BTC&start_timestamp=1717986540000"
      "&end_timestamp=1717990140000&resolution=60");
}

TEST(DvolTest, Failures) {
  EXPECT_THAT(ParseDvol(samples::kDvolError, "BTC", kNow).status().message(),
              HasSubstr("JSON-RPC error -32602: Invalid params"));
  EXPECT_THAT(
      ParseDvol(R"({"jsonrpc":"2.0","result":{"data":[],"continuation":null}})", "BTC", kNow)
          .status()
          .message(),
      HasSubstr("at least one candle"));
  EXPECT_THAT(
      ParseDvol(R"({"jsonrpc":"2.0","result":{"data":[[1717987020000,1,2,3]]}})", "BTC", kNow)
          .status()
          .message(),
      HasSubstr("result.data[0]: expected [ts, open, high, low, close]"));
  EXPECT_THAT(
      ParseDvol(R"({"jsonrpc":"2.0","result":{"data":[[1717987020000,1,2,3,"4"]]}})", "BTC", kNow)
          .status()
          .message(),
      HasSubstr("result.data[0][4]: expected a finite number"));
  EXPECT_THAT(
      ParseDvol(R"({"jsonrpc":"2.0","result":{"data":[[1717987020000,1,2,3,-4]]}})", "BTC", kNow)
          .status()
          .message(),
      HasSubstr("expected a value in"));
  EXPECT_THAT(ParseDvol(R"({"jsonrpc":"2.0"})", "BTC", kNow).status().message(),
              HasSubstr("result: expected the field"));
}

TEST(FearGreedTest, GoodAndBad) {
  auto p = ParseFearGreed(samples::kFearGreed, kNow);
  ASSERT_OK(p);
  EXPECT_EQ(p->value, 47);
  EXPECT_EQ(p->classification, "Neutral");
  EXPECT_EQ(FormatRfc3339(p->ts), "2024-06-10T00:00:00.000000+00:00");
  EXPECT_EQ(FearGreedUrl("https://api.alternative.me"), "https://api.alternative.me/fng/?limit=1");
  std::string s = samples::kFearGreed;
  EXPECT_THAT(
      ParseFearGreed(std::string(s).replace(s.find("\"47\""), 4, "47"), kNow).status().message(),
      HasSubstr("data[0].value: expected a decimal string"));
  EXPECT_THAT(ParseFearGreed(std::string(s).replace(s.find("\"47\""), 4, "\"147\""), kNow)
                  .status()
                  .message(),
              HasSubstr("expected a value in [0, 100]"));
  EXPECT_THAT(
      ParseFearGreed(std::string(s).replace(s.find("Neutral"), 7, "Calm"), kNow).status().message(),
      HasSubstr("value_classification"));
  EXPECT_THAT(ParseFearGreed(R"({"name":"x","data":[],"metadata":{"error":null}})", kNow)
                  .status()
                  .message(),
              HasSubstr("data: expected a non-empty array"));
  EXPECT_THAT(
      ParseFearGreed(R"({"data":[],"metadata":{"error":"rate limited"}})", kNow).status().message(),
      HasSubstr("metadata.error: \"rate limited\""));
}

TEST(DepthTest, FeaturesByTheFormulas) {
  auto book = ParseDepth(samples::kDepth, "BTCUSDT", kNow);
  ASSERT_OK(book);
  ASSERT_EQ(book->bids.size(), 3u);
  EXPECT_EQ(book->last_update_id, 272144015637);
  const ObFeatures f = ComputeObFeatures(*book);
  EXPECT_DOUBLE_EQ(f.mid, 100.01);
  EXPECT_DOUBLE_EQ(f.spread_bps, (100.02 - 100.00) / 100.01 * 1e4);
  // Top 5 (and 20) levels: bids 2 + 1 + 7 = 10, asks 1 + 3 + 4 = 8.
  EXPECT_DOUBLE_EQ(f.imbalance_5, 2.0 / 18.0);
  EXPECT_DOUBLE_EQ(f.imbalance_20, 2.0 / 18.0);
  // Within 10 bps of 100.01: bids >= 99.90999 (100.00, 99.95), asks <= 100.11001 (100.02, 100.05).
  EXPECT_DOUBLE_EQ(f.depth_bid_10bps, 100.00 * 2 + 99.95 * 1);
  EXPECT_DOUBLE_EQ(f.depth_ask_10bps, 100.02 * 1 + 100.05 * 3);
  EXPECT_TRUE(f.depth_10bps_complete);
  Json j = ObFeaturesJson(*book, f);
  for (const char* k :
       {"spread_bps", "mid", "imbalance_5", "imbalance_20", "depth_bid_10bps", "depth_ask_10bps"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["ts"], "2024-06-10T03:28:40.851000+00:00");
  EXPECT_EQ(DepthUrl("https://fapi.binance.com", "ETHUSDT", 20),
            "https://fapi.binance.com/fapi/v1/depth?symbol=ETHUSDT&limit=20");
}

TEST(DepthTest, ImbalanceUsesOnlyTheTopLevels) {
  OrderBook b;
  for (int i = 0; i < 25; ++i) {
    b.bids.emplace_back(100.0 - i * 0.01, i < 5 ? 1.0 : 10.0);
    b.asks.emplace_back(100.01 + i * 0.01, 1.0);
  }
  const ObFeatures f = ComputeObFeatures(b);
  EXPECT_DOUBLE_EQ(f.imbalance_5, 0.0);
  EXPECT_DOUBLE_EQ(f.imbalance_20, (5.0 + 150.0 - 20.0) / (5.0 + 150.0 + 20.0));
  EXPECT_TRUE(f.depth_10bps_complete);
  b.bids.resize(3);
  EXPECT_FALSE(ComputeObFeatures(b).depth_10bps_complete);  // the book ended inside the band
}

TEST(DepthTest, Failures) {
  const std::string s = samples::kDepth;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = s;
    t.replace(t.find(from), from.size(), to);
    return ParseDepth(t, "BTCUSDT", kNow).status().message();
  };
  EXPECT_THAT(with(R"(["100.02","1"])", R"(["99.99","1"])"),
              HasSubstr("a best bid below the best ask"));
  EXPECT_THAT(with(R"(["99.95","1"])", R"(["100.50","1"])"),
              HasSubstr("bids in descending price order"));
  EXPECT_THAT(with(R"(["100.05","3"])", R"(["100.05","nan"])"),
              HasSubstr("asks[1][1]: expected a finite decimal"));
  EXPECT_THAT(with(R"(["100.05","3"])", R"(["100.05",3])"),
              HasSubstr("asks[1][1]: expected a decimal string"));
  EXPECT_THAT(with(R"(["100.05","3"])", R"(["100.05"])"),
              HasSubstr("asks[1]: expected [price, qty]"));
  EXPECT_THAT(with(R"("T":1717990120851,)", ""), HasSubstr("T: expected the field"));
  EXPECT_THAT(with(R"("bids":[["100.00","2"],["99.95","1"],["99.80","7"]])", R"("bids":[])"),
              HasSubstr("bids: expected at least one level"));
}

}  // namespace
}  // namespace dolphin::indicators
