#include "dolphin/health/health_options.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::health {
namespace {

using std::chrono::seconds;

Result<HealthOptions> Parse(std::string_view toml, ConfigDiagnostics* diag) {
  auto config = Config::LoadString(toml, "test.toml", ".");
  if (!config.ok()) return config.status();
  auto root = config->Root(diag);
  return ParseHealthOptions(root.Sub("health"));
}

TEST(HealthOptionsTest, DefaultsWithoutASection) {
  ConfigDiagnostics diag;
  auto o = Parse("", &diag);
  ASSERT_OK(o);
  EXPECT_TRUE(o->enabled);
  EXPECT_EQ(o->interval, seconds(5));
  EXPECT_EQ(o->fresh, seconds(30));
  EXPECT_EQ(o->dead, seconds(120));
  EXPECT_EQ(o->worsen_after, seconds(10));
  EXPECT_EQ(o->recover_after, seconds(30));
  EXPECT_EQ(o->startup_grace, seconds(30));
  EXPECT_EQ(o->recovery_cooldown, seconds(60));
  EXPECT_EQ(o->max_restarts_per_hour, 6);
  EXPECT_FALSE(o->critical.has_value());
  EXPECT_FALSE(o->sources.has_value());
  EXPECT_TRUE(o->control_plane_restart.empty());
}

TEST(HealthOptionsTest, ReadsEveryKey) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([health]
enabled = false
interval_s = 1
critical = ["bridge"]
sources = ["scan", "state"]
fresh_s = 2
dead_s = 4.5
worsen_after_s = 0
recover_after_s = 3
startup_grace_s = 0
recovery_cooldown_s = 0.5
max_restarts_per_hour = 2
control_plane_restart = ["bash", "-c", "restart member"]
processes = "systemd"
systemd_probe = ["fake-systemctl", "show", "{unit}"]
)",
                 &diag);
  ASSERT_OK(o);
  EXPECT_FALSE(o->enabled);
  EXPECT_EQ(o->interval, seconds(1));
  EXPECT_EQ(*o->critical, std::vector<std::string>{"bridge"});
  EXPECT_EQ(*o->sources, (std::vector<std::string>{"scan", "state"}));
  EXPECT_EQ(o->dead, std::chrono::milliseconds(4500));
  EXPECT_EQ(o->recovery_cooldown, std::chrono::milliseconds(500));
  EXPECT_EQ(o->max_restarts_per_hour, 2);
  EXPECT_EQ(o->control_plane_restart.size(), 3u);
  EXPECT_EQ(o->processes, "systemd");
  EXPECT_EQ(o->systemd_probe, (std::vector<std::string>{"fake-systemctl", "show", "{unit}"}));
  EXPECT_EQ(o->systemd_restart, (std::vector<std::string>{"systemctl", "restart", "{unit}"}));
}

TEST(HealthOptionsTest, SystemdUnitsKeepTheOriginalNames) {
  EXPECT_EQ(SystemdUnitFor("bridge"), "dolphin-scan-bridge.service");
  EXPECT_EQ(SystemdUnitFor("trader.BLUE"), "dolphin-nautilus-trader@BLUE.service");
  EXPECT_EQ(SystemdUnitFor("health"), "meta_health_daemon.service");
  EXPECT_EQ(SystemdUnitFor("worker"), "dolphin-prefect-worker.service");
  EXPECT_EQ(SystemdUnitFor("safety"), "dolphin-safety.service");
}

TEST(HealthOptionsTest, EveryBadValueIsReported) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([health]
interval_s = 0
sources = ["scan", "bogus"]
fresh_s = 60
dead_s = 30
max_restarts_per_hour = -1
processes = "launchd"
systemd_restart = []
colour = "x"
)",
                 &diag);
  EXPECT_FALSE(o.ok());
  ASSERT_GE(diag.errors().size(), 7u);
  std::string all;
  for (const auto& e : diag.errors()) all += e + "\n";
  EXPECT_NE(all.find("interval_s"), std::string::npos) << all;
  EXPECT_NE(all.find("\"bogus\""), std::string::npos) << all;
  EXPECT_NE(all.find("dead_s"), std::string::npos) << all;
  EXPECT_NE(all.find("max_restarts_per_hour"), std::string::npos) << all;
  EXPECT_NE(all.find("colour"), std::string::npos) << all;
  EXPECT_NE(all.find("processes"), std::string::npos) << all;
  EXPECT_NE(all.find("systemd_restart"), std::string::npos) << all;
}

TEST(HealthOptionsTest, WrittenConfigReadsBackTheSame) {
  ConfigDiagnostics diag;
  auto o = Parse("[health]\nfresh_s = 7\ncritical = [\"bridge\", \"trader.BLUE\"]\n", &diag);
  ASSERT_OK(o);
  ConfigWriter w;
  WriteHealthOptions(*o, w);
  ConfigDiagnostics diag2;
  auto back = Parse(w.text(), &diag2);
  ASSERT_OK(back) << w.text();
  EXPECT_EQ(back->fresh, o->fresh);
  EXPECT_EQ(*back->critical, *o->critical);
  EXPECT_EQ(back->interval, o->interval);
  EXPECT_FALSE(back->sources.has_value());
}

}  // namespace
}  // namespace dolphin::health
