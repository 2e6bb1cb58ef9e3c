// The engine on a SimulatedClock's times over the in-memory store: each rule of DESIGN §6 and
// each case the issue lists (docs/scheduler.md).
#include "dolphin/scheduler/engine.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::scheduler {
namespace {

using ::dolphin::testing::StatusHasMessage;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() {
    setup_ = DefaultSchedulerSetup();
    store_ = std::move(*OpenInMemoryStore());
  }

  // Builds the engine over the store with `setup_` (call after changing it).
  void Start() {
    engine_ = std::make_unique<Engine>(setup_.scheduler, *store_, env_.env);
    ASSERT_OK(engine_->Sync(setup_, Now()));
  }

  DeploymentOptions& AddDeployment(const std::string& flow, const std::string& name,
                                   const std::string& pool = "dolphin") {
    DeploymentOptions d;
    d.flow = flow;
    d.name = name;
    d.pool = pool;
    return setup_.deployments[d.full_name()] = d;
  }

  Timestamp Now() const { return env_.clock.Now(); }
  void Advance(Duration d) { env_.clock.AdvanceBy(d); }
  TickReport Tick() {
    auto r = engine_->Tick(Now());
    EXPECT_OK(r);
    return r.ok() ? *r : TickReport{};
  }
  FlowRun Run(const std::string& deployment) {
    auto r = engine_->RunDeployment(deployment, Json::object(), Now());
    EXPECT_OK(r);
    return r.ok() ? *r : FlowRun{};
  }
  std::vector<ClaimedRun> Claim(const std::string& worker, const std::string& pool = "dolphin",
                                size_t max = 10) {
    auto r = engine_->Claim(worker, {pool}, Now(), max);
    EXPECT_OK(r);
    return r.ok() ? *r : std::vector<ClaimedRun>{};
  }
  FlowRun Get(int64_t id) { return *store_->GetRun(id); }
  int64_t Count(std::vector<StateType> types, const std::string& deployment = "") {
    RunFilter f;
    f.types = std::move(types);
    f.deployment = deployment;
    return *store_->CountRuns(f);
  }

  testing::TestEnv env_;
  SchedulerSetup setup_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, LateExactlyAtLateAfterAndLoggedOnce) {
  AddDeployment("report", "daily");
  Start();
  const FlowRun r = Run("report/daily");
  Advance(seconds(15) - Duration(1));
  EXPECT_EQ(Tick().late, 0);
  EXPECT_EQ(Get(r.id).state, kScheduled);
  Advance(Duration(1));
  EXPECT_EQ(Tick().late, 1);
  const FlowRun late = Get(r.id);
  EXPECT_EQ(late.state, kLate);
  EXPECT_THAT(late.state_message, HasSubstr("not started 15 s after its start time"));
  EXPECT_THAT(late.state_message, HasSubstr("no worker is polling pool dolphin"));
  Advance(seconds(5));
  EXPECT_EQ(Tick().late, 0);
  EXPECT_EQ(engine_->late_total(), 1);
  int lines = 0;
  for (const auto& l : env_.logger.Lines())
    lines += l.find("flow run is Late") != std::string::npos;
  EXPECT_EQ(lines, 1);
  // Late is only a name: a worker still takes it.
  ASSERT_EQ(Claim("w1").size(), 1u);
  EXPECT_EQ(Get(r.id).state, kPending);
}

TEST_F(EngineTest, AClaimHandsEachRunToOneWorkerWithinThePoolLimit) {
  AddDeployment("a", "x");
  Start();
  const FlowRun r1 = Run("a/x");
  const FlowRun r2 = Run("a/x");
  auto c1 = Claim("w1");
  auto c2 = Claim("w2");
  ASSERT_EQ(c1.size(), 1u);
  EXPECT_EQ(c1[0].run.id, r1.id);
  EXPECT_TRUE(c2.empty());  // pool dolphin: limit 1
  EXPECT_EQ(Get(r2.id).state, kAwaitingConcurrencySlot);
  EXPECT_THAT(Get(r2.id).state_message, HasSubstr("pool dolphin limit 1 reached"));
  EXPECT_EQ(*store_->CountLeases("pool", "dolphin"), 1);
  ASSERT_OK(engine_->Started(r1.id, "w1", Now()));
  EXPECT_THAT(engine_->Started(r1.id, "w2", Now()), StatusHasMessage("held by worker w1, not w2"));
  ASSERT_OK(engine_->Finished(r1.id, "w1", 0, Now()));
  EXPECT_EQ(Get(r1.id).state, kCompleted);
  EXPECT_EQ(*store_->CountLeases("pool", "dolphin"), 0);
  auto next = Claim("w2");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].run.id, r2.id);
}

