#include "dolphin/systemd_units/unit_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace dolphin::systemd_units {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

UnitsInput Input() {
  UnitsInput in;
  in.dolphin_binary = "/usr/local/bin/dolphin";
  in.config_file = "/etc/dolphin/dolphin.toml";
  in.working_dir = "/etc/dolphin";
  in.state_dir = "/var/lib/dolphin";
  in.trader_colors = {"BLUE", "GREEN"};
  in.worker_pools = {"dolphin", "dolphin-scan"};
  in.writable_paths["bridge"] = {"/mnt/ng6_data/arrow_scans"};
  in.hazelcast = HazelcastUnit{
      {"/usr/bin/java", "-cp", "/opt/hz.jar", "com.hazelcast.core.server.HazelcastMemberStarter"}};
  return in;
}

std::map<std::string, std::string> ByPath(const std::vector<UnitFile>& files) {
  std::map<std::string, std::string> out;
  for (const UnitFile& f : files) out[f.path] = f.text;
  return out;
}

// The lines of one [section] of a unit.
std::vector<std::string> Section(const std::string& text, const std::string& name) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line, current;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() == '[') {
      current = line;
      continue;
    }
    if (current == "[" + name + "]" && !line.empty()) lines.push_back(line);
  }
  return lines;
}

TEST(UnitFilesTest, WritesEveryUnitUnderTheOriginalNames) {
  auto files = RenderUnits(Input());
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::vector<std::string> names;
  for (const UnitFile& f : *files) names.push_back(f.path);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre(
                         "hazelcast.service", "dolphin-nautilus-trader@.service",
                         "dolphin-scan-bridge.service", "meta_health_daemon.service",
                         "dolphin-safety.service", "dolphin-prefect-worker.service"));
}

// The original trader unit's limits (2G, 200 %, 50 tasks, always, 5 s, 3 in 60 s), from
// ServiceOptions' defaults, with the original's mistakes corrected.
TEST(UnitFilesTest, EveryDolphinUnitCarriesTheOriginalLimitsAndTheCorrections) {
  auto files = ByPath(*RenderUnits(Input()));
  for (const std::string name :
       {"dolphin-nautilus-trader@.service", "dolphin-scan-bridge.service",
        "meta_health_daemon.service", "dolphin-safety.service", "dolphin-prefect-worker.service"}) {
    SCOPED_TRACE(name);
    const std::string& text = files.at(name);
    const auto unit = Section(text, "Unit");
    const auto service = Section(text, "Service");
    // Start limit in [Unit], current names; never in [Service].
    EXPECT_THAT(unit, ::testing::Contains("StartLimitIntervalSec=60s"));
    EXPECT_THAT(unit, ::testing::Contains("StartLimitBurst=3"));
    EXPECT_THAT(text, Not(HasSubstr("StartLimitInterval=")));
    for (const std::string& l : service) EXPECT_THAT(l, Not(HasSubstr("StartLimit")));
    EXPECT_THAT(unit, ::testing::Contains("Wants=network-online.target"));
    EXPECT_THAT(unit, ::testing::Contains("After=network-online.target"));
    EXPECT_THAT(unit, ::testing::Contains("Wants=hazelcast.service"));
    EXPECT_THAT(unit, ::testing::Contains("After=hazelcast.service"));
    for (const std::string key : {"Type=notify",
                                  "NotifyAccess=main",
                                  "WatchdogSec=30s",
                                  "Restart=always",
                                  "RestartSec=5s",
                                  "RestartPreventExitStatus=2 3",
                                  "TimeoutStopSec=10s",
                                  "MemoryMax=2G",
                                  "MemorySwapMax=0",
                                  "CPUQuota=200%",
                                  "TasksMax=50",
                                  "KillMode=control-group",
                                  "StandardOutput=journal",
                                  "StandardError=journal",
                                  "WorkingDirectory=/etc/dolphin",
                                  "NoNewPrivileges=yes",
                                  "ProtectSystem=strict",
                                  "ProtectHome=read-only",
                                  "PrivateTmp=yes",
                                  "PrivateDevices=yes",
                                  "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"}) {
      EXPECT_THAT(service, ::testing::Contains(key));
    }
    EXPECT_THAT(text, Not(HasSubstr("/tmp")));
    EXPECT_THAT(text, Not(HasSubstr("User=root")));
    EXPECT_THAT(text, Not(HasSubstr("MemoryLimit=")));
    EXPECT_THAT(Section(text, "Install"), ::testing::ElementsAre("WantedBy=multi-user.target"));
  }
  // OOMPolicy explicit: kill (the whole unit, then a clean restart); continue for the delegating
  // worker, whose flow runs are its children.
  EXPECT_THAT(Section(files.at("dolphin-scan-bridge.service"), "Service"),
              ::testing::Contains("OOMPolicy=kill"));
  EXPECT_THAT(Section(files.at("dolphin-prefect-worker.service"), "Service"),
              ::testing::Contains("OOMPolicy=continue"));
}

