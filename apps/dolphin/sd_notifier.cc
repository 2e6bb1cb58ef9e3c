#include "sd_notifier.h"

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace dolphin::cli {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  active_ = socket != nullptr && socket[0] != '\0';
  if (!active_) {
    description_ = "none";
    return;
  }
  uint64_t usec = 0;
  // > 0: armed for this process (WATCHDOG_PID unset or ours); 0: none; < 0: WATCHDOG_USEC or
  // WATCHDOG_PID do not parse.
  const int r = sd_watchdog_enabled(/*unset_environment=*/0, &usec);
  if (r > 0 && usec > 0) watchdog_ = std::chrono::microseconds(usec);
  if (r < 0) {
    description_ = fmt::format("{} (WATCHDOG_USEC ignored: {})", socket, std::strerror(-r));
  } else if (watchdog_) {
    description_ = fmt::format("{} (watchdog {})", socket, FormatDuration(*watchdog_));
  } else {
    description_ = fmt::format("{} (no watchdog)", socket);
  }
}

Status SystemdNotifier::Notify(std::string_view assignments) {
  if (!active_) return Status::Ok();
  const std::string text(assignments);
  // sd_pid_notify with our own pid: the message is attributed to the main process even when a
  // service manager checks NotifyAccess=main.
  const int r = sd_pid_notify(::getpid(), /*unset_environment=*/0, text.c_str());
  if (r < 0) return ErrnoError("sd_notify to $NOTIFY_SOCKET", -r);
  return Status::Ok();
}

}  // namespace dolphin::cli