TEST_F(EngineTest, ZombieIsCrashedAfterZombieAfterAndItsSlotReturns) {
  AddDeployment("a", "x");
  Start();
  const FlowRun r1 = Run("a/x");
  const FlowRun r2 = Run("a/x");
  ASSERT_EQ(Claim("w1").size(), 1u);
  ASSERT_OK(engine_->Started(r1.id, "w1", Now()));
  Advance(seconds(30));
  ASSERT_OK(engine_->Heartbeat("w1", {"dolphin"}, {r1.id}, Now()));
  // w1 dies now: its leases were renewed at +30 s.
  Advance(seconds(60) - Duration(1));
  EXPECT_EQ(Tick().crashed, 0);
  EXPECT_EQ(Get(r1.id).state, kRunning);
  Advance(Duration(1));
  EXPECT_EQ(Tick().crashed, 1);
  const FlowRun crashed = Get(r1.id);
  EXPECT_EQ(crashed.state, kCrashed);
  EXPECT_THAT(crashed.state_message, HasSubstr("worker w1 stopped heartbeating"));
  EXPECT_TRUE(crashed.end_time.has_value());
  EXPECT_EQ(*store_->CountLeases("pool", "dolphin"), 0);
  EXPECT_TRUE(store_->ListLeases()->empty());
  // The next run goes, on another worker.
  auto next = Claim("w2");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].run.id, r2.id);
  // The dead worker, back, is told to kill what it held; its late report is ignored.
  auto kill = engine_->Heartbeat("w1", {"dolphin"}, {r1.id}, Now());
  ASSERT_OK(kill);
  EXPECT_EQ(*kill, std::vector<int64_t>{r1.id});
  EXPECT_THAT(engine_->Finished(r1.id, "w1", 0, Now()),
              StatusHasMessage("CRASHED/Crashed already"));
}

TEST_F(EngineTest, HeartbeatsKeepALongRunAlive) {
  AddDeployment("obf", "poller", "dolphin-obf");
  Start();
  const FlowRun r = Run("obf/poller");
  ASSERT_EQ(Claim("w1", "dolphin-obf").size(), 1u);
  ASSERT_OK(engine_->Started(r.id, "w1", Now()));
  for (int i = 0; i < 6 * 60; ++i) {  // six hours, a heartbeat every 10 s... every minute here
    Advance(seconds(50));
    ASSERT_OK(engine_->Heartbeat("w1", {"dolphin-obf"}, {r.id}, Now()));
    Tick();
  }
  EXPECT_EQ(Get(r.id).state, kRunning);
}

TEST_F(EngineTest, CancelNewCancelsWhenTheDeploymentLimitIsFull) {
  DeploymentOptions& d = AddDeployment("a", "x");
  d.concurrency_limit = 1;
  d.collision_strategy = CollisionStrategy::kCancelNew;
  setup_.pools["dolphin"].concurrency_limit = 5;
  Start();
  const FlowRun r1 = Run("a/x");
  ASSERT_EQ(Claim("w1").size(), 1u);
  const FlowRun r2 = Run("a/x");
  EXPECT_TRUE(Claim("w1").empty());
  const FlowRun cancelled = Get(r2.id);
  EXPECT_EQ(cancelled.state, kCancelled);
  EXPECT_THAT(cancelled.state_message,
              HasSubstr("deployment concurrency limit 1 reached (collision_strategy CANCEL_NEW)"));
  EXPECT_EQ(Get(r1.id).state, kPending);
}

TEST_F(EngineTest, EnqueueWaitsForTheSlot) {
  DeploymentOptions& d = AddDeployment("a", "x");
  d.concurrency_limit = 1;
  setup_.pools["dolphin"].concurrency_limit = 5;
  Start();
  const FlowRun r1 = Run("a/x");
  ASSERT_EQ(Claim("w1").size(), 1u);
  const FlowRun r2 = Run("a/x");
  EXPECT_TRUE(Claim("w1").empty());
  EXPECT_EQ(Get(r2.id).state, kAwaitingConcurrencySlot);
  EXPECT_THAT(Get(r2.id).state_message, HasSubstr("deployment concurrency limit 1 reached"));
  ASSERT_OK(engine_->Started(r1.id, "w1", Now()));
  ASSERT_OK(engine_->Finished(r1.id, "w1", 0, Now()));
  // No 30 s wait (Prefect's slot wait): the next poll takes it.
  auto next = Claim("w1");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].run.id, r2.id);
}

