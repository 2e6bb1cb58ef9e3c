#include "dolphin/supervisor/service_options.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::supervisor {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Result<ServicesOptions> Parse(std::string_view toml, ConfigDiagnostics* diag) {
  auto config = Config::LoadString(toml, "test.toml", "/etc/dolphin");
  if (!config.ok()) return config.status();
  auto root = config->Root(diag);
  return ParseServicesOptions(root.Sub("services"));
}

constexpr int64_t kG = int64_t{1} << 30;
constexpr int64_t kM = int64_t{1} << 20;

TEST(ServiceOptionsTest, DefaultsAreTheOriginalTraderUnitsLimits) {
  const ServiceOptions o;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.memory_max, 2 * kG);
  EXPECT_EQ(o.memory_swap_max, 0);
  EXPECT_EQ(o.cpu_quota_percent, 200.0);
  EXPECT_EQ(o.tasks_max, 50);
  EXPECT_EQ(o.restart, RestartPolicy::kAlways);
  EXPECT_EQ(o.restart_sec, seconds(5));
  EXPECT_EQ(o.start_limit_interval, seconds(60));
  EXPECT_EQ(o.start_limit_burst, 3);
  EXPECT_EQ(o.timeout_stop, seconds(10));
  EXPECT_TRUE(o.exec.empty());
  EXPECT_TRUE(o.env.empty());
  EXPECT_TRUE(o.working_dir.empty());
}

TEST(ServiceOptionsTest, NoSectionMeansNoConfiguredServiceAndDefaultsForEveryName) {
  ConfigDiagnostics diag;
  auto o = Parse("", &diag);
  ASSERT_OK(o);
  EXPECT_TRUE(o->empty());
  for (std::string_view name : {"bridge", "trader.BLUE", "health"}) {
    ServiceOptions e = EffectiveServiceOptions(*o, name);
    EXPECT_EQ(e.memory_max, 2 * kG) << name;
    EXPECT_EQ(e.tasks_max, 50) << name;
  }
}

TEST(ServiceOptionsTest, ReadsEveryKey) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([services.bridge]
enabled = false
memory_max = "512M"
memory_swap_max = "infinity"
cpu_quota = "50%"
tasks_max = 20
restart = "on-failure"
restart_sec = 0.5
start_limit_interval_s = 30
start_limit_burst = 5
watchdog_s = 0
timeout_stop_s = 3
env = { LANG = "C" }
working_dir = "work"

[services.scanner]
exec = ["/usr/bin/python3", "scan.py"]
memory_max = 1048576
tasks_max = "infinity"
cpu_quota = "infinity"
restart = "no"
)",
                 &diag);
  ASSERT_OK(o);
  ASSERT_EQ(o->size(), 2u);
  const ServiceOptions& b = o->at("bridge");
  EXPECT_FALSE(b.enabled);
  EXPECT_EQ(b.memory_max, 512 * kM);
  EXPECT_EQ(b.memory_swap_max, std::nullopt);
  EXPECT_EQ(b.cpu_quota_percent, 50.0);
  EXPECT_EQ(b.tasks_max, 20);
  EXPECT_EQ(b.restart, RestartPolicy::kOnFailure);
  EXPECT_EQ(b.restart_sec, milliseconds(500));
  EXPECT_EQ(b.start_limit_interval, seconds(30));
  EXPECT_EQ(b.start_limit_burst, 5);
  EXPECT_EQ(b.watchdog, seconds(0));
  EXPECT_EQ(b.timeout_stop, seconds(3));
  EXPECT_EQ(b.env, (std::map<std::string, std::string>{{"LANG", "C"}}));
  EXPECT_EQ(b.working_dir, "/etc/dolphin/work");
  const ServiceOptions& s = o->at("scanner");
  EXPECT_EQ(s.exec, (std::vector<std::string>{"/usr/bin/python3", "scan.py"}));
  EXPECT_EQ(s.memory_max, 1 * kM);
  EXPECT_EQ(s.tasks_max, std::nullopt);
  EXPECT_EQ(s.cpu_quota_percent, std::nullopt);
  EXPECT_EQ(s.restart, RestartPolicy::kNo);
  EXPECT_EQ(s.memory_swap_max, 0);  // untouched keys keep the defaults
  EXPECT_EQ(s.start_limit_burst, 3);
  EXPECT_TRUE(diag.ok());
}