TEST(UnitFilesTest, ExecStartRunsThisBinaryWithTheAbsoluteConfig) {
  auto files = ByPath(*RenderUnits(Input()));
  EXPECT_THAT(
      files.at("dolphin-scan-bridge.service"),
      HasSubstr("\nExecStart=/usr/local/bin/dolphin serve bridge -c /etc/dolphin/dolphin.toml\n"));
  EXPECT_THAT(
      files.at("meta_health_daemon.service"),
      HasSubstr("\nExecStart=/usr/local/bin/dolphin serve health -c /etc/dolphin/dolphin.toml\n"));
  EXPECT_THAT(
      files.at("dolphin-safety.service"),
      HasSubstr("\nExecStart=/usr/local/bin/dolphin serve safety -c /etc/dolphin/dolphin.toml\n"));
  const std::string& trader = files.at("dolphin-nautilus-trader@.service");
  EXPECT_THAT(
      trader,
      HasSubstr(
          "\nExecStart=/usr/local/bin/dolphin serve trader --color %i -c /etc/dolphin/dolphin.toml\n"));
  EXPECT_THAT(trader, HasSubstr("Description=DOLPHIN trader %i"));
  EXPECT_THAT(trader, HasSubstr("SyslogIdentifier=dolphin-trader-%i"));
  // The worker: one process serving every pool, its limits binding its flow runs (Delegate=yes).
  const std::string& worker = files.at("dolphin-prefect-worker.service");
  EXPECT_THAT(worker,
              HasSubstr("\nExecStart=/usr/local/bin/dolphin serve worker --pool dolphin --pool "
                        "dolphin-scan -c /etc/dolphin/dolphin.toml\n"));
  EXPECT_THAT(Section(worker, "Service"), ::testing::Contains("Delegate=yes"));
  EXPECT_THAT(worker, Not(HasSubstr("ProtectControlGroups")));  // it manages its sub-cgroups
  EXPECT_THAT(files.at("dolphin-scan-bridge.service"), HasSubstr("ProtectControlGroups=yes"));
}

TEST(UnitFilesTest, OnlyTheStateDirAndTheServicesOwnDataPathsAreWritable) {
  auto files = ByPath(*RenderUnits(Input()));
  EXPECT_THAT(files.at("dolphin-scan-bridge.service"),
              HasSubstr("\nReadWritePaths=/var/lib/dolphin /mnt/ng6_data/arrow_scans\n"));
  EXPECT_THAT(files.at("meta_health_daemon.service"),
              HasSubstr("\nReadWritePaths=/var/lib/dolphin\n"));
}

