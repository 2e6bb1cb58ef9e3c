// The health service heals a lost control plane, for real: `dolphin run` on the hazelcast
// backend with a member of the test's own, declared as `[health] control_plane_restart` (the
// test manages it; a shared cluster is never restarted). SIGKILL the member: M2/M3/M5 drop to 0
// (bus unreachable) and M4 falls, DEAD after the hold, health runs the restart command, the bus
// reconnects, and the record is GREEN again.
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "dolphin/contract/meta_health.h"
#include "dolphin/core/file_system.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "member_environment.h"

namespace dolphin::bus::hazelcast {
namespace {

namespace fs = std::filesystem;
using contract::HealthStatus;
using dolphin::testing::DolphinBinary;
using dolphin::testing::Subprocess;
using dolphin::testing::WaitFor;
using testing::Member;

class HealthControlPlaneTest : public ::testing::Test {
 protected:
  std::optional<contract::MetaHealth> Record() {
    auto text =
        FileSystem::Default().ReadFile(dir_.path() / "var" / "run_logs" / "meta_health.json");
    auto m =
        text.ok() ? contract::DecodeMetaHealth(*text) : Result<contract::MetaHealth>(text.status());
    if (!m.ok()) return std::nullopt;
    return *m;
  }
  dolphin::testing::TempDir dir_;
};

TEST_F(HealthControlPlaneTest, KilledMemberIsRestartedByHealthAndTheRecordIsGreenAgain) {
  DOLPHIN_REQUIRE_MEMBER();
  // A member of this test's own (not the binary's shared one): a free port, its own folder.
  int port = 0;
  for (int p = 15801; p < 15900 && port == 0; ++p) {
    if (Member::PortFree(p)) port = p;
  }
  ASSERT_NE(port, 0);
  const fs::path member_dir = dir_.path() / "member";
  fs::create_directories(member_dir);
  const std::string script = Member::SourceDir() + "/scripts/hazelcast.sh";
  auto start = dolphin::testing::RunProcess(
      {"bash", script, "start", "--port", std::to_string(port), "--dir", member_dir.string(),
       "--watch-pid", std::to_string(::getpid())},
      {}, std::chrono::seconds(120));
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  std::ofstream(dir_.path() / "dolphin.toml")
      << fmt::format(R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[bus]
backend = "hazelcast"
members = ["127.0.0.1:{0}"]
[sim]
enabled = true
interval_ms = 250
assets = 10
[trader.BLUE]
posture = "TURTLE"
[health]
interval_s = 0.5
worsen_after_s = 1
recover_after_s = 2
startup_grace_s = 0
recovery_cooldown_s = 30
fresh_s = 5
dead_s = 10
control_plane_restart = ["bash", "{1}", "start", "--port", "{0}", "--dir", "{2}", "--watch-pid", "{3}"]
)",
                     port, script, member_dir.string(), ::getpid());
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = Record();
        return r && r->status == HealthStatus::kGreen;
      },
      std::chrono::seconds(90)))
      << run.Stderr();

  auto kill = dolphin::testing::RunProcess(
      {"bash", script, "kill", "--port", std::to_string(port), "--dir", member_dir.string()});
  ASSERT_EQ(kill.exit_code, 0) << kill.err;
  // Bus unreachable: the record (on disk; the bus is gone) says DEAD with the reason.
  // The DEAD record may last a single cycle (the restart it triggers brings the member back at
  // once), so it is read from meta_health.log, where every status change stays.
  std::string dead_line;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto log =
            FileSystem::Default().ReadFile(dir_.path() / "var" / "run_logs" / "meta_health.log");
        if (!log.ok()) return false;
        std::istringstream lines(*log);
        for (std::string line; std::getline(lines, line);) {
          if (line.find("status=DEAD") != std::string::npos &&
              line.find(" m4=1.00") == std::string::npos &&
              line.find("bus unreachable") != std::string::npos) {
            dead_line = line;
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(60)))
      << run.Stderr();
  for (const char* sensor : {" m2=0.00", " m3=0.00", " m5=0.00"}) {
    EXPECT_NE(dead_line.find(sensor), std::string::npos) << sensor << " in " << dead_line;
  }
  // Health restarts the member, the bus reconnects, GREEN again.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = Record();
        return r && r->status == HealthStatus::kGreen && !r->recovery.empty();
      },
      std::chrono::seconds(180)))
      << run.Stderr();
  auto green = Record();
  ASSERT_TRUE(green.has_value());
  EXPECT_EQ(green->recovery[0].target, "control_plane");
  EXPECT_EQ(green->recovery[0].action, "restart control plane");
  EXPECT_EQ(green->recovery[0].result, "ok");
  EXPECT_EQ(green->recovery.size(), 1u);  // never twice
  EXPECT_EQ(green->m4_control_plane, 1.0);
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(std::chrono::seconds(60)).exit_code, 0);
  (void)dolphin::testing::RunProcess(
      {"bash", script, "kill", "--port", std::to_string(port), "--dir", member_dir.string()});
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
