// `[bus] backend = "hazelcast"` end to end through the dolphin binary: `dolphin run` connects
// to the member through wiring.cc's MakeBus and its heartbeats land in DOLPHIN_HEARTBEAT; the
// `bus get|put|keys|watch` and `status` verbs talk to the member directly (no dolphin running).
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dolphin/core/time.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "member_environment.h"

namespace dolphin::bus::hazelcast {
namespace {

using dolphin::testing::ProcessResult;
using dolphin::testing::Subprocess;
using dolphin::testing::TempDir;
using dolphin::testing::UniqueName;
using dolphin::testing::WaitFor;
using testing::Member;

class CliDirectBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DOLPHIN_REQUIRE_MEMBER();
    // No [api] section and no dolphin running: the verbs must not need one.
    std::ofstream(dir_.path() / "dolphin.toml")
        << "[bus]\nbackend = \"hazelcast\"\nmembers = [\"" << Member::Get().address() << "\"]\n";
    auto bus = Member::Get().NewBus();
    ASSERT_OK(bus);
    bus_ = std::move(bus).value();
    map_ = UniqueName("CLI");
  }
  std::vector<std::string> Args(std::vector<std::string> args) {
    args.insert(args.begin(), dolphin::testing::DolphinBinary());
    args.push_back("-c");
    args.push_back("dolphin.toml");
    return args;
  }
  ProcessResult Dolphin(std::vector<std::string> args) {
    return dolphin::testing::RunProcess(Args(std::move(args)), dir_.path(),
                                        std::chrono::seconds(30));
  }

  TempDir dir_;
  std::unique_ptr<KvBus> bus_;
  std::string map_;
};