TEST(UnitFilesTest, HazelcastIsAForeignProcessWithTheSameLimitsButNoNotify) {
  auto files = ByPath(*RenderUnits(Input()));
  const std::string& hz = files.at("hazelcast.service");
  const auto service = Section(hz, "Service");
  EXPECT_THAT(service, ::testing::Contains("Type=exec"));
  EXPECT_THAT(service, ::testing::Contains("SuccessExitStatus=143"));
  EXPECT_THAT(
      service,
      ::testing::Contains(
          "ExecStart=/usr/bin/java -cp /opt/hz.jar com.hazelcast.core.server.HazelcastMemberStarter"));
  EXPECT_THAT(service, ::testing::Contains("MemoryMax=2G"));
  EXPECT_THAT(service, ::testing::Contains("MemorySwapMax=0"));
  EXPECT_THAT(service, ::testing::Contains("OOMPolicy=kill"));
  EXPECT_THAT(hz, Not(HasSubstr("Type=notify")));
  EXPECT_THAT(hz, Not(HasSubstr("WatchdogSec")));
  EXPECT_THAT(hz, Not(HasSubstr("RestartPreventExitStatus")));
  EXPECT_THAT(hz, Not(HasSubstr("MemoryDenyWriteExecute")));  // the JIT
  EXPECT_THAT(hz, Not(HasSubstr("Wants=hazelcast.service")));
  EXPECT_THAT(Section(hz, "Unit"), ::testing::Contains("StartLimitIntervalSec=60s"));
}

TEST(UnitFilesTest, ConfiguredOptionsReplaceTheDefaultsAndAColourGetsADropIn) {
  UnitsInput in = Input();
  supervisor::ServiceOptions bridge;
  bridge.memory_max = int64_t{512} << 20;
  bridge.cpu_quota_percent = 50.0;
  bridge.tasks_max = 30;
  bridge.restart = supervisor::RestartPolicy::kOnFailure;
  bridge.restart_sec = 1500ms;
  bridge.start_limit_interval = 120s;
  bridge.start_limit_burst = 5;
  bridge.watchdog = 0s;
  bridge.env = {{"TZ", "UTC"}};
  in.services["bridge"] = bridge;
  supervisor::ServiceOptions off;
  off.enabled = false;
  in.services["safety"] = off;
  supervisor::ServiceOptions green;
  green.memory_max = int64_t{1} << 30;
  in.services["trader.GREEN"] = green;
  in.hazelcast.reset();
  in.worker_pools.clear();
  auto files = ByPath(*RenderUnits(in));
  EXPECT_EQ(files.count("dolphin-safety.service"), 0u);
  EXPECT_EQ(files.count("hazelcast.service"), 0u);
  EXPECT_EQ(files.count("dolphin-prefect-worker.service"), 0u);  // no pool, no worker
  const auto service = Section(files.at("dolphin-scan-bridge.service"), "Service");
  for (const std::string key : {"MemoryMax=512M", "CPUQuota=50%", "TasksMax=30",
                                "Restart=on-failure", "RestartSec=1500ms", "Environment=TZ=UTC"}) {
    EXPECT_THAT(service, ::testing::Contains(key));
  }
  EXPECT_THAT(files.at("dolphin-scan-bridge.service"), Not(HasSubstr("WatchdogSec")));  // 0 = off
  EXPECT_THAT(Section(files.at("dolphin-scan-bridge.service"), "Unit"),
              ::testing::Contains("StartLimitBurst=5"));
  EXPECT_THAT(files.at("dolphin-scan-bridge.service"), Not(HasSubstr("hazelcast.service")));
  // GREEN's own limits over the template; BLUE keeps the template's.
  ASSERT_EQ(files.count("dolphin-nautilus-trader@GREEN.service.d/50-limits.conf"), 1u);
  EXPECT_EQ(files.count("dolphin-nautilus-trader@BLUE.service.d/50-limits.conf"), 0u);
  const std::string& drop_in = files.at("dolphin-nautilus-trader@GREEN.service.d/50-limits.conf");
  EXPECT_THAT(Section(drop_in, "Service"), ::testing::Contains("MemoryMax=1G"));
  EXPECT_THAT(Section(drop_in, "Unit"), ::testing::Contains("StartLimitIntervalSec=60s"));
  EXPECT_THAT(files.at("dolphin-nautilus-trader@.service"), HasSubstr("MemoryMax=2G"));
}

