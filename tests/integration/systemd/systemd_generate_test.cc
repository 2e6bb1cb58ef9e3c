// `dolphin systemd generate` end to end (docs/services.md §3): the real binary writes the units of
// a configuration, each names this binary and the absolute config, and `systemd-analyze verify
// --man=no` prints nothing for any of them (it exits 0 even on unknown keys: its output is what
// is asserted). The template is verified as an instance. `--install` into a scratch unit dir on
// a host without a running systemd says so in one line; the memory bus is refused (exit 2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "dolphin/core/file_system.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using testing::DolphinBinary;
using ::testing::HasSubstr;
using testing::ProcessResult;

class SystemdGenerateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() / "dolphin.toml") << R"(state_dir = "var"
[bus]
backend = "hazelcast"
members = ["127.0.0.1:5701"]
[trader.BLUE]
posture = "TURTLE"
[trader.GREEN]
posture = "TURTLE"
[health]
processes = "systemd"
[services.trader.GREEN]
memory_max = "1G"
[services.bridge]
tasks_max = 30
)";
  }
  ProcessResult Dolphin(std::vector<std::string> args) {
    args.insert(args.begin(), DolphinBinary());
    return testing::RunProcess(args, dir_.path(), std::chrono::seconds(60));
  }
  std::string Read(const fs::path& p) { return FileSystem::Default().ReadFile(p).value_or(""); }
  testing::TempDir dir_;
};

TEST_F(SystemdGenerateTest, WritesEveryUnitAndSystemdAnalyzeVerifyPrintsNothing) {
  auto r = Dolphin({"systemd", "generate", "-c", "dolphin.toml", "-o", "units"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path units = dir_.path() / "units";
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(units)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{
                       "dolphin-nautilus-trader@.service",
                       "dolphin-nautilus-trader@GREEN.service.d", "dolphin-scan-bridge.service",
                       "meta_health_daemon.service", "dolphin-safety.service",
                       "dolphin-prefect-worker.service", "hazelcast.service", "hazelcast.yaml"}));
  const std::string binary = fs::canonical(DolphinBinary()).string();
  const std::string config = (dir_.path() / "dolphin.toml").string();
  const std::string bridge = Read(units / "dolphin-scan-bridge.service");
  EXPECT_THAT(bridge, HasSubstr("\nExecStart=" + binary + " serve bridge -c " + config + "\n"));
  EXPECT_THAT(bridge, HasSubstr("\nWorkingDirectory=" + dir_.path().string() + "\n"));
  EXPECT_THAT(bridge, HasSubstr("\nReadWritePaths=" + (dir_.path() / "var").string() + "\n"));
  EXPECT_THAT(bridge, HasSubstr("\nTasksMax=30\n"));   // [services.bridge]
  EXPECT_THAT(bridge, HasSubstr("\nMemoryMax=2G\n"));  // the defaults otherwise
  EXPECT_THAT(Read(units / "dolphin-nautilus-trader@GREEN.service.d" / "50-limits.conf"),
              HasSubstr("MemoryMax=1G"));
  EXPECT_THAT(
      Read(units / "dolphin-prefect-worker.service"),
      HasSubstr(
          "serve worker --pool dolphin --pool dolphin-scan --pool dolphin-extf-indicators --pool dolphin-obf -c"));
  EXPECT_THAT(Read(units / "hazelcast.service"),
              HasSubstr("com.hazelcast.core.server.HazelcastMemberStarter"));
  EXPECT_THAT(Read(units / "hazelcast.yaml"), HasSubstr("port: 5701"));
  EXPECT_THAT(r.out, HasSubstr("systemctl enable --now"));
  EXPECT_THAT(
      r.out,
      HasSubstr("dolphin-nautilus-trader@BLUE.service dolphin-nautilus-trader@GREEN.service"));

  // systemd-analyze verify: the template needs an instance name, so BLUE and GREEN are links
  // beside it (GREEN's drop-in folder is found next to it).
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) {
    if (testing::InCi()) FAIL() << "systemd-analyze missing under CI=true (Debian package systemd)";
    GTEST_SKIP() << "SKIPPING: no systemd-analyze";
  }
  fs::create_symlink("dolphin-nautilus-trader@.service",
                     units / "dolphin-nautilus-trader@BLUE.service");
  fs::create_symlink("dolphin-nautilus-trader@.service",
                     units / "dolphin-nautilus-trader@GREEN.service");
  for (const std::string unit :
       {"dolphin-nautilus-trader@BLUE.service", "dolphin-nautilus-trader@GREEN.service",
        "dolphin-scan-bridge.service", "meta_health_daemon.service", "dolphin-safety.service",
        "dolphin-prefect-worker.service", "hazelcast.service"}) {
    auto v = testing::RunProcess({"systemd-analyze", "verify", "--man=no", (units / unit).string()},
                                 units, std::chrono::seconds(60));
    EXPECT_EQ(v.out + v.err, "") << unit;
    EXPECT_EQ(v.exit_code, 0) << unit;
  }
}

TEST_F(SystemdGenerateTest, InstallCopiesTheUnitsAndSaysWhenSystemdIsNotRunning) {
  auto r = Dolphin({"systemd", "generate", "-c", "dolphin.toml", "-o", "units", "--install",
                    "--unit-dir", "etc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_.path() / "etc" / "dolphin-scan-bridge.service"));
  EXPECT_TRUE(fs::exists(dir_.path() / "etc" / "dolphin-nautilus-trader@GREEN.service.d" /
                         "50-limits.conf"));
  EXPECT_TRUE(fs::exists(dir_.path() / "var" / "hazelcast" / "hazelcast.yaml"));
  if (!fs::exists("/run/systemd/system")) {
    EXPECT_THAT(
        r.out,
        HasSubstr("systemd is not running on this host (no /run/systemd/system): units installed, "
                  "`systemctl daemon-reload` skipped\n"));
  }
}

TEST_F(SystemdGenerateTest, TheMemoryBusAndAMissingOutFolderAreUsageErrors) {
  std::ofstream(dir_.path() / "memory.toml") << "[trader.BLUE]\n";
  auto r = Dolphin({"systemd", "generate", "-c", "memory.toml", "-o", "units"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("set [bus] backend = \"hazelcast\""));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "units"));
  r = Dolphin({"systemd", "generate", "-c", "dolphin.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--out"));
}

TEST_F(SystemdGenerateTest, TheWorkerServesEveryConfiguredPool) {
  std::ofstream(dir_.path() / "pools.toml") << R"(state_dir = "var"
[bus]
backend = "hazelcast"
[health]
processes = "systemd"
[pools.gpu]
concurrency_limit = 2
[pools.dolphin-obf]
paused = true
)";
  auto r = Dolphin({"systemd", "generate", "-c", "pools.toml", "-o", "units"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string worker = Read(dir_.path() / "units" / "dolphin-prefect-worker.service");
  EXPECT_THAT(
      worker,
      HasSubstr("serve worker --pool dolphin --pool dolphin-scan --pool dolphin-extf-indicators "
                "--pool dolphin-obf --pool gpu -c"));
  EXPECT_THAT(worker, HasSubstr("\nDelegate=yes\n"));
}

}  // namespace
}  // namespace dolphin
