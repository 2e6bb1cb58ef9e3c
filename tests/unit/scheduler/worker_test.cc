// The worker over an in-process engine (in-memory store) with FakeProcessOps on a
// SimulatedClock: the flow process contract (argv, env), exit codes to states with the last
// output line, retries, cancel and TimedOut killing the process group (SIGTERM, then SIGKILL
// after kill_grace), a flow that cannot start, reports kept while the scheduler is away.
#include "dolphin/scheduler/worker.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>

#include "dolphin/testing/process_ops_fakes.h"
#include "dolphin/testing/testing.h"

namespace dolphin::scheduler {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

class WorkerTest : public ::testing::Test {
 protected:
  WorkerTest() {
    setup_ = DefaultSchedulerSetup();
    store_ = std::move(*OpenInMemoryStore());
  }

  DeploymentOptions& AddDeployment(const std::string& flow, const std::string& name,
                                   std::vector<std::string> command) {
    DeploymentOptions d;
    d.flow = flow;
    d.name = name;
    d.command = std::move(command);
    return setup_.deployments[d.full_name()] = d;
  }

  void Start() {
    engine_ = std::make_unique<Engine>(setup_.scheduler, *store_, env_.env);
    ASSERT_OK(engine_->Sync(setup_, env_.clock.Now()));
    WorkerSetup w;
    w.name = "w1";
    w.pools = {"dolphin"};
    w.poll_interval = seconds(1);
    w.heartbeat_interval = seconds(2);
    w.kill_grace = seconds(5);
    w.state_dir = env_.dir.path();
    w.config_file = "/etc/dolphin.toml";
    w.self_exe = "/opt/dolphin/bin/dolphin";
    w.env = {{"EXTRA", "1"}};
    ASSERT_TRUE(std::filesystem::create_directories(env_.dir.path() / "run_logs" / "flow_runs"));
    auto client = NewEnginePoolClient(
        [this]() -> Engine* { return engine_available_ ? engine_.get() : nullptr; }, env_.clock);
    worker_ = std::make_unique<WorkerService>(w, std::move(client), ops_, env_.env);
  }

  FlowRun Run(const std::string& deployment, Json params = Json::object()) {
    auto r = engine_->RunDeployment(deployment, params, env_.clock.Now());
    EXPECT_OK(r);
    return r.ok() ? *r : FlowRun{};
  }
  FlowRun Get(int64_t id) { return *store_->GetRun(id); }
  void Step(Duration d = seconds(1)) {
    env_.clock.AdvanceBy(d);
    worker_->Step();
  }
  pid_t LastPid() const { return static_cast<pid_t>(999 + ops_.spawned().size()); }
  void Say(int64_t id, const std::string& text) {
    std::ofstream(FlowRunLogPath(env_.dir.path(), id), std::ios::app) << text;
  }
  static supervisor::ExitInfo Exit(int code) {
    return supervisor::ExitInfo{code, std::nullopt, false};
  }

