// `dolphin indicators run FLOW` as real processes, the way the scheduler's worker runs them
// (the flow process contract: DOLPHIN_FLOW_RUN_ID etc. in the environment, exit 0 = COMPLETED,
// non-zero = FAILED with the reason as the last line), publishing into a running `dolphin run`'s
// embedded bus through its control API, against the fake APIs (fake_api.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>

#include "dolphin/api/api_client.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "fake_api.h"

namespace dolphin {
namespace {

using indicators::fake::FakeIndicatorApi;
using indicators::fake::Mode;
using testing::DolphinBinary;
using ::testing::HasSubstr;
using testing::ProcessResult;
using ::testing::StartsWith;
using testing::Subprocess;

std::string LastLine(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

class IndicatorsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string flows;
    for (const char* f : {"extf-funding", "extf-dvol", "extf-fear-greed", "obf"}) {
      flows += std::string("[indicators.") + f + "]\nenabled = true\nbase_url = \"" +
               api_.base_url() + "\"\ntimeout_s = 0.5\nretries = 1\nbackoff_s = 0.01\n";
    }
    std::ofstream(dir_.path() / "dolphin.toml")
        << "heartbeat_interval_s = 0.5\n[api]\nlisten = \"127.0.0.1:0\"\n"
           "[trader]\nenabled = false\n[health]\nenabled = false\n"
           "[scheduler]\nenabled = false\n"
        << flows;
  }

  ProcessResult Indicators(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), {DolphinBinary(), "indicators"});
    args.insert(args.end(), {"-c", "dolphin.toml"});
    return testing::RunProcess(args, dir_.path(), std::chrono::seconds(30), env);
  }

  std::unique_ptr<Subprocess> StartRun() {
    auto run = std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          return api::ApiClient::FromStateDir(dir_.path() / "var").ok() &&
                 api::ApiClient::FromStateDir(dir_.path() / "var")->Get("/api/health").ok();
        },
        std::chrono::seconds(60)))
        << run->Stderr();
    return run;
  }

  std::optional<Json> Value(const std::string& key) {
    auto client = api::ApiClient::FromStateDir(dir_.path() / "var");
    if (!client.ok()) return std::nullopt;
    auto r = client->Get("/api/bus/DOLPHIN_FEATURES/" + key);
    if (!r.ok() || r->status != 200) return std::nullopt;
    return ParseJson(r->body).value();
  }

  FakeIndicatorApi api_;
  testing::TempDir dir_;
};

