#include "dolphin/core/clock.h"

#include <chrono>

#include "dolphin/core/simulated_clock.h"

namespace dolphin {

void CancelToken::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

// The one place that reads the real clocks (tools/lint/check_determinism.sh allows it).
Timestamp SystemClock::Now() const {
  auto d = std::chrono::system_clock::now().time_since_epoch();  // determinism-ok: SystemClock
  return Timestamp::FromUnixNanos(std::chrono::duration_cast<Duration>(d).count());
}

MonoTime SystemClock::MonotonicNow() const {
  auto d = std::chrono::steady_clock::now().time_since_epoch();  // determinism-ok: SystemClock
  return MonoTime::FromNanos(std::chrono::duration_cast<Duration>(d).count());
}

bool SystemClock::WaitUntil(MonoTime deadline, const CancelToken& cancel) {
  std::chrono::steady_clock::time_point tp{Duration(deadline.Nanos())};
  std::unique_lock<std::mutex> lock(cancel.mu_);
  while (!cancel.cancelled()) {
    if (cancel.cv_.wait_until(lock, tp) == std::cv_status::timeout) {
      if (MonotonicNow() >= deadline) return !cancel.cancelled();
    }
  }
  return false;
}

bool SystemClock::WaitUntil(MonoTime deadline, std::unique_lock<std::mutex>& lock,
                            std::condition_variable& cv, const std::function<bool()>& pred) {
  std::chrono::steady_clock::time_point tp{Duration(deadline.Nanos())};
  return cv.wait_until(lock, tp, pred);
}

SimulatedClock::SimulatedClock(Timestamp start)
    : wall_nanos_(start.UnixNanos()), mono_nanos_(1000000000) {}

Timestamp SimulatedClock::Now() const {
  return Timestamp::FromUnixNanos(wall_nanos_.load(std::memory_order_acquire));
}

MonoTime SimulatedClock::MonotonicNow() const {
  return MonoTime::FromNanos(mono_nanos_.load(std::memory_order_acquire));
}

bool SimulatedClock::WaitUntil(MonoTime deadline, const CancelToken& cancel) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_.insert(&cancel);
    ++wait_calls_;
  }
  waiters_cv_.notify_all();
  bool reached;
  {
    std::unique_lock<std::mutex> lock(cancel.mu_);
    cancel.cv_.wait(lock, [&] { return cancel.cancelled() || MonotonicNow() >= deadline; });
    reached = !cancel.cancelled();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_.erase(waiting_.find(&cancel));
  }
  waiters_cv_.notify_all();
  return reached;
}

bool SimulatedClock::WaitUntil(MonoTime deadline, std::unique_lock<std::mutex>& lock,
                               std::condition_variable& cv, const std::function<bool()>& pred) {
  if (pred()) return true;
  if (MonotonicNow() >= deadline) return false;
  const CondWaiter me{lock.mutex(), &cv};
  while (true) {
    // Registered while not holding the caller's mutex: WakeAll() takes mu_ and then that mutex,
    // so taking them in the other order here could deadlock.
    lock.unlock();
    {
      std::lock_guard<std::mutex> g(mu_);
      cond_waiting_.insert(me);
      ++wait_calls_;
    }
    waiters_cv_.notify_all();
    lock.lock();
    // A time advance after registration takes the caller's mutex before notifying, so it
    // cannot slip between this check and the wait.
    while (!pred() && MonotonicNow() < deadline) cv.wait(lock);
    lock.unlock();
    {
      std::lock_guard<std::mutex> g(mu_);
      cond_waiting_.erase(cond_waiting_.find(me));
    }
    waiters_cv_.notify_all();
    lock.lock();
    if (pred()) return true;
    if (MonotonicNow() >= deadline) return false;
    // The state changed back while the lock was released for deregistration: wait again.
  }
}

void SimulatedClock::AdvanceBy(Duration d) {
  if (d.count() < 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wall_nanos_.fetch_add(d.count(), std::memory_order_acq_rel);
    mono_nanos_.fetch_add(d.count(), std::memory_order_acq_rel);
  }
  WakeAll();
}

bool SimulatedClock::AdvanceTo(Timestamp ts) {
  Duration d = ts - Now();
  if (d.count() < 0) return false;
  AdvanceBy(d);
  return true;
}

void SimulatedClock::WakeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const CancelToken* token : waiting_) {
    // Taking the token's mutex orders this wake after the waiter's predicate check.
    { std::lock_guard<std::mutex> tl(token->mu_); }
    token->cv_.notify_all();
  }
  for (const CondWaiter& w : cond_waiting_) {
    { std::lock_guard<std::mutex> wl(*w.mu); }
    w.cv->notify_all();
  }
}

void SimulatedClock::BlockUntilWaiters(int n) {
  std::unique_lock<std::mutex> lock(mu_);
  waiters_cv_.wait(lock,
                   [&] { return static_cast<int>(waiting_.size() + cond_waiting_.size()) >= n; });
}

void SimulatedClock::BlockUntilWaitCalls(int64_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  waiters_cv_.wait(lock, [&] { return wait_calls_ >= n; });
}

int SimulatedClock::WaitersForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(waiting_.size() + cond_waiting_.size());
}

}  // namespace dolphin