TEST_F(CliDirectBusTest, PutGetKeysGoStraightToTheMember) {
  auto put = Dolphin({"bus", "put", map_, "k", R"({"a":1})"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out, "ok: " + map_ + "[k] set (7 bytes)\n");
  EXPECT_EQ(put.err, "");  // No log noise from the client.
  // What another client reads.
  auto stored = bus_->Get(map_, "k");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->value_or(""), R"({"a":1})");

  auto raw = Dolphin({"bus", "get", map_, "k", "--raw"});
  EXPECT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(raw.out, "{\"a\":1}\n");
  auto pretty = Dolphin({"bus", "get", map_, "k"});
  EXPECT_EQ(pretty.out, "{\n  \"a\": 1\n}\n");
  auto missing = Dolphin({"bus", "get", map_, "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "dolphin: bus get: no key \"nope\" in map \"" + map_ + "\"\n");

  ASSERT_OK(bus_->Put(map_, "j", "2"));
  auto keys = Dolphin({"bus", "keys", map_});
  EXPECT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_EQ(keys.out, "j\nk\n");
  auto maps = Dolphin({"bus", "keys"});
  EXPECT_EQ(maps.exit_code, 0) << maps.err;
  EXPECT_NE(maps.out.find(map_ + "\t2 key(s)\n"), std::string::npos) << maps.out;

  auto bad = Dolphin({"bus", "put", map_, "k", "{not json"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bus put:"), std::string::npos) << bad.err;
}

TEST_F(CliDirectBusTest, WatchPrintsSnapshotThenChangesUntilCountTimeoutOrSigint) {
  ASSERT_OK(bus_->Put(map_, "k", R"({"v":1})"));
  // --count: SNAPSHOT of the current value first, then the update made meanwhile.
  Subprocess counted(Args({"bus", "watch", map_, "-n", "2", "--json"}), dir_.path());
  ASSERT_TRUE(WaitFor([&] { return counted.Stdout().find("SNAPSHOT") != std::string::npos; }))
      << counted.Stderr();
  ASSERT_OK(bus_->Put(map_, "k", R"({"v":2})"));
  auto r = counted.Wait(std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The control API's stream objects, field for field.
  EXPECT_EQ(r.out, "{\"type\":\"SNAPSHOT\",\"map\":\"" + map_ +
                       "\",\"key\":\"k\",\"value\":{\"v\":1}}\n"
                       "{\"type\":\"UPDATED\",\"map\":\"" +
                       map_ + "\",\"key\":\"k\",\"value\":{\"v\":2}}\n");

  // --timeout, one key, text format.
  auto timed = Dolphin({"bus", "watch", map_, "k", "--timeout", "0.5"});
  EXPECT_EQ(timed.exit_code, 0) << timed.err;
  EXPECT_EQ(timed.out, "SNAPSHOT k {\"v\":2}\n");

  // Until SIGINT: removals arrive too.
  Subprocess until(Args({"bus", "watch", map_}), dir_.path());
  ASSERT_TRUE(WaitFor([&] { return until.Stdout().find("SNAPSHOT") != std::string::npos; }))
      << until.Stderr();
  ASSERT_OK(bus_->Remove(map_, "k"));
  ASSERT_TRUE(WaitFor([&] { return until.Stdout().find("REMOVED") != std::string::npos; }));
  until.Signal(SIGINT);
  auto stopped = until.Wait(std::chrono::seconds(20));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(stopped.out, "SNAPSHOT k {\"v\":2}\nREMOVED  k null\n");
}

TEST_F(CliDirectBusTest, StatusShowsHeartbeatsAndMapsReadFromTheMember) {
  const std::string service = fmt::format("svc{}", ::getpid());  // fits the 20-column SERVICE cell
  nlohmann::json hb = {{"service", service},
                       {"pid", 1},
                       {"host", "h"},
                       {"status", "degraded"},
                       {"ts", FormatRfc3339(Member::Get().env().clock.Now())},
                       {"detail", "bus put failing"}};
  ASSERT_OK(bus_->Put("DOLPHIN_HEARTBEAT", service, hb.dump()));
  ASSERT_OK(bus_->Put(map_, "a", "1"));
  ASSERT_OK(bus_->Put(map_, "b", "2"));
  auto r = Dolphin({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("bus hazelcast " + Member::Get().address() + "  cluster dolphin", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("\nSERVICE              STATUS    PID      RST  BEAT         DETAIL\n"),
            std::string::npos)
      << r.out;
  const size_t row = r.out.find("\n" + service + " ");
  ASSERT_NE(row, std::string::npos) << r.out;
  const std::string line = r.out.substr(row + 1, r.out.find('\n', row + 1) - row - 1);
  EXPECT_NE(line.find(" degraded "), std::string::npos) << line;
  EXPECT_NE(line.find(" ago "), std::string::npos) << line;
  EXPECT_NE(line.find("bus put failing"), std::string::npos) << line;

  auto j = Dolphin({"status", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["heartbeats"][service]["status"], "degraded");
  EXPECT_EQ(parsed["maps"][map_], 2);
  EXPECT_EQ(parsed["cluster_name"], "dolphin");
  EXPECT_OK(bus_->Remove("DOLPHIN_HEARTBEAT", service));
}

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
  ASSERT_TRUE(hb->has_value()) << "no heartbeat from `dolphin run` in the member; stderr:\n"
                               << r.err;
  auto j = nlohmann::json::parse(**hb);
  EXPECT_EQ(j["service"], "run");

  // A wrong cluster name is a clear startup error, not a hang.
  std::ofstream(dir.path() / "bad.toml")
      << "[api]\nlisten = \"127.0.0.1:0\"\n[bus]\nbackend = \"hazelcast\"\nmembers = [\""
      << Member::Get().address() << "\"]\ncluster_name = \"nope\"\n";
  auto bad = dolphin::testing::RunProcess(
      {dolphin::testing::DolphinBinary(), "run", "-c", "bad.toml", "--duration", "0.5"}, dir.path(),
      std::chrono::seconds(30));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("refused authentication"), std::string::npos) << bad.err;
}

// Issue 12: `dolphin status` against a Hazelcast-backed set of `dolphin serve` processes: the
// values come from the member, each process from its api.<service>.addr (pid, listener
// counters); a process killed with SIGKILL is named in one line and the rest still shows.
TEST(CliStatusTest, StatusOfServeProcessesOnAHazelcastBus) {
  DOLPHIN_REQUIRE_MEMBER();
  TempDir dir;
  // A colour of this test's own, so other tests' traders on the shared member do not matter.
  const std::string color = fmt::format("S{}", ::getpid());
  std::ofstream(dir.path() / "dolphin.toml")
      << "heartbeat_interval_s = 0.3\n[api]\nlisten = \"127.0.0.1:0\"\n[bus]\nbackend = \"hazelcast\"\n"
         "members = [\""
      << Member::Get().address() << "\"]\n[health]\nenabled = false\n[trader." << color
      << "]\nposture = \"TURTLE\"\n";
  auto serve = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {dolphin::testing::DolphinBinary(), "serve"});
    args.insert(args.end(), {"-c", "dolphin.toml"});
    return std::make_unique<Subprocess>(args, dir.path());
  };
  auto bridge = serve({"bridge"});
  auto trader = serve({"trader", "--color", color});
  ASSERT_TRUE(WaitFor(
      [&] {
        return std::filesystem::exists(dir.path() / "var" / "api.bridge.addr") &&
               std::filesystem::exists(dir.path() / "var" /
                                       fmt::format("api.trader.{}.addr", color));
      },
      std::chrono::seconds(30)))
      << bridge->Stderr() << trader->Stderr();
  auto status = [&](bool json) {
    std::vector<std::string> argv = {dolphin::testing::DolphinBinary(), "status", "-c",
                                     "dolphin.toml"};
    if (json) argv.push_back("--json");
    return dolphin::testing::RunProcess(argv, dir.path(), std::chrono::seconds(30));
  };
  const std::string service = "trader." + color;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = status(true);
        if (r.exit_code != 0) return false;
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        return j.is_object() && j["traders"].contains(color) && j["services"].contains(service) &&
               j["services"].contains("bridge");
      },
      std::chrono::seconds(30)));
  auto r = status(true);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["traders"][color]["trading_state"], "ACTIVE");
  EXPECT_EQ(j["traders"][color]["posture"], "TURTLE");
  EXPECT_EQ(j["traders"][color]["posture_source"], "config");
  EXPECT_TRUE(j["traders"][color]["listener"].contains("delivered")) << j.dump(2);
  EXPECT_EQ(j["services"][service]["pid"], trader->pid());
  EXPECT_EQ(j["services"]["bridge"]["pid"], bridge->pid());
  EXPECT_EQ(j["services"][service]["restarts"], 0);
  size_t with_pid = 0;
  for (const auto& p : j["processes"]) with_pid += p.contains("pid") ? 1 : 0;
  EXPECT_GE(with_pid, 2u) << j["processes"].dump();
  auto text = status(false);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(fmt::format("{:<7} ACTIVE    TURTLE", color)), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("\nserve." + service.substr(0, 14)), std::string::npos)
      << text.out;  // 20 columns

  // SIGKILL the trader: its address file stays behind and status names it in one line.
  const pid_t killed = trader->pid();
  trader->Signal(SIGKILL);
  trader->Wait();
  text = status(false);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(fmt::format(
                "no dolphin running here: {} names pid {}, which is not running",
                (dir.path() / "var" / fmt::format("api.trader.{}.addr", color)).string(), killed)),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("SERVICE"), std::string::npos);
  bridge->Signal(SIGTERM);
  EXPECT_EQ(bridge->Wait().exit_code, 0);
  EXPECT_OK(Member::Get().NewBus().value()->Remove("DOLPHIN_HEARTBEAT", service));
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
