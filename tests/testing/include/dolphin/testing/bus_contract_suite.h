// The bus contract suite: docs/architecture.md §3's KvBus semantics as parameterized tests.
//
// Every backend is held to it. Include this header in exactly one .cc of a test binary and
// instantiate it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, BusContractTest,
//       ::testing::Values(BusFactory{"memory", [] { return NewInMemoryBus(); }}));
//
// Map names are unique per test (UniqueName), so the suite can share one real server.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/testing/bus_testing.h"
#include "dolphin/testing/testing.h"

namespace dolphin::testing {

struct BusFactory {
  std::string name;
  std::function<std::unique_ptr<bus::KvBus>()> make;
};
inline std::ostream& operator<<(std::ostream& os, const BusFactory& f) { return os << f.name; }

class BusContractTest : public ::testing::TestWithParam<BusFactory> {
 protected:
  void SetUp() override {
    bus_ = GetParam().make();
    ASSERT_NE(bus_, nullptr);
    map_ = UniqueName("contract");
  }
  void TearDown() override { bus_.reset(); }

  std::unique_ptr<bus::KvBus> bus_;
  std::string map_;
};

using bus::BusEvent;
using bus::EventType;

TEST_P(BusContractTest, PutThenGetReturnsValue) {
  ASSERT_OK(bus_->Put(map_, "k", R"({"a":1})"));
  auto got = bus_->Get(map_, "k");
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, R"({"a":1})");
}

TEST_P(BusContractTest, GetOfMissingKeyIsEmptyNotError) {
  auto got = bus_->Get(map_, "absent");
  ASSERT_OK(got);
  EXPECT_FALSE(got->has_value());
}

TEST_P(BusContractTest, PutOverwritesAndRemoveReportsExistence) {
  ASSERT_OK(bus_->Put(map_, "k", "1"));
  ASSERT_OK(bus_->Put(map_, "k", "2"));
  EXPECT_THAT(bus_->Get(map_, "k"), IsOkAndHolds(std::optional<std::string>("2")));
  EXPECT_THAT(bus_->Remove(map_, "k"), IsOkAndHolds(true));
  EXPECT_THAT(bus_->Remove(map_, "k"), IsOkAndHolds(false));
  EXPECT_THAT(bus_->Get(map_, "k"), IsOkAndHolds(std::optional<std::string>()));
}

TEST_P(BusContractTest, KeysAreSortedAndMapsAreSeparate) {
  const std::string other = map_ + "_other";
  ASSERT_OK(bus_->Put(map_, "b", "1"));
  ASSERT_OK(bus_->Put(map_, "a", "2"));
  ASSERT_OK(bus_->Put(other, "c", "3"));
  EXPECT_THAT(bus_->Keys(map_), IsOkAndHolds(::testing::ElementsAre("a", "b")));
  EXPECT_THAT(bus_->Keys(other), IsOkAndHolds(::testing::ElementsAre("c")));
  EXPECT_THAT(bus_->Keys(map_ + "_none"), IsOkAndHolds(::testing::IsEmpty()));
  auto maps = bus_->Maps();
  ASSERT_OK(maps);
  EXPECT_THAT(*maps, ::testing::IsSupersetOf({map_, other}));
}

TEST_P(BusContractTest, PutAllWritesEveryPutInOrder) {
  const std::string other = map_ + "_other";
  EventRecorder rec;
  auto id = bus_->AddKeyListener(map_, "seq", rec.Callback());
  ASSERT_OK(id);
  EXPECT_OK(bus_->PutAll({}));
  const std::vector<bus::KvPut> puts{
      {map_, "seq", "1"}, {other, "x", "{\"a\":1}"}, {map_, "seq", "2"}, {map_, "y", "3"}};
  ASSERT_OK(bus_->PutAll(puts));
  EXPECT_THAT(bus_->Get(map_, "seq"), IsOkAndHolds(std::optional<std::string>("2")));
  EXPECT_THAT(bus_->Get(map_, "y"), IsOkAndHolds(std::optional<std::string>("3")));
  EXPECT_THAT(bus_->Get(other, "x"), IsOkAndHolds(std::optional<std::string>("{\"a\":1}")));
  ASSERT_TRUE(rec.WaitForEvent([](const BusEvent& e) { return e.value == "2"; }));
  std::vector<std::string> seen;
  for (const auto& e : rec.Events()) seen.push_back(e.value);
  EXPECT_THAT(seen, ::testing::ElementsAre("1", "2"));
  // A bad put is an error naming it; the batch's other puts may have been applied.
  const std::vector<bus::KvPut> bad{{map_, "z", "4"}, {"", "k", "5"}};
  Status st = bus_->PutAll(bad);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_THAT(st.message(), ::testing::HasSubstr("empty map name"));
}

