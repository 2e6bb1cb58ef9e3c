// Flow runs over the scripted fake transport and the in-memory bus: exact published fields and
// envelope, exf_latest merging (each part its own timestamps; a failing part never blanks the
// others), nothing published on failure, obf's polling loop on the simulated clock.
#include "dolphin/indicators/flows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "api_samples.h"
#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/simulated_clock.h"
#include "dolphin/net/fake_transport.h"
#include "dolphin/testing/testing.h"

namespace dolphin::indicators {
namespace {

using ::testing::HasSubstr;

class FlowsTest : public ::testing::Test {
 protected:
  FlowsTest() {
    options_ = DefaultIndicatorsOptions();
    for (const char* f : {kFlowExtfFunding, kFlowExtfDvol, kFlowExtfFearGreed, kFlowObf}) {
      options_.flows[f].enabled = true;
      options_.flows[f].backoff = Duration::zero();
      options_.flows[f].retries = 1;
    }
  }

  // The next run's transport: every request answered from `script` in order.
  net::FakeTransport& Script() {
    next_ = std::make_unique<net::FakeTransport>();
    log_ = next_->log();
    return *next_;
  }

  Result<RunSummary> Run(const std::string& flow, const std::string& run_id = "run-1") {
    FlowContext ctx{te_.env,
                    *sink_,
                    [this](const net::HttpOptions& o,
                           const CancelToken& c) -> std::unique_ptr<net::HttpClient> {
                      return std::make_unique<net::RetryingHttpClient>(std::move(next_), o,
                                                                       te_.clock, c);
                    },
                    options_,
                    run_id,
                    "test",
                    cancel_};
    return RunFlow(flow, ctx);
  }

  Json Value(const char* key) {
    auto v = bus_->Get(contract::kFeaturesMap, key);
    EXPECT_TRUE(v.ok() && v->has_value()) << key;
    return v.ok() && v->has_value() ? ParseJson(**v).value() : Json();
  }
  std::optional<std::string> Raw(const char* key) {
    return bus_->Get(contract::kFeaturesMap, key).value();
  }