  testing::TestEnv env_;
  testing::FakeProcessOps ops_;
  SchedulerSetup setup_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<WorkerService> worker_;
  bool engine_available_ = true;
};

TEST_F(WorkerTest, RunsTheFlowWithTheContractAndReportsCompleted) {
  AddDeployment("indicators", "extf", {"dolphin", "flow", "extf"});
  Start();
  const FlowRun r = Run("indicators/extf", Json{{"window", 30}});
  Step();
  ASSERT_EQ(ops_.spawned().size(), 1u);
  const supervisor::SpawnSpec spec = ops_.spawned()[0];
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"/opt/dolphin/bin/dolphin", "flow", "extf"}));
  EXPECT_EQ(spec.env.at("DOLPHIN_FLOW_RUN_ID"), std::to_string(r.id));
  EXPECT_EQ(spec.env.at("DOLPHIN_DEPLOYMENT"), "indicators/extf");
  EXPECT_EQ(spec.env.at("DOLPHIN_STATE_DIR"), env_.dir.path().string());
  EXPECT_EQ(spec.env.at("DOLPHIN_CONFIG"), "/etc/dolphin.toml");
  EXPECT_EQ(*ParseJson(spec.env.at("DOLPHIN_PARAMETERS")), (Json{{"window", 30}}));
  EXPECT_EQ(spec.env.at("EXTRA"), "1");
  EXPECT_EQ(spec.output, supervisor::OutputMode::kFile);
  EXPECT_EQ(spec.output_file, FlowRunLogPath(env_.dir.path(), r.id));
  EXPECT_EQ(Get(r.id).state, kRunning);
  EXPECT_EQ(worker_->running(), 1u);

  ops_.ExitForTest(LastPid(), Exit(0));
  Step(Duration(1));
  EXPECT_EQ(Get(r.id).state, kCompleted);
  EXPECT_EQ(Get(r.id).exit_code, 0);
  EXPECT_EQ(worker_->running(), 0u);
  // The log has the worker's header line for the attempt.
  std::ifstream in(FlowRunLogPath(env_.dir.path(), r.id));
  std::string first;
  std::getline(in, first);
  EXPECT_THAT(first, HasSubstr("attempt 1, worker w1"));
}

TEST_F(WorkerTest, NonZeroExitFailsWithTheLastOutputLineAndRetries) {
  AddDeployment("f", "x", {"/bin/flow"}).retries = 1;
  Start();
  const FlowRun r = Run("f/x");
  Step();
  Say(r.id, "working\nno such file: prices.arrow\n\n  \n");
  ops_.ExitForTest(LastPid(), Exit(3));
  Step(Duration(1));
  EXPECT_EQ(Get(r.id).state, kAwaitingRetry);
  EXPECT_THAT(Get(r.id).state_message,
              HasSubstr("exit code 3: no such file: prices.arrow; retry 1 of 1"));
  Step(seconds(10));  // the retry is due: claimed again, same run id
  ASSERT_EQ(ops_.spawned().size(), 2u);
  Say(r.id, "second try broke\n");
  ops_.ExitForTest(LastPid(), Exit(4));
  Step(Duration(1));
  EXPECT_EQ(Get(r.id).state, kFailed);
  EXPECT_EQ(Get(r.id).state_message, "exit code 4: second try broke");
  EXPECT_EQ(Get(r.id).run_count, 2);
}

TEST_F(WorkerTest, CancelKillsTheProcessGroupThenSigkillAfterGrace) {
  AddDeployment("f", "long", {"/bin/poller"});
  Start();
  const FlowRun r = Run("f/long");
  Step();
  const pid_t pid = LastPid();
  ops_.IgnoreSigtermForTest(pid);
  ASSERT_OK(engine_->Cancel(r.id, "", env_.clock.Now()).status());
  Step(seconds(2));  // the heartbeat answers "kill"
  ASSERT_FALSE(ops_.signals().empty());
  EXPECT_EQ(ops_.signals().back().target, -pid);  // the group
  EXPECT_EQ(ops_.signals().back().sig, SIGTERM);
  EXPECT_TRUE(ops_.AliveForTest(pid));
  Step(seconds(4));
  EXPECT_TRUE(ops_.AliveForTest(pid));
  Step(seconds(1));  // kill_grace (5 s) passed: SIGKILL to the group
  EXPECT_EQ(ops_.signals().back().sig, SIGKILL);
  Step(Duration(1));
  EXPECT_EQ(Get(r.id).state, kCancelled);
  EXPECT_EQ(worker_->running(), 0u);
}

TEST_F(WorkerTest, TimedOutRunIsKilledAndFails) {
  AddDeployment("f", "slow", {"/bin/slow"}).timeout = seconds(3);
  Start();
  const FlowRun r = Run("f/slow");
  Step();
  ASSERT_OK(engine_->Tick(env_.clock.Now() + seconds(3)).status());
  EXPECT_EQ(Get(r.id).state, kCancellingTimedOut);
  Step(seconds(2));
  EXPECT_EQ(ops_.signals().back().sig, SIGTERM);
  Step(Duration(1));
  EXPECT_EQ(Get(r.id).state, kFailedTimedOut);
}

