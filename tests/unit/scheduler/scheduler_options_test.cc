#include "dolphin/scheduler/scheduler_options.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::scheduler {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

Result<SchedulerSetup> Parse(std::string_view toml, ConfigDiagnostics* diag) {
  auto config = Config::LoadString(toml, "test.toml", ".");
  if (!config.ok()) return config.status();
  auto root = config->Root(diag);
  return ParseSchedulerSetup(root.Sub("scheduler"), root.Sub("pools"), root.Sub("deployments"));
}

std::string Errors(const ConfigDiagnostics& d) {
  std::string out;
  for (const auto& e : d.errors()) out += e + "\n";
  return out;
}

TEST(SchedulerOptionsTest, DefaultsHaveTheSeedPoolsAndTheBridgeMarker) {
  ConfigDiagnostics diag;
  auto s = Parse("", &diag);
  ASSERT_OK(s);
  EXPECT_TRUE(s->scheduler.enabled);
  EXPECT_EQ(s->scheduler.late_after, seconds(15));
  EXPECT_EQ(s->scheduler.zombie_after, seconds(60));
  ASSERT_EQ(s->pools.size(), 4u);
  for (const auto& name : SeedPoolNames()) {
    ASSERT_EQ(s->pools.count(name), 1u) << name;
    EXPECT_EQ(s->pools.at(name).concurrency_limit, 1);
    EXPECT_FALSE(s->pools.at(name).paused);
  }
  ASSERT_EQ(s->deployments.count("scan-bridge-flow/scan-bridge"), 1u);
  const DeploymentOptions& bridge = s->deployments.at("scan-bridge-flow/scan-bridge");
  EXPECT_EQ(bridge.pool, "dolphin-scan");
  EXPECT_EQ(bridge.service, "bridge");
  EXPECT_FALSE(bridge.schedule.has_value());
}

TEST(SchedulerOptionsTest, ReadsEveryKey) {
  ConfigDiagnostics diag;
  auto s = Parse(R"([scheduler]
enabled = false
late_after_s = 5
zombie_after_s = 30
lookahead_s = 600
max_scheduled_runs = 3
tick_interval_s = 0.5
worker_poll_interval_s = 2
worker_heartbeat_interval_s = 5
seed = 7
store_sync = "normal"

[pools.dolphin-obf]
concurrency_limit = 2
paused = true

[pools.gpu]
concurrency_limit = 4
description = "the GPU box"

[deployments."daily-backtest/daily"]
pool = "dolphin"
cron = "0 3 * * *"
parameters = { colour = "BLUE", days = 30, fast = true, assets = ["BTC", "ETH"] }
tags = ["backtest", "heavy"]
concurrency_limit = 1
collision_strategy = "CANCEL_NEW"
retries = 2
retry_delay_s = 30
retry_jitter = 0.5
timeout_s = 3600
max_lateness_s = 600
on_recovery = true
command = ["/usr/bin/python3", "backtest.py"]
paused = true

[deployments."obf/poll"]
pool = "dolphin-obf"
interval_s = 1

[deployments."off/flow"]
enabled = false
)",
                 &diag);
  ASSERT_OK(s) << Errors(diag);
  EXPECT_FALSE(s->scheduler.enabled);
  EXPECT_EQ(s->scheduler.late_after, seconds(5));
  EXPECT_EQ(s->scheduler.zombie_after, seconds(30));
  EXPECT_EQ(s->scheduler.lookahead, seconds(600));
  EXPECT_EQ(s->scheduler.max_scheduled_runs, 3);
  EXPECT_EQ(s->scheduler.tick_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(s->scheduler.worker_heartbeat_interval, seconds(5));
  EXPECT_EQ(s->scheduler.seed, 7);
  EXPECT_EQ(s->scheduler.store_sync, StoreSync::kNormal);
  EXPECT_EQ(s->pools.size(), 5u);
  EXPECT_EQ(s->pools.at("dolphin-obf").concurrency_limit, 2);
  EXPECT_TRUE(s->pools.at("dolphin-obf").paused);
  EXPECT_EQ(s->pools.at("gpu").description, "the GPU box");
  const DeploymentOptions& d = s->deployments.at("daily-backtest/daily");
  EXPECT_EQ(d.flow, "daily-backtest");
  EXPECT_EQ(d.name, "daily");
  ASSERT_TRUE(d.schedule.has_value());
  EXPECT_EQ(d.schedule->ToString(), "cron 0 3 * * *");
  EXPECT_EQ(DumpJson(d.parameters),
            R"({"assets":["BTC","ETH"],"colour":"BLUE","days":30,"fast":true})");
  EXPECT_EQ(d.tags, (std::vector<std::string>{"backtest", "heavy"}));
  EXPECT_EQ(d.concurrency_limit, 1);
  EXPECT_EQ(d.collision_strategy, CollisionStrategy::kCancelNew);
  EXPECT_EQ(d.retries, 2);
  EXPECT_EQ(d.retry_delay, seconds(30));
  EXPECT_DOUBLE_EQ(d.retry_jitter, 0.5);
  EXPECT_EQ(d.timeout, seconds(3600));
  EXPECT_EQ(d.max_lateness, seconds(600));
  EXPECT_TRUE(d.on_recovery);
  EXPECT_EQ(d.command.size(), 2u);
  EXPECT_TRUE(d.paused);
  EXPECT_EQ(s->deployments.at("obf/poll").schedule->interval(), seconds(1));
  EXPECT_EQ(s->deployments.count("off/flow"), 0u);
  EXPECT_EQ(s->deployments.count("scan-bridge-flow/scan-bridge"), 1u);
}

