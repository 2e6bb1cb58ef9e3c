#include "dolphin/runtime/runner.h"

#include <algorithm>
#include <thread>

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/runtime/heartbeat.h"
#include "dolphin/testing/kv_bus_fakes.h"
#include "dolphin/testing/testing.h"

namespace dolphin::runtime {
namespace {

using namespace std::chrono_literals;

class FakeService final : public Service {
 public:
  FakeService(std::string name, std::vector<std::string>* log, bool fail = false)
      : name_(std::move(name)), log_(log), fail_(fail) {}
  std::string name() const override { return name_; }
  Status Start() override {
    log_->push_back("start " + name_);
    if (fail_next_start.exchange(false)) return UnavailableError("no disk");
    return fail_ ? UnavailableError("no disk") : Status::Ok();
  }
  void Stop() override { log_->push_back("stop " + name_); }
  ServiceHealth Health() const override { return {status, "detail of " + name_}; }
  ServiceLiveness Liveness() const override {
    if (loop_returned) return {false, "run loop returned: test"};
    return {};
  }
  Json StatusJson() const override { return Json::object(); }
  void OnHeartbeat() override { ++beats; }
  std::atomic<int> beats{0};
  contract::HeartbeatStatus status = contract::HeartbeatStatus::kOk;
  std::atomic<bool> loop_returned{false};
  std::atomic<bool> fail_next_start{false};

 private:
  std::string name_;
  std::vector<std::string>* log_;
  bool fail_;
};

// Records every notification (the Runner's thread writes, the test reads after a clock sync).
class FakeNotifier final : public ProcessNotifier {
 public:
  explicit FakeNotifier(std::optional<Duration> watchdog = std::nullopt) : watchdog_(watchdog) {}
  std::optional<Duration> WatchdogTimeout() const override { return watchdog_; }
  Status Notify(std::string_view assignments) override {
    std::lock_guard lock(mu_);
    sent_.emplace_back(assignments);
    return fail ? UnavailableError("notify socket gone") : Status::Ok();
  }
  std::vector<std::string> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  int Count(std::string_view needle) const {
    int n = 0;
    for (const auto& m : sent()) n += m.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
  std::string Last() const {
    auto s = sent();
    return s.empty() ? "" : s.back();
  }
  std::atomic<bool> fail{false};

 private:
  std::optional<Duration> watchdog_;
  mutable std::mutex mu_;
  std::vector<std::string> sent_;
};

class RunnerTest : public ::testing::Test {
 protected:
  testing::TestEnv t_;
  std::unique_ptr<bus::KvBus> bus_ = bus::NewInMemoryBus();
  std::vector<std::string> log_;
};

TEST_F(RunnerTest, PublishesHeartbeatsEveryIntervalUntilCancelled) {
  RunnerOptions o;
  o.heartbeat_interval = 5s;
  Runner runner(t_.env, *bus_, o);
  auto svc = std::make_unique<FakeService>("bridge", &log_);
  FakeService* bridge = svc.get();
  runner.Add(std::move(svc));
  CancelToken cancel;
  Status result;
  std::thread th([&] { result = runner.Run(cancel); });  // determinism-ok: the daemon thread
  t_.clock.BlockUntilWaitCalls(1);
  EXPECT_EQ(runner.heartbeats_published(), 2u);  // run + bridge, at start
  auto hb = bus_->Get(kHeartbeatMap, "run");
  ASSERT_OK(hb);
  ASSERT_TRUE(hb->has_value());
  Json j = Json::parse(**hb);
  EXPECT_EQ(j["service"], "run");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["ts"], FormatRfc3339(t_.clock.Now()));
  EXPECT_GT(j["pid"].get<int64_t>(), 0);
  EXPECT_FALSE(j["host"].get<std::string>().empty());
  EXPECT_EQ(Json::parse(**bus_->Get(kHeartbeatMap, "bridge"))["detail"], "detail of bridge");

