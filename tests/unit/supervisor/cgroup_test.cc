// The cgroup backends against fake cgroup trees held in a FakeFileSystem (the real v1 tree is
// exercised by tests/integration/supervisor).
#include "dolphin/supervisor/cgroup.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "dolphin/core/simulated_clock.h"
#include "dolphin/testing/file_system_fakes.h"
#include "dolphin/testing/process_ops_fakes.h"
#include "dolphin/testing/testing.h"
#include "fake_cgroup_fs.h"

namespace dolphin::supervisor {
namespace {

using testing::FakeCgroupFs;
using testing::FakeFileSystem;
using testing::FakeProcessOps;

constexpr int64_t kM = int64_t{1} << 20;

std::string Value(FileSystem& fs, const std::filesystem::path& p) {
  auto t = fs.ReadFile(p);
  if (!t.ok()) return "<" + t.status().message() + ">";
  std::string s = *t;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

const std::vector<std::string> kV2Files = {"cgroup.procs",
                                           "cgroup.controllers",
                                           "cgroup.subtree_control",
                                           "cgroup.kill",
                                           "memory.max",
                                           "memory.swap.max",
                                           "memory.oom.group",
                                           "memory.events",
                                           "memory.current",
                                           "pids.max",
                                           "pids.current",
                                           "pids.events",
                                           "cpu.max",
                                           "cpu.stat"};

class CgroupV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(fake_.CreateDirs("/proc/self"));
    ASSERT_OK(fake_.WriteAtomically("/proc/self/mountinfo",
                                    "25 30 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
                                    "26 30 0:24 / /proc rw - proc proc rw\n"));
    ASSERT_OK(fake_.WriteAtomically("/proc/self/cgroup", "0::/system.slice/dolphin.service\n"));
    ASSERT_OK(fake_.CreateDirs(kOwn));
    ASSERT_OK(fake_.WriteAtomically(kOwn / "cgroup.controllers", "cpuset cpu io memory pids\n"));
    ASSERT_OK(fake_.WriteAtomically(kOwn / "cgroup.subtree_control", ""));
    ASSERT_OK(fake_.WriteAtomically(kOwn / "cgroup.procs", "4242\n"));
  }
  CgroupTreeOptions Options() {
    CgroupTreeOptions o;
    o.self_pid = 4242;
    return o;
  }
  const std::filesystem::path kOwn = "/sys/fs/cgroup/system.slice/dolphin.service";
  FakeFileSystem fake_;
  FakeCgroupFs fs_{fake_, {{"/sys/fs/cgroup", kV2Files}}};
  FakeProcessOps ops_;
  SimulatedClock clock_;
};

TEST_F(CgroupV2Test, EveryControllerOnV2AfterMovingIntoALeaf) {
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
  ASSERT_OK(tree);
  for (Controller c : kControllers) {
    EXPECT_EQ((*tree)->backend(c).version, CgroupVersion::kV2) << ControllerName(c);
    EXPECT_EQ((*tree)->backend(c).group_dir, kOwn / "dolphin");
  }
  EXPECT_TRUE((*tree)->fully_enforced());
  EXPECT_EQ((*tree)->UnenforcedSummary(), "");
  // The supervisor left <own> for the leaf before <own> distributed controllers.
  EXPECT_EQ(Value(fs_, kOwn / "supervisor/cgroup.procs"), "4242");
  EXPECT_EQ(Value(fs_, kOwn / "cgroup.subtree_control"), "+cpu");  // the last of three writes
  EXPECT_EQ(Value(fs_, kOwn / "dolphin/cgroup.subtree_control"), "+cpu");
}

TEST_F(CgroupV2Test, WritesTheLimitsAndReadsTheCounters) {
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
  ASSERT_OK(tree);
  ServiceOptions limits;
  limits.memory_max = 64 * kM;
  limits.cpu_quota_percent = 50;
  auto cg = (*tree)->Create("bridge", limits);
  ASSERT_OK(cg);
  const auto dir = kOwn / "dolphin/bridge";
  EXPECT_EQ((*cg)->dirs(), std::vector<std::filesystem::path>{dir});
  EXPECT_EQ(Value(fs_, dir / "memory.max"), "67108864");
  EXPECT_EQ(Value(fs_, dir / "memory.swap.max"), "0");
  EXPECT_EQ(Value(fs_, dir / "memory.oom.group"), "1");
  EXPECT_EQ(Value(fs_, dir / "pids.max"), "50");
  EXPECT_EQ(Value(fs_, dir / "cpu.max"), "50000 100000");

  ServiceOptions unlimited;
  unlimited.memory_max.reset();
  unlimited.memory_swap_max.reset();
  unlimited.tasks_max.reset();
  unlimited.cpu_quota_percent.reset();
  auto free_cg = (*tree)->Create("scanner", unlimited);
  ASSERT_OK(free_cg);
  EXPECT_EQ(Value(fs_, kOwn / "dolphin/scanner/memory.max"), "max");
  EXPECT_EQ(Value(fs_, kOwn / "dolphin/scanner/memory.swap.max"), "max");
  EXPECT_EQ(Value(fs_, kOwn / "dolphin/scanner/pids.max"), "max");
  EXPECT_EQ(Value(fs_, kOwn / "dolphin/scanner/cpu.max"), "max 100000");

  ASSERT_OK((*cg)->AddProcess(1000));
  auto pids = (*cg)->Pids();
  ASSERT_OK(pids);
  EXPECT_EQ(*pids, std::vector<pid_t>{1000});
  ASSERT_OK(fake_.WriteAtomically(dir / "memory.events",
                                  "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 1\n"));
  ASSERT_OK(fake_.WriteAtomically(dir / "pids.current", "7\n"));
  ASSERT_OK(fake_.WriteAtomically(dir / "pids.events", "max 150\n"));
  ASSERT_OK(fake_.WriteAtomically(dir / "cpu.stat",
                                  "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"
                                  "nr_periods 50\nnr_throttled 20\nthrottled_usec 90000\n"));
  auto oom = (*cg)->OomKills();
  ASSERT_OK(oom);
  EXPECT_EQ(*oom, 2);
  auto stats = (*cg)->Stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->tasks, 7);
  EXPECT_EQ(stats->tasks_refused, 150);
  EXPECT_EQ(stats->oom_kills, 2);
  EXPECT_EQ(stats->nr_throttled, 20);
  EXPECT_EQ(stats->cpu_usage_ns, int64_t{2500000000});
}

