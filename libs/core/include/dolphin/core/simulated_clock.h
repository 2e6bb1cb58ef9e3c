// SimulatedClock: a Clock that only moves when a test says so.
//
// AdvanceTo()/AdvanceBy() move both the wall and the monotonic reading forward (never back)
// and wake every WaitUntil() whose deadline has passed (both the CancelToken waits and the
// condition waits WaitUntil(deadline, lock, cv, pred), so request timeouts and retry delays run
// exactly as far as the test advances time). Waiters block on real condition
// variables, so a daemon thread driven by a SimulatedClock runs exactly as far as the test
// advances time. BlockUntilWaiters() lets a test synchronise with a daemon that is about to wait.
// Thread-safety: all methods are thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>

#include "dolphin/core/clock.h"

namespace dolphin {

class SimulatedClock final : public Clock {
 public:
  // Starts at `start` on the wall clock and at monotonic 0 + 1 s.
  explicit SimulatedClock(Timestamp start = Timestamp::FromUnixSeconds(1774434600));

  Timestamp Now() const override;
  MonoTime MonotonicNow() const override;
  bool WaitUntil(MonoTime deadline, const CancelToken& cancel) override;
  bool WaitUntil(MonoTime deadline, std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 const std::function<bool()>& pred) override;
  using Clock::WaitFor;

  // Moves time forward by `d` (REQUIRES: d >= 0) and wakes due waiters.
  void AdvanceBy(Duration d);
  // Moves the wall clock to `ts`; refuses (returns false) to go backwards.
  bool AdvanceTo(Timestamp ts);
  // Blocks (in real time) until at least `n` threads are inside WaitUntil() (either kind).
  void BlockUntilWaiters(int n);
  int WaitersForTest() const;
  // Blocks (in real time) until WaitUntil() (either kind) has been entered at least `n` times
  // in total (a condition wait counts once per registration):
  // the way to step a daemon loop exactly one wait at a time.
  void BlockUntilWaitCalls(int64_t n);

 private:
  void WakeAll();

  mutable std::mutex mu_;
  std::condition_variable waiters_cv_;
  std::atomic<int64_t> wall_nanos_;
  std::atomic<int64_t> mono_nanos_;
  struct CondWaiter {
    std::mutex* mu;
    std::condition_variable* cv;
    bool operator<(const CondWaiter& o) const { return cv < o.cv || (cv == o.cv && mu < o.mu); }
  };
  std::multiset<const CancelToken*> waiting_;  // guarded by mu_
  std::multiset<CondWaiter> cond_waiting_;     // guarded by mu_
  int64_t wait_calls_ = 0;                     // guarded by mu_
};

}  // namespace dolphin
