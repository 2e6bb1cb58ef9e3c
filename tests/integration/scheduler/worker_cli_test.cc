// The worker with real processes (docs/scheduler.md "Worker"): flows run by `dolphin run`'s own
// worker and by `dolphin serve worker` processes over HTTP; the flow process contract; a
// failure's last output line; `flow-run logs -f`; cancel killing the process group (child and
// grandchild); a SIGKILLed worker's run CRASHED with its slot back; two workers on one pool of
// limit 1 never running two flows at once (an flock'd lock file, 50 flows); a SIGKILLed
// scheduler reconciling a RUNNING run with a live worker; a flow that runs itself in a loop
// bounded by the pool limit; health's step 3 triggering on_recovery deployments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "dolphin/api/api_client.h"
#include "dolphin/contract/meta_health.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

using testing::DolphinBinary;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::Subprocess;
using testing::WaitFor;

constexpr const char* kBase = R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[trader]
enabled = false
[health]
enabled = false
[scheduler]
late_after_s = 30
zombie_after_s = 2
tick_interval_s = 0.1
worker_poll_interval_s = 0.05
worker_heartbeat_interval_s = 0.2
[worker]
kill_grace_s = 1
)";

class WorkerCliTest : public ::testing::Test {
 protected:
  void Write(const std::string& extra, bool in_process_worker = true) {
    std::ofstream(dir_.path() / "dolphin.toml")
        << kBase << (in_process_worker ? "" : "enabled = false\n") << extra;
  }
  std::string Dir() const { return dir_.path().string(); }

  ProcessResult Dolphin(std::vector<std::string> args) {
    args.insert(args.begin(), DolphinBinary());
    args.insert(args.end(), {"-c", "dolphin.toml"});
    return testing::RunProcess(args, dir_.path(), std::chrono::seconds(60));
  }
  std::unique_ptr<Subprocess> StartRun() {
    auto run = std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
    EXPECT_TRUE(WaitFor(
        [&] {
          return Dolphin({"pool", "ls"}).exit_code == 0;
        },
        std::chrono::seconds(60)))
        << run->Stderr();
    return run;
  }
  std::unique_ptr<Subprocess> StartWorker(const std::string& name,
                                          const std::string& pool = "dolphin") {
    return std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "serve", "worker", "--pool", pool, "--name", name,
                                 "-c", "dolphin.toml"},
        dir_.path());
  }
  api::ApiClient Api() {
    auto c = api::ApiClient::FromStateDir(dir_.path() / "var");
    EXPECT_OK(c);
    return *c;
  }
  int64_t RunDeployment(const std::string& flow, const std::string& name) {
    auto r = Api().Post("/api/deployments/" + flow + "/" + name + "/run", "{}");
    EXPECT_OK(r);
    if (!r.ok()) return 0;
    return (*ParseJson(r->body))["id"].get<int64_t>();
  }
  Json Inspect(int64_t id) {
    auto r = Api().Get("/api/flow_runs/" + std::to_string(id));
    if (!r.ok() || r->status != 200) return Json::object();
    auto j = ParseJson(r->body);
    return j.ok() ? *j : Json::object();
  }
  std::string State(int64_t id) {
    Json j = Inspect(id);
    return j.contains("state_type")
               ? j["state_type"].get<std::string>() + "/" + j["state_name"].get<std::string>()
               : "?";
  }
  bool WaitState(int64_t id, const std::string& state,
                 std::chrono::seconds t = std::chrono::seconds(30)) {
    return WaitFor([&] { return State(id) == state; }, t);
  }
  pid_t ReadPid(const std::string& file) {
    std::ifstream in(dir_.path() / file);
    pid_t p = 0;
    in >> p;
    return p;
  }
  static int Lines(const std::string& s) {
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  }

  testing::TempDir dir_;
};