TEST_P(BusContractTest, ValuesKeepArbitraryBytesOfText) {
  const std::string value = "{\"s\":\"caf\xc3\xa9 \\u0000 \\\"q\\\"\",\"n\":[1,2,3]}";
  ASSERT_OK(bus_->Put(map_, "k\xc3\xa9y with space", value));
  EXPECT_THAT(bus_->Get(map_, "k\xc3\xa9y with space"),
              IsOkAndHolds(std::optional<std::string>(value)));
}

TEST_P(BusContractTest, KeyListenerGetsSnapshotFirstThenChanges) {
  ASSERT_OK(bus_->Put(map_, "k", "v0"));
  ASSERT_OK(bus_->Put(map_, "other", "x"));
  EventRecorder rec;
  auto id = bus_->AddKeyListener(map_, "k", rec.Callback());
  ASSERT_OK(id);
  ASSERT_TRUE(rec.WaitForCount(1));
  ASSERT_OK(bus_->Put(map_, "other", "y"));
  ASSERT_OK(bus_->Put(map_, "k", "v1"));
  ASSERT_OK(bus_->Remove(map_, "k"));
  ASSERT_OK(bus_->Put(map_, "k", "v2"));
  ASSERT_TRUE(rec.WaitForCount(4));
  auto ev = rec.Events();
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].type, EventType::kSnapshot);
  EXPECT_EQ(ev[0].value, "v0");
  EXPECT_EQ(ev[1].type, EventType::kUpdated);
  EXPECT_EQ(ev[1].value, "v1");
  EXPECT_EQ(ev[2].type, EventType::kRemoved);
  EXPECT_EQ(ev[3].type, EventType::kAdded);
  EXPECT_EQ(ev[3].value, "v2");
  for (const auto& e : ev) {
    EXPECT_EQ(e.map, map_);
    EXPECT_EQ(e.key, "k");
  }
  EXPECT_OK(bus_->RemoveListener(*id));
}

TEST_P(BusContractTest, KeyListenerOnAbsentKeyGetsNoSnapshot) {
  EventRecorder rec;
  auto id = bus_->AddKeyListener(map_, "k", rec.Callback());
  ASSERT_OK(id);
  ASSERT_OK(bus_->Put(map_, "k", "first"));
  ASSERT_TRUE(rec.WaitForCount(1));
  auto ev = rec.Events();
  EXPECT_EQ(ev[0].type, EventType::kAdded);
  EXPECT_EQ(ev[0].value, "first");
}

TEST_P(BusContractTest, MapListenerGetsOneSnapshotPerKeyThenAllKeys) {
  ASSERT_OK(bus_->Put(map_, "a", "1"));
  ASSERT_OK(bus_->Put(map_, "b", "2"));
  ASSERT_OK(bus_->Put(map_ + "_other", "z", "0"));
  EventRecorder rec;
  auto id = bus_->AddMapListener(map_, rec.Callback());
  ASSERT_OK(id);
  ASSERT_TRUE(rec.WaitForCount(2));
  ASSERT_OK(bus_->Put(map_ + "_other", "z", "1"));
  ASSERT_OK(bus_->Put(map_, "c", "3"));
  ASSERT_TRUE(rec.WaitForCount(3));
  auto ev = rec.Events();
  ASSERT_EQ(ev.size(), 3u);
  std::map<std::string, std::string> snap;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ev[i].type, EventType::kSnapshot);
    snap[ev[i].key] = ev[i].value;
  }
  EXPECT_EQ(snap, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(ev[2].type, EventType::kAdded);
  EXPECT_EQ(ev[2].key, "c");
}

TEST_P(BusContractTest, CallbacksNeverRunOnTheWritersThread) {
  EventRecorder rec;
  auto id = bus_->AddMapListener(map_, rec.Callback());
  ASSERT_OK(id);
  for (int i = 0; i < 20; ++i) ASSERT_OK(bus_->Put(map_, "k" + std::to_string(i), "v"));
  ASSERT_TRUE(rec.WaitForCount(20));
  EXPECT_EQ(rec.Threads().count(std::this_thread::get_id()), 0u);
}

