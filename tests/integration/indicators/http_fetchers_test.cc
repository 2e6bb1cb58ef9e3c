// Every network fetcher through the real libcurl client against a local fake of its API
// (fake_api.h, 127.0.0.1, port 0): good answers publish exactly the fields of DESIGN §10; a slow
// server times out, fails with the reason and leaves the last value; 429/5xx are retried a
// bounded number of times, then fail; truncated or cut bodies, wrong types, NaN, missing fields
// and a 50 MB body fail with a clear line, publish nothing and crash nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/logging.h"
#include "dolphin/indicators/flows.h"
#include "dolphin/testing/testing.h"
#include "fake_api.h"

namespace dolphin::indicators {
namespace {

using fake::FakeIndicatorApi;
using fake::Mode;
using ::testing::AnyOf;
using ::testing::HasSubstr;

const char* KeyOf(const std::string& flow) {
  return flow == kFlowObf ? contract::kObFeaturesKey : contract::kExfKey;
}

class HttpFetchersTest : public ::testing::TestWithParam<std::string> {
 protected:
  HttpFetchersTest() {
    options_ = DefaultIndicatorsOptions();
    for (const std::string& f : FlowNames()) {
      FlowOptions& o = options_.flows[f];
      if (f == kFlowEsof) continue;
      o.enabled = true;
      o.base_url = api_.base_url();
      o.connect_timeout = std::chrono::milliseconds(500);
      o.total_timeout = std::chrono::milliseconds(400);
      o.retries = 2;
      o.backoff = std::chrono::milliseconds(10);
      o.max_consecutive_failures = 1;  // obf: the first failed poll ends the run
    }
  }

  Result<RunSummary> Run(const std::string& flow) {
    cancel_ = std::make_unique<CancelToken>();  // one-shot: a fresh one per run
    FlowContext ctx{env_,   *sink_,  CurlHttpClientFactory(clock_), options_, "run-http",
                    "test", *cancel_};
    if (flow == kFlowObf && api_mode_good_) {
      // A good obf run polls until cancelled: stop it after its first publish.
      watcher_ = std::thread([this] {
        testing::WaitFor([this] {
          return bus_->Get(contract::kFeaturesMap, contract::kObFeaturesKey)->has_value();
        });
        cancel_->Cancel();
      });
    }
    auto r = RunFlow(flow, ctx);
    if (watcher_.joinable()) watcher_.join();
    return r;
  }
  void SetMode(Mode m) {
    api_.set_mode(m);
    api_mode_good_ = m == Mode::kGood;
  }
  std::optional<std::string> Raw(const std::string& flow) {
    return bus_->Get(contract::kFeaturesMap, KeyOf(flow)).value();
  }

