// [bus]: parsing, `config show` output (the password is never printed) and the listener queue
// capacity reaching the listeners of the memory backend.
#include "dolphin/bus/bus_options.h"

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/testing/testing.h"

namespace dolphin::bus {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Result<BusOptions> Parse(const std::string& text) {
  Result<Config> config = Config::LoadString(text, "dolphin.toml", "/");
  if (!config.ok()) return config.status();
  ConfigDiagnostics diag;
  ConfigSection root = config->Root(&diag);
  return ParseBusOptions(root.Sub("bus"));
}

std::string Show(const BusOptions& o) {
  ConfigWriter out;
  WriteBusOptions(o, out);
  return out.text();
}

TEST(BusOptionsTest, ShownPasswordIsACommentAndReReadsAsNoPassword) {
  Result<BusOptions> o = Parse("[bus]\nusername = \"u\"\npassword = \"s3cret\"\n");
  ASSERT_OK(o);
  EXPECT_EQ(o->password, "s3cret");
  const std::string shown = Show(*o);
  EXPECT_THAT(shown, Not(HasSubstr("s3cret")));
  EXPECT_THAT(shown, Not(HasSubstr("****")));
  EXPECT_THAT(shown, HasSubstr("# password = <redacted>"));
  Result<BusOptions> again = Parse(shown);
  ASSERT_OK(again);
  EXPECT_EQ(again->password, "");  // never "********"
  EXPECT_EQ(again->username, "u");
}

TEST(BusOptionsTest, EmptyPasswordRoundTrips) {
  const std::string shown = Show(BusOptions{});
  EXPECT_THAT(shown, HasSubstr("password = \"\""));
  Result<BusOptions> again = Parse(shown);
  ASSERT_OK(again);
  EXPECT_EQ(again->password, "");
}

TEST(BusOptionsTest, ListenerQueueCapacityIsReadAndShown) {
  EXPECT_EQ(BusOptions{}.listener_queue_capacity,
            static_cast<int64_t>(kDefaultListenerQueueCapacity));
  Result<BusOptions> o = Parse("[bus]\nlistener_queue_capacity = 7\n");
  ASSERT_OK(o);
  EXPECT_EQ(o->listener_queue_capacity, 7);
  EXPECT_THAT(Show(*o), HasSubstr("listener_queue_capacity = 7"));
  EXPECT_FALSE(Parse("[bus]\nlistener_queue_capacity = 0\n").ok());
}

TEST(BusOptionsTest, MemoryBusListenersTakeTheBusCapacityUnlessTheyAskForTheirOwn) {
  auto bus = NewInMemoryBus(7);
  auto defaulted = bus->AddMapListener("M", [](const BusEvent&) {});
  ASSERT_OK(defaulted);
  auto own = bus->AddMapListener("M", [](const BusEvent&) {}, {.queue_capacity = 3, .name = "own"});
  ASSERT_OK(own);
  EXPECT_EQ(bus->GetListenerStats(*defaulted)->capacity, 7u);
  EXPECT_EQ(bus->GetListenerStats(*own)->capacity, 3u);

  auto plain = NewInMemoryBus();
  auto l = plain->AddKeyListener("M", "k", [](const BusEvent&) {});
  ASSERT_OK(l);
  EXPECT_EQ(plain->GetListenerStats(*l)->capacity, kDefaultListenerQueueCapacity);
}

}  // namespace
}  // namespace dolphin::bus