  struct SimEnv {
    SimulatedClock clock{Timestamp::FromUnixSeconds(samples::kNowUnixS)};
    CapturingLogger logger{clock};
    Random random{testing::TestSeed()};
    Env env{clock, logger, FileSystem::Default(), random, ThreadFactory::Default()};
  } te_;
  std::unique_ptr<bus::KvBus> bus_ = bus::NewInMemoryBus();
  std::unique_ptr<FeatureSink> sink_ = NewBusFeatureSink(*bus_);
  IndicatorsOptions options_;
  CancelToken cancel_;
  std::unique_ptr<net::FakeTransport> next_;
  net::FakeTransport::RequestLog log_;
};

TEST_F(FlowsTest, FundingPublishesExactFieldsAndEnvelope) {
  Script()
      .Respond(200, samples::Premium("BTCUSDT", "0.00010000", "64213.41000000"))
      .Respond(200, samples::Premium("ETHUSDT", "-0.00002500", "3500.50"));
  auto r = Run(kFlowExtfFunding);
  ASSERT_OK(r);
  EXPECT_THAT(r->line, HasSubstr("BTCUSDT rate=0.0001"));
  ASSERT_EQ(log_->size(), 2u);
  EXPECT_EQ(log_->at(0).url, "https://fapi.binance.com/fapi/v1/premiumIndex?symbol=BTCUSDT");
  const Json v = Value(contract::kExfKey);
  const Json& btc = v["funding"]["BTCUSDT"];
  EXPECT_EQ(btc["rate"], 0.0001);
  EXPECT_EQ(btc["mark_price"], 64213.41);
  EXPECT_EQ(btc["next_funding_time"], "2024-06-10T08:00:00.000000+00:00");
  EXPECT_EQ(btc["ts"], "2024-06-10T03:28:43.000000+00:00");
  EXPECT_EQ(v["funding"]["ETHUSDT"]["rate"], -0.000025);
  const std::string now = "2024-06-10T03:29:00.000000+00:00";
  EXPECT_EQ(v["funding"]["_pushed_at"], now);
  EXPECT_EQ(v["funding"]["_source_ts"], "2024-06-10T03:28:43.000000+00:00");
  EXPECT_EQ(v["funding"]["_flow_run_id"], "run-1");
  EXPECT_EQ(v["_pushed_at"], now);
  EXPECT_EQ(v["_source_ts"], "2024-06-10T03:28:43.000000+00:00");
  EXPECT_EQ(v["_flow_run_id"], "run-1");
}

TEST_F(FlowsTest, PartsMergeEachWithItsOwnTimestampsAndAFailureBlanksNothing) {
  Script()
      .Respond(200, samples::Premium("BTCUSDT", "0.00010000", "64213.41"))
      .Respond(200, samples::Premium("ETHUSDT", "0.0001", "3500"));
  ASSERT_OK(Run(kFlowExtfFunding, "run-f"));
  te_.clock.AdvanceBy(std::chrono::seconds(30));
  Script().Respond(200, samples::kDvolBtc).Respond(200, samples::kDvolEth);
  ASSERT_OK(Run(kFlowExtfDvol, "run-d"));
  te_.clock.AdvanceBy(std::chrono::seconds(30));
  Script().Respond(200, samples::kFearGreed);
  ASSERT_OK(Run(kFlowExtfFearGreed, "run-g"));
  Json v = Value(contract::kExfKey);
  EXPECT_EQ(v["funding"]["_pushed_at"], "2024-06-10T03:29:00.000000+00:00");
  EXPECT_EQ(v["dvol"]["_pushed_at"], "2024-06-10T03:29:30.000000+00:00");
  EXPECT_EQ(v["dvol"]["BTC"]["value"], 52.10);
  EXPECT_EQ(v["dvol"]["ETH"]["value"], 60.75);
  EXPECT_EQ(v["dvol"]["BTC"]["ts"], "2024-06-10T02:37:00.000000+00:00");
  EXPECT_EQ(v["fear_greed"]["value"], 47);
  EXPECT_EQ(v["fear_greed"]["classification"], "Neutral");
  EXPECT_EQ(v["fear_greed"]["ts"], "2024-06-10T00:00:00.000000+00:00");
  EXPECT_EQ(v["fear_greed"]["_flow_run_id"], "run-g");
  // The envelope is the stalest part's: M3 sees the oldest ExtF source.
  EXPECT_EQ(v["_pushed_at"], "2024-06-10T03:29:00.000000+00:00");
  EXPECT_EQ(v["_source_ts"], "2024-06-10T00:00:00.000000+00:00");

  // DVOL now fails its schema check: nothing published, every part as it was.
  const auto before = Raw(contract::kExfKey);
  te_.clock.AdvanceBy(std::chrono::seconds(60));
  Script().Respond(200, samples::kDvolError);
  auto r = Run(kFlowExtfDvol, "run-d2");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("extf-dvol BTC: get_volatility_index_data: JSON-RPC error -32602"));
  EXPECT_EQ(Raw(contract::kExfKey), before);
  // Funding refreshes; DVOL keeps its old part and stamps.
  Script()
      .Respond(200, samples::Premium("BTCUSDT", "0.0002", "64000"))
      .Respond(200, samples::Premium("ETHUSDT", "0.0001", "3500"));
  ASSERT_OK(Run(kFlowExtfFunding, "run-f2"));
  v = Value(contract::kExfKey);
  EXPECT_EQ(v["funding"]["BTCUSDT"]["rate"], 0.0002);
  EXPECT_EQ(v["funding"]["_pushed_at"], "2024-06-10T03:31:00.000000+00:00");
  EXPECT_EQ(v["dvol"]["_pushed_at"], "2024-06-10T03:29:30.000000+00:00");
  EXPECT_EQ(v["dvol"]["_flow_run_id"], "run-d");
  EXPECT_EQ(v["_pushed_at"], "2024-06-10T03:29:30.000000+00:00");
  EXPECT_EQ(v["_flow_run_id"], "run-f2");
}

TEST_F(FlowsTest, DisabledPartsAreDropped) {
  Script().Respond(200, samples::kDvolBtc).Respond(200, samples::kDvolEth);
  ASSERT_OK(Run(kFlowExtfDvol));
  options_.flows[kFlowExtfDvol].enabled = false;
  Script().Respond(200, samples::kFearGreed);
  ASSERT_OK(Run(kFlowExtfFearGreed));
  const Json v = Value(contract::kExfKey);
  EXPECT_FALSE(v.contains("dvol"));
  EXPECT_TRUE(v.contains("fear_greed"));
}

TEST_F(FlowsTest, OneBadSymbolPublishesNothing) {
  Script()
      .Respond(200, samples::Premium("BTCUSDT", "0.0001", "64000"))
      .Respond(200, samples::Premium("ETHUSDT", "0.0001", "NaN"));
  auto r = Run(kFlowExtfFunding);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("extf-funding ETHUSDT: premiumIndex: markPrice: expected a finite"));
  EXPECT_FALSE(Raw(contract::kExfKey).has_value());
}

