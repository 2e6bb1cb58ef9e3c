// Clock::WaitUntil(deadline, lock, cv, pred): the condition wait with a deadline on the clock.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "dolphin/core/clock.h"
#include "dolphin/core/simulated_clock.h"
#include "dolphin/core/thread_factory.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

using namespace std::chrono_literals;

struct Box {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;  // guarded by mu
};

TEST(ClockConditionTest, SimulatedDeadlinePassesOnlyWhenTimeIsAdvanced) {
  SimulatedClock clock;
  Box box;
  std::atomic<int> result{-1};
  const MonoTime deadline = clock.MonotonicNow() + 30s;
  std::thread waiter([&] {  // determinism-ok: the waiting caller
    std::unique_lock<std::mutex> lock(box.mu);
    result = clock.WaitUntil(deadline, lock, box.cv, [&] { return box.ready; }) ? 1 : 0;
    EXPECT_TRUE(lock.owns_lock());
  });
  clock.BlockUntilWaiters(1);
  clock.AdvanceBy(29999ms);
  EXPECT_EQ(clock.WaitersForTest(), 1);
  EXPECT_EQ(result.load(), -1);
  clock.AdvanceBy(1ms);
  waiter.join();
  EXPECT_EQ(result.load(), 0);  // Timed out: the predicate never held.
  EXPECT_EQ(clock.WaitersForTest(), 0);
}

TEST(ClockConditionTest, SimulatedWaitReturnsAsSoonAsThePredicateHolds) {
  SimulatedClock clock;
  Box box;
  std::atomic<int> result{-1};
  std::thread waiter([&] {  // determinism-ok: the waiting caller
    std::unique_lock<std::mutex> lock(box.mu);
    result = clock.WaitFor(1h, lock, box.cv, [&] { return box.ready; }) ? 1 : 0;
  });
  clock.BlockUntilWaiters(1);
  clock.AdvanceBy(10min);  // A wake without the predicate: keeps waiting.
  EXPECT_EQ(clock.WaitersForTest(), 1);
  {
    std::lock_guard<std::mutex> lock(box.mu);
    box.ready = true;
  }
  box.cv.notify_all();
  waiter.join();
  EXPECT_EQ(result.load(), 1);
}

TEST(ClockConditionTest, ReturnsAtOnceWhenThePredicateHoldsOrTheDeadlinePassed) {
  SimulatedClock sim;
  SystemClock real;
  for (Clock* clock : {static_cast<Clock*>(&sim), static_cast<Clock*>(&real)}) {
    Box box;
    std::unique_lock<std::mutex> lock(box.mu);
    EXPECT_FALSE(clock->WaitUntil(clock->MonotonicNow(), lock, box.cv, [&] { return box.ready; }));
    box.ready = true;
    EXPECT_TRUE(clock->WaitFor(1h, lock, box.cv, [&] { return box.ready; }));
    EXPECT_TRUE(lock.owns_lock());
  }
}

TEST(ClockConditionTest, SystemClockWaitsForTheNotification) {
  SystemClock clock;
  Box box;
  std::thread notifier([&] {  // determinism-ok: the notifying peer
    std::lock_guard<std::mutex> lock(box.mu);
    box.ready = true;
    box.cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(box.mu);
    EXPECT_TRUE(clock.WaitFor(1h, lock, box.cv, [&] { return box.ready; }));
  }
  notifier.join();
}

TEST(ThreadFactoryTest, StartsANamedJoinableThread) {
  std::string name;
  std::atomic<bool> ran{false};
  auto handle = ThreadFactory::Default().Start("dolphin-test-thread-long-name", [&] {
    char buf[32] = {};
    ::pthread_getname_np(::pthread_self(), buf, sizeof(buf));
    name = buf;
    ran = true;
  });
  ASSERT_OK(handle);
  EXPECT_TRUE((*handle)->joinable());
  (*handle)->Join();
  EXPECT_FALSE((*handle)->joinable());
  EXPECT_TRUE(ran.load());
  EXPECT_EQ(name, "dolphin-test-th");  // The kernel keeps 15 bytes.
}

TEST(ThreadFactoryTest, DetachedThreadRunsOnItsOwn) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  auto handle = ThreadFactory::Default().Start("detached", [&] {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  });
  ASSERT_OK(handle);
  (*handle)->Detach();
  EXPECT_FALSE((*handle)->joinable());
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
}

}  // namespace
}  // namespace dolphin