TEST_F(EngineTest, TagLimitsBoundRunsAcrossDeploymentsAndCountRunsAlreadyGoing) {
  AddDeployment("a", "x").tags = {"heavy"};
  AddDeployment("b", "y").tags = {"heavy"};
  setup_.pools["dolphin"].concurrency_limit = 5;
  Start();
  Run("a/x");
  ASSERT_EQ(Claim("w1").size(), 1u);
  // A limit created while one run is going counts it (Prefect #19404).
  ASSERT_OK(engine_->SetTagLimit("heavy", 1));
  const FlowRun r2 = Run("b/y");
  EXPECT_TRUE(Claim("w1").empty());
  EXPECT_THAT(Get(r2.id).state_message, HasSubstr("tag heavy limit 1 reached"));
  ASSERT_OK(engine_->DeleteTagLimit("heavy"));
  EXPECT_EQ(Claim("w1").size(), 1u);
}

TEST_F(EngineTest, RetriesAfterTheirDelay) {
  DeploymentOptions& d = AddDeployment("a", "x");
  d.retries = 2;
  d.retry_delay = seconds(10);
  Start();
  const FlowRun r = Run("a/x");
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto c = Claim("w1");
    ASSERT_EQ(c.size(), 1u) << attempt;
    EXPECT_EQ(c[0].run.run_count, attempt);
    ASSERT_OK(engine_->Started(r.id, "w1", Now()));
    ASSERT_OK(engine_->Finished(r.id, "w1", 3, Now()));
    if (attempt == 3) break;
    const FlowRun waiting = Get(r.id);
    EXPECT_EQ(waiting.state, kAwaitingRetry);
    EXPECT_EQ(waiting.due_at, Now() + seconds(10));
    EXPECT_THAT(waiting.state_message,
                HasSubstr("exit code 3; retry " + std::to_string(attempt) + " of 2"));
    EXPECT_EQ(*store_->CountLeases("pool", "dolphin"), 0);  // the slot returns while waiting
    Advance(seconds(10) - Duration(1));
    EXPECT_TRUE(Claim("w1").empty());
    Advance(Duration(1));
  }
  const FlowRun failed = Get(r.id);
  EXPECT_EQ(failed.state, kFailed);
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.run_count, 3);
  // The whole history: Scheduled, then Pending/Running/AwaitingRetry twice, then the last try.
  EXPECT_EQ(store_->History(r.id)->size(), 1u + 3 + 3 + 3);
}

TEST_F(EngineTest, RetryJitterStaysWithinItsBounds) {
  DeploymentOptions& d = AddDeployment("a", "x");
  d.retries = 100;
  d.retry_delay = seconds(100);
  d.retry_jitter = 0.5;
  setup_.scheduler.seed = 42;
  Start();
  const FlowRun r = Run("a/x");
  bool varied = false;
  Duration first{0};
  for (int i = 0; i < 20; ++i) {
    Advance(seconds(200));
    ASSERT_EQ(Claim("w1").size(), 1u);
    ASSERT_OK(engine_->Finished(r.id, "w1", 1, Now()));
    const Duration delay = Get(r.id).due_at - Now();
    EXPECT_GE(delay, seconds(50));
    EXPECT_LE(delay, seconds(150));
    if (i == 0) first = delay;
    varied = varied || delay != first;
  }
  EXPECT_TRUE(varied);
}

