// The real ProcessOps with real (tiny) processes: labelled `integration` in CMake.
#include "dolphin/supervisor/process_ops.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "dolphin/core/file_system.h"
#include "dolphin/testing/testing.h"

namespace dolphin::supervisor {
namespace {

// Polls TryWait until the child ends (at most 10 s of real time).
ExitInfo WaitExit(ProcessOps& ops, pid_t pid) {
  for (int i = 0; i < 10000; ++i) {
    auto r = ops.TryWait(pid);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    if (r->has_value()) return **r;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // determinism-ok: real child
  }
  ADD_FAILURE() << "child " << pid << " did not end";
  ::kill(pid, SIGKILL);
  return {};
}

class ProcessOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dolphin-procops-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<ProcessOps> ops_ = NewProcessOps();
  std::filesystem::path dir_;
};

TEST_F(ProcessOpsTest, SpawnsIntoANewGroupWithEnvWorkingDirAndOutputFile) {
  SpawnSpec spec;
  spec.argv = {
      "sh", "-c",
      "echo \"$DOLPHIN_X $(pwd) $(cut -d' ' -f5 /proc/$$/stat) $$\"; echo err >&2; exit 7"};
  spec.env = {{"DOLPHIN_X", "hello"}};
  spec.working_dir = dir_;
  spec.output = OutputMode::kFile;
  spec.output_file = dir_ / "out.log";
  auto child = ops_->Spawn(spec);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ExitInfo e = WaitExit(*ops_, child->pid);
  EXPECT_EQ(e.exit_code, 7);
  auto text = FileSystem::Default().ReadFile(dir_ / "out.log");
  ASSERT_OK(text);
  const std::string pid = std::to_string(child->pid);
  // The child leads its own group: pgid == pid.
  EXPECT_EQ(*text, "hello " + dir_.string() + " " + pid + " " + pid + "\nerr\n");
}

TEST_F(ProcessOpsTest, PipeOutputAndSignalledExit) {
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo ready; exec sleep 30"};
  spec.output = OutputMode::kPipe;
  auto child = ops_->Spawn(spec);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ASSERT_GE(child->output_fd, 0);
  char buf[16] = {};
  ASSERT_EQ(::read(child->output_fd, buf, 6), 6);
  EXPECT_EQ(std::string(buf, 6), "ready\n");
  auto running = ops_->TryWait(child->pid);
  ASSERT_TRUE(running.ok());
  EXPECT_FALSE(running->has_value());
  ASSERT_TRUE(ops_->SignalGroup(child->pid, SIGTERM).ok());
  ExitInfo e = WaitExit(*ops_, child->pid);
  EXPECT_EQ(e.signal, SIGTERM);
  EXPECT_FALSE(e.exit_code.has_value());
  EXPECT_TRUE(e.clean());
  ::close(child->output_fd);
  // The group is gone now.
  auto again = ops_->SignalGroup(child->pid, SIGTERM);
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.errnum(), ESRCH);
}

TEST_F(ProcessOpsTest, ExecFailureCarriesTheErrno) {
  SpawnSpec spec;
  spec.argv = {"/nonexistent/program"};
  auto r = ops_->Spawn(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errnum(), ENOENT);
  EXPECT_NE(
      r.status().message().find("execve /nonexistent/program: No such file or directory (ENOENT)"),
      std::string::npos)
      << r.status().ToString();
  spec.argv = {"no-such-program-in-path-dolphin"};
  r = ops_->Spawn(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errnum(), ENOENT);
  spec.argv = {"true"};
  spec.working_dir = dir_ / "missing";
  r = ops_->Spawn(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errnum(), ENOENT);
  EXPECT_NE(r.status().message().find("chdir"), std::string::npos) << r.status().ToString();
}

TEST_F(ProcessOpsTest, PlaceRunsBeforeExecAndItsFailureLeavesNoChild) {
  SpawnSpec spec;
  spec.argv = {"sh", "-c", "cat marker"};
  spec.working_dir = dir_;
  spec.output = OutputMode::kFile;
  spec.output_file = dir_ / "out.log";
  // The hook writes the marker the program reads: it ran before the execve.
  spec.place = [&](pid_t) {
    return FileSystem::Default().WriteAtomically(dir_ / "marker", "placed\n");
  };
  auto child = ops_->Spawn(spec);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(WaitExit(*ops_, child->pid).exit_code, 0);
  EXPECT_EQ(*FileSystem::Default().ReadFile(dir_ / "out.log"), "placed\n");

  pid_t placed_pid = 0;
  spec.place = [&](pid_t pid) {
    placed_pid = pid;
    return IoError("write 123 to /sys/fs/cgroup/x/cgroup.procs: No space left on device (ENOSPC)");
  };
  auto failed = ops_->Spawn(spec);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("cgroup.procs"), std::string::npos);
  ASSERT_GT(placed_pid, 0);
  EXPECT_NE(::kill(placed_pid, 0), 0);  // killed and reaped
}

TEST_F(ProcessOpsTest, RefusesToSignalInitOrEveryone) {
  EXPECT_EQ(ops_->Signal(1, SIGTERM).errnum(), EINVAL);
  EXPECT_EQ(ops_->SignalGroup(0, SIGTERM).errnum(), EINVAL);
  EXPECT_EQ(ops_->Signal(-1, SIGTERM).errnum(), EINVAL);
}

}  // namespace
}  // namespace dolphin::supervisor
