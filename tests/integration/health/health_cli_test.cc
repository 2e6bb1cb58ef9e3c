// The health service in real processes (docs/health.md): `dolphin run` scores itself, restarts a
// bridge whose loop returned and comes back GREEN; stale upstream data alone never triggers an
// action, and a restarted upstream (lower scan numbers, newer time) is a new epoch and GREEN
// again; `dolphin health` shows it all, `--check` exits by status, `cat meta_health.json` works.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>

#include "dolphin/contract/meta_health.h"
#include "dolphin/core/file_system.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using contract::HealthStatus;
using testing::DolphinBinary;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::Subprocess;
using testing::WaitFor;

class HealthCliTest : public ::testing::Test {
 protected:
  void WriteConfig(const std::string& extra) {
    std::ofstream(dir_.path() / "dolphin.toml") << R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[trader.BLUE]
posture = "TURTLE"
)" << extra;
  }

  ProcessResult Dolphin(std::vector<std::string> args) {
    args.insert(args.begin(), DolphinBinary());
    args.insert(args.end(), {"-c", "dolphin.toml"});
    return testing::RunProcess(args, dir_.path(), std::chrono::seconds(60));
  }

  // The original system's check: the record as a file, replaced atomically every cycle.
  std::optional<contract::MetaHealth> Record() {
    auto text =
        FileSystem::Default().ReadFile(dir_.path() / "var" / "run_logs" / "meta_health.json");
    auto m =
        text.ok() ? contract::DecodeMetaHealth(*text) : Result<contract::MetaHealth>(text.status());
    if (!m.ok()) return std::nullopt;
    return *m;
  }

  bool WaitForStatus(HealthStatus s, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return WaitFor(
        [&] {
          auto r = Record();
          return r && r->status == s;
        },
        timeout);
  }

  std::string Log() {
    return FileSystem::Default()
        .ReadFile(dir_.path() / "var" / "run_logs" / "meta_health.log")
        .value_or("");
  }

  int64_t LatestScan() {
    auto r = Dolphin({"bus", "get", "--raw", "DOLPHIN_FEATURES", "latest_eigen_scan"});
    auto j = ParseJson(r.out);
    if (!j.ok() || !j->contains("scan_number")) return -1;
    return (*j)["scan_number"].get<int64_t>();
  }

  testing::TempDir dir_;
};

TEST_F(HealthCliTest, RunRestartsABridgeWhoseLoopReturnedAndIsGreenAgain) {
  WriteConfig(R"([sim]
enabled = true
interval_ms = 200
assets = 20
[health]
interval_s = 0.5
worsen_after_s = 1
recover_after_s = 2
startup_grace_s = 0
recovery_cooldown_s = 1
fresh_s = 3
dead_s = 6
)");
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path(),
                 {"DOLPHIN_TEST_BRIDGE_LOOP_EXIT_AFTER=5"});
  // The loop returns after 5 scans: M1 drops, DEAD after the hold, the bridge is restarted.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = Record();
        return r && !r->recovery.empty();
      },
      std::chrono::seconds(90)))
      << run.Stderr();
  auto r = Record();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->recovery[0].target, "bridge");
  EXPECT_EQ(r->recovery[0].action, "restart service");
  EXPECT_EQ(r->recovery[0].result, "ok");
  EXPECT_THAT(run.Stderr(), HasSubstr("event loop returned"));
  EXPECT_THAT(run.Stderr(), HasSubstr("service restarted service=bridge"));
  EXPECT_THAT(Log(), HasSubstr("status=DEAD"));
  EXPECT_THAT(Log(), HasSubstr("bridge missing (run loop returned: test exit after 5 scans)"));
  EXPECT_THAT(Log(), HasSubstr("recovery target=bridge"));
  // GREEN again, with scans flowing past the restart.
  ASSERT_TRUE(WaitForStatus(HealthStatus::kGreen)) << Log();
  const int64_t after = LatestScan();
  ASSERT_TRUE(WaitFor([&] { return LatestScan() > after + 2; }, std::chrono::seconds(30)));
  r = Record();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->processes.at("bridge").restarts, 1);
  EXPECT_TRUE(r->processes.at("bridge").present);
  EXPECT_EQ(r->recovery.size(), 1u);  // never twice
  // What the bridge, the trader and the Runner really publish passes every M5 check.
  EXPECT_TRUE(r->checks.empty()) << ::testing::PrintToString(r->checks);
  EXPECT_EQ(r->m5_coherence, 1.0);

  auto show = Dolphin({"health"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("MHS GREEN"));
  EXPECT_THAT(show.out, HasSubstr("M1 process integrity"));
  EXPECT_THAT(show.out, HasSubstr("RECENT RECOVERY"));
  EXPECT_THAT(show.out, HasSubstr("restart service"));
  // --check allows 3 intervals (1.5 s here) of record age: retried, as a monitor would.
  ProcessResult check;
  EXPECT_TRUE(WaitFor(
      [&] {
        check = Dolphin({"health", "--check"});
        return check.exit_code == 0;
      },
      std::chrono::seconds(20)))
      << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("GREEN"));
  auto json = Dolphin({"health", "--json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_OK(contract::DecodeMetaHealth(json.out));
  auto reset = Dolphin({"health", "reset", "nothing-here"});
  EXPECT_NE(reset.exit_code, 0);
  EXPECT_THAT(reset.err, HasSubstr("never acted on"));
  EXPECT_EQ(Dolphin({"health", "reset", "bridge"}).exit_code, 0);

  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(std::chrono::seconds(30)).exit_code, 0);
  // A dead watchdog is not a healthy system: the stale record fails --check.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Dolphin({"health", "--check"}).exit_code == 1;
      },
      std::chrono::seconds(10)));
}