  FakeIndicatorApi api_;
  SystemClock clock_;
  CapturingLogger logger_{clock_};
  Random random_{1};
  Env env_{clock_, logger_, FileSystem::Default(), random_, ThreadFactory::Default()};
  std::unique_ptr<bus::KvBus> bus_ = bus::NewInMemoryBus();
  std::unique_ptr<FeatureSink> sink_ = NewBusFeatureSink(*bus_);
  IndicatorsOptions options_;
  std::unique_ptr<CancelToken> cancel_;
  std::thread watcher_;
  bool api_mode_good_ = true;
};

TEST_F(HttpFetchersTest, GoodAnswersPublishTheDesignFields) {
  for (const char* f : {kFlowExtfFunding, kFlowExtfDvol, kFlowExtfFearGreed, kFlowObf}) {
    ASSERT_OK(Run(f)) << f;
  }
  const Json exf = ParseJson(*Raw(kFlowExtfFunding)).value();
  EXPECT_EQ(exf["funding"]["BTCUSDT"]["rate"], 0.0001);
  EXPECT_EQ(exf["funding"]["BTCUSDT"]["mark_price"], 64213.41);
  EXPECT_EQ(exf["funding"]["BTCUSDT"]["next_funding_time"], "2024-06-10T08:00:00.000000+00:00");
  EXPECT_EQ(exf["funding"]["ETHUSDT"]["rate"], -0.000025);
  EXPECT_EQ(exf["dvol"]["BTC"]["value"], 52.10);
  EXPECT_EQ(exf["dvol"]["BTC"]["ts"], "2024-06-10T02:37:00.000000+00:00");
  EXPECT_EQ(exf["dvol"]["ETH"]["value"], 60.75);
  EXPECT_EQ(exf["fear_greed"]["value"], 47);
  EXPECT_EQ(exf["fear_greed"]["classification"], "Neutral");
  EXPECT_EQ(exf["fear_greed"]["ts"], "2024-06-10T00:00:00.000000+00:00");
  for (const char* part : {"funding", "dvol", "fear_greed"}) {
    EXPECT_TRUE(exf[part]["_pushed_at"].is_string()) << part;
    EXPECT_TRUE(exf[part]["_source_ts"].is_string()) << part;
    EXPECT_EQ(exf[part]["_flow_run_id"], "run-http") << part;
  }
  const Json ob = ParseJson(*Raw(kFlowObf)).value();
  for (const char* sym : {"BTCUSDT", "ETHUSDT"}) {
    for (const char* k : {"spread_bps", "mid", "imbalance_5", "imbalance_20", "depth_bid_10bps",
                          "depth_ask_10bps"}) {
      EXPECT_TRUE(ob[sym][k].is_number()) << sym << " " << k;
    }
  }
  EXPECT_DOUBLE_EQ(ob["BTCUSDT"]["mid"].get<double>(), 100.01);
  EXPECT_EQ(ob["_flow_run_id"], "run-http");
}

TEST_P(HttpFetchersTest, SlowServerTimesOutAndKeepsTheLastValue) {
  const std::string flow = GetParam();
  ASSERT_OK(Run(flow));
  const auto good = Raw(flow);
  SetMode(Mode::kSlow);
  auto r = Run(flow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("timed out"));
  EXPECT_THAT(r.status().message(), HasSubstr("after 3 attempts"));
  EXPECT_EQ(Raw(flow), good);
}

TEST_P(HttpFetchersTest, RateLimitAndServerErrorsAreRetriedBoundedThenFail) {
  const std::string flow = GetParam();
  for (Mode m : {Mode::k429, Mode::k503}) {
    SetMode(m);
    auto r = Run(flow);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_THAT(r.status().message(), HasSubstr(m == Mode::k429 ? "HTTP 429" : "HTTP 503"));
    EXPECT_EQ(api_.hits(), 3);  // the first attempt and 2 retries, then stop
    EXPECT_FALSE(Raw(flow).has_value());
  }
  SetMode(Mode::k429ThenGood);
  api_mode_good_ = true;
  EXPECT_OK(Run(flow));
  EXPECT_TRUE(Raw(flow).has_value());
}

TEST_P(HttpFetchersTest, BadBodiesFailClearlyAndPublishNothing) {
  const std::string flow = GetParam();
  struct Case {
    Mode mode;
    std::vector<std::string> any_of;
  };
  const Case cases[] = {
      {Mode::kTruncated, {"not valid JSON"}},
      {Mode::kCutConnection, {"transfer failed"}},
      {Mode::kWrongTypes, {"expected a decimal string", "expected a finite number"}},
      {Mode::kNaN, {"expected a finite decimal string", "not valid JSON"}},
      {Mode::kMissingFields, {"expected the field, got nothing (missing)"}},
      {Mode::kHuge, {"over the cap of 4194304 bytes"}},
      {Mode::kHugeChunked, {"over the cap of 4194304 bytes"}},
  };
  for (const Case& c : cases) {
    SetMode(c.mode);
    // Writing 50 MB takes the server a while under the sanitizers: the cap, not a timeout, must end
    // it.
    const bool huge = c.mode == Mode::kHuge || c.mode == Mode::kHugeChunked;
    for (auto& [name, o] : options_.flows)
      o.total_timeout = huge ? std::chrono::seconds(20) : std::chrono::milliseconds(400);
    auto r = Run(flow);
    ASSERT_FALSE(r.ok()) << static_cast<int>(c.mode);
    bool matched = false;
    for (const std::string& s : c.any_of)
      matched = matched || r.status().message().find(s) != std::string::npos;
    EXPECT_TRUE(matched) << static_cast<int>(c.mode) << ": " << r.status().message();
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);  // one line
    EXPECT_FALSE(Raw(flow).has_value()) << static_cast<int>(c.mode);
  }
}

INSTANTIATE_TEST_SUITE_P(Flows, HttpFetchersTest,
                         ::testing::Values(std::string(kFlowExtfFunding),
                                           std::string(kFlowExtfDvol),
                                           std::string(kFlowExtfFearGreed), std::string(kFlowObf)),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s) ch = ch == '-' ? '_' : ch;
                           return s;
                         });

TEST_F(HttpFetchersTest, AnUnreachableServerFailsWithTheReason) {
  api_.Stop();
  options_.flows[kFlowExtfFearGreed].retries = 0;
  auto r = Run(kFlowExtfFearGreed);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cannot connect"));
}

}  // namespace
}  // namespace dolphin::indicators