TEST_F(CgroupV2Test, KillUsesCgroupKillAndRemoveLeavesNothing) {
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
  ASSERT_OK(tree);
  auto cg = (*tree)->Create("trader.BLUE", ServiceOptions{});
  ASSERT_OK(cg);
  ASSERT_OK((*cg)->AddProcess(1000));
  ASSERT_OK((*cg)->AddProcess(1001));
  EXPECT_EQ((*tree)->ServiceNames(), std::vector<std::string>{"trader.BLUE"});
  ASSERT_OK((*cg)->Remove(std::chrono::seconds(5)));
  EXPECT_EQ(fs_.kills(), 1);
  EXPECT_FALSE(*fs_.Exists(kOwn / "dolphin/trader.BLUE"));
  EXPECT_TRUE((*tree)->ServiceNames().empty());
  ASSERT_OK((*tree)->RemoveGroup());
  EXPECT_FALSE(*fs_.Exists(kOwn / "dolphin"));
}

TEST_F(CgroupV2Test, MixedBackendsPerController) {
  // v2 offers memory and pids only; cpu comes from a writable v1 hierarchy beside it.
  ASSERT_OK(fake_.WriteAtomically(kOwn / "cgroup.controllers", "memory pids\n"));
  ASSERT_OK(fake_.WriteAtomically(
      "/proc/self/mountinfo",
      "25 30 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
      "32 31 0:29 / /cg1/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"));
  ASSERT_OK(fake_.WriteAtomically("/proc/self/cgroup",
                                  "3:cpu,cpuacct:/\n0::/system.slice/dolphin.service\n"));
  ASSERT_OK(fake_.CreateDirs("/cg1/cpu,cpuacct"));
  FakeCgroupFs fs(
      fake_,
      {{"/sys/fs/cgroup", kV2Files},
       {"/cg1/cpu,cpuacct",
        {"cgroup.procs", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.stat", "cpuacct.usage"}}});
  auto tree = CgroupTree::Open(fs, ops_, clock_, Options());
  ASSERT_OK(tree);
  EXPECT_EQ((*tree)->backend(Controller::kMemory).version, CgroupVersion::kV2);
  EXPECT_EQ((*tree)->backend(Controller::kPids).version, CgroupVersion::kV2);
  EXPECT_EQ((*tree)->backend(Controller::kCpu).version, CgroupVersion::kV1);
  EXPECT_EQ((*tree)->backend(Controller::kCpu).group_dir, "/cg1/cpu,cpuacct/dolphin");
  // Co-mounted cpuacct shares cpu's folder.
  EXPECT_EQ((*tree)->backend(Controller::kCpu).cpuacct_group_dir, "/cg1/cpu,cpuacct/dolphin");
  auto cg = (*tree)->Create("sim", ServiceOptions{});
  ASSERT_OK(cg);
  EXPECT_EQ((*cg)->dirs().size(), 2u);
  EXPECT_EQ(Value(fs, "/cg1/cpu,cpuacct/dolphin/sim/cpu.cfs_quota_us"), "200000");
  EXPECT_EQ(Value(fs, kOwn / "dolphin/sim/pids.max"), "50");
  ASSERT_OK((*cg)->AddProcess(1000));
  EXPECT_EQ(Value(fs, "/cg1/cpu,cpuacct/dolphin/sim/cgroup.procs"), "1000");
  EXPECT_EQ(Value(fs, kOwn / "dolphin/sim/cgroup.procs"), "1000");
}

// The layout of this project's machines: tmpfs with one v1 mount per controller and a
// cgroup2 mount without controllers (ref/systemd-limits.md §9).
class CgroupV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(fake_.CreateDirs("/proc/self"));
    ASSERT_OK(fake_.WriteAtomically(
        "/proc/self/mountinfo",
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"));
    ASSERT_OK(fake_.WriteAtomically(
        "/proc/self/cgroup", "8:pids:/\n4:memory:/process_api/b56\n2:cpuacct:/\n1:cpu:/\n0::/\n"));
    for (const char* d :
         {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/memory/process_api/b56",
          "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"}) {
      ASSERT_OK(fake_.CreateDirs(d));
      ASSERT_OK(fake_.WriteAtomically(std::filesystem::path(d) / "cgroup.procs", ""));
    }
    ASSERT_OK(fake_.WriteAtomically("/sys/fs/cgroup/unified/cgroup.controllers", ""));
  }
  CgroupTreeOptions Options(std::string group = "dolphin") {
    CgroupTreeOptions o;
    o.group = std::move(group);
    o.self_pid = 4242;
    return o;
  }
  FakeFileSystem fake_;
  FakeCgroupFs fs_{
      fake_,
      {{"/sys/fs/cgroup/memory",
        {"cgroup.procs", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
         "memory.swappiness", "memory.oom_control", "memory.usage_in_bytes"}},
       {"/sys/fs/cgroup/pids", {"cgroup.procs", "pids.max", "pids.current", "pids.events"}},
       {"/sys/fs/cgroup/cpu",
        {"cgroup.procs", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.stat"}},
       {"/sys/fs/cgroup/cpuacct", {"cgroup.procs", "cpuacct.usage"}}}};
  FakeProcessOps ops_;
  SimulatedClock clock_;
};

TEST_F(CgroupV1Test, EveryControllerOnItsV1HierarchyAndNoV2Leaf) {
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options("dolphin-test-77"));
  ASSERT_OK(tree);
  EXPECT_EQ((*tree)->backend(Controller::kMemory).version, CgroupVersion::kV1);
  EXPECT_EQ((*tree)->backend(Controller::kMemory).group_dir,
            "/sys/fs/cgroup/memory/process_api/b56/dolphin-test-77");
  EXPECT_EQ((*tree)->backend(Controller::kPids).group_dir, "/sys/fs/cgroup/pids/dolphin-test-77");
  EXPECT_EQ((*tree)->backend(Controller::kCpu).group_dir, "/sys/fs/cgroup/cpu/dolphin-test-77");
  EXPECT_EQ((*tree)->backend(Controller::kCpu).cpuacct_group_dir,
            "/sys/fs/cgroup/cpuacct/dolphin-test-77");
  EXPECT_TRUE((*tree)->fully_enforced());
  // The empty v2 mount is left alone: no leaf, no subtree_control write.
  EXPECT_FALSE(*fs_.Exists("/sys/fs/cgroup/unified/supervisor"));
}

TEST_F(CgroupV1Test, WritesV1LimitsAndReadsV1Counters) {
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
  ASSERT_OK(tree);
  ServiceOptions limits;
  limits.memory_max = 64 * kM;
  limits.cpu_quota_percent = 50;
  limits.tasks_max = 50;
  auto cg = (*tree)->Create("worker", limits);
  ASSERT_OK(cg);
  const std::filesystem::path mem = "/sys/fs/cgroup/memory/process_api/b56/dolphin/worker";
  EXPECT_EQ(Value(fs_, mem / "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Value(fs_, mem / "memory.memsw.limit_in_bytes"), "67108864");  // no swap on top
  EXPECT_EQ(Value(fs_, mem / "memory.swappiness"), "0");
  EXPECT_EQ(Value(fs_, "/sys/fs/cgroup/pids/dolphin/worker/pids.max"), "50");
  EXPECT_EQ(Value(fs_, "/sys/fs/cgroup/cpu/dolphin/worker/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Value(fs_, "/sys/fs/cgroup/cpu/dolphin/worker/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ((*cg)->dirs().size(), 4u);  // memory, pids, cpu, cpuacct

  ASSERT_OK((*cg)->AddProcess(1000));
  for (const auto& d : (*cg)->dirs()) EXPECT_EQ(Value(fs_, d / "cgroup.procs"), "1000") << d;

  ASSERT_OK(fake_.WriteAtomically(mem / "memory.oom_control",
                                  "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"));
  ASSERT_OK(fake_.WriteAtomically("/sys/fs/cgroup/cpu/dolphin/worker/cpu.stat",
                                  "nr_periods 40\nnr_throttled 25\nthrottled_time 123\n"));
  ASSERT_OK(
      fake_.WriteAtomically("/sys/fs/cgroup/cpuacct/dolphin/worker/cpuacct.usage", "987654321\n"));
  auto stats = (*cg)->Stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->oom_kills, 1);
  EXPECT_EQ(stats->nr_throttled, 25);
  EXPECT_EQ(stats->cpu_usage_ns, 987654321);

  // Infinity is -1 on v1; swap on top of the limit raises memsw.
  ServiceOptions wide;
  wide.memory_max = 64 * kM;
  wide.memory_swap_max = 16 * kM;
  wide.cpu_quota_percent.reset();
  ASSERT_OK((*tree)->Create("worker", wide));
  EXPECT_EQ(Value(fs_, mem / "memory.memsw.limit_in_bytes"), std::to_string(80 * kM));
  EXPECT_EQ(Value(fs_, "/sys/fs/cgroup/cpu/dolphin/worker/cpu.cfs_quota_us"), "-1");
}

TEST_F(CgroupV1Test, KillAllSignalsEveryMemberUntilEmpty) {
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
  ASSERT_OK(tree);
  auto cg = (*tree)->Create("worker", ServiceOptions{});
  ASSERT_OK(cg);
  ASSERT_OK((*cg)->AddProcess(1000));
  ASSERT_OK((*cg)->AddProcess(1001));
  ops_.OnSignalForTest([&](pid_t pid, int sig) {
    if (sig == SIGKILL) fs_.DropPid("/sys/fs/cgroup", pid);
  });
  ASSERT_OK((*cg)->Remove(std::chrono::seconds(5)));
  std::set<pid_t> killed;
  for (const auto& s : ops_.signals()) {
    EXPECT_EQ(s.sig, SIGKILL);
    killed.insert(s.target);
  }
  EXPECT_EQ(killed, (std::set<pid_t>{1000, 1001}));
  for (const auto& d : (*cg)->dirs()) EXPECT_FALSE(*fs_.Exists(d)) << d;
  ASSERT_OK((*tree)->RemoveGroup());
}

TEST_F(CgroupV1Test, KillAllGivesUpAfterTheTimeoutWhenMembersSurvive) {
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
  ASSERT_OK(tree);
  auto cg = (*tree)->Create("worker", ServiceOptions{});
  ASSERT_OK(cg);
  ASSERT_OK((*cg)->AddProcess(1000));
  // Nothing drops the pid: KillAll waits on the clock until its deadline.
  std::thread advancer([&] {  // determinism-ok: drives the simulated clock
    for (int i = 0; i < 1000 && ops_.signals().size() < 3; ++i) {
      clock_.AdvanceBy(std::chrono::milliseconds(10));
      std::this_thread::yield();
    }
    clock_.AdvanceBy(std::chrono::seconds(10));
  });
  Status st = (*cg)->KillAll(std::chrono::seconds(1));
  advancer.join();
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
}

TEST_F(CgroupV1Test, UnwritableOrMissingHierarchiesAreNamedInOneLine) {
  // No pids mount; memory read-only.
  ASSERT_OK(fake_.WriteAtomically(
      "/proc/self/mountinfo",
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "35 31 0:32 / /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"));
  fs_.DenyMkdirBelow("/sys/fs/cgroup/memory/process_api/b56");
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
  ASSERT_OK(tree);
  EXPECT_EQ((*tree)->backend(Controller::kCpu).version, CgroupVersion::kV1);
  EXPECT_EQ((*tree)->backend(Controller::kMemory).version, CgroupVersion::kNone);
  EXPECT_EQ((*tree)->backend(Controller::kPids).version, CgroupVersion::kNone);
  EXPECT_FALSE((*tree)->fully_enforced());
  const std::string line = (*tree)->UnenforcedSummary();
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(
      line.rfind("limits not enforced: memory (not in /sys/fs/cgroup/unified/cgroup.controllers; "
                 "v1 /sys/fs/cgroup/memory/process_api/b56 not writable: mkdir "
                 "/sys/fs/cgroup/memory/process_api/b56/dolphin: Permission denied (EACCES)), "
                 "pids (",
                 0),
      0u)
      << line;
  EXPECT_NE(line.find("no v1 hierarchy"), std::string::npos) << line;
  // The cgroup of a service then has only the enforced controller's folder.
  auto cg = (*tree)->Create("bridge", ServiceOptions{});
  ASSERT_OK(cg);
  EXPECT_EQ((*cg)->dirs(), std::vector<std::filesystem::path>{"/sys/fs/cgroup/cpu/dolphin/bridge"});
  auto oom = (*cg)->OomKills();
  ASSERT_OK(oom);
  EXPECT_EQ(*oom, std::nullopt);
}

TEST_F(CgroupV1Test, FindsWhatAPreviousSupervisorLeft) {
  {
    auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
    ASSERT_OK(tree);
    auto cg = (*tree)->Create("trader.BLUE", ServiceOptions{});
    ASSERT_OK(cg);
    ASSERT_OK((*cg)->AddProcess(1234));
  }
  auto tree = CgroupTree::Open(fs_, ops_, clock_, Options());
  ASSERT_OK(tree);
  EXPECT_EQ((*tree)->ServiceNames(), std::vector<std::string>{"trader.BLUE"});
  auto old = (*tree)->Find("trader.BLUE");
  ASSERT_OK(old);
  auto pids = (*old)->Pids();
  ASSERT_OK(pids);
  EXPECT_EQ(*pids, std::vector<pid_t>{1234});
  EXPECT_EQ((*tree)->Find("bridge").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace dolphin::supervisor