TEST_F(IndicatorsCliTest, FlowRunsPublishIntoTheRunningDolphinAndFailWithTheReason) {
  auto run = StartRun();
  auto r = Indicators({"run", "extf-funding"},
                      {"DOLPHIN_FLOW_RUN_ID=run-42", "DOLPHIN_DEPLOYMENT=extf-funding/default",
                       "DOLPHIN_PARAMETERS={}"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("published exf_latest.funding: BTCUSDT rate=0.0001 mark=64213.41"));
  auto exf = Value("exf_latest");
  ASSERT_TRUE(exf.has_value());
  EXPECT_EQ((*exf)["funding"]["BTCUSDT"]["rate"], 0.0001);
  EXPECT_EQ((*exf)["funding"]["ETHUSDT"]["mark_price"], 3500.5);
  EXPECT_EQ((*exf)["_flow_run_id"], "run-42");

  ASSERT_EQ(Indicators({"run", "extf-dvol"}).exit_code, 0);
  ASSERT_EQ(Indicators({"run", "extf-fear-greed"}).exit_code, 0);
  exf = Value("exf_latest");
  ASSERT_TRUE(exf.has_value());
  EXPECT_EQ((*exf)["dvol"]["BTC"]["value"], 52.10);
  EXPECT_EQ((*exf)["fear_greed"]["value"], 47);
  EXPECT_EQ((*exf)["funding"]["_flow_run_id"], "run-42");

  // The API answers 503: FAILED with the reason as the last line, the last value kept.
  const std::string before = exf->dump();
  api_.set_mode(Mode::k503);
  r = Indicators({"run", "extf-dvol"}, {"DOLPHIN_FLOW_RUN_ID=run-43"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(LastLine(r.err), StartsWith("FAILED: extf-dvol BTC: GET http://127.0.0.1:"));
  EXPECT_THAT(LastLine(r.err), HasSubstr("HTTP 503: Service Unavailable after 2 attempts"));
  EXPECT_EQ(Value("exf_latest")->dump(), before);
  api_.set_mode(Mode::kMissingFields);
  r = Indicators({"run", "extf-funding"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(LastLine(r.err),
              HasSubstr("premiumIndex: markPrice: expected the field, got nothing (missing)"));
  EXPECT_EQ(Value("exf_latest")->dump(), before);

  // esof needs no network.
  r = Indicators({"run", "esof"}, {"DOLPHIN_FLOW_RUN_ID=run-e"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("published esof_latest: moon"));
  auto esof = Value("esof_latest");
  ASSERT_TRUE(esof.has_value());
  EXPECT_EQ((*esof)["_flow_run_id"], "run-e");
  EXPECT_THAT((*esof)["session"].get<std::string>(), ::testing::AnyOf("ASIA", "EUROPE", "US"));

  // Usage errors: exit 2, one line.
  r = Indicators({"run", "extf-moon"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown flow \"extf-moon\""));
  r = Indicators({"run", "esof"}, {"DOLPHIN_PARAMETERS=[1]"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("DOLPHIN_PARAMETERS: expected a JSON object"));

  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait().exit_code, 0);
}

TEST_F(IndicatorsCliTest, ObfPollsUntilSigtermAndExitsCleanly) {
  auto run = StartRun();
  Subprocess obf({DolphinBinary(), "indicators", "run", "obf", "-c", "dolphin.toml"}, dir_.path(),
                 {"DOLPHIN_FLOW_RUN_ID=run-obf"});
  ASSERT_TRUE(testing::WaitFor([&] { return Value("ob_features_latest").has_value(); },
                               std::chrono::seconds(30)))
      << obf.Stderr();
  const std::string first = (*Value("ob_features_latest"))["_pushed_at"];
  // It keeps polling (every second): a newer _pushed_at appears.
  ASSERT_TRUE(
      testing::WaitFor([&] { return (*Value("ob_features_latest"))["_pushed_at"] != first; },
                       std::chrono::seconds(10)));
  auto ob = *Value("ob_features_latest");
  EXPECT_EQ(ob["_flow_run_id"], "run-obf");
  EXPECT_DOUBLE_EQ(ob["BTCUSDT"]["spread_bps"].get<double>(), (100.02 - 100.00) / 100.01 * 1e4);
  obf.Signal(SIGTERM);
  ProcessResult r = obf.Wait(std::chrono::seconds(15));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("obf stopped:"));
  run->Signal(SIGTERM);
  run->Wait();
}

TEST_F(IndicatorsCliTest, NoRunningDolphinIsAClearFailure) {
  auto r = Indicators({"run", "esof"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("indicators run esof: no running dolphin to publish to"));
}

TEST_F(IndicatorsCliTest, ConfigShowListsTheIndicatorKeys) {
  auto r =
      testing::RunProcess({DolphinBinary(), "config", "show", "-c", "dolphin.toml"}, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s :
       {"[indicators.extf-funding]", "[indicators.extf-dvol]", "[indicators.extf-fear-greed]",
        "[indicators.obf]", "[indicators.esof]", "symbols = [\"BTCUSDT\", \"ETHUSDT\"]",
        "[deployments.\"extf-funding/default\"]", "[deployments.\"obf/default\"]",
        "pool = \"dolphin-obf\""}) {
    EXPECT_THAT(r.out, HasSubstr(s));
  }
  EXPECT_THAT(r.out, HasSubstr("command = [\"dolphin\", \"indicators\", \"run\", \"extf-dvol\"]"));
  // With a config file esof runs only when enabled (DESIGN §9); without one it runs by default.
  EXPECT_EQ(r.out.find("[deployments.\"esof/default\"]"), std::string::npos);
  auto none = testing::RunProcess({DolphinBinary(), "config", "show"}, dir_.path());
  ASSERT_EQ(none.exit_code, 0);
  EXPECT_THAT(none.out, HasSubstr("[deployments.\"esof/default\"]"));
  EXPECT_EQ(none.out.find("[deployments.\"extf-funding/default\"]"), std::string::npos);
}

}  // namespace
}  // namespace dolphin
