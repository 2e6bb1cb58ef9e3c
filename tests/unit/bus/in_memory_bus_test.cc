#include "dolphin/bus/in_memory_bus.h"

#include "dolphin/testing/bus_contract_suite.h"
#include "dolphin/testing/kv_bus_fakes.h"

namespace dolphin::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, BusContractTest,
                         ::testing::Values(BusFactory{"memory",
                                                      [] { return bus::NewInMemoryBus(); }}));
// The test double of tests/testing keeps the same contract.
INSTANTIATE_TEST_SUITE_P(Fake, BusContractTest,
                         ::testing::Values(BusFactory{
                             "fake", [] { return std::unique_ptr<bus::KvBus>(new FakeKvBus()); }}));

TEST(InMemoryBusTest, EmptyMapNameIsRejected) {
  auto b = bus::NewInMemoryBus();
  EXPECT_THAT(b->Put("", "k", "v"), StatusHasMessage("empty map name"));
  EXPECT_FALSE(b->AddMapListener("", [](const bus::BusEvent&) {}).ok());
}

TEST(InMemoryBusTest, RemovingLastKeyDropsTheMapFromMaps) {
  auto b = bus::NewInMemoryBus();
  ASSERT_OK(b->Put("M", "k", "v"));
  EXPECT_THAT(b->Maps(), IsOkAndHolds(::testing::ElementsAre("M")));
  ASSERT_OK(b->Remove("M", "k"));
  EXPECT_THAT(b->Maps(), IsOkAndHolds(::testing::IsEmpty()));
}

TEST(InMemoryBusTest, DestroyingTheBusStopsListenersCleanly) {
  auto b = bus::NewInMemoryBus();
  std::atomic<int> n{0};
  ASSERT_OK(b->AddMapListener("M", [&](const bus::BusEvent&) { ++n; }));
  ASSERT_OK(b->Put("M", "k", "v"));
  ASSERT_TRUE(WaitFor([&] { return n.load() == 1; }));
  b.reset();  // Joins the dispatch thread; ASan/TSan would flag a leak or race.
}

}  // namespace
}  // namespace dolphin::testing
