// `[bus] backend = "hazelcast"` end to end through the dolphin binary: `dolphin run` connects
// to the member through wiring.cc's MakeBus and its heartbeats land in DOLPHIN_HEARTBEAT.
#include <fstream>

#include <nlohmann/json.hpp>

#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "member_environment.h"

namespace dolphin::bus::hazelcast {
namespace {

using dolphin::testing::TempDir;
using testing::Member;

TEST(CliWiringTest, RunWithHazelcastBackendPublishesHeartbeatsToTheMember) {
  DOLPHIN_REQUIRE_MEMBER();
  TempDir dir;
  std::ofstream(dir.path() / "dolphin.toml")
      << "heartbeat_interval_s = 0.2\n[api]\nlisten = \"127.0.0.1:0\"\n[bus]\nbackend = "
         "\"hazelcast\"\nmembers = [\""
      << Member::Get().address() << "\"]\ncluster_name = \"dolphin\"\n";
  auto r = dolphin::testing::RunProcess(
      {dolphin::testing::DolphinBinary(), "run", "-c", "dolphin.toml", "--duration", "1.5"},
      dir.path(), std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto bus = Member::Get().NewBus();
  ASSERT_OK(bus);
  auto hb = (*bus)->Get("DOLPHIN_HEARTBEAT", "run");
  ASSERT_OK(hb);
  ASSERT_TRUE(hb->has_value()) << "no heartbeat from `dolphin run` in the member; stderr:\n" << r.err;
  auto j = nlohmann::json::parse(**hb);
  EXPECT_EQ(j["service"], "run");

  // A wrong cluster name is a clear startup error, not a hang.
  std::ofstream(dir.path() / "bad.toml")
      << "[api]\nlisten = \"127.0.0.1:0\"\n[bus]\nbackend = \"hazelcast\"\nmembers = [\""
      << Member::Get().address() << "\"]\ncluster_name = \"nope\"\n";
  auto bad = dolphin::testing::RunProcess(
      {dolphin::testing::DolphinBinary(), "run", "-c", "bad.toml", "--duration", "0.5"},
      dir.path(), std::chrono::seconds(30));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("refused authentication"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
