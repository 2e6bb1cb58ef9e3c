// Interop with the official hazelcast-python-client (.venv/bin/python, version pinned in
// scripts/requirements-interop.txt): both directions over many keys (partition hashing must
// agree), a C++ key listener seeing Python writes, and the operators' snippet verbatim.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "dolphin/contract/meta_health.h"
#include "dolphin/health/health_service.h"
#include "dolphin/testing/bus_testing.h"
#include "dolphin/testing/testing.h"
#include "member_environment.h"

namespace dolphin::bus::hazelcast {
namespace {

using dolphin::testing::EventRecorder;
using dolphin::testing::IsOkAndHolds;
using dolphin::testing::UniqueName;
using testing::Member;

int RunShell(const std::string& cmd, std::string& out) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  int rc = ::pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class PythonInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DOLPHIN_REQUIRE_MEMBER();
    python_ = Member::SourceDir() + "/.venv/bin/python";
    std::string out;
    if (RunShell(python_ + " -c 'import hazelcast' 2>&1", out) != 0) {
      if (dolphin::testing::InCi()) FAIL() << "hazelcast-python-client missing under CI: " << out;
      GTEST_SKIP() << "SKIPPING: no .venv with hazelcast-python-client (run scripts/setup.sh): "
                   << out;
    }
    script_ = Member::SourceDir() + "/tests/unit/bus_hazelcast/interop_client.py";
    auto bus = Member::Get().NewBus();
    ASSERT_OK(bus);
    bus_ = std::move(bus).value();
    map_ = UniqueName("interop");
  }
  // Runs interop_client.py; fails the test on a non-zero exit.
  std::string Py(const std::string& args) {
    std::string out;
    const std::string cmd =
        python_ + " " + script_ + " " + args + " 2>/tmp/dolphin-hz-interop-stderr.txt";
    int rc = RunShell(cmd, out);
    EXPECT_EQ(rc, 0) << cmd << "\n" << out;
    return out;
  }

  std::string python_;
  std::string script_;
  std::unique_ptr<KvBus> bus_;
  std::string map_;
};

constexpr int kKeys = 200;

TEST_F(PythonInteropTest, PythonPutsCppGetsManyKeys) {
  Py("put " + Member::Get().address() + " " + map_ + " py- " + std::to_string(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    auto got = bus_->Get(map_, "py-" + std::to_string(i));
    ASSERT_OK(got);
    ASSERT_TRUE(got->has_value()) << "key py-" << i << " not found: partition id mismatch?";
    auto j = nlohmann::json::parse(**got);
    EXPECT_EQ(j["i"], i);
    EXPECT_EQ(j["who"], "python");
  }
  auto keys = bus_->Keys(map_);
  ASSERT_OK(keys);
  EXPECT_EQ(keys->size(), static_cast<size_t>(kKeys));
}

TEST_F(PythonInteropTest, CppPutsPythonGetsManyKeys) {
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_OK(bus_->Put(map_, "cpp-" + std::to_string(i),
                        nlohmann::json{{"i", i}, {"who", "c++"}}.dump()));
  }
  auto out = nlohmann::json::parse(
      Py("get " + Member::Get().address() + " " + map_ + " cpp- " + std::to_string(kKeys)));
  ASSERT_EQ(out.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_FALSE(out[i].is_null()) << "python did not find cpp-" << i;
    EXPECT_EQ(out[i]["i"], i);
    EXPECT_EQ(out[i]["who"], "c++");
  }
}

TEST_F(PythonInteropTest, CppKeyListenerSeesPythonPuts) {
  EventRecorder rec;
  auto id = bus_->AddKeyListener(map_, "watched", rec.Callback());
  ASSERT_OK(id);
  Py("set1 " + Member::Get().address() + " " + map_ + " watched '{\"n\":1}'");
  Py("set1 " + Member::Get().address() + " " + map_ + " other '{\"n\":0}'");
  Py("set1 " + Member::Get().address() + " " + map_ + " watched '{\"n\":2}'");
  ASSERT_TRUE(rec.WaitForCount(2));
  auto ev = rec.Events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, EventType::kAdded);
  EXPECT_EQ(ev[0].value, "{\"n\":1}");
  EXPECT_EQ(ev[1].type, EventType::kUpdated);
  EXPECT_EQ(ev[1].value, "{\"n\":2}");
}

