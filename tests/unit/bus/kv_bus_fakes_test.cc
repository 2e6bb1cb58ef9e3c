// The KvBus test doubles of tests/testing: FakeKvBus keeps the bus contract and injects put
// failures and connection events; MockKvBus mocks every method.
#include "dolphin/testing/kv_bus_fakes.h"

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/testing/testing.h"

namespace dolphin::testing {
namespace {

using ::testing::_;
using ::testing::Return;

// FakeKvBus also runs the bus contract suite: in_memory_bus_test.cc instantiates it (the suite's
// TEST_Ps may be compiled into one file per binary only).

TEST(FakeKvBusTest, FailsTheNextNPutsThenForwards) {
  FakeKvBus fake;
  fake.FailNextPuts(2);
  EXPECT_THAT(fake.Put("m", "k", "1"), StatusHasMessage("member unreachable (injected)"));
  EXPECT_EQ(fake.Put("m", "k", "2").code(), StatusCode::kUnavailable);
  ASSERT_OK(fake.Put("m", "k", "3"));
  EXPECT_THAT(fake.Get("m", "k"), IsOkAndHolds(std::optional<std::string>("3")));
  EXPECT_EQ(fake.puts(), 3);
  EXPECT_EQ(fake.put_failures(), 2);
}

TEST(FakeKvBusTest, FailsEveryPutWhileFailingWithTheChosenStatus) {
  auto inner = bus::NewInMemoryBus();
  FakeKvBus fake(*inner);
  fake.SetPutsFailing(true, DeadlineExceededError("slow member"));
  EXPECT_THAT(fake.Put("m", "k", "1"), StatusHasMessage("slow member"));
  EXPECT_THAT(fake.Put("m", "k", "2"), StatusHasMessage("slow member"));
  EXPECT_THAT(inner->Keys("m"), IsOkAndHolds(::testing::IsEmpty()));
  fake.SetPutsFailing(false);
  ASSERT_OK(fake.Put("m", "k", "3"));
  // Writes land in the wrapped bus, which the test can read directly.
  EXPECT_THAT(inner->Get("m", "k"), IsOkAndHolds(std::optional<std::string>("3")));
  EXPECT_EQ(fake.put_failures(), 2);
  EXPECT_EQ(&fake.inner(), inner.get());
  EXPECT_EQ(fake.Describe(), "fake(" + inner->Describe() + ")");
}

TEST(FakeKvBusTest, FiresConnectionEventsToRegisteredListeners) {
  FakeKvBus fake;
  EXPECT_FALSE(fake.HasConnectionListener());
  std::vector<bus::ConnectionEvent> seen;
  auto id = fake.AddConnectionListener([&](bus::ConnectionEvent e) { seen.push_back(e); });
  ASSERT_OK(id);
  EXPECT_TRUE(fake.HasConnectionListener());
  fake.FireConnectionEvent(bus::ConnectionEvent::kDisconnected);
  fake.FireConnectionEvent(bus::ConnectionEvent::kClusterChanged);
  EXPECT_EQ(seen, (std::vector<bus::ConnectionEvent>{bus::ConnectionEvent::kDisconnected,
                                                     bus::ConnectionEvent::kClusterChanged}));
  ASSERT_OK(fake.RemoveConnectionListener(*id));
  EXPECT_FALSE(fake.HasConnectionListener());
  EXPECT_THAT(fake.RemoveConnectionListener(*id), StatusHasMessage("no connection listener"));
  fake.FireConnectionEvent(bus::ConnectionEvent::kReconnected);
  EXPECT_EQ(seen.size(), 2u);
}

TEST(MockKvBusTest, MocksEveryMethod) {
  ::testing::StrictMock<MockKvBus> mock;
  EXPECT_CALL(mock, Put("m", "k", "v")).WillOnce(Return(UnavailableError("down")));
  EXPECT_CALL(mock, Get("m", "k")).WillOnce(Return(std::optional<std::string>("v")));
  EXPECT_CALL(mock, Describe()).WillOnce(Return("mock"));
  EXPECT_CALL(mock, RemoveListener(_)).WillOnce(Return(Status::Ok()));
  bus::KvBus& bus = mock;
  EXPECT_THAT(bus.Put("m", "k", "v"), StatusHasMessage("down"));
  EXPECT_THAT(bus.Get("m", "k"), IsOkAndHolds(std::optional<std::string>("v")));
  EXPECT_EQ(bus.Describe(), "mock");
  ASSERT_OK(bus.RemoveListener(7));
}

}  // namespace
}  // namespace dolphin::testing