TEST(ServiceOptionsTest, TraderColoursInheritTheTraderTable) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([services.trader]
memory_max = "1G"
tasks_max = 40
[services.trader.GREEN]
tasks_max = 30
env = { X = "1" }
)",
                 &diag);
  ASSERT_OK(o);
  EXPECT_EQ(EffectiveServiceOptions(*o, "trader.GREEN").tasks_max, 30);
  EXPECT_EQ(EffectiveServiceOptions(*o, "trader.GREEN").memory_max, 1 * kG);
  EXPECT_EQ(EffectiveServiceOptions(*o, "trader.GREEN").env.at("X"), "1");
  EXPECT_EQ(EffectiveServiceOptions(*o, "trader.BLUE").tasks_max, 40);
  EXPECT_EQ(EffectiveServiceOptions(*o, "trader.BLUE").memory_max, 1 * kG);
  EXPECT_EQ(EffectiveServiceOptions(*o, "sim").memory_max, 2 * kG);
}

TEST(ServiceOptionsTest, EveryBadValueIsOneClearLine) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([services.bridge]
memory_max = "2 GB"
memory_swap_max = -1
cpu_quota = "200"
tasks_max = 0
restart = "sometimes"
restart_sec = -1
start_limit_burst = 0
exec = ["x"]
env = { "A=B" = "1" }
colour = 3

[services.scanner]
restart = "no"

[services."bad name"]
exec = ["y"]
)",
                 &diag);
  EXPECT_FALSE(o.ok());
  const std::vector<std::string> expected = {
      "test.toml:2: [services.bridge] memory_max: expected bytes as an integer >= 1 or a string "
      "such as \"2G\", \"512M\", \"1024K\" or \"infinity\", got a string \"2 GB\"",
      "test.toml:3: [services.bridge] memory_swap_max: expected bytes as an integer >= 0 or a "
      "string such as \"0\", \"512M\" or \"infinity\", got an integer -1",
      "test.toml:4: [services.bridge] cpu_quota: expected a percentage of one core such as "
      "\"200%\" or \"infinity\", got a string \"200\"",
      "test.toml:5: [services.bridge] tasks_max: expected an integer >= 1 or \"infinity\", got an "
      "integer 0",
      "test.toml:6: [services.bridge] restart: expected one of \"always\", \"on-failure\", \"no\", "
      "got \"sometimes\"",
      "test.toml:7: [services.bridge] restart_sec: expected a number in [0, 86400], got an "
      "integer -1",
      "test.toml:8: [services.bridge] start_limit_burst: expected an integer in [1, 10000], got "
      "an integer 0",
      "test.toml:9: [services.bridge] exec: expected no exec for the dolphin service bridge (it "
      "runs as `dolphin serve bridge`), got a command",
      "test.toml:10: [services.bridge] env: expected variable names without '=', got \"A=B\"",
      "test.toml:11: [services.bridge] colour: unknown key in [services.bridge]",
      "test.toml: [services.scanner] exec: expected exec = [\"program\", ...]: scanner is not a "
      "dolphin service (bridge, trader, sim, health, safety, scheduler, worker)",
      "test.toml:16: [services] bad name: expected a service name of letters, digits, '_' and '-'",
  };
  std::vector<std::string> errors = diag.errors();
  std::sort(errors.begin(), errors.end());
  std::vector<std::string> sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(errors, sorted);
}

