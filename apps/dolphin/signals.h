// SignalCanceller: SIGINT/SIGTERM -> CancelToken, for the verbs that run until stopped.
//
// Blocks SIGINT/SIGTERM in every thread and waits for them on one thread (sigwait), so no
// signal handler ever runs in the middle of library code. REQUIRES: constructed before any
// other thread is started, so they all inherit the blocked mask.
#pragma once

#include <signal.h>

#include <atomic>
#include <string>
#include <thread>

#include "dolphin/core/clock.h"
#include "dolphin/core/logging.h"

namespace dolphin::cli {

class SignalCanceller {
 public:
  // `component` names the log line "signal received, stopping".
  SignalCanceller(CancelToken& cancel, Logger& logger, std::string component);
  ~SignalCanceller();
  SignalCanceller(const SignalCanceller&) = delete;
  SignalCanceller& operator=(const SignalCanceller&) = delete;

 private:
  sigset_t set_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace dolphin::cli