TEST_F(FlowsTest, HttpFailureAfterRetriesPublishesNothing) {
  Script().Respond(503, "busy");
  auto r = Run(kFlowExtfFearGreed);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 503: busy after 2 attempts"));
  EXPECT_EQ(log_->size(), 2u);
  Script().Respond(404, "no such page");
  r = Run(kFlowExtfFearGreed);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 404: no such page"));
  EXPECT_FALSE(Raw(contract::kExfKey).has_value());
}

TEST_F(FlowsTest, EsofPublishesAtTheClocksTime) {
  te_.clock.AdvanceTo(ParseRfc3339("2026-03-25T07:22:30Z").value());
  auto r = Run(kFlowEsof, "run-e");
  ASSERT_OK(r);
  const Json v = Value(contract::kEsofKey);
  EXPECT_EQ(v["_pushed_at"], "2026-03-25T07:22:30.000000+00:00");
  EXPECT_EQ(v["_source_ts"], "2026-03-25T07:22:30.000000+00:00");
  EXPECT_EQ(v["_flow_run_id"], "run-e");
  EXPECT_EQ(v["session"], "ASIA");
  EXPECT_EQ(v["day_of_week"], 2);
  EXPECT_EQ(v["minutes_to_funding"], 37.5);
  EXPECT_EQ(v["monthly_expiry"], "2026-03-27T08:00:00.000000+00:00");
  EXPECT_TRUE(v["moon_illumination"].is_number());
}

TEST_F(FlowsTest, ObfPollsEverySecondUntilCancelled) {
  Script().Respond(200, samples::kDepth);
  options_.flows[kFlowObf].symbols = {"BTCUSDT"};
  Result<RunSummary> r = InternalError("not run");
  std::thread t([&] { r = Run(kFlowObf, "run-o"); });
  te_.clock.BlockUntilWaitCalls(1);
  Json v = Value(contract::kObFeaturesKey);
  EXPECT_EQ(v["_flow_run_id"], "run-o");
  EXPECT_EQ(v["_source_ts"], "2024-06-10T03:28:40.851000+00:00");
  EXPECT_DOUBLE_EQ(v["BTCUSDT"]["mid"].get<double>(), 100.01);
  EXPECT_DOUBLE_EQ(v["BTCUSDT"]["imbalance_5"].get<double>(), 2.0 / 18.0);
  te_.clock.AdvanceBy(std::chrono::seconds(1));
  te_.clock.BlockUntilWaitCalls(2);
  EXPECT_EQ(log_->size(), 2u);
  EXPECT_EQ(log_->at(0).url, "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=20");
  EXPECT_EQ(Value(contract::kObFeaturesKey)["_pushed_at"], "2024-06-10T03:29:01.000000+00:00");
  cancel_.Cancel();
  t.join();
  ASSERT_OK(r);
  EXPECT_THAT(r->line, HasSubstr("2 polls, 2 published"));
}

TEST_F(FlowsTest, ObfFailsAfterTooManyFailedPollsKeepingTheLastGoodValue) {
  Script()
      .Respond(200, samples::kDepth)
      .Respond(200, "{\"truncated\":")
      .Respond(200, "{\"truncated\":");
  options_.flows[kFlowObf].symbols = {"BTCUSDT"};
  options_.flows[kFlowObf].retries = 0;
  options_.flows[kFlowObf].max_consecutive_failures = 2;
  Result<RunSummary> r = InternalError("not run");
  std::thread t([&] { r = Run(kFlowObf); });
  te_.clock.BlockUntilWaitCalls(1);
  const auto good = Raw(contract::kObFeaturesKey);
  ASSERT_TRUE(good.has_value());
  te_.clock.AdvanceBy(std::chrono::seconds(1));
  te_.clock.BlockUntilWaitCalls(2);
  te_.clock.AdvanceBy(std::chrono::seconds(1));
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("obf: 2 polls in a row failed"));
  EXPECT_THAT(r.status().message(), HasSubstr("not valid JSON"));
  EXPECT_EQ(Raw(contract::kObFeaturesKey), good);
}

TEST_F(FlowsTest, UnknownFlow) {
  auto r = Run("extf-moon");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("unknown indicator flow \"extf-moon\""));
}

}  // namespace
}  // namespace dolphin::indicators