  bridge->status = contract::HeartbeatStatus::kStalled;
  t_.clock.AdvanceBy(4999ms);
  EXPECT_EQ(runner.heartbeats_published(), 2u);  // Not yet.
  t_.clock.AdvanceBy(1ms);
  t_.clock.BlockUntilWaitCalls(2);
  EXPECT_EQ(runner.heartbeats_published(), 4u);
  // The process heartbeat carries the worst service status.
  EXPECT_EQ(Json::parse(**bus_->Get(kHeartbeatMap, "run"))["status"], "stalled");
  EXPECT_EQ(Json::parse(**bus_->Get(kHeartbeatMap, "bridge"))["status"], "stalled");
  cancel.Cancel();
  th.join();
  EXPECT_OK(result);
  EXPECT_EQ(log_, (std::vector<std::string>{"start bridge", "stop bridge"}));
  EXPECT_TRUE(t_.logger.Contains("reason=signal"));
  EXPECT_TRUE(t_.logger.Contains("status up="));
}

TEST_F(RunnerTest, CallsOnHeartbeatOfStartedServicesEveryInterval) {
  RunnerOptions o;
  o.heartbeat_interval = 5s;
  Runner runner(t_.env, *bus_, o);
  auto svc = std::make_unique<FakeService>("trader.BLUE", &log_);
  FakeService* trader = svc.get();
  runner.Add(std::move(svc));
  CancelToken cancel;
  std::thread th([&] { EXPECT_OK(runner.Run(cancel)); });  // determinism-ok: the daemon thread
  t_.clock.BlockUntilWaitCalls(1);
  EXPECT_EQ(trader->beats.load(), 1);  // the beat at start
  t_.clock.AdvanceBy(5s);
  t_.clock.BlockUntilWaitCalls(2);
  EXPECT_EQ(trader->beats.load(), 2);
  cancel.Cancel();
  th.join();
}

TEST_F(RunnerTest, StopsAfterDuration) {
  RunnerOptions o;
  o.heartbeat_interval = 5s;
  o.duration = 12s;
  Runner runner(t_.env, *bus_, o);
  CancelToken cancel;
  std::thread th([&] { EXPECT_OK(runner.Run(cancel)); });  // determinism-ok: daemon thread
  for (int i = 1; i <= 3; ++i) {
    t_.clock.BlockUntilWaitCalls(i);
    t_.clock.AdvanceBy(5s);
  }
  th.join();
  EXPECT_EQ(runner.heartbeats_published(), 3u);  // at 0, 5, 10; stopped at 12
  EXPECT_TRUE(t_.logger.Contains("reason=duration"));
}

TEST_F(RunnerTest, StartFailureStopsEarlierServicesInReverseOrder) {
  Runner runner(t_.env, *bus_, {});
  runner.Add(std::make_unique<FakeService>("a", &log_));
  runner.Add(std::make_unique<FakeService>("b", &log_));
  runner.Add(std::make_unique<FakeService>("c", &log_, /*fail=*/true));
  runner.Add(std::make_unique<FakeService>("d", &log_));
  CancelToken cancel;
  Status st = runner.Run(cancel);
  EXPECT_THAT(st, testing::StatusHasMessage("cannot start c: no disk"));
  EXPECT_EQ(log_, (std::vector<std::string>{"start a", "start b", "start c", "stop b", "stop a"}));
}

// The 10 ms / 35 ms run, driven by the simulated clock: beats at 0, 10, 20 and 30 ms.
TEST_F(RunnerTest, PublishesEveryShortIntervalUntilTheDuration) {
  RunnerOptions o;
  o.heartbeat_interval = 10ms;
  o.duration = 35ms;
  Runner runner(t_.env, *bus_, o);
  CancelToken cancel;
  Status result;
  std::thread th([&] { result = runner.Run(cancel); });  // determinism-ok: the daemon thread
  for (int i = 1; i <= 4; ++i) {
    t_.clock.BlockUntilWaitCalls(i);
    t_.clock.AdvanceBy(10ms);
  }
  th.join();
  EXPECT_OK(result);
  EXPECT_GE(runner.heartbeats_published(), 3u);
  EXPECT_EQ(runner.heartbeats_published(), 4u);
  EXPECT_TRUE(t_.logger.Contains("reason=duration"));
}

// The same loop on the real clock ends by itself (STYLE F: both clocks; exact timing only on
// the simulated one). Only what does not depend on the machine's speed is asserted.
TEST_F(RunnerTest, RunsOnTheSystemClockToo) {
  SystemClock clock;
  NullLogger logger;
  RunnerOptions o;
  o.heartbeat_interval = 10ms;
  o.duration = 35ms;
  Runner runner(Env{clock, logger, FileSystem::Default(), t_.random, ThreadFactory::Default()},
                *bus_, o);
  CancelToken cancel;
  EXPECT_OK(runner.Run(cancel));
  EXPECT_GE(runner.heartbeats_published(), 1u);  // the start beat
}

// The process heartbeat carries the most severe status, not the last non-ok one.
TEST_F(RunnerTest, ProcessHeartbeatCarriesTheMostSevereStatusWhateverTheOrder) {
  using contract::HeartbeatStatus;
  for (auto order :
       {std::vector{HeartbeatStatus::kDegraded, HeartbeatStatus::kStalled,
                    HeartbeatStatus::kDegraded},
        std::vector{HeartbeatStatus::kStalled, HeartbeatStatus::kDegraded, HeartbeatStatus::kOk},
        std::vector{HeartbeatStatus::kOk, HeartbeatStatus::kDegraded, HeartbeatStatus::kOk}}) {
    testing::TestEnv t;  // its own clock: BlockUntilWaitCalls counts every wait in total
    auto bus = bus::NewInMemoryBus();
    RunnerOptions o;
    o.heartbeat_interval = 5s;
    Runner runner(t.env, *bus, o);
    for (size_t i = 0; i < order.size(); ++i) {
      auto svc = std::make_unique<FakeService>("svc" + std::to_string(i), &log_);
      svc->status = order[i];
      runner.Add(std::move(svc));
    }
    CancelToken cancel;
    Status result;
    std::thread th([&] { result = runner.Run(cancel); });  // determinism-ok: the daemon thread
    t.clock.BlockUntilWaitCalls(1);
    const HeartbeatStatus worst = *std::max_element(order.begin(), order.end());
    EXPECT_EQ(Json::parse(**bus->Get(kHeartbeatMap, "run"))["status"],
              contract::HeartbeatStatusName(worst));
    cancel.Cancel();
    th.join();
    EXPECT_OK(result);
  }
}

// Health asks the Runner to restart one service whose loop returned: only that one is stopped
// and started again, the others keep running, and the state shows the restart.
TEST_F(RunnerTest, RestartsOneServiceWithoutStoppingTheOthers) {
  RunnerOptions o;
  o.heartbeat_interval = 5s;
  Runner runner(t_.env, *bus_, o);
  auto a = std::make_unique<FakeService>("trader.BLUE", &log_);
  auto b = std::make_unique<FakeService>("bridge", &log_);
  FakeService* bridge = b.get();
  runner.Add(std::move(a));
  runner.Add(std::move(b));
  EXPECT_EQ(runner.RestartService("bridge").code(),
            StatusCode::kFailedPrecondition);  // not running
  auto before = runner.States();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_FALSE(before[1].started);
  EXPECT_FALSE(before[1].liveness.running);
  CancelToken cancel;
  std::thread th([&] { (void)runner.Run(cancel); });  // determinism-ok: the daemon thread
  t_.clock.BlockUntilWaitCalls(1);
  bridge->loop_returned = true;
  auto states = runner.States();
  EXPECT_TRUE(states[0].liveness.running);
  EXPECT_FALSE(states[1].liveness.running);
  EXPECT_EQ(states[1].liveness.detail, "run loop returned: test");
  bridge->loop_returned = false;
  ASSERT_OK(runner.RestartService("bridge"));
  EXPECT_EQ(runner.RestartService("sim").code(), StatusCode::kNotFound);
  states = runner.States();
  EXPECT_TRUE(states[1].started);
  EXPECT_EQ(states[1].restarts, 1);
  EXPECT_EQ(states[0].restarts, 0);
  EXPECT_EQ(log_, (std::vector<std::string>{"start trader.BLUE", "start bridge", "stop bridge",
                                            "start bridge"}));
  cancel.Cancel();
  th.join();
  EXPECT_EQ(log_.back(), "stop trader.BLUE");
  EXPECT_EQ(runner.RestartService("bridge").code(), StatusCode::kFailedPrecondition);
}

TEST_F(RunnerTest, FailedRestartLeavesTheServiceStoppedAndIsNotStoppedAgain) {
  RunnerOptions o;
  Runner runner(t_.env, *bus_, o);
  auto b = std::make_unique<FakeService>("bridge", &log_);
  FakeService* bridge = b.get();
  runner.Add(std::move(b));
  CancelToken cancel;
  std::thread th([&] { (void)runner.Run(cancel); });  // determinism-ok: the daemon thread
  t_.clock.BlockUntilWaitCalls(1);
  bridge->fail_next_start = true;
  EXPECT_THAT(runner.RestartService("bridge"), testing::StatusHasMessage("cannot restart bridge"));
  EXPECT_FALSE(runner.States()[0].started);
  cancel.Cancel();
  th.join();
  EXPECT_EQ(std::count(log_.begin(), log_.end(), "stop bridge"), 1);
}

TEST(NoProgressReasonTest, EveryServiceStartedRunningAndNotStalledIsProgress) {
  using contract::HeartbeatStatus;
  RunnerServiceState ok{"trader.BLUE", true, {}, {HeartbeatStatus::kOk, "fine"}, 0};
  RunnerServiceState degraded{
      "bridge", true, {}, {HeartbeatStatus::kDegraded, "bus put failing"}, 0};
  EXPECT_EQ(NoProgressReason({}), std::nullopt);
  EXPECT_EQ(NoProgressReason({ok, degraded}), std::nullopt);  // retrying is progress
  RunnerServiceState stalled{
      "bridge", true, {}, {HeartbeatStatus::kStalled, "1 file read(s) hung"}, 0};
  EXPECT_EQ(NoProgressReason({ok, stalled}), "bridge: stalled: 1 file read(s) hung");
  RunnerServiceState returned{"bridge", true, {false, "run loop returned: inotify"}, {}, 0};
  EXPECT_EQ(NoProgressReason({returned, stalled}),
            "bridge: not running (run loop returned: inotify)");
  RunnerServiceState stopped{"sim", false, {false, "not started"}, {}, 0};
  EXPECT_EQ(NoProgressReason({ok, stopped}), "sim: not started");
  EXPECT_EQ(WatchdogPingPeriod(std::chrono::seconds(10)), std::chrono::seconds(5));
}

// READY=1 with the status line once every service started, STOPPING=1 on the way out, and no
// watchdog ping nor extra wake-up when the service manager armed no watchdog.
TEST_F(RunnerTest, NotifiesReadyWithStatusThenStoppingAndNoWatchdogWhenNoneIsArmed) {
  RunnerOptions o;
  o.heartbeat_interval = 5s;
  FakeNotifier notifier;
  Runner runner(t_.env, *bus_, o, &notifier);
  runner.Add(std::make_unique<FakeService>("trader.BLUE", &log_));
  runner.Add(std::make_unique<FakeService>("bridge", &log_));
  CancelToken cancel;
  std::thread th([&] { EXPECT_OK(runner.Run(cancel)); });  // determinism-ok: the daemon thread
  t_.clock.BlockUntilWaitCalls(1);
  ASSERT_EQ(notifier.sent().size(), 1u);
  EXPECT_EQ(notifier.sent()[0], "READY=1\nSTATUS=ok: trader.BLUE ok, bridge ok");
  t_.clock.AdvanceBy(5s);
  t_.clock.BlockUntilWaitCalls(2);        // one wait per beat: no watchdog wake-ups
  EXPECT_EQ(notifier.sent().size(), 1u);  // the same line is not sent again
  cancel.Cancel();
  th.join();
  EXPECT_EQ(notifier.Last(), "STOPPING=1\nSTATUS=stopping");
  EXPECT_EQ(notifier.Count("WATCHDOG"), 0);
  EXPECT_EQ(runner.watchdog_pings(), 0u);
}

// Nothing is sent before every service started: a start failure never says READY=1.
TEST_F(RunnerTest, StartFailureNeverNotifiesReady) {
  FakeNotifier notifier(10s);
  Runner runner(t_.env, *bus_, {}, &notifier);
  runner.Add(std::make_unique<FakeService>("a", &log_, /*fail=*/true));
  CancelToken cancel;
  EXPECT_FALSE(runner.Run(cancel).ok());
  EXPECT_TRUE(notifier.sent().empty());
}

// WATCHDOG=1 every half timeout (1 s for WATCHDOG_USEC = 2 s) while every service makes progress;
// a stalled service withholds the pings (the service manager then kills the process), STATUS
// says why, and the pings resume once it progresses again.
TEST_F(RunnerTest, PingsTheWatchdogAtHalfTheTimeoutOnlyWhileMakingProgress) {
  RunnerOptions o;
  o.heartbeat_interval = 5s;
  FakeNotifier notifier(2s);
  Runner runner(t_.env, *bus_, o, &notifier);
  auto b = std::make_unique<FakeService>("bridge", &log_);
  FakeService* bridge = b.get();
  runner.Add(std::move(b));
  CancelToken cancel;
  std::thread th([&] { EXPECT_OK(runner.Run(cancel)); });  // determinism-ok: the daemon thread
  int waits = 1;
  t_.clock.BlockUntilWaitCalls(waits);
  EXPECT_EQ(notifier.sent()[0], "READY=1\nSTATUS=ok: bridge ok");
  EXPECT_EQ(runner.watchdog_pings(), 1u);  // right after READY
  for (int s = 1; s <= 6; ++s) {
    t_.clock.AdvanceBy(999ms);
    EXPECT_EQ(runner.watchdog_pings(), static_cast<uint64_t>(s))
        << "not before the period, at " << s;
    t_.clock.AdvanceBy(1ms);
    t_.clock.BlockUntilWaitCalls(++waits);
    EXPECT_EQ(runner.watchdog_pings(), static_cast<uint64_t>(s + 1)) << "at " << s << " s";
  }
  EXPECT_EQ(runner.heartbeats_published(), 4u);  // beats at 0 and 5 s: the pings run beside them
  // The bridge's read hangs: no ping from the next tick on, for as long as it lasts.
  bridge->status = contract::HeartbeatStatus::kStalled;
  for (int s = 0; s < 5; ++s) {
    t_.clock.AdvanceBy(1s);
    t_.clock.BlockUntilWaitCalls(++waits);
  }
  EXPECT_EQ(runner.watchdog_pings(), 7u);
  EXPECT_EQ(runner.watchdog_pings_withheld(), 5u);
  EXPECT_THAT(
      notifier.sent(),
      ::testing::Contains(
          "STATUS=stalled: bridge stalled (detail of bridge); no progress, watchdog pings withheld"));
  EXPECT_TRUE(t_.logger.Contains("reason=\"bridge: stalled: detail of bridge\""));
  // Progress again: the pings resume at the next tick.
  bridge->status = contract::HeartbeatStatus::kOk;
  t_.clock.AdvanceBy(1s);
  t_.clock.BlockUntilWaitCalls(++waits);
  EXPECT_EQ(runner.watchdog_pings(), 8u);
  EXPECT_EQ(notifier.Last(), "STATUS=ok: bridge ok");
  EXPECT_TRUE(t_.logger.Contains("watchdog pings resumed"));
  // A loop that returned is no progress either.
  bridge->loop_returned = true;
  t_.clock.AdvanceBy(1s);
  t_.clock.BlockUntilWaitCalls(++waits);
  EXPECT_EQ(runner.watchdog_pings(), 8u);
  EXPECT_THAT(notifier.Last(), ::testing::HasSubstr("bridge not running"));
  cancel.Cancel();
  th.join();
  EXPECT_EQ(notifier.Last(), "STOPPING=1\nSTATUS=stopping");
}

// A bus outage: the heartbeat puts are skipped (a put would wait for the connection and hold the
// loop), the watchdog pings go on, and the heartbeats come back with the connection.
TEST_F(RunnerTest, SkipsHeartbeatsWhileTheBusIsDisconnectedAndKeepsPinging) {
  RunnerOptions o;
  o.heartbeat_interval = 2s;
  testing::FakeKvBus bus;
  FakeNotifier notifier(2s);
  Runner runner(t_.env, bus, o, &notifier);
  runner.Add(std::make_unique<FakeService>("bridge", &log_));
  CancelToken cancel;
  std::thread th([&] { EXPECT_OK(runner.Run(cancel)); });  // determinism-ok: the daemon thread
  int waits = 1;
  t_.clock.BlockUntilWaitCalls(waits);
  ASSERT_TRUE(bus.HasConnectionListener());
  EXPECT_EQ(runner.heartbeats_published(), 2u);
  bus.FireConnectionEvent(bus::ConnectionEvent::kDisconnected);
  const int64_t puts = bus.puts();
  for (int i = 0; i < 4; ++i) {  // 4 s: two beats, four pings
    t_.clock.AdvanceBy(1s);
    t_.clock.BlockUntilWaitCalls(++waits);
  }
  EXPECT_EQ(bus.puts(), puts);
  EXPECT_EQ(runner.heartbeats_skipped(), 4u);  // 2 beats x (bridge + run)
  EXPECT_EQ(runner.watchdog_pings(), 5u);
  EXPECT_TRUE(t_.logger.Contains("bus disconnected: heartbeats skipped"));
  bus.FireConnectionEvent(bus::ConnectionEvent::kReconnected);
  for (int i = 0; i < 2; ++i) {
    t_.clock.AdvanceBy(1s);
    t_.clock.BlockUntilWaitCalls(++waits);
  }
  EXPECT_EQ(runner.heartbeats_published(), 4u);
  cancel.Cancel();
  th.join();
  EXPECT_FALSE(bus.HasConnectionListener());
}

// A notify socket that fails is logged (first failure), never fatal.
TEST_F(RunnerTest, NotificationFailuresAreLoggedAndTheRunGoesOn) {
  RunnerOptions o;
  o.heartbeat_interval = 5s;
  o.duration = 10s;
  FakeNotifier notifier(4s);
  notifier.fail = true;
  Runner runner(t_.env, *bus_, o, &notifier);
  runner.Add(std::make_unique<FakeService>("bridge", &log_));
  CancelToken cancel;
  std::thread th([&] { EXPECT_OK(runner.Run(cancel)); });  // determinism-ok: the daemon thread
  for (int i = 1; i <= 5; ++i) {
    t_.clock.BlockUntilWaitCalls(i);
    t_.clock.AdvanceBy(2s);
  }
  th.join();
  EXPECT_TRUE(t_.logger.Contains("service manager notification not sent"));
  EXPECT_TRUE(t_.logger.Contains("failures=1"));
  EXPECT_EQ(runner.heartbeats_published(), 4u);
  EXPECT_TRUE(t_.logger.Contains("reason=duration"));
}

}  // namespace
}  // namespace dolphin::runtime
