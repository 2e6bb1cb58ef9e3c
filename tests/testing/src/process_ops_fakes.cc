#include "dolphin/testing/process_ops_fakes.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace dolphin::testing {

using supervisor::ExitInfo;
using supervisor::SpawnedProcess;
using supervisor::SysResult;

SysResult<SpawnedProcess> FakeProcessOps::Spawn(const supervisor::SpawnSpec& spec) {
  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_next_ != 0) {
      int e = std::exchange(fail_next_, 0);
      return SysResult<SpawnedProcess>::Errno("fork", e);
    }
    pid = next_pid_++;
    children_[pid] = Child{};
    spawned_.push_back(spec);
  }
  int read_fd = -1;
  if (spec.output == supervisor::OutputMode::kPipe) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return SysResult<SpawnedProcess>::Errno("pipe2", errno);
    read_fd = p[0];
    std::lock_guard<std::mutex> lock(mu_);
    children_[pid].output_write_fd = p[1];
  }
  if (spec.place) {
    Status placed = spec.place(pid);
    if (!placed.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      children_.erase(pid);
      return SysResult<SpawnedProcess>(placed, 0);
    }
  }
  return SpawnedProcess{pid, read_fd};
}

FakeProcessOps::~FakeProcessOps() {
  for (auto& [pid, c] : children_) {
    if (c.output_write_fd >= 0) ::close(c.output_write_fd);
  }
}

int FakeProcessOps::OutputFdForTest(pid_t pid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(pid);
  return it == children_.end() ? -1 : it->second.output_write_fd;
}

void FakeProcessOps::CloseOutputForTest(pid_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(pid);
  if (it != children_.end() && it->second.output_write_fd >= 0) {
    ::close(it->second.output_write_fd);
    it->second.output_write_fd = -1;
  }
}

void FakeProcessOps::EndLocked(pid_t pid, ExitInfo exit) {
  auto it = children_.find(pid);
  if (it == children_.end() || !it->second.alive) return;
  it->second.alive = false;
  it->second.exit = exit;
}

SysResult<> FakeProcessOps::Signal(pid_t pid, int sig) {
  std::function<void(pid_t, int)> hook;
  bool unknown = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    signals_.push_back({pid, sig});
    hook = on_signal_;
    auto it = children_.find(pid);
    if (it == children_.end() || !it->second.alive) {
      unknown = true;  // not (or no longer) a live process: the hook decides what it means
    } else if (sig == SIGKILL || (sig == SIGTERM && !it->second.ignore_sigterm)) {
      EndLocked(pid, ExitInfo{std::nullopt, sig, false});
      if (it->second.foreign) children_.erase(it);  // nobody waits for it
    }
  }
  if (hook) hook(pid, sig);
  if (unknown) return SysResult<>::Errno("kill", ESRCH);
  return std::monostate{};
}

SysResult<> FakeProcessOps::SignalGroup(pid_t pgid, int sig) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = children_.find(pgid);
    if (it == children_.end() || !it->second.alive) {
      signals_.push_back({-pgid, sig});
      return SysResult<>::Errno("kill group", ESRCH);
    }
  }
  auto r = Signal(pgid, sig);
  std::lock_guard<std::mutex> lock(mu_);
  signals_.back().target = -pgid;
  return r;
}

SysResult<std::optional<ExitInfo>> FakeProcessOps::TryWait(pid_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(pid);
  if (it == children_.end() || it->second.foreign) {
    return SysResult<std::optional<ExitInfo>>::Errno("waitpid", ECHILD);
  }
  if (it->second.alive) return std::optional<ExitInfo>();
  ExitInfo e = *it->second.exit;
  if (it->second.output_write_fd >= 0) ::close(it->second.output_write_fd);
  children_.erase(it);
  return std::optional<ExitInfo>(e);
}

void FakeProcessOps::FailNextSpawnForTest(int errnum) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = errnum;
}

void FakeProcessOps::ExitForTest(pid_t pid, ExitInfo exit) {
  std::lock_guard<std::mutex> lock(mu_);
  EndLocked(pid, exit);
}

void FakeProcessOps::AddForeignForTest(pid_t pid, bool ignore_sigterm) {
  std::lock_guard<std::mutex> lock(mu_);
  Child c;
  c.foreign = true;
  c.ignore_sigterm = ignore_sigterm;
  children_[pid] = c;
}

void FakeProcessOps::IgnoreSigtermForTest(pid_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  children_[pid].ignore_sigterm = true;
}

void FakeProcessOps::OnSignalForTest(std::function<void(pid_t, int)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  on_signal_ = std::move(hook);
}

std::vector<supervisor::SpawnSpec> FakeProcessOps::spawned() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spawned_;
}

std::vector<FakeProcessOps::SentSignal> FakeProcessOps::signals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signals_;
}

bool FakeProcessOps::AliveForTest(pid_t pid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(pid);
  return it != children_.end() && it->second.alive;
}

}  // namespace dolphin::testing