TEST_F(WorkerCliTest, RunsFlowsWithTheContractFailuresLogsAndBadInput) {
  Write(R"([deployments."echo/hello"]
command = ["sh", "-c", "echo run=$DOLPHIN_FLOW_RUN_ID dep=$DOLPHIN_DEPLOYMENT params=$DOLPHIN_PARAMETERS; test -d \"$DOLPHIN_STATE_DIR\" && echo config=$DOLPHIN_CONFIG"]
parameters = { days = 7 }
[deployments."echo/broken"]
command = ["sh", "-c", "echo starting; echo 'prices.arrow: no such file' >&2; exit 3"]
[deployments."echo/slow"]
command = ["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done"]
[deployments."self/version"]
command = ["dolphin", "--version"]
)");
  auto run = StartRun();
  auto created = Dolphin({"deployment", "run", "echo/hello", "--param", "colour=BLUE"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_TRUE(WaitState(1, "COMPLETED/Completed")) << State(1) << run->Stderr();
  auto logs = Dolphin({"flow-run", "logs", "1"});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, HasSubstr("run=1 dep=echo/hello params={\"days\":7,\"colour\":\"BLUE\"}"));
  EXPECT_THAT(logs.out, HasSubstr("config=" + (dir_.path() / "dolphin.toml").string()));
  EXPECT_EQ(Inspect(1)["exit_code"], 0);

  const int64_t broken = RunDeployment("echo", "broken");
  ASSERT_TRUE(WaitState(broken, "FAILED/Failed")) << State(broken);
  EXPECT_EQ(Inspect(broken)["state_message"], "exit code 3: prices.arrow: no such file");
  EXPECT_EQ(Inspect(broken)["exit_code"], 3);

  const int64_t self = RunDeployment("self", "version");
  ASSERT_TRUE(WaitState(self, "COMPLETED/Completed")) << State(self);
  EXPECT_THAT(Dolphin({"flow-run", "logs", std::to_string(self)}).out, HasSubstr("dolphin"));

  // -f follows the log until the run is final.
  const int64_t slow = RunDeployment("echo", "slow");
  auto follow = Dolphin({"flow-run", "logs", std::to_string(slow), "-f"});
  EXPECT_EQ(follow.exit_code, 0) << follow.err;
  EXPECT_THAT(follow.out, HasSubstr("line 1"));
  EXPECT_THAT(follow.out, HasSubstr("line 5"));
  EXPECT_EQ(State(slow), "COMPLETED/Completed");

  auto pools = Dolphin({"pool", "ls"});
  EXPECT_THAT(pools.out, HasSubstr("READY"));
  EXPECT_THAT(pools.out, ::testing::Not(HasSubstr("NOT_READY")));

  // Bad input: one line, exit 2.
  for (const std::vector<std::string>& args : {std::vector<std::string>{"flow-run", "logs", "abc"},
                                               {"serve", "worker", "--pool", "nope"}}) {
    auto r = Dolphin(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_EQ(Lines(r.err), 1) << ::testing::PrintToString(args) << r.err;
  }
  auto none = Dolphin({"flow-run", "logs", "999"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(Lines(none.err), 1) << none.err;
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait().exit_code, 0);
}

TEST_F(WorkerCliTest, CancelKillsTheProcessGroupChildAndGrandchild) {
  Write(R"([deployments."hold/forever"]
command = ["sh", "-c", "echo $$ > flow.pid; sh -c 'trap \"\" TERM; echo $$ > grandchild.pid; while :; do sleep 1; done' & wait"]
)");
  auto run = StartRun();
  const int64_t id = RunDeployment("hold", "forever");
  ASSERT_TRUE(WaitState(id, "RUNNING/Running"));
  ASSERT_TRUE(WaitFor([&] { return ReadPid("flow.pid") > 0 && ReadPid("grandchild.pid") > 0; }));
  const pid_t child = ReadPid("flow.pid"), grandchild = ReadPid("grandchild.pid");
  EXPECT_TRUE(testing::ProcessAlive(child));
  EXPECT_TRUE(testing::ProcessAlive(grandchild));
  auto cancel = Dolphin({"flow-run", "cancel", std::to_string(id)});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  ASSERT_TRUE(WaitState(id, "CANCELLED/Cancelled")) << State(id);
  // The grandchild ignores SIGTERM: the group's SIGKILL after kill_grace ends it too.
  EXPECT_TRUE(
      WaitFor([&] { return !testing::ProcessAlive(child) && !testing::ProcessAlive(grandchild); },
              std::chrono::seconds(10)));
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait().exit_code, 0);
}

TEST_F(WorkerCliTest, SigkilledWorkerRunCrashesItsSlotReturnsAndTheNextRunGoes) {
  Write(R"([deployments."hold/long"]
command = ["sh", "-c", "echo $$ >> long.pids; exec sleep 60"]
)",
        /*in_process_worker=*/false);
  auto run = StartRun();
  auto w1 = StartWorker("w1");
  const int64_t first = RunDeployment("hold", "long");
  ASSERT_TRUE(WaitState(first, "RUNNING/Running")) << State(first) << w1->Stderr();
  const int64_t second = RunDeployment("hold", "long");
  ASSERT_TRUE(WaitState(second, "SCHEDULED/AwaitingConcurrencySlot")) << State(second);
  w1->Signal(SIGKILL);
  w1->Wait();
  const pid_t orphan = ReadPid("long.pids");
  auto w2 = StartWorker("w2");
  ASSERT_TRUE(WaitState(first, "CRASHED/Crashed", std::chrono::seconds(20))) << State(first);
  EXPECT_THAT(Inspect(first)["state_message"].get<std::string>(),
              HasSubstr("worker w1 stopped heartbeating"));
  ASSERT_TRUE(WaitState(second, "RUNNING/Running", std::chrono::seconds(20))) << State(second);
  EXPECT_EQ(Inspect(second)["worker"], "w2");
  EXPECT_EQ(Dolphin({"flow-run", "cancel", std::to_string(second)}).exit_code, 0);
  ASSERT_TRUE(WaitState(second, "CANCELLED/Cancelled")) << State(second);
  if (orphan > 0) ::kill(-orphan, SIGKILL);  // the SIGKILLed worker's flow (its own group)
  w2->Signal(SIGTERM);
  EXPECT_EQ(w2->Wait().exit_code, 0);
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait().exit_code, 0);
}

