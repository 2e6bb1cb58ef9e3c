// Clock: the one way dolphin code reads time or waits for it.
//
// Now() is the wall clock (timestamps shown to people and written to the bus); MonotonicNow()
// measures intervals. Daemon loops never sleep: they WaitUntil() a deadline on their clock with
// a CancelToken, so a SimulatedClock can drive a whole daemon in a test and shutdown is prompt.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "dolphin/core/time.h"

namespace dolphin {

// A one-shot cancellation flag that clock waits observe. Cancel() wakes every waiter.
class CancelToken {
 public:
  CancelToken() = default;
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

 private:
  friend class SystemClock;
  friend class SimulatedClock;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
};

class Clock {
 public:
  virtual ~Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  virtual Timestamp Now() const = 0;
  virtual MonoTime MonotonicNow() const = 0;
  // Blocks until MonotonicNow() >= deadline (returns true) or `cancel` is cancelled (returns
  // false, promptly). Never returns early otherwise.
  virtual bool WaitUntil(MonoTime deadline, const CancelToken& cancel) = 0;
  bool WaitFor(Duration d, const CancelToken& cancel) {
    return WaitUntil(MonotonicNow() + d, cancel);
  }

 protected:
  Clock() = default;
};

// The real clocks: system_clock and steady_clock.
class SystemClock final : public Clock {
 public:
  SystemClock() = default;
  Timestamp Now() const override;
  MonoTime MonotonicNow() const override;
  bool WaitUntil(MonoTime deadline, const CancelToken& cancel) override;
};

}  // namespace dolphin
