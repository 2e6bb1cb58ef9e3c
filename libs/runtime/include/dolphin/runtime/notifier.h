// ProcessNotifier: how a dolphin process tells its service manager (systemd's sd_notify protocol)
// that it is ready, alive, what it is doing and that it is stopping. The Runner is its only user
// (docs/services.md "sd_notify"); the real implementation over libsystemd lives in the wiring
// (apps/dolphin), so the runtime links no third-party library and unit tests use a fake.
//
// Progress, the condition for a watchdog ping (WATCHDOG=1), is decided here too, as a pure
// function of the Runner's service states: see NoProgressReason().
//
// Thread-safety: the Runner calls a notifier from its own thread only; implementations need not
// synchronise. Ownership: the caller owns the notifier and keeps it alive while the Runner runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/core/status.h"
#include "dolphin/core/time.h"

namespace dolphin::runtime {

struct RunnerServiceState;  // runner.h

class ProcessNotifier {
 public:
  virtual ~ProcessNotifier() = default;
  ProcessNotifier(const ProcessNotifier&) = delete;
  ProcessNotifier& operator=(const ProcessNotifier&) = delete;

  // The service manager's watchdog timeout for this process (systemd: WATCHDOG_USEC, when
  // WATCHDOG_PID is unset or names this process); nullopt when no watchdog is armed.
  virtual std::optional<Duration> WatchdogTimeout() const = 0;

  // Sends one notification: newline-separated "KEY=value" assignments ("READY=1\nSTATUS=...").
  // Without a service manager listening (NOTIFY_SOCKET unset) it does nothing and succeeds.
  // An error names the socket and the errno; the Runner logs it and goes on.
  virtual Status Notify(std::string_view assignments) = 0;

 protected:
  ProcessNotifier() = default;
};

// A notifier that sends nothing and arms no watchdog (no service manager).
class NullNotifier final : public ProcessNotifier {
 public:
  NullNotifier() = default;
  std::optional<Duration> WatchdogTimeout() const override { return std::nullopt; }
  Status Notify(std::string_view) override { return Status::Ok(); }
};

// The watchdog ping period for a timeout: half of it (sd_watchdog_enabled(3)'s advice), so one
// late ping never trips the watchdog.
Duration WatchdogPingPeriod(Duration timeout);

// Whether the process is making progress, from its services' states (docs/services.md
// "Progress"). Returns nullopt when it is: every service was started, its own loop still runs
// (ServiceLiveness::running) and its health is not `stalled` (a bridge read hung past
// read_timeout says so). Otherwise one line naming the first service that is not
// ("bridge: stalled: 1 file read(s) hung longer than 5s"). `degraded` is progress: a service
// that is retrying (a failing bus put) would not be helped by being killed.
std::optional<std::string> NoProgressReason(const std::vector<RunnerServiceState>& states);

}  // namespace dolphin::runtime
