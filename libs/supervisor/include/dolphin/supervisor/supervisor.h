// Supervisor: the child table of `dolphin up` (docs/supervisor.md, "The supervisor"). It runs
// each ChildSpec as a child in its own process group and cgroup under its limits, restarts it
// by its RestartMachine, records OOM kills from the cgroup's counter, stops everything in
// reverse order (SIGTERM to each group, SIGKILL after timeout_stop_s, cgroup removed), and
// keeps a pid file so that the next supervisor, after this one was SIGKILLed, stops what it
// left behind before starting anything (never two instances of one service).
// Readiness and liveness: a child with `probe` is "starting" until the ChildProbe answers OK
// for it, then "ready"; one that is not ready within ready_timeout, or that stops answering
// for watchdog (its heartbeat through its API), is SIGKILLed as a group and restarted by its
// policy. A child with `after` starts only once those children are ready.
//
// Thread-safety: every public method may be called from any thread (one mutex); Poll() is
// called by one loop thread. Ownership: ProcessOps, the CgroupTree (may be null: no limits),
// the Clock, the FileSystem and the Logger must outlive the supervisor.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/clock.h"
#include "dolphin/core/file_system.h"
#include "dolphin/core/logging.h"
#include "dolphin/core/result.h"
#include "dolphin/supervisor/cgroup.h"
#include "dolphin/supervisor/process_ops.h"
#include "dolphin/supervisor/restart_policy.h"
#include "dolphin/supervisor/service_options.h"

namespace dolphin::supervisor {

// One supervised service.
struct ChildSpec {
  // Service name: its cgroup's folder, its log file, its row in the table.
  std::string name;
  // The command: `dolphin serve NAME` for a dolphin service, else the configured exec.
  std::vector<std::string> argv;
  ServiceOptions options;
  // stdout and stderr are appended here; empty = inherited.
  std::filesystem::path output_file;
  // Through a pipe the supervisor drains into output_file, rotated at
  // SupervisorOptions::log_max_bytes (for `exec` children; dolphin services write their own
  // logs, so a stalled supervisor never blocks them). Default: false (the file directly).
  bool drain_output = false;
  // Started only once each child named here (in this table, enabled) is ready; children are
  // given in start order (OrderByDependencies), so stopping in reverse stops dependents first.
  std::vector<std::string> after;
  // Ready once SupervisorOptions::probe answers OK for it, and killed when it stops answering
  // for options.watchdog. false (or no probe): ready once spawned, never probed.
  bool probe = false;
};

// How the supervisor asks a child whether it is ready and alive: a dolphin service's
// /api/health, the Hazelcast member's port. Called from the supervisor's loop thread, outside
// its lock; each call must be bounded (about a second).
class ChildProbe {
 public:
  virtual ~ChildProbe() = default;
  ChildProbe(const ChildProbe&) = delete;
  ChildProbe& operator=(const ChildProbe&) = delete;
  // OK when child `name` (process `pid`) answers; else why not, in one line.
  virtual Status Check(const std::string& name, pid_t pid) = 0;

 protected:
  ChildProbe() = default;
};

struct SupervisorOptions {
  // Where the supervisor records its own pid and its children's ("<state_dir>/up.pid").
  // Empty: no pid file (tests).
  std::filesystem::path pid_file;
  // The supervisor's own pid, written into the pid file.
  pid_t self_pid = 0;
  // A drained log is rotated (<file>.1 ... .<log_keep>) when it would grow beyond this.
  // Defaults: 16 MiB, 3 old files.
  int64_t log_max_bytes = int64_t{16} << 20;
  int log_keep = 3;
  // Readiness and liveness checks of the children with `probe` (null: none, every child is
  // ready once spawned). Not owned; must outlive the supervisor.
  ChildProbe* probe = nullptr;
  // How often a ready child is probed; a starting one four times as often. Default: 1 s.
  Duration probe_interval = std::chrono::seconds(1);
};

// One row of `dolphin service ls` and /api/services.
struct ChildStatus {
  std::string name;
  pid_t pid = 0;  // 0 when not running
  ServiceState state = ServiceState::kStopped;
  std::string state_text;  // "running", "restarting in 4.2 s", "failed (start limit)"
  int64_t restarts = 0;
  int64_t oom_kills = 0;
  std::string last_exit;
  std::string limits;  // "memory 2G (swap 0), cpu 200%, tasks 50"
  std::optional<CgroupStats> cgroup;
  // "ready", "starting", "unresponsive 4.0 s", "waiting for hazelcast"; empty when not running.
  std::string readiness;
  std::vector<std::string> after;
  // Wall time of the last spawn and of its first ready answer (this run's).
  std::optional<Timestamp> started_at;
  std::optional<Timestamp> ready_at;
};

class Supervisor {
 public:
  Supervisor(std::vector<ChildSpec> children, ProcessOps& ops, CgroupTree* cgroups, Clock& clock,
             FileSystem& fs, Logger& logger, SupervisorOptions options = {});
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  ~Supervisor();

