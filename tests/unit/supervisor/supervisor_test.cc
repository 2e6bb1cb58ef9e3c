#include "dolphin/supervisor/supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "dolphin/core/logging.h"
#include "dolphin/core/simulated_clock.h"
#include "dolphin/testing/file_system_fakes.h"
#include "dolphin/testing/process_ops_fakes.h"
#include "dolphin/testing/testing.h"
#include "fake_cgroup_fs.h"

namespace dolphin::supervisor {
namespace {

using std::chrono::seconds;
using testing::FakeCgroupFs;
using testing::FakeFileSystem;
using testing::FakeProcessOps;

ChildSpec Spec(const std::string& name) {
  ChildSpec s;
  s.name = name;
  s.argv = {"/usr/bin/dolphin", "serve", name};
  return s;
}

class SupervisorTest : public ::testing::Test {
 protected:
  pid_t PidOf(Supervisor& sup, const std::string& name) { return sup.Find(name)->pid; }
  // Runs StopAll() while another thread moves the simulated clock until it returns.
  Status StopAllDriven(Supervisor& sup) {
    std::atomic<bool> done{false};
    std::thread advancer([&] {  // determinism-ok: drives the simulated clock
      for (int i = 0; i < 100000 && !done; ++i) {
        clock_.AdvanceBy(std::chrono::milliseconds(20));
        std::this_thread::yield();
      }
    });
    Status st = sup.StopAll();
    done = true;
    advancer.join();
    return st;
  }
  SimulatedClock clock_;
  FakeFileSystem fs_;
  FakeProcessOps ops_;
  NullLogger logger_;
};

TEST_F(SupervisorTest, StartsEveryEnabledChildAndWritesThePidFile) {
  ASSERT_OK(fs_.CreateDirs("/var"));
  ChildSpec off = Spec("sim");
  off.options.enabled = false;
  Supervisor sup({Spec("bridge"), off, Spec("health")}, ops_, nullptr, clock_, fs_, logger_,
                 {"/var/up.pid", 4242});
  ASSERT_OK(sup.StartAll());
  ASSERT_EQ(ops_.spawned().size(), 2u);
  EXPECT_EQ(ops_.spawned()[0].argv,
            (std::vector<std::string>{"/usr/bin/dolphin", "serve", "bridge"}));
  EXPECT_EQ(*fs_.ReadFile("/var/up.pid"), "supervisor 4242\nbridge 1000\nhealth 1001\n");
  auto table = sup.Table();
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table[0].state_text, "running");
  EXPECT_EQ(table[0].pid, 1000);
  EXPECT_EQ(table[0].limits, "memory 2G (swap 0), cpu 200%, tasks 50");
  EXPECT_EQ(table[1].state_text, "disabled");
  EXPECT_EQ(sup.Start("nope").code(), StatusCode::kNotFound);
}

TEST_F(SupervisorTest, CrashLoopEndsInFailedStartLimitUntilAnOperatorStart) {
  Supervisor sup({Spec("bridge")}, ops_, nullptr, clock_, fs_, logger_);
  ASSERT_OK(sup.StartAll());
  for (int start = 1; start <= 3; ++start) {
    ASSERT_EQ(ops_.spawned().size(), static_cast<size_t>(start));
    ops_.ExitForTest(PidOf(sup, "bridge"), ExitInfo{std::nullopt, SIGSEGV, false});
    sup.Poll();
    EXPECT_EQ(sup.Find("bridge")->state, ServiceState::kRestartPending);
    clock_.AdvanceBy(seconds(5));
    sup.Poll();
  }
  auto row = *sup.Find("bridge");
  EXPECT_EQ(row.state_text, "failed (start limit)");
  EXPECT_EQ(row.pid, 0);
  EXPECT_EQ(row.restarts, 2);
  EXPECT_EQ(ops_.spawned().size(), 3u);
  clock_.AdvanceBy(seconds(600));
  sup.Poll();
  EXPECT_EQ(sup.Find("bridge")->state_text, "failed (start limit)");
  ASSERT_OK(sup.Start("bridge"));
  EXPECT_EQ(ops_.spawned().size(), 4u);
  EXPECT_EQ(sup.Find("bridge")->state_text, "running");
}

TEST_F(SupervisorTest, OomKillIsReadFromTheCgroupCounterNotFromTheSignal) {
  FakeFileSystem fake;
  ASSERT_OK(fake.CreateDirs("/proc/self"));
  ASSERT_OK(fake.WriteAtomically("/proc/self/mountinfo",
                                 "35 31 0:32 / /cg/memory rw - cgroup cgroup rw,memory\n"));
  ASSERT_OK(fake.WriteAtomically("/proc/self/cgroup", "4:memory:/\n"));
  ASSERT_OK(fake.CreateDirs("/cg/memory"));
  FakeCgroupFs cgfs(
      fake, {{"/cg/memory", {"cgroup.procs", "memory.limit_in_bytes", "memory.oom_control"}}});
  CgroupTreeOptions o;
  o.self_pid = 1;
  auto tree = CgroupTree::Open(cgfs, ops_, clock_, o);
  ASSERT_OK(tree);
  ChildSpec hog = Spec("worker");
  hog.options.memory_max = int64_t{64} << 20;
  Supervisor sup({hog}, ops_, tree->get(), clock_, cgfs, logger_);
  ASSERT_OK(sup.StartAll());
  const std::filesystem::path dir = "/cg/memory/dolphin/worker";
  EXPECT_EQ(*cgfs.ReadFile(dir / "memory.limit_in_bytes"), "67108864\n");
  EXPECT_EQ(*cgfs.ReadFile(dir / "cgroup.procs"), "1000\n");
  // A plain SIGKILL (an operator's kill -9) is not an OOM kill.
  ops_.ExitForTest(1000, ExitInfo{std::nullopt, SIGKILL, false});
  sup.Poll();
  EXPECT_EQ(sup.Find("worker")->last_exit, "signal 9 (SIGKILL)");
  EXPECT_EQ(sup.Find("worker")->oom_kills, 0);
  clock_.AdvanceBy(seconds(5));
  sup.Poll();
  const pid_t second = PidOf(sup, "worker");
  ASSERT_GT(second, 0);
  // The kernel's OOM killer: the counter rises, the process dies of SIGKILL.
  ASSERT_OK(fake.WriteAtomically(dir / "memory.oom_control",
                                 "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"));
  ops_.ExitForTest(second, ExitInfo{std::nullopt, SIGKILL, false});
  sup.Poll();
  auto row = *sup.Find("worker");
  EXPECT_EQ(row.last_exit, "OOM kill (SIGKILL)");
  EXPECT_EQ(row.oom_kills, 1);
  EXPECT_EQ(row.state, ServiceState::kRestartPending);  // restart = always
}

TEST_F(SupervisorTest, StopAllStopsInReverseOrderAndKillsAGroupThatIgnoresSigterm) {
  ChildSpec slow = Spec("trader.BLUE");
  slow.options.timeout_stop = seconds(3);
  Supervisor sup({Spec("bridge"), slow, Spec("health")}, ops_, nullptr, clock_, fs_, logger_);
  ASSERT_OK(sup.StartAll());
  ops_.IgnoreSigtermForTest(PidOf(sup, "trader.BLUE"));
  const MonoTime t0 = clock_.MonotonicNow();
  ASSERT_OK(StopAllDriven(sup));
  std::vector<std::pair<pid_t, int>> sent;
  for (const auto& s : ops_.signals()) sent.emplace_back(s.target, s.sig);
  const std::vector<std::pair<pid_t, int>> expected = {
      {-1002, SIGTERM}, {-1001, SIGTERM}, {-1001, SIGKILL}, {-1000, SIGTERM}};
  EXPECT_EQ(sent, expected);
  EXPECT_GE(clock_.MonotonicNow() - t0, seconds(3));
  for (const auto& row : sup.Table()) {
    EXPECT_EQ(row.state_text, "stopped") << row.name;
    EXPECT_EQ(row.pid, 0) << row.name;
  }
}

TEST_F(SupervisorTest, StopAndRestartCommands) {
  Supervisor sup({Spec("bridge")}, ops_, nullptr, clock_, fs_, logger_);
  ASSERT_OK(sup.StartAll());
  ASSERT_OK(sup.Stop("bridge"));
  sup.Poll();
  EXPECT_EQ(sup.Find("bridge")->state_text, "stopped");
  clock_.AdvanceBy(seconds(60));
  sup.Poll();
  EXPECT_EQ(ops_.spawned().size(), 1u);  // an operator stop is never restarted
  ASSERT_OK(sup.Start("bridge"));
  EXPECT_EQ(ops_.spawned().size(), 2u);
  ASSERT_OK(sup.Restart("bridge"));
  sup.Poll();  // the SIGTERMed child is reaped, the new one spawned at once
  EXPECT_EQ(ops_.spawned().size(), 3u);
  EXPECT_EQ(sup.Find("bridge")->state_text, "running");
}

TEST_F(SupervisorTest, StopsWhatAPreviousSupervisorLeftBeforeStartingAnything) {
  ASSERT_OK(fs_.CreateDirs("/var"));
  ASSERT_OK(fs_.WriteAtomically("/var/up.pid", "supervisor 99\ntrader.BLUE 500\nbridge 501\n"));
  ops_.AddForeignForTest(500, /*ignore_sigterm=*/true);  // a trader that does not stop
  ops_.AddForeignForTest(501);
  Supervisor sup({Spec("trader.BLUE"), Spec("bridge")}, ops_, nullptr, clock_, fs_, logger_,
                 {"/var/up.pid", 4242});
  std::atomic<bool> done{false};
  std::thread advancer([&] {  // determinism-ok: drives the simulated clock
    for (int i = 0; i < 100000 && !done; ++i) {
      clock_.AdvanceBy(std::chrono::milliseconds(20));
      std::this_thread::yield();
    }
  });
  Status st = sup.StartAll();
  done = true;
  advancer.join();
  ASSERT_OK(st);
  std::vector<std::pair<pid_t, int>> sent;
  for (const auto& s : ops_.signals()) {
    if (s.sig != 0) sent.emplace_back(s.target, s.sig);
  }
  // The old trader got SIGTERM, then SIGKILL after its timeout; the old bridge SIGTERM.
  const std::vector<std::pair<pid_t, int>> expected = {
      {-500, SIGTERM}, {-500, SIGKILL}, {-501, SIGTERM}, {-501, SIGKILL}};
  EXPECT_EQ(sent, expected);
  EXPECT_FALSE(ops_.AliveForTest(500));
  EXPECT_FALSE(ops_.AliveForTest(501));
  EXPECT_EQ(ops_.spawned().size(), 2u);
  EXPECT_EQ(*fs_.ReadFile("/var/up.pid"), "supervisor 4242\ntrader.BLUE 1000\nbridge 1001\n");
}

TEST_F(SupervisorTest, DrainedOutputGoesToARotatedLog) {
  ASSERT_OK(fs_.CreateDirs("/var/run_logs"));
  ChildSpec scanner;
  scanner.name = "scanner";
  scanner.argv = {"scan"};
  scanner.output_file = "/var/run_logs/scanner.log";
  scanner.drain_output = true;
  SupervisorOptions so;
  so.log_max_bytes = 100;
  so.log_keep = 2;
  Supervisor sup({scanner}, ops_, nullptr, clock_, fs_, logger_, so);
  ASSERT_OK(sup.StartAll());
  ASSERT_EQ(ops_.spawned().size(), 1u);
  EXPECT_EQ(ops_.spawned()[0].output, OutputMode::kPipe);
  const int fd = ops_.OutputFdForTest(1000);
  ASSERT_GE(fd, 0);
  const std::string line(39, 'x');  // 40 bytes with the newline
  for (int i = 0; i < 7; ++i) {
    const std::string l = line + "\n";
    ASSERT_EQ(::write(fd, l.data(), l.size()), 40);
    sup.Poll();
  }
  // 280 bytes, 100 per file: the current file holds 2 lines, .1 and .2 two each, older dropped.
  EXPECT_EQ(fs_.ReadFile("/var/run_logs/scanner.log")->size(), 40u);
  EXPECT_EQ(fs_.ReadFile("/var/run_logs/scanner.log.1")->size(), 80u);
  EXPECT_EQ(fs_.ReadFile("/var/run_logs/scanner.log.2")->size(), 80u);
  EXPECT_FALSE(*fs_.Exists("/var/run_logs/scanner.log.3"));
  ops_.CloseOutputForTest(1000);
  sup.Poll();  // EOF: the pipe is closed, nothing breaks
  ops_.ExitForTest(1000, ExitInfo{0, std::nullopt, false});
  sup.Poll();
  EXPECT_EQ(sup.Find("scanner")->last_exit, "exit status 0");
}

TEST_F(SupervisorTest, RefusesToStartBesideALiveSupervisor) {
  ASSERT_OK(fs_.CreateDirs("/var"));
  ASSERT_OK(fs_.WriteAtomically("/var/up.pid", "supervisor 77\nbridge 501\n"));
  ops_.AddForeignForTest(77);
  ops_.AddForeignForTest(501);
  Supervisor sup({Spec("bridge")}, ops_, nullptr, clock_, fs_, logger_, {"/var/up.pid", 4242});
  Status st = sup.StartAll();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("another supervisor (pid 77) is running"), std::string::npos);
  EXPECT_TRUE(ops_.spawned().empty());
  EXPECT_TRUE(ops_.AliveForTest(501));
}

}  // namespace
}  // namespace dolphin::supervisor
