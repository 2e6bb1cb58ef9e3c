// FakeProcessOps: a ProcessOps without processes, for unit tests of the supervisor and its
// cgroups (STYLE section I). Spawn() hands out pids from 1000 up and runs the spec's `place`
// hook as the real one does; the test ends a child with ExitForTest() and sees every signal
// sent. By default SIGTERM and SIGKILL end a child (TryWait then reports the signal); a child
// marked with IgnoreSigtermForTest() survives SIGTERM. A signal to a pid that is not a live
// process fails with ESRCH (after the OnSignalForTest hook ran).
// Thread-safety: thread-safe. Ownership: plain values.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "dolphin/supervisor/process_ops.h"

namespace dolphin::testing {

class FakeProcessOps final : public supervisor::ProcessOps {
 public:
  FakeProcessOps() = default;
  ~FakeProcessOps() override;
  struct SentSignal {
    pid_t target;  // a pid, or -pgid for a group
    int sig;
  };

  supervisor::SysResult<supervisor::SpawnedProcess> Spawn(
      const supervisor::SpawnSpec& spec) override;
  supervisor::SysResult<> SignalGroup(pid_t pgid, int sig) override;
  supervisor::SysResult<> Signal(pid_t pid, int sig) override;
  supervisor::SysResult<std::optional<supervisor::ExitInfo>> TryWait(pid_t pid) override;

  // With OutputMode::kPipe a spawn gets a real pipe: the caller owns the read end, the test
  // writes the child's "output" into this end (-1 when none); CloseOutputForTest() is the EOF.
  int OutputFdForTest(pid_t pid) const;
  void CloseOutputForTest(pid_t pid);
  // The next Spawn() fails with `errnum` (as fork would).
  void FailNextSpawnForTest(int errnum);
  // Ends child `pid` as `exit` (TryWait reports it once).
  void ExitForTest(pid_t pid, supervisor::ExitInfo exit);
  void IgnoreSigtermForTest(pid_t pid);
  // A live process that is not our child (a previous supervisor's): SIGTERM (unless ignored)
  // and SIGKILL end it; TryWait on it is ECHILD.
  void AddForeignForTest(pid_t pid, bool ignore_sigterm = false);
  // Called for every signal that reaches a live pid (e.g. to update a fake cgroup.procs).
  void OnSignalForTest(std::function<void(pid_t, int)> hook);

  std::vector<supervisor::SpawnSpec> spawned() const;
  std::vector<SentSignal> signals() const;
  bool AliveForTest(pid_t pid) const;

 private:
  struct Child {
    bool alive = true;
    bool ignore_sigterm = false;
    bool foreign = false;
    int output_write_fd = -1;
    std::optional<supervisor::ExitInfo> exit;  // set when it ended, until waited for
  };
  void EndLocked(pid_t pid, supervisor::ExitInfo exit);

  mutable std::mutex mu_;
  pid_t next_pid_ = 1000;                       // guarded by mu_
  int fail_next_ = 0;                           // guarded by mu_
  std::map<pid_t, Child> children_;             // guarded by mu_
  std::vector<supervisor::SpawnSpec> spawned_;  // guarded by mu_
  std::vector<SentSignal> signals_;             // guarded by mu_
  std::function<void(pid_t, int)> on_signal_;   // guarded by mu_
};

}  // namespace dolphin::testing