TEST_F(WorkerCliTest, TwoWorkersOnAPoolOfLimitOneNeverRunTwoFlowsAtOnce) {
  Write(R"([deployments."lock/exclusive"]
command = ["sh", "-c", "exec 9>>flow.lock; flock -n 9 || { echo lock taken; exit 7; }; echo $DOLPHIN_FLOW_RUN_ID >> ran; sleep 0.02"]
max_lateness_s = 3600
)",
        /*in_process_worker=*/false);
  auto run = StartRun();
  auto w1 = StartWorker("w1");
  auto w2 = StartWorker("w2");
  constexpr int kRuns = 50;
  std::vector<int64_t> ids;
  for (int i = 0; i < kRuns; ++i) ids.push_back(RunDeployment("lock", "exclusive"));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = Api().Get("/api/flow_runs?state=COMPLETED&limit=1000");
        return r.ok() && ParseJson(r->body)->size() == static_cast<size_t>(kRuns);
      },
      std::chrono::seconds(120)))
      << w1->Stderr() << w2->Stderr();
  auto failed = Api().Get("/api/flow_runs?state=FAILED");
  ASSERT_OK(failed);
  EXPECT_EQ(ParseJson(failed->body)->size(), 0u) << failed->body;
  std::ifstream ran(dir_.path() / "ran");
  std::set<int64_t> seen;
  for (int64_t id; ran >> id;) seen.insert(id);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRuns));
  std::set<std::string> workers;
  for (int64_t id : ids) workers.insert(Inspect(id)["worker"].get<std::string>());
  EXPECT_GE(workers.size(), 1u);
  for (auto* w : {w1.get(), w2.get()}) {
    w->Signal(SIGTERM);
    EXPECT_EQ(w->Wait().exit_code, 0);
  }
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait().exit_code, 0);
}

