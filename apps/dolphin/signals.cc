#include "signals.h"

#include <pthread.h>

#include <cstring>

namespace dolphin::cli {

SignalCanceller::SignalCanceller(CancelToken& cancel, Logger& logger, std::string component) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGUSR1);  // our own wake-up at destruction
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  thread_ = std::thread([this, &cancel, &logger, component] {  // determinism-ok: sigwait thread
    ::pthread_setname_np(::pthread_self(), "signals");
    int sig = 0;
    while (sigwait(&set_, &sig) == 0) {
      if (sig == SIGUSR1 && done_) return;
      if (sig == SIGINT || sig == SIGTERM) {
        logger.Info(component, "signal received, stopping", {{"signal", strsignal(sig)}});
        cancel.Cancel();
        return;
      }
    }
  });
}

SignalCanceller::~SignalCanceller() {
  done_ = true;
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

}  // namespace dolphin::cli
