// PrimedEvents: SNAPSHOT first, never a stale snapshot after a newer event (see
// hazelcast_bus_impl.h). No member needed.
#include "hazelcast_bus_impl.h"

#include "dolphin/testing/testing.h"

namespace dolphin::bus::hazelcast {
namespace {

BusEvent E(EventType t, const std::string& key, const std::string& value = "") {
  return BusEvent{t, "m", key, value};
}
std::vector<std::string> Render(const std::vector<BusEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(std::string(EventTypeName(e.type)) + " " + e.key + "=" + e.value);
  }
  return out;
}
using ::testing::ElementsAre;

TEST(SnapshotPrimingTest, NoEventsMeansOnlySnapshots) {
  EXPECT_THAT(Render(PrimedEvents("m", {}, {{"b", "2"}, {"a", "1"}})),
              ElementsAre("SNAPSHOT a=1", "SNAPSHOT b=2"));
  EXPECT_TRUE(PrimedEvents("m", {}, {}).empty());
}

TEST(SnapshotPrimingTest, EventsTheReadAlreadySawAreDropped) {
  // k: v1 then v2 happened before the read, which returned v2.
  auto out = PrimedEvents("m", {E(EventType::kAdded, "k", "v1"), E(EventType::kUpdated, "k", "v2")},
                          {{"k", "v2"}});
  EXPECT_THAT(Render(out), ElementsAre("SNAPSHOT k=v2"));
}

TEST(SnapshotPrimingTest, EventsAfterTheReadFollowTheSnapshot) {
  // The read returned v1; v2 and v3 came after it.
  auto out = PrimedEvents(
      "m", {E(EventType::kUpdated, "k", "v2"), E(EventType::kUpdated, "k", "v3")}, {{"k", "v1"}});
  EXPECT_THAT(Render(out), ElementsAre("SNAPSHOT k=v1", "UPDATED k=v2", "UPDATED k=v3"));
  // Read in the middle: v1 seen, v2 not.
  out = PrimedEvents("m", {E(EventType::kUpdated, "k", "v1"), E(EventType::kUpdated, "k", "v2")},
                     {{"k", "v1"}});
  EXPECT_THAT(Render(out), ElementsAre("SNAPSHOT k=v1", "UPDATED k=v2"));
}

TEST(SnapshotPrimingTest, RemovalsAndAbsentKeys) {
  // Removed before the read: no snapshot, nothing stale after it.
  auto out =
      PrimedEvents("m", {E(EventType::kUpdated, "k", "v1"), E(EventType::kRemoved, "k")}, {});
  EXPECT_TRUE(out.empty()) << ::testing::PrintToString(Render(out));
  // Absent at the read, added after it.
  out = PrimedEvents("m", {E(EventType::kAdded, "k", "v1")}, {});
  EXPECT_THAT(Render(out), ElementsAre("ADDED k=v1"));
  // Removed after the read.
  out = PrimedEvents("m", {E(EventType::kRemoved, "k")}, {{"k", "v0"}});
  EXPECT_THAT(Render(out), ElementsAre("SNAPSHOT k=v0", "REMOVED k="));
}

TEST(SnapshotPrimingTest, MapListenerKeepsEveryKeysOrderAndSnapshotsFirst) {
  auto out = PrimedEvents("m",
                          {E(EventType::kUpdated, "a", "a1"), E(EventType::kAdded, "c", "c1"),
                           E(EventType::kUpdated, "a", "a2"), E(EventType::kUpdated, "b", "b9")},
                          {{"a", "a1"}, {"b", "b0"}});
  EXPECT_THAT(Render(out), ElementsAre("SNAPSHOT a=a1", "SNAPSHOT b=b0", "ADDED c=c1",
                                       "UPDATED a=a2", "UPDATED b=b9"));
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