TEST_F(EngineTest, TimedOutRunIsCancellingUntilTheWorkerKillsIt) {
  DeploymentOptions& d = AddDeployment("a", "x");
  d.timeout = seconds(30);
  Start();
  const FlowRun r = Run("a/x");
  ASSERT_EQ(Claim("w1").size(), 1u);
  ASSERT_OK(engine_->Started(r.id, "w1", Now()));
  Advance(seconds(30) - Duration(1));
  EXPECT_EQ(Tick().timed_out, 0);
  Advance(Duration(1));
  EXPECT_EQ(Tick().timed_out, 1);
  EXPECT_EQ(Get(r.id).state, kCancellingTimedOut);
  auto kill = engine_->Heartbeat("w1", {"dolphin"}, {r.id}, Now());
  ASSERT_OK(kill);
  EXPECT_EQ(*kill, std::vector<int64_t>{r.id});
  EXPECT_EQ(*store_->CountLeases("pool", "dolphin"), 1);  // held until the process is gone
  ASSERT_OK(engine_->Finished(r.id, "w1", -9, Now()));
  const FlowRun done = Get(r.id);
  EXPECT_EQ(done.state, kFailedTimedOut);
  EXPECT_THAT(done.state_message, HasSubstr("killed by signal 9"));
  EXPECT_EQ(*store_->CountLeases("pool", "dolphin"), 0);
}

TEST_F(EngineTest, CancelARunningRun) {
  AddDeployment("a", "x");
  Start();
  const FlowRun queued = Run("a/x");
  ASSERT_OK(engine_->Cancel(queued.id, "", Now()));
  EXPECT_EQ(Get(queued.id).state, kCancelled);
  const FlowRun r = Run("a/x");
  ASSERT_EQ(Claim("w1").size(), 1u);
  ASSERT_OK(engine_->Started(r.id, "w1", Now()));
  ASSERT_OK(engine_->Cancel(r.id, "", Now()));
  EXPECT_EQ(Get(r.id).state, kCancelling);
  EXPECT_EQ(*engine_->Heartbeat("w1", {"dolphin"}, {r.id}, Now()), std::vector<int64_t>{r.id});
  ASSERT_OK(engine_->Finished(r.id, "w1", -15, Now()));
  EXPECT_EQ(Get(r.id).state, kCancelled);
  EXPECT_THAT(engine_->Cancel(r.id, "", Now()),
              StatusHasMessage("has finished (CANCELLED/Cancelled)"));
}

TEST_F(EngineTest, IllegalTransitionsAreRefusedAndLogged) {
  AddDeployment("a", "x");
  Start();
  const FlowRun r = Run("a/x");
  ASSERT_EQ(Claim("w1").size(), 1u);
  ASSERT_OK(engine_->Started(r.id, "w1", Now()));
  EXPECT_THAT(
      engine_->Started(r.id, "w1", Now()),
      StatusHasMessage("flow run 1: illegal transition RUNNING/Running -> RUNNING/Running"));
  EXPECT_TRUE(env_.logger.Contains("state change refused"));
}

TEST_F(EngineTest, LookAheadIsBoundedAndNeverDuplicated) {
  AddDeployment("a", "x").schedule = Schedule::Every(minutes(1));
  setup_.scheduler.max_scheduled_runs = 10;
  setup_.scheduler.lookahead = hours(1);
  Start();
  EXPECT_EQ(Tick().created, 10);
  EXPECT_EQ(Tick().created, 0);
  Advance(seconds(61));
  // One fire time passed and is due now; the window has room for one more.
  EXPECT_EQ(Count({StateType::kScheduled}), 10);
  ASSERT_EQ(Claim("w1").size(), 1u);
  EXPECT_EQ(Tick().created, 1);
  EXPECT_EQ(Count({StateType::kScheduled}), 10);
}

TEST_F(EngineTest, CronLookAheadRespectsTheHorizon) {
  AddDeployment("daily-backtest", "daily").schedule = Schedule::Cron(*CronExpr::Parse("0 3 * * *"));
  Start();
  EXPECT_EQ(Tick().created, 0);  // 03:00 is more than an hour away (10:30 now)
  setup_.scheduler.lookahead = hours(24);
  Start();
  EXPECT_EQ(Tick().created, 1);
}