  // Stops what a previous supervisor left (its pid file's groups, then every cgroup of the
  // group), then starts every child in order. FailedPrecondition when the pid file names a
  // supervisor that is still alive.
  Status StartAll();
  // Reaps exits (recording OOM kills from the cgroup counters), applies the restart policy
  // and the stop timeouts. Call it often (the loop of Run()).
  void Poll();
  // Poll() every `interval` until `stop` is cancelled; output of drained children wakes it
  // at once (a kernel wait on their pipes).
  void Run(const CancelToken& stop, Duration interval = std::chrono::milliseconds(100));
  // Stops every child in reverse order: SIGTERM to its group, SIGKILL after its timeout_stop,
  // then removes its cgroup; finally removes the pid file. Waits on the clock.
  Status StopAll();

  // Operator commands (`dolphin service start|stop|restart NAME`). NotFound for an unknown
  // name. Start() also clears `failed (start limit)`.
  Status Start(const std::string& name);
  Status Stop(const std::string& name);
  Status Restart(const std::string& name);

  std::vector<ChildStatus> Table() const;
  // The state of one child; nullopt when the name is not supervised here.
  std::optional<ChildStatus> Find(const std::string& name) const;

 private:
  struct ProbeTarget {
    std::string name;
    pid_t pid;
  };
  struct Child {
    ChildSpec spec;
    std::unique_ptr<RestartMachine> machine;
    std::unique_ptr<ServiceCgroup> cgroup;
    pid_t pid = 0;
    int64_t oom_before = 0;
    int output_fd = -1;                 // the pipe's read end (drain_output)
    std::unique_ptr<WritableFile> log;  // where it is drained to
    int64_t log_bytes = 0;
    // Start order: waiting for the children of spec.after to be ready.
    bool waiting = false;
    MonoTime waiting_since{};
    bool wait_reported = false;
    // This run's readiness and liveness.
    MonoTime spawned_at{};
    std::optional<Timestamp> started_at;
    std::optional<Timestamp> ready_at;
    std::optional<MonoTime> last_answer;
    MonoTime next_probe{};
    std::string probe_error;
    bool unresponsive = false;
    std::string kill_cause;  // why the supervisor killed it on its own
  };
  // The names in c.spec.after that are not ready yet (those not run here are not waited for).
  std::vector<std::string> NotReadyLocked(const Child& c) const;
  void StartWhenReadyLocked(Child& c);
  std::vector<ProbeTarget> DueProbesLocked();
  void ApplyProbeLocked(const ProbeTarget& t, const Status& answer);
  void KillOnItsOwnLocked(Child& c, std::string cause);
  Child* FindLocked(const std::string& name);
  void ActLocked(Child& c, RestartMachine::Action action);
  void SpawnLocked(Child& c);
  void PollLocked();
  // Moves what the child wrote into its log (rotating it); closes the pipe at EOF.
  void DrainLocked(Child& c);
  void RotateLocked(Child& c);
  void WritePidFileLocked();
  Status StopPrevious();
  ChildStatus StatusLocked(const Child& c) const;

  ProcessOps& ops_;
  CgroupTree* cgroups_;
  Clock& clock_;
  FileSystem& fs_;
  Logger& logger_;
  const SupervisorOptions options_;
  mutable std::mutex mu_;
  std::vector<Child> children_;  // guarded by mu_; start order
  bool stopping_all_ = false;    // guarded by mu_; StopAll() began: nothing waiting starts
};

// "memory 2G (swap 0), cpu 200%, tasks 50".
std::string DescribeLimits(const ServiceOptions& options);

// `names` in start order: every name after the names of its `after` list (names not in `names`
// are ignored), otherwise in the given order. InvalidArgument naming the cycle in one line
// ("dependency cycle: bridge -> health -> bridge") when there is one.
Result<std::vector<std::string>> OrderByDependencies(
    const std::vector<std::string>& names,
    const std::map<std::string, std::vector<std::string>>& after);

}  // namespace dolphin::supervisor