TEST(UnitFilesTest, UnlimitedValuesAreWrittenAsSystemdReadsThem) {
  UnitsInput in = Input();
  supervisor::ServiceOptions o;
  o.memory_max.reset();
  o.memory_swap_max.reset();
  o.cpu_quota_percent.reset();
  o.tasks_max.reset();
  in.services["health"] = o;
  const auto service =
      Section(ByPath(*RenderUnits(in)).at("meta_health_daemon.service"), "Service");
  EXPECT_THAT(service, ::testing::Contains("MemoryMax=infinity"));
  EXPECT_THAT(service, ::testing::Contains("MemorySwapMax=infinity"));
  EXPECT_THAT(service, ::testing::Contains("CPUQuota="));  // empty: no quota
  EXPECT_THAT(service, ::testing::Contains("TasksMax=infinity"));
}

TEST(UnitFilesTest, RelativePathsAreRefused) {
  UnitsInput in = Input();
  in.config_file = "dolphin.toml";
  EXPECT_THAT(RenderUnits(in).status().message(),
              HasSubstr("config file: expected an absolute path, got \"dolphin.toml\""));
  in = Input();
  in.dolphin_binary = "dolphin";
  EXPECT_FALSE(RenderUnits(in).ok());
  in = Input();
  in.hazelcast = HazelcastUnit{{"java"}};
  EXPECT_THAT(RenderUnits(in).status().message(), HasSubstr("absolute path"));
}

TEST(UnitFilesTest, ExecArgumentsAreQuotedAndNeverExpanded) {
  EXPECT_EQ(QuoteExecArg("/etc/dolphin/dolphin.toml"), "/etc/dolphin/dolphin.toml");
  EXPECT_EQ(QuoteExecArg("/srv/my configs/d.toml"), "\"/srv/my configs/d.toml\"");
  EXPECT_EQ(QuoteExecArg("50%"), "50%%");
  EXPECT_EQ(QuoteExecArg("$HOME"), "$$HOME");
  EXPECT_EQ(QuoteExecArg("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(QuoteExecArg(""), "\"\"");
  EXPECT_EQ(QuoteExecArg("%i"), "%i");
  EXPECT_EQ(FormatSystemdDuration(5s), "5s");
  EXPECT_EQ(FormatSystemdDuration(1500ms), "1500ms");
  EXPECT_EQ(FormatSystemdDuration(0s), "0s");
}

TEST(UnitFilesTest, TheMemberRunsWithHalfItsMemoryLimitAsHeap) {
  supervisor::ServiceOptions o;  // 2G
  auto argv = HazelcastMemberCommand("/usr/bin/java", "/opt/hz.jar",
                                     "/var/lib/dolphin/hazelcast/hazelcast.yaml", o);
  EXPECT_EQ(argv.front(), "/usr/bin/java");
  EXPECT_THAT(argv, ::testing::Contains("-Xmx1024m"));
  EXPECT_THAT(argv,
              ::testing::Contains("-Dhazelcast.config=/var/lib/dolphin/hazelcast/hazelcast.yaml"));
  EXPECT_EQ(argv.back(), "com.hazelcast.core.server.HazelcastMemberStarter");
  o.memory_max = int64_t{512} << 20;
  EXPECT_THAT(HazelcastMemberCommand("/usr/bin/java", "/opt/hz.jar", "/c.yaml", o),
              ::testing::Contains("-Xmx256m"));
  const std::string yaml = HazelcastMemberConfig("dolphin", "127.0.0.1", 5701);
  EXPECT_THAT(yaml, HasSubstr("cluster-name: dolphin"));
  EXPECT_THAT(yaml, HasSubstr("port: 5701"));
  EXPECT_THAT(yaml, HasSubstr("- 127.0.0.1:5701"));
}

}  // namespace
}  // namespace dolphin::systemd_units
