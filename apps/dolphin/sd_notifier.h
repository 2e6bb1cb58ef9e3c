// The systemd notifier of `dolphin run` and `dolphin serve` (docs/services.md "sd_notify"): the
// runtime's ProcessNotifier over libsystemd's sd_pid_notify(3) and sd_watchdog_enabled(3).
// Without NOTIFY_SOCKET (not started by systemd with Type=notify) every call does nothing.
// Thread-safety: as ProcessNotifier (one caller thread). Reads the environment once, at
// construction; the wiring is the only place allowed to (docs/architecture.md §2).
#pragma once

#include <memory>

#include "dolphin/runtime/notifier.h"

namespace dolphin::cli {

// The notifier for this process. Logs nothing itself; `Describe()` is one line for the start log.
class SystemdNotifier final : public runtime::ProcessNotifier {
 public:
  SystemdNotifier();
  std::optional<Duration> WatchdogTimeout() const override { return watchdog_; }
  Status Notify(std::string_view assignments) override;
  // "none" without NOTIFY_SOCKET, else the socket and the watchdog timeout (or "no watchdog");
  // a WATCHDOG_USEC that does not parse is named here.
  const std::string& Describe() const { return description_; }
  bool active() const { return active_; }

 private:
  bool active_ = false;
  std::optional<Duration> watchdog_;
  std::string description_;
};

}  // namespace dolphin::cli
