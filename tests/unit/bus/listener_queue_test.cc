#include "dolphin/bus/listener_queue.h"

#include <mutex>

#include "dolphin/testing/bus_testing.h"

namespace dolphin::bus {
namespace {

using ::dolphin::testing::Gate;
using ::dolphin::testing::WaitFor;

BusEvent Ev(EventType t, std::string key, std::string value = "") {
  return BusEvent{t, "M", std::move(key), std::move(value)};
}

// Blocks the dispatch thread on its first event so the test controls the queue contents.
class ListenerQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ListenerOptions o;
    o.queue_capacity = 3;
    queue_ = ListenerQueue::Start(
        [this](const BusEvent& e) {
          gate_.Wait();
          std::lock_guard<std::mutex> lock(mu_);
          seen_.push_back(std::string(EventTypeName(e.type)) + ":" + e.key + "=" + e.value);
        },
        o);
    queue_->Push(Ev(EventType::kAdded, "block", "x"));
    ASSERT_TRUE(gate_.WaitForWaiter());
  }
  std::vector<std::string> Finish() {
    gate_.Open();
    queue_->Drain();
    std::lock_guard<std::mutex> lock(mu_);
    return std::vector<std::string>(seen_.begin() + 1, seen_.end());
  }
  void TearDown() override {
    gate_.Open();
    queue_->Stop();
  }

  Gate gate_;
  std::mutex mu_;
  std::vector<std::string> seen_;
  std::shared_ptr<ListenerQueue> queue_;
};

TEST_F(ListenerQueueTest, BelowCapacityEverythingIsDelivered) {
  queue_->Push(Ev(EventType::kAdded, "a", "1"));
  queue_->Push(Ev(EventType::kUpdated, "a", "2"));
  queue_->Push(Ev(EventType::kUpdated, "a", "3"));
  EXPECT_THAT(Finish(), ::testing::ElementsAre("ADDED:a=1", "UPDATED:a=2", "UPDATED:a=3"));
  EXPECT_EQ(queue_->Stats().coalesced, 0u);
}

TEST_F(ListenerQueueTest, WhenFullTheNewestValueReplacesThePendingOne) {
  queue_->Push(Ev(EventType::kAdded, "a", "1"));
  queue_->Push(Ev(EventType::kAdded, "b", "1"));
  queue_->Push(Ev(EventType::kAdded, "c", "1"));
  queue_->Push(Ev(EventType::kUpdated, "a", "2"));  // full: coalesces into ADDED a
  queue_->Push(Ev(EventType::kUpdated, "a", "3"));
  EXPECT_THAT(Finish(), ::testing::ElementsAre("ADDED:a=3", "ADDED:b=1", "ADDED:c=1"));
  EXPECT_EQ(queue_->Stats().coalesced, 2u);
  EXPECT_EQ(queue_->Stats().delivered, 4u);
}

TEST_F(ListenerQueueTest, NewKeysStillQueueWhenFull) {
  for (const char* k : {"a", "b", "c", "d", "e"}) queue_->Push(Ev(EventType::kAdded, k, "1"));
  EXPECT_EQ(Finish().size(), 5u);
  EXPECT_EQ(queue_->Stats().coalesced, 0u);
}

TEST_F(ListenerQueueTest, RemovedReplacesPendingValueAndIsNeverDropped) {
  queue_->Push(Ev(EventType::kAdded, "a", "1"));
  queue_->Push(Ev(EventType::kAdded, "b", "1"));
  queue_->Push(Ev(EventType::kAdded, "c", "1"));
  queue_->Push(Ev(EventType::kRemoved, "a"));       // replaces ADDED a
  queue_->Push(Ev(EventType::kAdded, "a", "2"));    // appended after the REMOVED
  queue_->Push(Ev(EventType::kUpdated, "a", "3"));  // coalesces into ADDED a=2
  EXPECT_THAT(Finish(),
              ::testing::ElementsAre("REMOVED:a=", "ADDED:b=1", "ADDED:c=1", "ADDED:a=3"));
  EXPECT_EQ(queue_->Stats().coalesced, 2u);
}

TEST_F(ListenerQueueTest, RemoveValueRemoveCollapsesToOneRemoved) {
  queue_->Push(Ev(EventType::kAdded, "a", "1"));
  queue_->Push(Ev(EventType::kAdded, "b", "1"));
  queue_->Push(Ev(EventType::kAdded, "c", "1"));
  queue_->Push(Ev(EventType::kRemoved, "a"));
  queue_->Push(Ev(EventType::kAdded, "a", "2"));
  queue_->Push(Ev(EventType::kRemoved, "a"));
  EXPECT_THAT(Finish(), ::testing::ElementsAre("REMOVED:a=", "ADDED:b=1", "ADDED:c=1"));
  // ADDED a=1 (replaced by the removal), ADDED a=2 and the second REMOVED (absorbed).
  EXPECT_EQ(queue_->Stats().coalesced, 3u);
  EXPECT_EQ(queue_->Stats().delivered, 4u);
}

TEST_F(ListenerQueueTest, SnapshotKeepsItsTypeWhenCoalesced) {
  queue_->Push(Ev(EventType::kSnapshot, "a", "1"));
  queue_->Push(Ev(EventType::kSnapshot, "b", "1"));
  queue_->Push(Ev(EventType::kSnapshot, "c", "1"));
  queue_->Push(Ev(EventType::kUpdated, "a", "9"));
  EXPECT_THAT(Finish(), ::testing::ElementsAre("SNAPSHOT:a=9", "SNAPSHOT:b=1", "SNAPSHOT:c=1"));
}

TEST(ListenerQueueStopTest, StopFromInsideTheCallbackDoesNotDeadlock) {
  std::shared_ptr<ListenerQueue> q;
  std::atomic<bool> stopped{false};
  std::mutex mu;
  q = ListenerQueue::Start(
      [&](const BusEvent&) {
        std::shared_ptr<ListenerQueue> self;
        {
          std::lock_guard<std::mutex> lock(mu);
          self = q;
        }
        self->Stop();
        stopped = true;
      },
      {});
  {
    std::lock_guard<std::mutex> lock(mu);
    q->Push(Ev(EventType::kAdded, "a", "1"));
  }
  ASSERT_TRUE(WaitFor([&] { return stopped.load(); }));
  std::lock_guard<std::mutex> lock(mu);
  q.reset();
}

}  // namespace
}  // namespace dolphin::bus