// The original system's scenario 2, end to end: the scan source stops for longer than dead_s,
// then restarts with lower scan numbers. No recovery action; a new epoch; GREEN again.
TEST_F(HealthCliTest, StaleUpstreamThenARestartedScannerIsNoActionANewEpochAndGreen) {
  // Only the scan source: the trader republishes its state every heartbeat (a quiet market is
  // not a dead trader), so with the default sources a dead scan alone is CRITICAL; here it
  // drives the status all the way to DEAD, where recovery would act if it ever did on data.
  WriteConfig(R"([sim]
enabled = false
[health]
sources = ["scan"]
interval_s = 0.5
worsen_after_s = 0.5
recover_after_s = 1
startup_grace_s = 0
fresh_s = 1
dead_s = 2
)");
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
  const std::string scans = (dir_.path() / "var" / "scans").string();
  // The scanner in its own process: 40 scans, one per 150 ms (6 s of fresh data).
  auto sim = [&] {
    return std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "sim", "--out", scans, "--count", "40",
                                 "--interval-ms", "150", "--assets", "10"},
        dir_.path());
  };
  ASSERT_TRUE(WaitFor([&] { return fs::exists(dir_.path() / "var" / "api.addr"); },
                      std::chrono::seconds(30)));
  auto first = sim();
  ASSERT_TRUE(WaitForStatus(HealthStatus::kGreen)) << Log() << run.Stderr();
  ASSERT_EQ(first->Wait(std::chrono::seconds(60)).exit_code, 0) << first->Stderr();
  auto epoch_of = [&] {
    auto r = Dolphin({"bus", "get", "--raw", "DOLPHIN_FEATURES", "latest_eigen_scan"});
    auto j = ParseJson(r.out);
    return j.ok() && j->contains("epoch") ? (*j)["epoch"].get<int64_t>() : int64_t{0};
  };
  const int64_t epoch1 = epoch_of();
  // Upstream silent: stale, then dead. Health degrades and does nothing about it.
  ASSERT_TRUE(WaitForStatus(HealthStatus::kDead)) << Log();
  auto r = Record();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->data_sources.at("scan").state, "dead");
  EXPECT_EQ(r->m1_proc, 1.0);
  EXPECT_TRUE(r->recovery.empty());
  // The scanner restarts: scan numbers from 1 again, newer timestamps.
  auto second = sim();
  ASSERT_TRUE(WaitForStatus(HealthStatus::kGreen)) << Log();
  EXPECT_NE(epoch_of(), epoch1);
  EXPECT_THAT(run.Stderr(), HasSubstr("upstream restart detected: new epoch"));
  r = Record();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->recovery.empty());
  EXPECT_THAT(Log(), Not(HasSubstr("recovery target=")));
  EXPECT_EQ(second->Wait(std::chrono::seconds(60)).exit_code, 0);
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(std::chrono::seconds(30)).exit_code, 0);
}

// Under systemd (a stand-in systemctl, never the real one): a unit systemd is restarting gets no
// action; a failed one is restarted once through the restart command, then GREEN.
TEST_F(HealthCliTest, SystemdUnitsAreProbedAndOnlyAFailedOneIsRestarted) {
  const fs::path units = dir_.path() / "units";
  fs::create_directories(units);
  const fs::path fake = dir_.path() / "fake-systemctl.sh";
  std::ofstream(fake) << R"(#!/usr/bin/env bash
dir="$(dirname "$0")/units"
case $1 in
  show) cat "$dir/$2" 2>/dev/null || printf 'inactive\n0\n' ;;
  restart) echo "$2" >> "$dir/restarts"; printf 'active\n4242\n' > "$dir/$2" ;;
esac
)";
  auto set_state = [&](const std::string& state) {
    std::ofstream(units / "dolphin-scan-bridge.service") << state << "\n0\n";
  };
  set_state("activating");
  WriteConfig(fmt::format(R"([sim]
enabled = true
interval_ms = 200
assets = 10
[health]
interval_s = 0.5
worsen_after_s = 0.5
recover_after_s = 1
startup_grace_s = 0
recovery_cooldown_s = 1
critical = ["bridge"]
sources = ["scan"]
processes = "systemd"
systemd_probe = ["bash", "{0}", "show", "{{unit}}"]
systemd_restart = ["bash", "{0}", "restart", "{{unit}}"]
)",
                          fake.string()));
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
  ASSERT_TRUE(WaitForStatus(HealthStatus::kDead)) << run.Stderr();
  // Several DEAD cycles with the unit activating: systemd's own restart, no action.
  ASSERT_TRUE(WaitFor([&] { return Log().find("status=DEAD") != std::string::npos; },
                      std::chrono::seconds(10)));
  auto r = Record();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(fs::exists(units / "restarts"));
  EXPECT_TRUE(r->recovery.empty());
  EXPECT_FALSE(r->processes.at("bridge").present);
  EXPECT_THAT(r->reasons["m1"].at(0), HasSubstr("dolphin-scan-bridge.service: activating"));
  set_state("failed");
  ASSERT_TRUE(WaitFor(
      [&] {
        auto x = Record();
        return x && x->status == HealthStatus::kGreen && !x->recovery.empty();
      },
      std::chrono::seconds(60)))
      << Log();
  EXPECT_EQ(FileSystem::Default().ReadFile(units / "restarts").value_or(""),
            "dolphin-scan-bridge.service\n");
  r = Record();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->processes.at("bridge").pid, 4242);
  EXPECT_EQ(r->recovery.size(), 1u);
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(std::chrono::seconds(30)).exit_code, 0);
}

TEST_F(HealthCliTest, CheckWithoutARecordFailsWithOneLine) {
  WriteConfig("");
  auto r = Dolphin({"health", "--check"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("dolphin:"));
}

}  // namespace
}  // namespace dolphin
