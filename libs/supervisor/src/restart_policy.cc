#include "dolphin/supervisor/restart_policy.h"

#include <fmt/format.h>

#include <csignal>
#include <cstring>

namespace dolphin::supervisor {

namespace {

std::string SignalName(int sig) {
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGPIPE: return "SIGPIPE";
    case SIGTERM: return "SIGTERM";
    default: return fmt::format("signal {}", sig);
  }
}

// RestartPreventExitStatus=2 3: a configuration error or a verb not built fails again.
bool PreventsRestart(const ExitInfo& e) {
  return e.exit_code && (*e.exit_code == 2 || *e.exit_code == 3) && !e.oom_killed;
}

}  // namespace

std::string_view ServiceStateName(ServiceState state) {
  switch (state) {
    case ServiceState::kStopped: return "stopped";
    case ServiceState::kStarting: return "starting";
    case ServiceState::kRunning: return "running";
    case ServiceState::kStopping: return "stopping";
    case ServiceState::kRestartPending: return "restarting";
    case ServiceState::kFailed: return "failed";
    case ServiceState::kFailedStartLimit: return "failed (start limit)";
  }
  return "stopped";
}

bool ExitInfo::clean() const {
  if (oom_killed) return false;
  if (exit_code) return *exit_code == 0;
  if (signal) {
    return *signal == SIGHUP || *signal == SIGINT || *signal == SIGTERM || *signal == SIGPIPE;
  }
  return false;
}

std::string ExitInfo::Describe() const {
  if (oom_killed) {
    return signal ? fmt::format("OOM kill ({})", SignalName(*signal)) : "OOM kill";
  }
  if (exit_code) return fmt::format("exit status {}", *exit_code);
  if (signal) return fmt::format("signal {} ({})", *signal, SignalName(*signal));
  return "ended (unknown status)";
}

RestartMachine::RestartMachine(const ServiceOptions& options, const Clock& clock)
    : options_(options), clock_(clock) {}

RestartMachine::Action RestartMachine::TryStart() {
  const MonoTime now = clock_.MonotonicNow();
  restart_at_.reset();
  if (options_.start_limit_interval > Duration::zero()) {
    while (!starts_.empty() && now - starts_.front() >= options_.start_limit_interval) {
      starts_.pop_front();
    }
    if (static_cast<int64_t>(starts_.size()) >= options_.start_limit_burst) {
      state_ = ServiceState::kFailedStartLimit;
      last_exit_ =
          fmt::format("{}; start request repeated too quickly ({} starts in {} s)",
                      last_exit_.empty() ? "not started" : last_exit_, options_.start_limit_burst,
                      SecondsOf(options_.start_limit_interval));
      return Action::kNone;
    }
    starts_.push_back(now);
  }
  state_ = ServiceState::kStarting;
  return Action::kSpawn;
}

RestartMachine::Action RestartMachine::Start() {
  if (state_ == ServiceState::kStarting || state_ == ServiceState::kRunning) return Action::kNone;
  if (state_ == ServiceState::kStopping) {
    start_after_stop_ = true;
    return Action::kNone;
  }
  starts_.clear();
  restarts_ = 0;
  return TryStart();
}

RestartMachine::Action RestartMachine::Stop() {
  start_after_stop_ = false;
  switch (state_) {
    case ServiceState::kStarting:
    case ServiceState::kRunning:
      state_ = ServiceState::kStopping;
      kill_at_ = clock_.MonotonicNow() + options_.timeout_stop;
      return Action::kTerminate;
    case ServiceState::kRestartPending:
      state_ = ServiceState::kStopped;
      restart_at_.reset();
      return Action::kNone;
    default: return Action::kNone;  // stopping already, stopped, or failed (stays visible)
  }
}

RestartMachine::Action RestartMachine::Restart() {
  if (state_ == ServiceState::kStarting || state_ == ServiceState::kRunning ||
      state_ == ServiceState::kStopping) {
    Action a = Stop();
    start_after_stop_ = true;
    return a;
  }
  return Start();
}

void RestartMachine::OnSpawned() {
  if (state_ == ServiceState::kStarting) return;
  state_ = ServiceState::kStarting;
}

void RestartMachine::OnReady() {
  if (state_ == ServiceState::kStarting) state_ = ServiceState::kRunning;
}

void RestartMachine::OnSpawnFailed(std::string reason) {
  last_exit_ = "spawn failed: " + std::move(reason);
  if (state_ == ServiceState::kStopping) {
    state_ = ServiceState::kStopped;
    kill_at_.reset();
    return;
  }
  AfterUnplannedExit(/*clean=*/false, /*prevent_restart=*/false);
}

RestartMachine::Action RestartMachine::OnExit(const ExitInfo& exit, std::string_view cause) {
  last_exit_ = exit.Describe();
  if (!cause.empty()) last_exit_ += fmt::format(": {}", cause);
  if (exit.oom_killed) ++oom_kills_;
  if (state_ == ServiceState::kStopping) {
    kill_at_.reset();
    state_ = ServiceState::kStopped;
    if (start_after_stop_) {
      start_after_stop_ = false;
      // An operator restart: counts against the start limit, keeps the restart count.
      return TryStart();
    }
    return Action::kNone;
  }
  if (state_ != ServiceState::kStarting && state_ != ServiceState::kRunning) return Action::kNone;
  AfterUnplannedExit(exit.clean(), PreventsRestart(exit));
  return Action::kNone;
}

void RestartMachine::AfterUnplannedExit(bool clean, bool prevent_restart) {
  bool restart = false;
  switch (options_.restart) {
    case RestartPolicy::kAlways: restart = true; break;
    case RestartPolicy::kOnFailure: restart = !clean; break;
    case RestartPolicy::kNo: restart = false; break;
  }
  if (prevent_restart) {
    restart = false;
    last_exit_ += " (not restarted: a configuration error or a verb not built fails again)";
  }
  if (!restart) {
    state_ = clean ? ServiceState::kStopped : ServiceState::kFailed;
    return;
  }
  state_ = ServiceState::kRestartPending;
  restart_at_ = clock_.MonotonicNow() + options_.restart_sec;
}

RestartMachine::Action RestartMachine::Tick() {
  const MonoTime now = clock_.MonotonicNow();
  if (state_ == ServiceState::kRestartPending && restart_at_ && now >= *restart_at_) {
    Action a = TryStart();
    if (a == Action::kSpawn) ++restarts_;
    return a;
  }
  if (state_ == ServiceState::kStopping && kill_at_ && now >= *kill_at_) {
    kill_at_.reset();  // one SIGKILL; the exit follows
    return Action::kKill;
  }
  return Action::kNone;
}

std::optional<MonoTime> RestartMachine::NextDeadline() const {
  if (state_ == ServiceState::kRestartPending) return restart_at_;
  if (state_ == ServiceState::kStopping) return kill_at_;
  return std::nullopt;
}

std::string RestartMachine::StateText() const {
  if (state_ == ServiceState::kRestartPending && restart_at_) {
    Duration left = *restart_at_ - clock_.MonotonicNow();
    if (left < Duration::zero()) left = Duration::zero();
    return fmt::format("restarting in {:.1f} s", SecondsOf(left));
  }
  return std::string(ServiceStateName(state_));
}

}  // namespace dolphin::supervisor