TEST_F(EngineTest, PausedPoolForADayThenResumedRunsNoHerd) {
  DeploymentOptions& d = AddDeployment("a", "x");
  d.schedule = Schedule::Every(minutes(1));
  d.max_lateness = seconds(60);
  Start();
  ASSERT_OK(engine_->SetPoolPaused("dolphin", true, Now()));
  int cancelled = 0;
  for (int i = 0; i < 24 * 60; ++i) {
    Advance(minutes(1));
    cancelled += Tick().cancelled;
    EXPECT_TRUE(Claim("w1").empty());
  }
  // Along the way every run later than max_lateness (and not the newest) was cancelled.
  EXPECT_GT(cancelled, 24 * 60 - 5);
  RunFilter due;
  due.types = {StateType::kScheduled};
  due.due_before = Now();
  EXPECT_LE(store_->ListRuns(due)->size(), 2u);
  ASSERT_OK(engine_->SetPoolPaused("dolphin", false, Now()));
  // One run goes; nothing of the day's backlog is left to follow it.
  auto first = Claim("w1");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_OK(engine_->Started(first[0].run.id, "w1", Now()));
  ASSERT_OK(engine_->Finished(first[0].run.id, "w1", 0, Now()));
  auto second = Claim("w1");
  EXPECT_LE(second.size(), 1u);
  if (!second.empty()) {
    EXPECT_LE(Now() - second[0].run.due_at, seconds(60));
  }
  const auto runs = store_->ListRuns({});
  int with_reason = 0;
  for (const auto& r : *runs) {
    with_reason += r.state == kCancelled &&
                   r.state_message.find("later than max_lateness_s (60 s)") != std::string::npos;
  }
  EXPECT_EQ(with_reason, cancelled);
}

TEST_F(EngineTest, DowntimeKeepsOneCatchUpRunPerDeployment) {
  DeploymentOptions& d = AddDeployment("a", "x");
  d.schedule = Schedule::Every(minutes(1));
  Start();
  EXPECT_EQ(Tick().created, 10);
  // The scheduler is down for two hours: ten runs are overdue when it comes back.
  Advance(hours(2));
  Start();
  ASSERT_OK(engine_->Recover(Now()));
  const TickReport report = Tick();
  EXPECT_EQ(report.cancelled, 9);
  RunFilter due;
  due.types = {StateType::kScheduled};
  due.due_before = Now();
  EXPECT_EQ(store_->ListRuns(due)->size(), 1u);  // the one catch-up (plus none backfilled)
  EXPECT_EQ(Claim("w1").size(), 1u);
}

TEST_F(EngineTest, PausingADeploymentDeletesItsFutureRunsAndResumeSchedulesAgain) {
  AddDeployment("a", "x").schedule = Schedule::Every(minutes(1));
  Start();
  EXPECT_EQ(Tick().created, 10);
  ASSERT_OK(engine_->SetDeploymentPaused("a/x", true, Now()));
  // The run due now stays (past due runs are the no-herd rule's); the nine future ones go.
  EXPECT_EQ(Count({StateType::kScheduled}), 1);
  EXPECT_EQ(Tick().created, 0);
  ASSERT_OK(engine_->SetDeploymentPaused("a/x", false, Now()));
  EXPECT_EQ(Tick().created, 9);
  EXPECT_EQ(Count({StateType::kScheduled}), 10);
  EXPECT_TRUE(store_->GetDeployment("a/x")->options.paused == false);
}

TEST_F(EngineTest, RestartReconcilesRunsByTheirWorkersHeartbeat) {
  AddDeployment("a", "x");
  setup_.pools["dolphin"].concurrency_limit = 3;
  Start();
  const FlowRun gone = Run("a/x");
  const FlowRun alive = Run("a/x");
  const FlowRun fresh = Run("a/x");
  const Timestamp t0 = Now();
  ASSERT_EQ(engine_->Claim("w-gone", {"dolphin"}, Now(), 1)->size(), 1u);
  ASSERT_OK(engine_->Started(gone.id, "w-gone", Now()));  // w-gone never heartbeats again
  Advance(seconds(10));
  ASSERT_EQ(engine_->Claim("w-alive", {"dolphin"}, Now(), 1)->size(), 1u);
  Advance(seconds(50));
  ASSERT_OK(engine_->Heartbeat("w-alive", {"dolphin"}, {alive.id}, Now()).status());  // t0+60
  Advance(seconds(50));
  ASSERT_EQ(engine_->Claim("w-fresh", {"dolphin"}, Now(), 1)->size(), 1u);  // t0+110
  Advance(seconds(1));
  ASSERT_OK(store_->SetMeta("last_tick", Now().UnixNanos()));  // SIGKILLed at t0+111
  Advance(seconds(30));                                        // back at t0+141
  EXPECT_EQ(Now(), t0 + seconds(141));
  Start();
  auto report = engine_->Recover(Now());
  ASSERT_OK(report);
  EXPECT_EQ(report->kept, 1);     // w-fresh: heartbeat 31 s ago
  EXPECT_EQ(report->grace, 1);    // w-alive: alive when the scheduler stopped (t0+60 >= t0+51)
  EXPECT_EQ(report->crashed, 1);  // w-gone: silent since t0, long before the stop
  EXPECT_EQ(Get(gone.id).state, kCrashed);
  EXPECT_THAT(Get(gone.id).state_message,
              HasSubstr("reconciled at scheduler start: worker w-gone"));
  EXPECT_EQ(Get(alive.id).state, kPending);
  EXPECT_EQ(Get(fresh.id).state, kPending);
  // The grace is zombie_after from the restart: w-fresh heartbeats, w-alive does not.
  Advance(seconds(59));
  ASSERT_OK(engine_->Heartbeat("w-fresh", {"dolphin"}, {fresh.id}, Now()).status());
  EXPECT_EQ(Tick().crashed, 0);
  Advance(seconds(1));
  EXPECT_EQ(Tick().crashed, 1);
  EXPECT_EQ(Get(alive.id).state, kCrashed);
  EXPECT_EQ(Get(fresh.id).state, kPending);
  EXPECT_EQ(*store_->CountLeases("pool", "dolphin"), 1);
}