TEST_P(BusContractTest, PerKeyOrderHoldsForEveryListener) {
  EventRecorder key_rec, map_rec;
  auto k = bus_->AddKeyListener(map_, "seq", key_rec.Callback());
  auto m = bus_->AddMapListener(map_, map_rec.Callback());
  ASSERT_OK(k);
  ASSERT_OK(m);
  constexpr int kPuts = 500;
  for (int i = 1; i <= kPuts; ++i) ASSERT_OK(bus_->Put(map_, "seq", std::to_string(i)));
  for (EventRecorder* rec : {&key_rec, &map_rec}) {
    ASSERT_TRUE(rec->WaitForEvent([](const BusEvent& e) { return e.value == "500"; }));
    int last = 0;
    for (const auto& e : rec->Events()) {
      int v = std::stoi(e.value);
      EXPECT_GT(v, last) << "out of order";
      last = v;
    }
  }
  // Nothing lost: delivered + coalesced accounts for every put.
  for (auto id : {*k, *m}) {
    ASSERT_TRUE(WaitFor([&] {
      auto s = bus_->GetListenerStats(id);
      return s.ok() && s->delivered + s->coalesced == kPuts;
    }));
  }
}

TEST_P(BusContractTest, ConcurrentWritersAllArriveInPerKeyOrder) {
  EventRecorder rec;
  auto id = bus_->AddMapListener(map_, rec.Callback());
  ASSERT_OK(id);
  constexpr int kWriters = 4;
  constexpr int kPuts = 200;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {  // determinism-ok: concurrency test
      for (int i = 1; i <= kPuts; ++i) {
        if (!bus_->Put(map_, "w" + std::to_string(w), std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_THAT(bus_->Get(map_, "w" + std::to_string(w)),
                IsOkAndHolds(std::optional<std::string>(std::to_string(kPuts))));
  }
  ASSERT_TRUE(WaitFor([&] {
    auto s = bus_->GetListenerStats(*id);
    return s.ok() && s->delivered + s->coalesced == kWriters * kPuts;
  }));
  std::map<std::string, int> last;
  for (const auto& e : rec.Events()) {
    int v = std::stoi(e.value);
    EXPECT_GT(v, last[e.key]) << "key " << e.key << " out of order";
    last[e.key] = v;
  }
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(last["w" + std::to_string(w)], kPuts);
}

TEST_P(BusContractTest, SlowListenerDelaysNoWriterAndNoOtherListener) {
  Gate gate;
  std::atomic<int> slow_seen{0};
  std::string slow_last;
  std::mutex slow_mu;
  bus::ListenerOptions small;
  small.queue_capacity = 4;
  small.name = "slow";
  auto slow = bus_->AddMapListener(
      map_,
      [&](const BusEvent& e) {
        gate.Wait();
        std::lock_guard<std::mutex> lock(slow_mu);
        slow_last = e.key + "=" + e.value;
        ++slow_seen;
      },
      small);
  ASSERT_OK(slow);
  EventRecorder fast;
  auto fast_id = bus_->AddMapListener(map_, fast.Callback());
  ASSERT_OK(fast_id);

  ASSERT_OK(bus_->Put(map_, "k", "0"));
  ASSERT_TRUE(gate.WaitForWaiter());  // The slow callback is now blocked.
  constexpr int kPuts = 2000;
  for (int i = 1; i <= kPuts; ++i) {
    ASSERT_OK(bus_->Put(map_, "k", std::to_string(i)));  // Must not block on the slow one.
  }
  // The fast listener keeps up with everything while the slow one is stuck.
  ASSERT_TRUE(
      fast.WaitForEvent([&](const BusEvent& e) { return e.value == std::to_string(kPuts); }));
  ASSERT_TRUE(WaitFor([&] {
    auto s = bus_->GetListenerStats(*slow);
    return s.ok() && s->coalesced > 0 && s->delivered + s->coalesced + s->pending + 1 >= kPuts + 1;
  }));
  auto stats = bus_->GetListenerStats(*slow);
  ASSERT_OK(stats);
  EXPECT_LE(stats->pending, small.queue_capacity) << "queue grew past its bound";
  gate.Open();
  // After the gate opens the slow listener converges on the newest value, nothing unaccounted.
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(slow_mu);
    return slow_last == "k=" + std::to_string(kPuts);
  }));
  ASSERT_TRUE(WaitFor([&] {
    auto s = bus_->GetListenerStats(*slow);
    return s.ok() && s->delivered + s->coalesced == kPuts + 1;
  }));
}

