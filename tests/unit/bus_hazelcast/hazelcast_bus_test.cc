// Hazelcast-specific behaviour against a real member: authentication errors, the IMap
// operations beyond KvBus, heartbeats, timeouts, and reconnection after the member is killed.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "dolphin/testing/bus_testing.h"
#include "dolphin/testing/testing.h"
#include "hazelcast_bus_impl.h"
#include "member_environment.h"

namespace dolphin::bus::hazelcast {
namespace {

using dolphin::testing::EventRecorder;
using dolphin::testing::IsOkAndHolds;
using dolphin::testing::StatusHasMessage;
using dolphin::testing::UniqueName;
using dolphin::testing::WaitFor;
using testing::Member;

class HazelcastBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DOLPHIN_REQUIRE_MEMBER();
    auto bus = Member::Get().NewBus();
    ASSERT_OK(bus);
    bus_ = std::move(bus).value();
    map_ = UniqueName("hz");
  }
  HazelcastBus& impl() { return dynamic_cast<HazelcastBus&>(*bus_); }

  std::unique_ptr<KvBus> bus_;
  std::string map_;
};

TEST_F(HazelcastBusTest, WrongClusterNameIsAClearError) {
  BusOptions options;
  options.members = {Member::Get().address()};
  options.cluster_name = "not-dolphin";
  auto bus = NewHazelcastBus(options, Member::Get().env());
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(bus.status(), StatusHasMessage("refused authentication"));
  EXPECT_THAT(bus.status(), StatusHasMessage("wrong cluster name 'not-dolphin'"));
}

TEST_F(HazelcastBusTest, RefusedCredentialsAreAClearError) {
  // A member without security (open source, as here) refuses any username/password, exactly
  // as it refuses them from the official Python client.
  BusOptions options;
  options.members = {Member::Get().address()};
  options.username = "dolphin";
  options.password = "secret";
  auto bus = NewHazelcastBus(options, Member::Get().env());
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(bus.status(), StatusHasMessage("wrong credentials for user 'dolphin'"));
}