TEST(SchedulerOptionsTest, EveryBadValueIsOneLineNamingFileSectionAndKey) {
  ConfigDiagnostics diag;
  auto s = Parse(R"([scheduler]
late_after_s = -1
worker_heartbeat_interval_s = 40
colour = "x"

[pools.dolphin]
concurrency_limit = 0

[deployments."a/b"]
pool = "nope"
cron = "61 * * * *"

[deployments."c/d"]
interval_s = 60
cron = "* * * * *"
collision_strategy = "DROP"

[deployments."no-slash"]
pool = "dolphin"
)",
                 &diag);
  EXPECT_FALSE(s.ok());
  const std::string e = Errors(diag);
  EXPECT_THAT(
      e,
      HasSubstr(
          "test.toml:2: [scheduler] late_after_s: expected a number in [0, 86400], got an integer -1"));
  EXPECT_THAT(
      e, HasSubstr(
             "[scheduler] worker_heartbeat_interval_s: expected at most half of zombie_after_s"));
  EXPECT_THAT(e, HasSubstr("[scheduler] colour: unknown key"));
  EXPECT_THAT(
      e,
      HasSubstr(
          "[pools.dolphin] concurrency_limit: expected an integer in [1, 100000], got an integer 0"));
  EXPECT_THAT(
      e,
      HasSubstr(
          "[deployments.a/b] pool: unknown pool \"nope\" (pools: dolphin, dolphin-extf-indicators, dolphin-obf, dolphin-scan)"));
  EXPECT_THAT(
      e, HasSubstr("[deployments.a/b] cron: cron \"61 * * * *\": minute: 61 is out of range 0-59"));
  EXPECT_THAT(e, HasSubstr("[deployments.c/d] cron: expected either interval_s or cron, got both"));
  EXPECT_THAT(e, HasSubstr("[deployments.c/d] collision_strategy: expected one of"));
  EXPECT_THAT(e, HasSubstr("deployment name \"no-slash\": expected \"<flow>/<name>\""));
  EXPECT_EQ(diag.errors().size(), 9u) << e;
}

TEST(SchedulerOptionsTest, WrittenBackAsToml) {
  ConfigDiagnostics diag;
  auto s = Parse(R"([deployments."x/y"]
interval_s = 60
parameters = { k = "v" }
)",
                 &diag);
  ASSERT_OK(s);
  ConfigWriter w;
  WriteSchedulerSetup(*s, w);
  EXPECT_THAT(w.text(), HasSubstr("[pools.dolphin-obf]\nconcurrency_limit = 1\n"));
  EXPECT_THAT(w.text(),
              HasSubstr("[deployments.\"x/y\"]\npool = \"dolphin\"\ninterval_s = 60.0\n"));
  EXPECT_THAT(w.text(), HasSubstr("[deployments.\"x/y\".parameters]\nk = \"v\"\n"));
  // What is written parses back to the same setup.
  ConfigDiagnostics diag2;
  auto again = Parse(w.text(), &diag2);
  ASSERT_OK(again) << Errors(diag2);
  EXPECT_EQ(again->deployments.size(), s->deployments.size());
}

// Issue 15: other components' default deployments (the indicator flows) come in as the base;
// a [deployments] table changes them key by key or removes them.
TEST(SchedulerOptionsTest, BaseDeploymentsAreChangedKeyByKeyOrRemoved) {
  SchedulerSetup base = DefaultSchedulerSetup();
  for (const char* flow : {"esof", "obf"}) {
    DeploymentOptions d;
    d.flow = flow;
    d.name = "default";
    d.pool = std::string(flow) == "obf" ? "dolphin-obf" : "dolphin-extf-indicators";
    d.schedule = Schedule::Every(seconds(60));
    d.command = {"dolphin", "indicators", "run", flow};
    base.deployments[d.full_name()] = d;
  }
  auto config = Config::LoadString(R"([deployments."esof/default"]
interval_s = 30
[deployments."obf/default"]
enabled = false
)",
                                   "test.toml", ".");
  ASSERT_OK(config);
  ConfigDiagnostics diag;
  auto root = config->Root(&diag);
  auto s =
      ParseSchedulerSetup(base, root.Sub("scheduler"), root.Sub("pools"), root.Sub("deployments"));
  ASSERT_OK(s);
  ASSERT_EQ(s->deployments.count("esof/default"), 1u);
  const DeploymentOptions& esof = s->deployments.at("esof/default");
  EXPECT_EQ(esof.schedule->interval(), Duration(seconds(30)));
  EXPECT_EQ(esof.pool, "dolphin-extf-indicators");
  EXPECT_EQ(esof.command, (std::vector<std::string>{"dolphin", "indicators", "run", "esof"}));
  EXPECT_EQ(s->deployments.count("obf/default"), 0u);
  EXPECT_EQ(s->deployments.count("scan-bridge-flow/scan-bridge"), 1u);
}

}  // namespace
}  // namespace dolphin::scheduler