TEST_P(BusContractTest, RemovedIsNeverCoalescedAway) {
  Gate gate;
  EventRecorder rec;
  bus::ListenerOptions tiny;
  tiny.queue_capacity = 1;
  auto cb = rec.Callback();
  auto id = bus_->AddMapListener(
      map_,
      [&](const BusEvent& e) {
        gate.Wait();
        cb(e);
      },
      tiny);
  ASSERT_OK(id);
  ASSERT_OK(bus_->Put(map_, "block", "x"));
  ASSERT_TRUE(gate.WaitForWaiter());
  // With a full queue: updates, a removal, more updates, another removal.
  for (int i = 0; i < 10; ++i) ASSERT_OK(bus_->Put(map_, "k", std::to_string(i)));
  ASSERT_OK(bus_->Remove(map_, "k"));
  for (int i = 10; i < 20; ++i) ASSERT_OK(bus_->Put(map_, "k", std::to_string(i)));
  ASSERT_OK(bus_->Remove(map_, "k"));
  ASSERT_OK(bus_->Put(map_, "k", "final"));
  // 24 events in all; the "block" one is inside the callback (neither pending nor delivered).
  ASSERT_TRUE(WaitFor([&] {
    auto s = bus_->GetListenerStats(*id);
    return s.ok() && s->delivered + s->coalesced + s->pending == 23;
  }));
  gate.Open();
  ASSERT_TRUE(rec.WaitForEvent([](const BusEvent& e) { return e.value == "final"; }));
  std::vector<EventType> k_types;
  for (const auto& e : rec.Events()) {
    if (e.key == "k") k_types.push_back(e.type);
  }
  // The removal is delivered before the newest value, which is delivered last.
  ASSERT_GE(k_types.size(), 2u);
  EXPECT_NE(std::find(k_types.begin(), k_types.end(), EventType::kRemoved), k_types.end());
  EXPECT_NE(k_types.back(), EventType::kRemoved);
}

TEST_P(BusContractTest, RemoveListenerStopsDeliveryAndUnknownIdIsNotFound) {
  EventRecorder rec;
  auto id = bus_->AddKeyListener(map_, "k", rec.Callback());
  ASSERT_OK(id);
  ASSERT_OK(bus_->Put(map_, "k", "1"));
  ASSERT_TRUE(rec.WaitForCount(1));
  ASSERT_OK(bus_->RemoveListener(*id));
  ASSERT_OK(bus_->Put(map_, "k", "2"));
  // A second listener proves the write went through; the removed one saw nothing more.
  EventRecorder probe;
  auto probe_id = bus_->AddKeyListener(map_, "k", probe.Callback());
  ASSERT_OK(probe_id);
  ASSERT_TRUE(probe.WaitForCount(1));
  EXPECT_EQ(rec.Count(), 1u);
  EXPECT_FALSE(bus_->RemoveListener(*id).ok());
  EXPECT_EQ(bus_->RemoveListener(*id).code(), StatusCode::kNotFound);
  EXPECT_FALSE(bus_->GetListenerStats(*id).ok());
}

TEST_P(BusContractTest, CallbackMayUseTheBusAndRemoveItself) {
  std::atomic<bool> done{false};
  bus::ListenerId self = 0;
  std::mutex mu;
  auto id = bus_->AddKeyListener(map_, "ping", [&](const BusEvent& e) {
    // Re-entrant use: read, write, and unregister from inside the callback.
    auto v = bus_->Get(map_, "ping");
    (void)bus_->Put(map_, "pong", v.ok() && v->has_value() ? **v : "?");
    {
      std::lock_guard<std::mutex> lock(mu);
      (void)bus_->RemoveListener(self);
    }
    (void)e;
    // Last: once the test sees `done` it returns and `mu` is gone (TSan caught the unlock of
    // a dead mutex when the lock was still held here).
    done = true;
  });
  ASSERT_OK(id);
  {
    std::lock_guard<std::mutex> lock(mu);
    self = *id;
  }
  ASSERT_OK(bus_->Put(map_, "ping", "hello"));
  ASSERT_TRUE(WaitFor([&] { return done.load(); }));
  ASSERT_TRUE(WaitFor([&] {
    auto v = bus_->Get(map_, "pong");
    return v.ok() && v->has_value() && **v == "hello";
  }));
}

TEST_P(BusContractTest, ListenerStatsCountDeliveries) {
  EventRecorder rec;
  auto id = bus_->AddKeyListener(map_, "k", rec.Callback());
  ASSERT_OK(id);
  for (int i = 0; i < 5; ++i) ASSERT_OK(bus_->Put(map_, "k", std::to_string(i)));
  ASSERT_TRUE(rec.WaitForCount(5));
  ASSERT_TRUE(WaitFor([&] {
    auto s = bus_->GetListenerStats(*id);
    return s.ok() && s->delivered == 5 && s->coalesced == 0 && s->pending == 0;
  }));
}

}  // namespace dolphin::testing