TEST_F(WorkerCliTest, SigkilledSchedulerKeepsHistoryAndReconcilesRunningRuns) {
  Write(R"([deployments."hold/long"]
command = ["sh", "-c", "echo $$ > long.pid; exec sleep 60"]
)",
        /*in_process_worker=*/false);
  auto run = StartRun();
  auto w1 = StartWorker("w1");
  const int64_t id = RunDeployment("hold", "long");
  ASSERT_TRUE(WaitState(id, "RUNNING/Running")) << State(id) << w1->Stderr();
  const size_t history = Inspect(id)["history"].size();
  run->Signal(SIGKILL);
  run->Wait();
  auto again = StartRun();
  // The worker heartbeats again to the new scheduler: the run stays RUNNING past zombie_after.
  Json j = Inspect(id);
  EXPECT_EQ(j["state_type"], "RUNNING");
  EXPECT_EQ(j["history"].size(), history);
  ASSERT_TRUE(WaitFor([&] { return Dolphin({"pool", "ls"}).out.find("w1") != std::string::npos; }));
  std::this_thread::sleep_for(
      std::chrono::seconds(3));  // determinism-ok: past zombie_after_s (2 s) in real time
  EXPECT_EQ(State(id), "RUNNING/Running") << again->Stderr();

  // Both gone: the scheduler's restart (or its first ticks) crashes the run.
  w1->Signal(SIGKILL);
  w1->Wait();
  again->Signal(SIGKILL);
  again->Wait();
  auto third = StartRun();
  ASSERT_TRUE(WaitState(id, "CRASHED/Crashed", std::chrono::seconds(20))) << State(id);
  if (pid_t p = ReadPid("long.pid"); p > 0) ::kill(-p, SIGKILL);
  third->Signal(SIGTERM);
  EXPECT_EQ(third->Wait().exit_code, 0);
}

TEST_F(WorkerCliTest, AFlowRunningItselfInALoopIsBoundedByThePoolLimit) {
  // The incident: a flow that starts its own deployment (twice per run, 12 runs counted). With
  // the pool's limit 1 the runs go one at a time: the lock is never found taken.
  const std::string cfg = (dir_.path() / "dolphin.toml").string();
  Write(R"([deployments."loop/self"]
max_lateness_s = 3600
command = ["sh", "-c", "exec 9>>loop.lock; flock -n 9 || { echo lock taken; exit 7; }; echo x >> count; n=$(wc -l < count); if [ $n -lt 12 ]; then )" +
        DolphinBinary() + " deployment run loop/self -c " + cfg + "; " + DolphinBinary() +
        " deployment run loop/self -c " + cfg + R"(; fi"]
)");
  auto run = StartRun();
  RunDeployment("loop", "self");
  ASSERT_TRUE(WaitFor(
      [&] {
        std::ifstream c(dir_.path() / "count");
        std::string line;
        int n = 0;
        while (std::getline(c, line)) ++n;
        return n >= 12;
      },
      std::chrono::seconds(180)))
      << run->Stderr();
  auto failed = Api().Get("/api/flow_runs?state=FAILED");
  ASSERT_OK(failed);
  EXPECT_EQ(ParseJson(failed->body)->size(), 0u) << failed->body;
  auto pool = ParseJson(Dolphin({"pool", "inspect", "dolphin", "--json"}).out);
  ASSERT_OK(pool);
  EXPECT_LE((*pool)["slots_used"].get<int>(), 1);
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait().exit_code, 0);
}

TEST_F(WorkerCliTest, HealthRecoveryStep3TriggersOnRecoveryDeploymentsAndShowsPools) {
  std::ofstream(dir_.path() / "dolphin.toml") << R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[trader]
enabled = false
[health]
interval_s = 0.5
worsen_after_s = 0.5
startup_grace_s = 0
recovery_cooldown_s = 60
critical = ["ghost"]
[scheduler]
tick_interval_s = 0.1
worker_poll_interval_s = 0.05
[deployments."recover/notify"]
on_recovery = true
command = ["sh", "-c", "echo recovery run"]
)";
  auto run = StartRun();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = Api().Get("/api/flow_runs?deployment=recover/notify&state=COMPLETED");
        return r.ok() && ParseJson(r->body)->size() >= 1;
      },
      std::chrono::seconds(60)))
      << run->Stderr();
  std::ifstream in(dir_.path() / "var" / "run_logs" / "meta_health.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto record = contract::DecodeMetaHealth(text);
  ASSERT_OK(record);
  EXPECT_TRUE(std::any_of(record->recovery.begin(), record->recovery.end(),
                          [](const contract::RecoveryAction& a) {
                            return a.target == "on_recovery" && a.result == "ok";
                          }))
      << text;
  ASSERT_EQ(record->pools.count("dolphin"), 1u) << text;
  EXPECT_EQ(record->pools.at("dolphin").status, "READY");
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait().exit_code, 0);
}

}  // namespace
}  // namespace dolphin