TEST_F(EngineTest, TheBridgeDeploymentSaysWhereTheBridgeRuns) {
  Start();
  EXPECT_THAT(engine_->RunDeployment("scan-bridge-flow/scan-bridge", Json::object(), Now()),
              StatusHasMessage("scan-bridge-flow/scan-bridge is the long-running bridge service, "
                               "not a batch flow"));
  EXPECT_THAT(engine_->RunDeployment("nope/x", Json::object(), Now()),
              StatusHasMessage("unknown deployment \"nope/x\""));
  EXPECT_THAT(engine_->Claim("w1", {"no-pool"}, Now(), 1),
              StatusHasMessage("unknown pool \"no-pool\""));
}

TEST_F(EngineTest, RunParametersOverrideTheDeploymentsAndPoolsShowTheirStatus) {
  AddDeployment("a", "x").parameters = Json{{"days", 30}, {"colour", "BLUE"}};
  Start();
  auto r = engine_->RunDeployment("a/x", Json{{"days", 7}}, Now());
  ASSERT_OK(r);
  EXPECT_EQ(DumpJson(Get(r->id).parameters), R"({"days":7,"colour":"BLUE"})");
  auto before = engine_->PoolStatuses(Now());
  ASSERT_OK(before);
  for (const auto& p : *before) EXPECT_EQ(p.status, "NOT_READY") << p.pool.name;
  ASSERT_EQ(Claim("w1").size(), 1u);
  ASSERT_OK(engine_->SetPoolPaused("dolphin-obf", true, Now()));
  auto after = engine_->PoolStatuses(Now());
  ASSERT_OK(after);
  std::map<std::string, PoolStatus> by_name;
  for (const auto& p : *after) by_name[p.pool.name] = p;
  EXPECT_EQ(by_name["dolphin"].status, "READY");
  EXPECT_EQ(by_name["dolphin"].slots_used, 1);
  EXPECT_EQ(by_name["dolphin"].running, 1);
  EXPECT_EQ(by_name["dolphin-obf"].status, "PAUSED");
  EXPECT_EQ(by_name["dolphin-scan"].status, "NOT_READY");
}

TEST_F(EngineTest, AFlowThatRunsItselfInALoopIsBoundedByThePoolLimit) {
  AddDeployment("loop", "self");
  Start();
  // The incident: a flow that keeps asking for itself. 200 runs asked for, one at a time goes.
  for (int i = 0; i < 200; ++i) Run("loop/self");
  for (int i = 0; i < 20; ++i) {
    auto c = Claim("w1");
    auto c2 = Claim("w2");
    EXPECT_LE(c.size() + c2.size(), 1u);
    EXPECT_LE(*store_->CountLeases("pool", "dolphin"), 1);
    for (const auto& run : c) {
      ASSERT_OK(engine_->Started(run.run.id, "w1", Now()));
      ASSERT_OK(engine_->Finished(run.run.id, "w1", 0, Now()));
    }
    Advance(seconds(1));
  }
}

}  // namespace
}  // namespace dolphin::scheduler