TEST_F(WorkerTest, AFlowThatCannotStartCrashesWithTheReason) {
  AddDeployment("f", "nocmd", {});
  AddDeployment("f", "broken", {"/no/such/program"});
  Start();
  const FlowRun a = Run("f/nocmd");
  Step();
  EXPECT_EQ(Get(a.id).state, kCrashed);
  EXPECT_THAT(Get(a.id).state_message, HasSubstr("has no command"));
  const FlowRun b = Run("f/broken");
  ops_.FailNextSpawnForTest(ENOENT);
  Step();
  EXPECT_EQ(Get(b.id).state, kCrashed);
  EXPECT_THAT(Get(b.id).state_message, HasSubstr("could not start"));
  EXPECT_EQ(worker_->running(), 0u);
}

TEST_F(WorkerTest, EndsWaitWhileTheSchedulerIsAway) {
  AddDeployment("f", "x", {"/bin/flow"});
  Start();
  const FlowRun r = Run("f/x");
  Step();
  engine_available_ = false;
  ops_.ExitForTest(LastPid(), Exit(0));
  Step();
  EXPECT_EQ(Get(r.id).state, kRunning);
  EXPECT_EQ(worker_->StatusJson()["unreported"], 1);
  EXPECT_EQ(worker_->Health().status, contract::HeartbeatStatus::kDegraded);
  engine_available_ = true;
  Step();
  EXPECT_EQ(Get(r.id).state, kCompleted);
}

TEST_F(WorkerTest, ALongRunHeartbeatsAndKeepsItsLeases) {
  setup_.scheduler.zombie_after = seconds(10);
  AddDeployment("f", "poller", {"/bin/poller"});
  Start();
  const FlowRun r = Run("f/poller");
  Step();
  for (int i = 0; i < 3600; ++i) {  // two hours of 2 s heartbeats
    Step(seconds(2));
    if (i % 60 == 0) {
      ASSERT_OK(engine_->Tick(env_.clock.Now()).status());
    }
  }
  EXPECT_EQ(Get(r.id).state, kRunning);
  EXPECT_EQ(worker_->running(), 1u);
  ops_.ExitForTest(LastPid(), Exit(0));
  Step(Duration(1));
  EXPECT_EQ(Get(r.id).state, kCompleted);
}

TEST(WorkerOutputTest, LastOutputLine) {
  EXPECT_EQ(LastOutputLine("a\nb\n"), "b");
  EXPECT_EQ(LastOutputLine("a\n  b  \r\n\n \n"), "b");
  EXPECT_EQ(LastOutputLine(""), "");
  EXPECT_EQ(LastOutputLine("\n\n"), "");
  EXPECT_EQ(LastOutputLine(std::string(1000, 'x')).size(), 300u);
}

TEST(WorkerOptionsTest, ParsesAndRejectsUnknownKeys) {
  auto good = Config::LoadString(
      "[worker]\npools = [\"dolphin\"]\nmax_runs = 3\nkill_grace_s = 1\n", "t.toml", ".");
  ASSERT_OK(good);
  ConfigDiagnostics diag;
  auto o = ParseWorkerOptions(good->Root(&diag).Sub("worker"));
  ASSERT_OK(o);
  EXPECT_EQ(o->pools, std::vector<std::string>{"dolphin"});
  EXPECT_EQ(o->max_runs, 3);
  auto bad = Config::LoadString("[worker]\nmax_runs = 0\nbogus = 1\n", "t.toml", ".");
  ASSERT_OK(bad);
  ConfigDiagnostics diag2;
  EXPECT_FALSE(ParseWorkerOptions(bad->Root(&diag2).Sub("worker")).ok());
  EXPECT_EQ(diag2.errors().size(), 2u);
}

}  // namespace
}  // namespace dolphin::scheduler