TEST_F(HazelcastBusTest, UnreachableMemberIsUnavailableAndBadAddressInvalid) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);  // Nobody listens there now.
  BusOptions options;
  options.members = {"127.0.0.1:" + std::to_string(port)};
  auto bus = NewHazelcastBus(options, Member::Get().env());
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.status().code(), StatusCode::kUnavailable);
  options.members = {"nonsense"};
  EXPECT_EQ(NewHazelcastBus(options, Member::Get().env()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(HazelcastBusTest, SilentPeerTimesOutInsteadOfHanging) {
  // A listener that accepts but never answers: the handshake must give up.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  BusOptions options;
  options.members = {"127.0.0.1:" + std::to_string(ntohs(addr.sin_port))};
  HazelcastOptions tuning;
  tuning.connect_timeout = std::chrono::milliseconds(300);
  auto bus = NewHazelcastBus(options, Member::Get().env(), tuning);
  ::close(fd);
  ASSERT_FALSE(bus.ok());
  EXPECT_THAT(bus.status(), StatusHasMessage("timed out"));
}

TEST_F(HazelcastBusTest, MapOperationsBeyondKvBus) {
  HazelcastBus& hz = impl();
  EXPECT_THAT(hz.Size(map_), IsOkAndHolds(0));
  EXPECT_THAT(hz.PutReturningOld(map_, "a", "1"), IsOkAndHolds(std::optional<std::string>()));
  EXPECT_THAT(hz.PutReturningOld(map_, "a", "2"), IsOkAndHolds(std::optional<std::string>("1")));
  ASSERT_OK(hz.Put(map_, "b", "3"));
  EXPECT_THAT(hz.ContainsKey(map_, "a"), IsOkAndHolds(true));
  EXPECT_THAT(hz.ContainsKey(map_, "zz"), IsOkAndHolds(false));
  EXPECT_THAT(hz.Size(map_), IsOkAndHolds(2));
  EXPECT_THAT(hz.EntrySet(map_),
              IsOkAndHolds(std::map<std::string, std::string>{{"a", "2"}, {"b", "3"}}));
  ASSERT_OK(hz.Delete(map_, "a"));
  ASSERT_OK(hz.Delete(map_, "a"));  // Deleting an absent key is fine.
  EXPECT_THAT(hz.Keys(map_), IsOkAndHolds(::testing::ElementsAre("b")));
  EXPECT_THAT(bus_->Describe(), ::testing::StartsWith("hazelcast 127.0.0.1:"));
}

// [bus] listener_queue_capacity reaches the listeners that do not ask for their own.
TEST_F(HazelcastBusTest, ListenersTakeTheConfiguredQueueCapacity) {
  BusOptions options;
  options.members = {Member::Get().address()};
  options.listener_queue_capacity = 7;
  auto bus = NewHazelcastBus(options, Member::Get().env());
  ASSERT_OK(bus);
  auto defaulted = (*bus)->AddMapListener(map_, [](const BusEvent&) {});
  ASSERT_OK(defaulted);
  auto own =
      (*bus)->AddMapListener(map_, [](const BusEvent&) {}, {.queue_capacity = 3, .name = "own"});
  ASSERT_OK(own);
  EXPECT_EQ((*bus)->GetListenerStats(*defaulted)->capacity, 7u);
  EXPECT_EQ((*bus)->GetListenerStats(*own)->capacity, 3u);
}

TEST_F(HazelcastBusTest, ManyKeysRoundTripAcrossPartitions) {
  // 300 keys cover most of the 271 partitions. (That our partition ids are the ones other
  // clients compute is checked by PythonInteropTest, both directions.)
  for (int i = 0; i < 300; ++i) {
    ASSERT_OK(bus_->Put(map_, "key-" + std::to_string(i), std::to_string(i)));
  }
  EXPECT_THAT(impl().Size(map_), IsOkAndHolds(300));
  for (int i = 0; i < 300; ++i) {
    EXPECT_THAT(impl().ContainsKey(map_, "key-" + std::to_string(i)), IsOkAndHolds(true));
  }
}

TEST_F(HazelcastBusTest, LargeValueRoundTrips) {
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  ASSERT_OK(bus_->Put(map_, "big", big));
  EXPECT_THAT(bus_->Get(map_, "big"), IsOkAndHolds(std::optional<std::string>(big)));
}

TEST_F(HazelcastBusTest, HeartbeatsKeepAnIdleConnectionAlive) {
  HazelcastOptions tuning;
  tuning.heartbeat_interval = std::chrono::milliseconds(100);
  tuning.heartbeat_timeout = std::chrono::milliseconds(1500);
  auto bus = Member::Get().NewBus(tuning);
  ASSERT_OK(bus);
  auto& hz = dynamic_cast<HazelcastBus&>(**bus);
  // Idle for 3 heartbeat timeouts: pings answered by the member keep reads flowing.
  std::atomic<bool> done{false};
  EXPECT_FALSE(WaitFor([&] { return done.load(); }, std::chrono::milliseconds(4500)));
  EXPECT_EQ(hz.client().reconnects(), 0u);
  EXPECT_OK((*bus)->Put(map_, "k", "v"));
}

TEST_F(HazelcastBusTest, ReconnectsAfterMemberKillAndDeliversSnapshotOfOutageWrite) {
  if (Member::Get().external()) GTEST_SKIP() << "external member: cannot kill it";
  HazelcastOptions tuning;
  tuning.initial_backoff = std::chrono::milliseconds(100);
  tuning.max_backoff = std::chrono::milliseconds(1000);
  auto listening = Member::Get().NewBus(tuning);
  ASSERT_OK(listening);
  auto& hz = dynamic_cast<HazelcastBus&>(**listening);
  ASSERT_OK(hz.Put(map_, "k", "before"));
  EventRecorder key_rec;
  EventRecorder map_rec;
  auto key_id = (*listening)->AddKeyListener(map_, "k", key_rec.Callback());
  auto map_id = (*listening)->AddMapListener(map_, map_rec.Callback());
  ASSERT_OK(key_id);
  ASSERT_OK(map_id);
  ASSERT_TRUE(key_rec.WaitForCount(1));
  ASSERT_TRUE(map_rec.WaitForCount(1));
  bus_.reset();

  ASSERT_OK(Member::Get().Kill());
  ASSERT_OK(Member::Get().Start());
  // Another client writes while ours may still be backing off: the member restarted empty.
  auto writer = Member::Get().NewBus();
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->Put(map_, "k", "during-outage"));
  ASSERT_TRUE(WaitFor([&] { return hz.client().reconnects() >= 1; }, std::chrono::seconds(20)));
  for (EventRecorder* rec : {&key_rec, &map_rec}) {
    ASSERT_TRUE(rec->WaitForEvent([](const BusEvent& e) { return e.value == "during-outage"; }))
        << "the value written during the outage never reached the listener";
  }
  // Delivered as SNAPSHOT (written before the re-registration) or ADDED (after it).
  for (const auto& e : key_rec.Events()) {
    if (e.value == "during-outage") {
      EXPECT_TRUE(e.type == EventType::kSnapshot || e.type == EventType::kAdded);
    }
  }
  // Listeners work after the reconnect, and so do writes.
  ASSERT_OK(hz.Put(map_, "k", "after"));
  ASSERT_TRUE(key_rec.WaitForEvent(
      [](const BusEvent& e) { return e.value == "after" && e.type == EventType::kUpdated; }));
  ASSERT_TRUE(map_rec.WaitForEvent([](const BusEvent& e) { return e.value == "after"; }));
  EXPECT_OK(hz.RemoveListener(*key_id));
  EXPECT_OK(hz.RemoveListener(*map_id));
}

TEST_F(HazelcastBusTest, RequestWhileDisconnectedFailsAfterTimeout) {
  if (Member::Get().external()) GTEST_SKIP() << "external member: cannot kill it";
  HazelcastOptions tuning;
  tuning.request_timeout = std::chrono::milliseconds(500);
  tuning.initial_backoff = std::chrono::milliseconds(200);
  auto bus = Member::Get().NewBus(tuning);
  ASSERT_OK(bus);
  bus_.reset();
  ASSERT_OK(Member::Get().Kill());
  auto got = (*bus)->Get(map_, "k");
  Status put = (*bus)->Put(map_, "k", "v");
  Status restart = Member::Get().Start();
  ASSERT_OK(restart);
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().code() == StatusCode::kDeadlineExceeded ||
              got.status().code() == StatusCode::kUnavailable)
      << got.status().ToString();
  EXPECT_FALSE(put.ok());
  // And it recovers by itself.
  ASSERT_TRUE(WaitFor([&] { return (*bus)->Put(map_, "k", "v").ok(); }, std::chrono::seconds(20)));
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
