// ProcessOps: the system calls the supervisor makes on child processes (STYLE G): spawn argv
// into a new process group (and, through a placement hook, into its cgroups before it runs a
// single instruction of the program), signal a group, wait without blocking, read the exit
// status or signal. Every result is a SysResult carrying the errno of the failed call, so the
// caller can tell EAGAIN (a pids limit) from ENOENT (no such program).
//
// NewProcessOps() is the real implementation (fork + execve; between the two the child makes
// only async-signal-safe calls). tests/testing FakeProcessOps is the fake for unit tests.
//
// Thread-safety: the real implementation may be called from any thread. Ownership: a spawned
// child's output pipe (SpawnedProcess::output_fd) belongs to the caller, who must close it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "dolphin/core/status.h"
#include "dolphin/supervisor/restart_policy.h"

namespace dolphin::supervisor {

// "<what>: <strerror> (<ENAME>)" as an IoError (core's errno text).
Status ErrnoStatus(std::string_view what, int errnum);

// A value or a failed system call: the Status ("fork: Resource temporarily unavailable
// (EAGAIN)") and its errno (0 when the failure was not a system call).
template <typename T = std::monostate>
class [[nodiscard]] SysResult {
 public:
  SysResult(T value) : value_(std::move(value)) {}  // NOLINT: implicit, like Result<T>
  SysResult(Status status, int errnum) : status_(std::move(status)), errnum_(errnum) {}
  static SysResult Errno(std::string_view what, int errnum);

  bool ok() const { return status_.ok(); }
  int errnum() const { return errnum_; }
  const Status& status() const { return status_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_ = Status::Ok();
  int errnum_ = 0;
};

template <typename T>
SysResult<T> SysResult<T>::Errno(std::string_view what, int errnum) {
  return SysResult<T>(ErrnoStatus(what, errnum), errnum);
}

// Where a child's stdout and stderr go.
enum class OutputMode {
  kInherit,  // the supervisor's own
  kNull,     // /dev/null
  kFile,     // appended to output_file (created 0640 when missing)
  kPipe,     // a pipe whose read end the caller gets (SpawnedProcess::output_fd)
};

struct SpawnSpec {
  // argv[0] is the program: a path, or a name looked up in PATH. REQUIRES: not empty.
  std::vector<std::string> argv;
  // Variables set in the child on top of the supervisor's environment (or instead of it when
  // clear_env).
  std::map<std::string, std::string> env;
  bool clear_env = false;
  // The child's working directory; empty = the supervisor's.
  std::filesystem::path working_dir;
  OutputMode output = OutputMode::kInherit;
  std::filesystem::path output_file;
  // Runs in the supervisor after the fork, while the child waits before its execve: the place
  // to move the child into its cgroups (Cgroup::AddProcess). An error kills the child and
  // fails the spawn, so a child never runs outside its limits.
  std::function<Status(pid_t)> place;
};

struct SpawnedProcess {
  pid_t pid = -1;      // also the process group id
  int output_fd = -1;  // the pipe's read end (OutputMode::kPipe), else -1; owned by the caller
};

class ProcessOps {
 public:
  virtual ~ProcessOps() = default;
  ProcessOps(const ProcessOps&) = delete;
  ProcessOps& operator=(const ProcessOps&) = delete;

  // Starts `spec` as the leader of a new process group. Fails (with the errno) when the fork
  // fails, `place` fails, or the execve fails (ENOENT, EACCES...); then no child is left.
  virtual SysResult<SpawnedProcess> Spawn(const SpawnSpec& spec) = 0;
  // kill(-pgid, sig). ESRCH when the group has no member left.
  virtual SysResult<> SignalGroup(pid_t pgid, int sig) = 0;
  // kill(pid, sig).
  virtual SysResult<> Signal(pid_t pid, int sig) = 0;
  // waitpid(pid, WNOHANG): nullopt while it runs, else how it ended (oom_killed is false: the
  // caller knows it from the cgroup's counter). REQUIRES: `pid` is a child of this process.
  virtual SysResult<std::optional<ExitInfo>> TryWait(pid_t pid) = 0;

 protected:
  ProcessOps() = default;
};

std::unique_ptr<ProcessOps> NewProcessOps();

}  // namespace dolphin::supervisor