TEST(ServiceOptionsTest, HazelcastNeedsNoExec) {
  ConfigDiagnostics diag;
  auto o = Parse("[services.hazelcast]\nmemory_max = \"1G\"\n", &diag);
  ASSERT_OK(o);
  EXPECT_EQ(o->at("hazelcast").memory_max, 1 * kG);
  // The member's threads: room for them unless its table says otherwise.
  EXPECT_EQ(o->at("hazelcast").tasks_max, kMemberTasksMax);
  EXPECT_EQ(EffectiveServiceOptions({}, "hazelcast").tasks_max, 256);
  EXPECT_EQ(EffectiveServiceOptions({}, "bridge").tasks_max, 50);
  auto own = Parse("[services.hazelcast]\ntasks_max = 300\n", &diag);
  ASSERT_OK(own);
  EXPECT_EQ(own->at("hazelcast").tasks_max, 300);
}

TEST(ServiceOptionsTest, StartOrderKeysAndTheirDefaults) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([services.health]
after = ["trader", "bridge", "scanner"]
ready_timeout_s = 12.5
[services.scanner]
exec = ["scan"]
)",
                 &diag);
  ASSERT_OK(o);
  EXPECT_EQ(o->at("health").after, (std::vector<std::string>{"trader", "bridge", "scanner"}));
  EXPECT_EQ(o->at("health").ready_timeout, milliseconds(12500));
  EXPECT_EQ(ServiceOptions{}.ready_timeout, seconds(60));
  EXPECT_FALSE(o->at("scanner").after.has_value());
  EXPECT_EQ(AfterOf("health", o->at("health")),
            (std::vector<std::string>{"trader", "bridge", "scanner"}));
  // Defaults: the member first, then the bridge, then everything else after both.
  EXPECT_EQ(DefaultAfter("hazelcast"), std::vector<std::string>{});
  EXPECT_EQ(DefaultAfter("bridge"), (std::vector<std::string>{"hazelcast"}));
  for (const char* n : {"trader.BLUE", "sim", "health", "safety", "scheduler", "worker"}) {
    EXPECT_EQ(DefaultAfter(n), (std::vector<std::string>{"hazelcast", "bridge"})) << n;
  }
  EXPECT_EQ(DefaultAfter("scanner"), std::vector<std::string>{});
  // Written back.
  ConfigWriter w;
  WriteServicesOptions(*o, w);
  auto back = Parse(w.text(), &diag);
  ASSERT_OK(back) << w.text();
  EXPECT_EQ(back->at("health").after, o->at("health").after);
  EXPECT_EQ(back->at("health").ready_timeout, o->at("health").ready_timeout);
}

TEST(ServiceOptionsTest, AnAfterNameThatIsNoServiceIsOneLine) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([services.bridge]
after = ["nope", "bridge", "a.b"]
)",
                 &diag);
  EXPECT_FALSE(o.ok());
  std::vector<std::string> errors = diag.errors();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(
      errors[0],
      "test.toml:2: [services.bridge] after: expected a service (bridge, trader, sim, health, safety, "
      "scheduler, worker, hazelcast or a configured one), got \"nope\"");
  EXPECT_EQ(errors[1],
            "test.toml:2: [services.bridge] after: expected other services, got \"bridge\" itself");
  EXPECT_EQ(errors[2], "test.toml:2: [services.bridge] after: expected service names, got \"a.b\"");
}