// The health record as the health service publishes it, read by the official client with
// json.loads (the original system's operators read DOLPHIN_META_HEALTH["latest"] that way).
class NoProcesses final : public health::ProcessProbe {
 public:
  std::map<std::string, health::ProcessState> Probe(
      const std::vector<std::string>& names) override {
    std::map<std::string, health::ProcessState> out;
    for (const auto& n : names) out[n] = {true, 7, 0, false, false, "running"};
    return out;
  }
};
class OpenPorts final : public health::PortProbe {
 public:
  Status Check(const std::string&, uint16_t, Duration) override { return Status::Ok(); }
};
class NoActions final : public health::RecoveryActions {
 public:
  Status RestartService(const std::string&) override { return UnimplementedError("test"); }
  bool CanRestartControlPlane() const override { return false; }
  Status RestartControlPlane() override { return UnimplementedError("test"); }
};

TEST_F(PythonInteropTest, PythonReadsTheMetaHealthRecordAsJson) {
  dolphin::testing::TestEnv t;
  health::HealthServiceOptions o;
  o.critical = {"bridge"};
  o.sources = health::SourceSpecs({"scan"}, {});
  NoProcesses procs;
  OpenPorts ports;
  NoActions actions;
  health::HealthService svc(t.env, *bus_, o, procs, ports, actions);
  const contract::MetaHealth record = svc.RunCycle();  // no heartbeat, no scan: DEAD
  EXPECT_EQ(record.status, contract::HealthStatus::kDead);
  auto out =
      nlohmann::json::parse(Py("json " + Member::Get().address() + " DOLPHIN_META_HEALTH latest"));
  ASSERT_TRUE(out.is_object()) << out.dump();
  EXPECT_EQ(out["status"], "DEAD");
  EXPECT_EQ(out["rm_meta"], 0.0);
  EXPECT_EQ(out["m1_proc"], 1.0);
  EXPECT_EQ(out["m3_data_freshness"], 0.0);
  EXPECT_EQ(out["subsystem_health"]["data_sources"]["scan"]["state"], "dead");
  EXPECT_EQ(out["timestamp"], FormatRfc3339(record.timestamp));
  EXPECT_EQ(out["reasons"]["m2"][0], "heartbeat bridge missing");
}

// The operators' snippet, verbatim. It connects to the default 127.0.0.1:5701.
constexpr const char* kOperatorSnippet = R"(import hazelcast, json
client = hazelcast.HazelcastClient(cluster_name='dolphin')
features = client.get_map('DOLPHIN_FEATURES').blocking()
scan = json.loads(features.get('latest_eigen_scan') or '{}')
print(f'Scan #{scan.get("scan_number", "N/A")}')
client.shutdown()
)";

TEST_F(PythonInteropTest, OperatorsSnippetReadsWhatWeWrote) {
  // The snippet must stay verbatim, so it needs a member on its default 127.0.0.1:5701: a
  // dedicated one, once the port is free (another test process may hold it for a while).
  testing::Member own;
  std::unique_ptr<KvBus> bus;
  if (Member::Get().port() == 5701) {
    bus = std::move(bus_);
  } else {
    ASSERT_TRUE(dolphin::testing::WaitFor([] { return testing::Member::PortFree(5701); },
                                          std::chrono::seconds(60)))
        << "port 5701 stayed busy for 60 s: the operators' snippet connects to 127.0.0.1:5701 "
           "by default, so this test needs that port free (who holds it? ss -ltnp)";
    ASSERT_OK(own.StartOn(5701));
    auto b = own.NewBus();
    ASSERT_OK(b);
    bus = std::move(b).value();
  }
  const std::string value =
      R"({"scan_number": 42, "epoch": 1774434601000000, "bridge_ts": "2026-03-25T10:30:01.123456+00:00", "asset_prices": {"BTCUSDT": 87000.5}})";
  ASSERT_OK(bus->Put("DOLPHIN_FEATURES", "latest_eigen_scan", value));
  const std::string path = "/tmp/" + UniqueName("snippet") + ".py";
  {
    std::ofstream f(path);
    f << kOperatorSnippet;
  }
  std::string out;
  int rc = RunShell(python_ + " " + path + " 2>/dev/null", out);
  std::filesystem::remove(path);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "Scan #42\n");
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
