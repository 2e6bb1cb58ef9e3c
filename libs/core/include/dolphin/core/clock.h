// Clock: the one way dolphin code reads time or waits for it.
//
// Now() is the wall clock (timestamps shown to people and written to the bus); MonotonicNow()
// measures intervals. Daemon loops never sleep: they WaitUntil() a deadline on their clock with
// a CancelToken, so a SimulatedClock can drive a whole daemon in a test and shutdown is prompt.
// Every other wait with a deadline or a timeout (a request timeout, a read that may hang, a
// settle period) is a condition wait on the clock: WaitUntil(deadline, lock, cv, pred), so that
// a SimulatedClock drives it too (tools/lint/check_determinism.sh rejects the condition
// variable's own timed waits outside core).
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
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

  // A condition wait with a deadline on this clock. REQUIRES: `lock` holds the mutex that
  // guards what `pred` reads; whoever changes that state does so under the mutex and then
  // notifies `cv` (as with std::condition_variable). Returns true as soon as pred() holds, false
  // once MonotonicNow() >= deadline with pred() still false; `lock` is held again on return.
  // Like any condition wait it releases the mutex while blocked (a SimulatedClock also releases
  // it briefly on entry and exit to register the waiter, so the waker's lock order is clock
  // first, then the caller's mutex: do not advance a SimulatedClock while holding that mutex).
  // Does not allocate for a predicate that captures at most two pointers.
  virtual bool WaitUntil(MonoTime deadline, std::unique_lock<std::mutex>& lock,
                         std::condition_variable& cv, const std::function<bool()>& pred) = 0;
  bool WaitFor(Duration d, std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
               const std::function<bool()>& pred) {
    return WaitUntil(MonotonicNow() + d, lock, cv, pred);
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
  bool WaitUntil(MonoTime deadline, std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 const std::function<bool()>& pred) override;
  using Clock::WaitFor;
};

}  // namespace dolphin