TEST(ServiceOptionsTest, WrittenOptionsReadBackTheSame) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([services.bridge]
memory_max = 1536
cpu_quota = "12.5%"
tasks_max = "infinity"
restart_sec = 0.25
env = { LANG = "C", "A.B" = "x y" }
working_dir = "/srv/w"
[services.scanner]
exec = ["scan", "--fast"]
memory_swap_max = "infinity"
[services.trader.BLUE]
restart = "no"
)",
                 &diag);
  ASSERT_OK(o);
  ConfigWriter w;
  WriteServicesOptions(*o, w);
  ConfigDiagnostics diag2;
  auto back = Parse(w.text(), &diag2);
  ASSERT_OK(back) << w.text();
  ASSERT_EQ(back->size(), o->size()) << w.text();
  EXPECT_EQ(back->count("trader"), 0u) << w.text();
  for (const auto& [name, a] : *o) {
    const ServiceOptions& b = back->at(name);
    EXPECT_EQ(a.enabled, b.enabled) << name;
    EXPECT_EQ(a.memory_max, b.memory_max) << name;
    EXPECT_EQ(a.memory_swap_max, b.memory_swap_max) << name;
    EXPECT_EQ(a.cpu_quota_percent, b.cpu_quota_percent) << name;
    EXPECT_EQ(a.tasks_max, b.tasks_max) << name;
    EXPECT_EQ(a.restart, b.restart) << name;
    EXPECT_EQ(a.restart_sec, b.restart_sec) << name;
    EXPECT_EQ(a.start_limit_interval, b.start_limit_interval) << name;
    EXPECT_EQ(a.start_limit_burst, b.start_limit_burst) << name;
    EXPECT_EQ(a.watchdog, b.watchdog) << name;
    EXPECT_EQ(a.timeout_stop, b.timeout_stop) << name;
    EXPECT_EQ(a.exec, b.exec) << name;
    EXPECT_EQ(a.env, b.env) << name;
    EXPECT_EQ(a.working_dir, b.working_dir) << name;
  }
  EXPECT_NE(w.text().find("[services.trader.BLUE]"), std::string::npos);
  EXPECT_NE(w.text().find("memory_max = \"2G\""), std::string::npos);
}

TEST(ServiceOptionsTest, ByteSizes) {
  EXPECT_EQ(*ParseByteSize("2G"), 2 * kG);
  EXPECT_EQ(*ParseByteSize("512M"), 512 * kM);
  EXPECT_EQ(*ParseByteSize("64M"), 64 * kM);
  EXPECT_EQ(*ParseByteSize("1024K"), 1 * kM);
  EXPECT_EQ(*ParseByteSize("1T"), int64_t{1} << 40);
  EXPECT_EQ(*ParseByteSize("4096"), 4096);
  EXPECT_EQ(*ParseByteSize("infinity"), std::nullopt);
  for (std::string_view bad : {"", "G", "2g", "2 G", "-1", "2.5G", "99999999999T", "2GB"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatByteSize(2 * kG), "2G");
  EXPECT_EQ(FormatByteSize(1536), "1536");
  EXPECT_EQ(FormatByteSize(1024), "1K");
  EXPECT_EQ(FormatByteSize(0), "0");
  EXPECT_EQ(FormatByteSize(std::nullopt), "infinity");
}

TEST(ServiceOptionsTest, CpuQuotas) {
  EXPECT_EQ(*ParseCpuQuota("200%"), 200.0);
  EXPECT_EQ(*ParseCpuQuota("12.5%"), 12.5);
  EXPECT_EQ(*ParseCpuQuota("infinity"), std::nullopt);
  for (std::string_view bad : {"", "%", "200", "0%", "-5%", "abc%", "1e3%"}) {
    EXPECT_FALSE(ParseCpuQuota(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatCpuQuota(200.0), "200%");
  EXPECT_EQ(FormatCpuQuota(12.5), "12.5%");
  EXPECT_EQ(FormatCpuQuota(std::nullopt), "infinity");
}

TEST(ServiceOptionsTest, DolphinServiceNames) {
  EXPECT_TRUE(IsDolphinService("bridge"));
  EXPECT_TRUE(IsDolphinService("trader.BLUE"));
  EXPECT_TRUE(IsDolphinService("worker"));
  EXPECT_FALSE(IsDolphinService("hazelcast"));
  EXPECT_FALSE(IsDolphinService("bridge.x"));
  EXPECT_EQ(RestartPolicyName(RestartPolicy::kOnFailure), "on-failure");
}

}  // namespace
}  // namespace dolphin::supervisor
