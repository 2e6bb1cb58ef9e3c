// `dolphin up` and `dolphin service` with real processes (docs/supervisor.md): exec services
// under limits, a crash loop that ends in `failed (start limit)` and an operator start that
// resets it, stop/start/restart, SIGTERM leaving no process of its groups, and a SIGKILLed `up`
// whose successor stops the orphans first (exactly one instance of each service). Each test
// uses a cgroup group of its own (DOLPHIN_TEST_CGROUP_GROUP), removed by the `up` it ends with.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "dolphin/core/file_system.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using testing::DolphinBinary;
using testing::ProcessAlive;
using testing::ProcessResult;
using testing::Subprocess;
using testing::WaitFor;

// Live processes whose command line contains `marker`.
std::vector<pid_t> WithMarker(const std::string& marker) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmd = FileSystem::Default().ReadFile(e.path() / "cmdline");
    if (!cmd.ok() || cmd->find(marker) == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid != ::getpid() && ProcessAlive(pid)) out.push_back(pid);
  }
  return out;
}

class UpCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    marker_ = fmt::format("dolphin-up-test-{}-{}", ::getpid(), ++counter_);
    group_ = marker_;
    std::ofstream(dir_.path() / "dolphin.toml") << fmt::format(R"([api]
listen = "127.0.0.1:0"
[trader]
enabled = false
[health]
enabled = false
[scheduler]
enabled = false
[services.bridge]
enabled = false
[services.sleeper]
exec = ["sh", "-c", "sleep 300; : {0}"]
tasks_max = 20
timeout_stop_s = 5
[services.crasher]
exec = ["sh", "-c", "exit 1"]
restart_sec = 0.2
)",
                                                               marker_);
  }
  void TearDown() override {
    for (pid_t pid : WithMarker(marker_)) ::kill(pid, SIGKILL);  // only ours, by marker
  }

  std::unique_ptr<Subprocess> Up() {
    return std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "up", "-c", "dolphin.toml"}, dir_.path(),
        std::vector<std::string>{"DOLPHIN_TEST_CGROUP_GROUP=" + group_});
  }
  ProcessResult Dolphin(std::vector<std::string> args) {
    args.insert(args.begin(), DolphinBinary());
    args.insert(args.end(), {"-c", "dolphin.toml"});
    return testing::RunProcess(args, dir_.path(), std::chrono::seconds(30));
  }
  // The row of `name` in `dolphin service ls --json`.
  Json Row(const std::string& name) {
    auto r = Dolphin({"service", "ls", "--json"});
    if (r.exit_code != 0) return Json();
    auto j = ParseJson(r.out, "ls");
    if (!j.ok()) return Json();
    for (const Json& s : (*j)["services"]) {
      if (s.value("name", "") == name) return s;
    }
    return Json();
  }
  pid_t PidOf(const std::string& name) {
    Json row = Row(name);
    return row.is_object() ? row.value("pid", 0) : 0;
  }
  std::string StateOf(const std::string& name) {
    Json row = Row(name);
    return row.is_object() ? row.value("state_text", "") : "";
  }
  bool WaitUp() {
    return WaitFor([&] { return fs::exists(dir_.path() / "var" / "api.up.addr"); },
                   std::chrono::seconds(20));
  }

  static inline int counter_ = 0;
  testing::TempDir dir_;
  std::string marker_;
  std::string group_;
};

