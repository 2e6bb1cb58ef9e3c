#include "dolphin/supervisor/restart_policy.h"

#include <gtest/gtest.h>

#include <csignal>

#include "dolphin/core/simulated_clock.h"

namespace dolphin::supervisor {
namespace {

using Action = RestartMachine::Action;
using std::chrono::seconds;

ExitInfo Code(int code) { return ExitInfo{code, std::nullopt, false}; }
ExitInfo Sig(int sig) { return ExitInfo{std::nullopt, sig, false}; }

class RestartMachineTest : public ::testing::Test {
 protected:
  SimulatedClock clock_;
};

TEST_F(RestartMachineTest, CleanAndUncleanExitsFollowSystemd) {
  EXPECT_TRUE(Code(0).clean());
  EXPECT_FALSE(Code(1).clean());
  EXPECT_TRUE(Sig(SIGTERM).clean());
  EXPECT_TRUE(Sig(SIGPIPE).clean());
  EXPECT_FALSE(Sig(SIGKILL).clean());
  EXPECT_FALSE(Sig(SIGSEGV).clean());
  EXPECT_FALSE((ExitInfo{std::nullopt, SIGKILL, true}).clean());
  EXPECT_EQ(Code(1).Describe(), "exit status 1");
  EXPECT_EQ(Sig(SIGSEGV).Describe(), "signal 11 (SIGSEGV)");
  EXPECT_EQ((ExitInfo{std::nullopt, SIGKILL, true}).Describe(), "OOM kill (SIGKILL)");
}

TEST_F(RestartMachineTest, AlwaysRestartsAfterRestartSec) {
  ServiceOptions o;  // always, 5 s, 3 in 60 s
  RestartMachine m(o, clock_);
  EXPECT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  EXPECT_EQ(m.state(), ServiceState::kStarting);
  m.OnReady();
  EXPECT_EQ(m.state(), ServiceState::kRunning);
  EXPECT_EQ(m.OnExit(Code(0)), Action::kNone);
  EXPECT_EQ(m.state(), ServiceState::kRestartPending);
  EXPECT_EQ(m.NextDeadline(), clock_.MonotonicNow() + seconds(5));
  EXPECT_EQ(m.StateText(), "restarting in 5.0 s");
  clock_.AdvanceBy(seconds(4));
  EXPECT_EQ(m.Tick(), Action::kNone);
  clock_.AdvanceBy(seconds(1));
  EXPECT_EQ(m.Tick(), Action::kSpawn);
  EXPECT_EQ(m.state(), ServiceState::kStarting);
  EXPECT_EQ(m.restarts(), 1);
  EXPECT_EQ(m.last_exit(), "exit status 0");
}

TEST_F(RestartMachineTest, OnFailureRestartsOnlyUncleanExits) {
  ServiceOptions o;
  o.restart = RestartPolicy::kOnFailure;
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  m.OnExit(Sig(SIGTERM));
  EXPECT_EQ(m.state(), ServiceState::kStopped);
  EXPECT_EQ(m.NextDeadline(), std::nullopt);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  m.OnExit(Sig(SIGSEGV));
  EXPECT_EQ(m.state(), ServiceState::kRestartPending);
  clock_.AdvanceBy(seconds(5));
  EXPECT_EQ(m.Tick(), Action::kSpawn);
  m.OnSpawned();
  m.OnExit(ExitInfo{std::nullopt, SIGKILL, true});
  EXPECT_EQ(m.state(), ServiceState::kRestartPending);
  EXPECT_EQ(m.oom_kills(), 1);
}

TEST_F(RestartMachineTest, NoNeverRestarts) {
  ServiceOptions o;
  o.restart = RestartPolicy::kNo;
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  m.OnExit(Code(1));
  EXPECT_EQ(m.state(), ServiceState::kFailed);
  clock_.AdvanceBy(seconds(600));
  EXPECT_EQ(m.Tick(), Action::kNone);
  EXPECT_EQ(m.state(), ServiceState::kFailed);
}

TEST_F(RestartMachineTest, ConfigurationErrorsAreNeverRestarted) {
  ServiceOptions o;
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  m.OnExit(Code(2));
  EXPECT_EQ(m.state(), ServiceState::kFailed);
  EXPECT_NE(m.last_exit().find("exit status 2 (not restarted"), std::string::npos) << m.last_exit();
}

// systemd's arithmetic (ref/systemd-limits.md §3): RestartSec=5, 3 starts in 60 s -> starts at
// 0, 5, 10 s; the 4th (15 s) is refused and the state stays until an operator start.
TEST_F(RestartMachineTest, CrashLoopStopsAtTheStartLimitAndStaysVisible) {
  ServiceOptions o;
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  for (int i = 0; i < 2; ++i) {
    m.OnSpawned();
    m.OnExit(Sig(SIGSEGV));
    clock_.AdvanceBy(seconds(5));
    ASSERT_EQ(m.Tick(), Action::kSpawn) << i;
  }
  m.OnSpawned();
  m.OnExit(Sig(SIGSEGV));
  clock_.AdvanceBy(seconds(5));
  EXPECT_EQ(m.Tick(), Action::kNone);
  EXPECT_EQ(m.state(), ServiceState::kFailedStartLimit);
  EXPECT_EQ(m.StateText(), "failed (start limit)");
  EXPECT_EQ(m.restarts(), 2);
  EXPECT_NE(m.last_exit().find("signal 11 (SIGSEGV); start request repeated too quickly"),
            std::string::npos)
      << m.last_exit();
  EXPECT_EQ(m.NextDeadline(), std::nullopt);
  // Stays, even long after the interval, and a stop does not hide it.
  clock_.AdvanceBy(seconds(3600));
  EXPECT_EQ(m.Tick(), Action::kNone);
  EXPECT_EQ(m.Stop(), Action::kNone);
  EXPECT_EQ(m.state(), ServiceState::kFailedStartLimit);
  // An operator start resets it.
  EXPECT_EQ(m.Start(), Action::kSpawn);
  EXPECT_EQ(m.state(), ServiceState::kStarting);
  EXPECT_EQ(m.restarts(), 0);
}

TEST_F(RestartMachineTest, StartsSpreadBeyondTheIntervalNeverHitTheLimit) {
  ServiceOptions o;
  o.restart_sec = seconds(25);
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  for (int i = 0; i < 10; ++i) {
    m.OnSpawned();
    m.OnExit(Code(1));
    clock_.AdvanceBy(seconds(25));
    ASSERT_EQ(m.Tick(), Action::kSpawn) << i;  // at most 3 starts in any 60 s
  }
  EXPECT_EQ(m.restarts(), 10);
}

TEST_F(RestartMachineTest, ZeroIntervalDisablesTheLimit) {
  ServiceOptions o;
  o.start_limit_interval = seconds(0);
  o.restart_sec = seconds(0);
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  for (int i = 0; i < 20; ++i) {
    m.OnSpawned();
    m.OnExit(Code(1));
    ASSERT_EQ(m.Tick(), Action::kSpawn) << i;
  }
}

TEST_F(RestartMachineTest, SpawnFailureCountsAsAFailure) {
  ServiceOptions o;
  o.restart = RestartPolicy::kOnFailure;
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawnFailed("execve /nope: No such file or directory (ENOENT)");
  EXPECT_EQ(m.state(), ServiceState::kRestartPending);
  EXPECT_EQ(m.last_exit(), "spawn failed: execve /nope: No such file or directory (ENOENT)");
}

TEST_F(RestartMachineTest, StopTerminatesThenKillsAfterTimeoutAndNeverRestarts) {
  ServiceOptions o;
  o.timeout_stop = seconds(10);
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  m.OnReady();
  EXPECT_EQ(m.Stop(), Action::kTerminate);
  EXPECT_EQ(m.state(), ServiceState::kStopping);
  EXPECT_EQ(m.NextDeadline(), clock_.MonotonicNow() + seconds(10));
  clock_.AdvanceBy(seconds(9));
  EXPECT_EQ(m.Tick(), Action::kNone);
  clock_.AdvanceBy(seconds(1));
  EXPECT_EQ(m.Tick(), Action::kKill);
  EXPECT_EQ(m.Tick(), Action::kNone);  // one SIGKILL
  m.OnExit(Sig(SIGKILL));
  EXPECT_EQ(m.state(), ServiceState::kStopped);
  clock_.AdvanceBy(seconds(60));
  EXPECT_EQ(m.Tick(), Action::kNone);
}

TEST_F(RestartMachineTest, StopCancelsAPendingRestart) {
  ServiceOptions o;
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  m.OnExit(Code(1));
  ASSERT_EQ(m.state(), ServiceState::kRestartPending);
  EXPECT_EQ(m.Stop(), Action::kNone);
  EXPECT_EQ(m.state(), ServiceState::kStopped);
  clock_.AdvanceBy(seconds(10));
  EXPECT_EQ(m.Tick(), Action::kNone);
}

TEST_F(RestartMachineTest, RestartStopsThenStartsOnExit) {
  ServiceOptions o;
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  EXPECT_EQ(m.Restart(), Action::kTerminate);
  EXPECT_EQ(m.OnExit(Sig(SIGTERM)), Action::kSpawn);
  EXPECT_EQ(m.state(), ServiceState::kStarting);
  EXPECT_EQ(m.Start(), Action::kNone);  // already starting
  m.OnSpawned();
  EXPECT_EQ(m.state(), ServiceState::kStarting);
}

TEST_F(RestartMachineTest, StartWhileRunningDoesNothing) {
  ServiceOptions o;
  RestartMachine m(o, clock_);
  ASSERT_EQ(m.Start(), Action::kSpawn);
  m.OnSpawned();
  EXPECT_EQ(m.Start(), Action::kNone);
  EXPECT_EQ(m.Stop(), Action::kTerminate);
  EXPECT_EQ(m.Start(), Action::kNone);  // queued until the exit
  EXPECT_EQ(m.OnExit(Sig(SIGTERM)), Action::kSpawn);
  EXPECT_EQ(m.state(), ServiceState::kStarting);
}

}  // namespace
}  // namespace dolphin::supervisor
