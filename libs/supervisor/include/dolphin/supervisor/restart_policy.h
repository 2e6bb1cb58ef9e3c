// RestartMachine: the life cycle of one supervised service as a pure state machine on the
// Clock (docs/supervisor.md, "Restart policy"). It decides, it does not act: each event returns
// the Action the supervisor must take (spawn, SIGTERM the group, SIGKILL the group), and
// NextDeadline() says when Tick() has something to do (a restart due, a stop timeout).
//
// systemd's semantics (ref: systemd.service(5), systemd.unit(5)):
//   - restart = always: every exit the operator did not ask for is restarted after restart_sec;
//     on-failure: only unclean ones (exit code != 0, a signal other than SIGHUP/SIGINT/SIGTERM/
//     SIGPIPE, an OOM kill, a failed spawn); no: never.
//   - exit status 2 (configuration error) and 3 (not built) are never restarted: a new start
//     would fail the same way (RestartPreventExitStatus=2 3 in the generated units).
//   - the start limit counts every start, automatic or not: at most start_limit_burst starts
//     in any start_limit_interval; the next start is refused and the service stays in
//     kFailedStartLimit ("failed (start limit)") until an operator Start() resets it (systemd's
//     reset-failed + start). An interval of 0 disables the limit.
//   - an operator Stop() never triggers a restart; a stop that outlives timeout_stop escalates
//     to SIGKILL of the whole group.
//
// Thread-safety: not thread-safe; the supervisor drives each machine from one thread. The
// Clock must outlive the machine.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "dolphin/core/clock.h"
#include "dolphin/core/time.h"
#include "dolphin/supervisor/service_options.h"

namespace dolphin::supervisor {

enum class ServiceState {
  kStopped,           // not running and not going to be (initial, operator stop, no restart)
  kStarting,          // spawned, not reported ready yet
  kRunning,           // spawned and ready
  kStopping,          // operator stop: SIGTERM sent, waiting for the exit
  kRestartPending,    // exited; the next start is due at restart_at()
  kFailed,            // exited uncleanly and the policy does not restart it
  kFailedStartLimit,  // a start was refused by the start limit; stays until Start()
};
// "stopped", "starting", "running", "stopping", "restarting", "failed", "failed (start limit)".
std::string_view ServiceStateName(ServiceState state);

// How a child ended.
struct ExitInfo {
  // Exit status when it exited, else nullopt.
  std::optional<int> exit_code;
  // Terminating signal when it was killed, else nullopt.
  std::optional<int> signal;
  // The cgroup's oom_kill counter rose while it ran (an OOM kill, not just a SIGKILL).
  bool oom_killed = false;

  // Clean by systemd's definition: exit 0, or SIGHUP/SIGINT/SIGTERM/SIGPIPE; never an OOM kill.
  bool clean() const;
  // "exit status 1", "signal 9 (SIGKILL)", "OOM kill (signal 9)".
  std::string Describe() const;
};

class RestartMachine {
 public:
  enum class Action {
    kNone,
    kSpawn,      // start the child now, then call OnSpawned() or OnSpawnFailed()
    kTerminate,  // SIGTERM the child's group (the stop timeout starts now)
    kKill,       // SIGKILL the child's group (cgroup.kill where there is one)
  };

  // `options` supplies restart, restart_sec, the start limit and timeout_stop.
  RestartMachine(const ServiceOptions& options, const Clock& clock);

  // Operator start (also `dolphin up` starting the service): clears a failed state and the
  // start history, then kSpawn unless already running or stopping (kNone).
  Action Start();
  // Operator stop: kTerminate while a child runs; a pending restart is cancelled (kNone).
  // Never restarts afterwards.
  Action Stop();
  // Operator restart: Stop() now, Start() as soon as the child has exited (kTerminate), or
  // Start() at once when nothing runs. Counts against the start limit like any start.
  Action Restart();

  // The child is running (after kSpawn).
  void OnSpawned();
  // The child reported ready (its /api/health answered).
  void OnReady();
  // The spawn itself failed (counts as an unclean exit: the policy decides on a restart).
  void OnSpawnFailed(std::string reason);
  // The child ended. kSpawn when an operator Restart() (or a Start() during the stop) is due
  // now; kNone otherwise (an automatic restart comes from Tick() after restart_sec). `cause`:
  // why the supervisor killed it on its own ("unresponsive for 30.0 s"), appended to
  // last_exit() ("signal 9 (SIGKILL): unresponsive for 30.0 s"); empty otherwise.
  Action OnExit(const ExitInfo& exit, std::string_view cause = {});

  // Time has passed: kSpawn when a restart is due (or kNone and kFailedStartLimit when the
  // start limit refuses it), kKill when a stop outlived timeout_stop, else kNone.
  Action Tick();
  // When Tick() next has something to do; nullopt when nothing is scheduled.
  std::optional<MonoTime> NextDeadline() const;

  ServiceState state() const { return state_; }
  // The state as shown by `dolphin service ls` ("failed (start limit)", "restarting in 4.2 s").
  std::string StateText() const;
  // Automatic restarts since the last operator Start().
  int64_t restarts() const { return restarts_; }
  // OOM kills seen since the machine was made.
  int64_t oom_kills() const { return oom_kills_; }
  // Why the child last ended (or the spawn failed); empty before the first exit.
  const std::string& last_exit() const { return last_exit_; }
  std::optional<MonoTime> restart_at() const { return restart_at_; }

 private:
  // Applies the start limit; records the start and returns kSpawn, or kNone and
  // kFailedStartLimit when it is refused.
  Action TryStart();
  // After an exit the operator did not ask for.
  void AfterUnplannedExit(bool clean, bool prevent_restart);

  const ServiceOptions options_;
  const Clock& clock_;
  ServiceState state_ = ServiceState::kStopped;
  std::deque<MonoTime> starts_;  // within the start-limit interval
  std::optional<MonoTime> restart_at_;
  std::optional<MonoTime> kill_at_;
  bool start_after_stop_ = false;
  int64_t restarts_ = 0;
  int64_t oom_kills_ = 0;
  std::string last_exit_;
};

}  // namespace dolphin::supervisor