TEST_F(UpCliTest, CrashLoopStopsAtTheStartLimitAndServiceStartResetsIt) {
  auto up = Up();
  ASSERT_TRUE(WaitUp()) << up->Stderr();
  ASSERT_TRUE(WaitFor([&] { return StateOf("crasher") == "failed (start limit)"; },
                      std::chrono::seconds(20)))
      << StateOf("crasher") << "\n"
      << up->Stderr();
  Json crasher = Row("crasher");
  EXPECT_EQ(crasher.value("restarts", -1), 2);
  EXPECT_EQ(crasher.value("last_exit", ""),
            "exit status 1; start request repeated too quickly (3 starts in 60 s)");
  // Human-readable table too.
  auto ls = Dolphin({"service", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("failed (start limit)"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("sleeper"), std::string::npos) << ls.out;
  // An operator start resets it: three more starts, then failed again.
  auto start = Dolphin({"service", "start", "crasher"});
  EXPECT_EQ(start.exit_code, 0) << start.err;
  EXPECT_TRUE(WaitFor([&] { return StateOf("crasher") == "failed (start limit)"; },
                      std::chrono::seconds(20)));
  // The sleeper ran throughout, under its limits.
  const pid_t sleeper = PidOf("sleeper");
  EXPECT_TRUE(ProcessAlive(sleeper));
  EXPECT_EQ(WithMarker(marker_).size(), 1u);  // its sh (the sleep child carries no marker)

  auto unknown = Dolphin({"service", "restart", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no service nope here"), std::string::npos) << unknown.err;

  // SIGTERM: everything stops, nothing of its groups is left.
  up->Signal(SIGTERM);
  ProcessResult r = up->Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(ProcessAlive(sleeper));
  EXPECT_TRUE(WithMarker(marker_).empty());
  EXPECT_FALSE(fs::exists(dir_.path() / "var" / "up.pid"));
  for (const char* h : {"pids", "cpu"}) {
    EXPECT_FALSE(fs::exists(fs::path("/sys/fs/cgroup") / h / group_)) << h;
  }
}

TEST_F(UpCliTest, StopStartRestartOneService) {
  auto up = Up();
  ASSERT_TRUE(WaitUp()) << up->Stderr();
  ASSERT_TRUE(WaitFor([&] { return PidOf("sleeper") > 0; }));
  const pid_t first = PidOf("sleeper");
  auto stop = Dolphin({"service", "stop", "sleeper"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_TRUE(WaitFor([&] { return StateOf("sleeper") == "stopped"; }));
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(first); }));
  EXPECT_TRUE(WithMarker(marker_).empty());
  auto start = Dolphin({"service", "start", "sleeper"});
  EXPECT_EQ(start.exit_code, 0) << start.err;
  ASSERT_TRUE(WaitFor([&] { return PidOf("sleeper") > 0; }));
  const pid_t second = PidOf("sleeper");
  EXPECT_NE(second, first);
  auto restart = Dolphin({"service", "restart", "sleeper"});
  EXPECT_EQ(restart.exit_code, 0) << restart.err;
  ASSERT_TRUE(WaitFor([&] { return PidOf("sleeper") > 0 && PidOf("sleeper") != second; }));
  EXPECT_FALSE(ProcessAlive(second));
  up->Signal(SIGTERM);
  EXPECT_EQ(up->Wait(std::chrono::seconds(30)).exit_code, 0);
  EXPECT_TRUE(WithMarker(marker_).empty());
}

TEST_F(UpCliTest, AfterASigkilledUpTheNextOneStopsTheOrphansFirst) {
  auto first = Up();
  ASSERT_TRUE(WaitUp()) << first->Stderr();
  ASSERT_TRUE(WaitFor([&] { return PidOf("sleeper") > 0; }));
  const pid_t orphan = PidOf("sleeper");
  first->Signal(SIGKILL);
  first->Wait(std::chrono::seconds(10));
  ASSERT_TRUE(ProcessAlive(orphan));  // it outlived its supervisor
  fs::remove(dir_.path() / "var" / "api.up.addr");

  auto second = Up();
  ASSERT_TRUE(WaitUp()) << second->Stderr();
  ASSERT_TRUE(WaitFor([&] { return PidOf("sleeper") > 0; }));
  EXPECT_NE(PidOf("sleeper"), orphan);
  EXPECT_FALSE(ProcessAlive(orphan));
  // Exactly one instance: one sh with this test's marker.
  EXPECT_TRUE(WaitFor([&] { return WithMarker(marker_).size() == 1u; }));
  EXPECT_NE(second->Stderr().find("a previous supervisor left running"), std::string::npos)
      << second->Stderr();
  second->Signal(SIGTERM);
  EXPECT_EQ(second->Wait(std::chrono::seconds(30)).exit_code, 0);
  EXPECT_TRUE(WithMarker(marker_).empty());
}

TEST_F(UpCliTest, DolphinServicesNeedTheSharedBus) {
  std::ofstream(dir_.path() / "dolphin.toml") << "[api]\nlisten = \"127.0.0.1:0\"\n";
  auto r = Dolphin({"up"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("need the shared bus: set [bus] backend = \"hazelcast\""), std::string::npos)
      << r.err;
  auto ls = Dolphin({"service", "ls"});
  EXPECT_EQ(ls.exit_code, 1);
  EXPECT_NE(ls.err.find("no running `dolphin up` found"), std::string::npos) << ls.err;
}

TEST_F(UpCliTest, DependencyCyclesAndUnknownNamesAreConfigErrors) {
  std::ofstream(dir_.path() / "dolphin.toml") << R"([trader]
enabled = false
[health]
enabled = false
[scheduler]
enabled = false
[services.bridge]
enabled = false
[services.a]
exec = ["sleep", "300"]
after = ["b"]
[services.b]
exec = ["sleep", "300"]
after = ["a"]
)";
  auto cycle = Dolphin({"up"});
  EXPECT_EQ(cycle.exit_code, 2);
  EXPECT_NE(cycle.err.find("dolphin: up: [services] after: dependency cycle: a -> b -> a\n"),
            std::string::npos)
      << cycle.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "var" / "up.pid"));

  std::ofstream(dir_.path() / "dolphin.toml") << R"([trader]
enabled = false
[services.a]
exec = ["sleep", "300"]
after = ["nope"]
)";
  auto unknown = Dolphin({"up"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("[services.a] after: expected a service"), std::string::npos)
      << unknown.err;
  EXPECT_NE(unknown.err.find("got \"nope\""), std::string::npos) << unknown.err;
}

TEST_F(UpCliTest, ServicesStartAfterTheServicesTheyNameOnceThoseAreReady) {
  std::ofstream(dir_.path() / "dolphin.toml") << fmt::format(R"([api]
listen = "127.0.0.1:0"
[trader]
enabled = false
[health]
enabled = false
[scheduler]
enabled = false
[services.bridge]
enabled = false
[services.first]
exec = ["sh", "-c", "sleep 300; : {0}"]
[services.second]
exec = ["sh", "-c", "sleep 300; : {0}"]
after = ["first"]
)",
                                                             marker_);
  auto up = Up();
  ASSERT_TRUE(WaitUp()) << up->Stderr();
  ASSERT_TRUE(WaitFor([&] { return PidOf("second") > 0; })) << up->Stderr();
  Json second = Row("second");
  EXPECT_EQ(second["after"], Json::array({"first"}));
  EXPECT_EQ(second.value("ready", ""), "ready");
  EXPECT_LE(Row("first").value("ready_at", ""), second.value("started_at", ""));
  EXPECT_NE(up->Stderr().find("start order: first; second (after first)"), std::string::npos)
      << up->Stderr();
  up->Signal(SIGTERM);
  ProcessResult r = up->Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Reverse order: the dependent stops first.
  EXPECT_LT(r.err.find("stopped service=second "), r.err.find("stopped service=first ")) << r.err;
  EXPECT_TRUE(WithMarker(marker_).empty());
}

}  // namespace
}  // namespace dolphin
