#include "dolphin/core/clock.h"

#include <atomic>
#include <thread>

#include "dolphin/core/simulated_clock.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

using namespace std::chrono_literals;
using testing::WaitFor;

TEST(SimulatedClockTest, MovesOnlyWhenAdvancedAndNeverBackwards) {
  SimulatedClock clock(Timestamp::FromUnixSeconds(1000));
  MonoTime m0 = clock.MonotonicNow();
  EXPECT_EQ(clock.Now(), Timestamp::FromUnixSeconds(1000));
  clock.AdvanceBy(1500ms);
  EXPECT_EQ(clock.Now(), Timestamp::FromUnixNanos(1001500000000));
  EXPECT_EQ(clock.MonotonicNow() - m0, 1500ms);
  EXPECT_FALSE(clock.AdvanceTo(Timestamp::FromUnixSeconds(999)));
  EXPECT_TRUE(clock.AdvanceTo(Timestamp::FromUnixSeconds(1002)));
  EXPECT_EQ(clock.MonotonicNow() - m0, 2s);
}

TEST(SimulatedClockTest, WaitReturnsExactlyWhenTheDeadlinePasses) {
  SimulatedClock clock;
  CancelToken cancel;
  std::atomic<bool> woke{false};
  MonoTime deadline = clock.MonotonicNow() + 5s;
  std::thread waiter([&] {  // determinism-ok: the waiting daemon
    EXPECT_TRUE(clock.WaitUntil(deadline, cancel));
    woke = true;
  });
  clock.BlockUntilWaiters(1);
  clock.AdvanceBy(4999ms);
  EXPECT_EQ(clock.WaitersForTest(), 1);  // Still waiting: the deadline has not passed.
  EXPECT_FALSE(woke.load());
  clock.AdvanceBy(1ms);
  waiter.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(clock.WaitersForTest(), 0);
}

TEST(SimulatedClockTest, CancelWakesAWaiterPromptly) {
  SimulatedClock clock;
  CancelToken cancel;
  std::thread waiter([&] {  // determinism-ok: the waiting daemon
    EXPECT_FALSE(clock.WaitFor(1h, cancel));
  });
  clock.BlockUntilWaiters(1);
  cancel.Cancel();
  waiter.join();
  EXPECT_TRUE(cancel.cancelled());
  // A cancelled token returns at once.
  EXPECT_FALSE(clock.WaitFor(1h, cancel));
}

TEST(SystemClockTest, WaitsRealTimeAndCancels) {
  SystemClock clock;
  CancelToken never;
  MonoTime start = clock.MonotonicNow();
  EXPECT_TRUE(clock.WaitFor(20ms, never));
  EXPECT_GE(clock.MonotonicNow() - start, 20ms);
  CancelToken cancel;
  std::thread canceller([&] { cancel.Cancel(); });  // determinism-ok
  EXPECT_FALSE(clock.WaitFor(1h, cancel));
  canceller.join();
  // Wall clock is after 2020.
  EXPECT_GT(clock.Now(), Timestamp::FromUnixSeconds(1577836800));
}

}  // namespace
}  // namespace dolphin
