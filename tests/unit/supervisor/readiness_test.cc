// The supervisor's start order, readiness and liveness (docs/supervisor.md, "Start order",
// "Readiness and liveness") on a simulated clock with a fake probe: a child waits until the
// children it starts after are ready; one that is not ready within ready_timeout, or stops
// answering for watchdog, is SIGKILLed as a group and restarted by its policy; the dependency
// order and its cycles.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>

#include "dolphin/core/logging.h"
#include "dolphin/core/simulated_clock.h"
#include "dolphin/supervisor/supervisor.h"
#include "dolphin/testing/file_system_fakes.h"
#include "dolphin/testing/process_ops_fakes.h"
#include "dolphin/testing/testing.h"

namespace dolphin::supervisor {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeFileSystem;
using testing::FakeProcessOps;

// Answers per service name: OK once told so, else "connection refused". Counts the calls.
class FakeProbe final : public ChildProbe {
 public:
  Status Check(const std::string& name, pid_t pid) override {
    ++calls_[name];
    last_pid_[name] = pid;
    if (ready_[name]) return Status::Ok();
    return UnavailableError("connection refused");
  }
  void SetReady(const std::string& name, bool ready) { ready_[name] = ready; }
  int calls(const std::string& name) { return calls_[name]; }

 private:
  std::map<std::string, bool> ready_;
  std::map<std::string, int> calls_;
  std::map<std::string, pid_t> last_pid_;
};

ChildSpec Probed(const std::string& name, std::vector<std::string> after = {}) {
  ChildSpec s;
  s.name = name;
  s.argv = {"/usr/bin/dolphin", "serve", name};
  s.after = std::move(after);
  s.probe = true;
  return s;
}

class ReadinessTest : public ::testing::Test {
 protected:
  SupervisorOptions Options() {
    SupervisorOptions o;
    o.probe = &probe_;
    return o;
  }
  std::vector<std::string> SpawnedNames() const {
    std::vector<std::string> out;
    for (const auto& s : ops_.spawned()) out.push_back(s.argv.back());
    return out;
  }
  // Advances the clock in probe-sized steps, polling after each.
  void Run(Supervisor& sup, Duration total, Duration step = milliseconds(250)) {
    for (Duration t{}; t < total; t += step) {
      clock_.AdvanceBy(step);
      sup.Poll();
    }
  }
  ChildStatus Row(Supervisor& sup, const std::string& name) { return *sup.Find(name); }

  SimulatedClock clock_;
  FakeFileSystem fs_;
  FakeProcessOps ops_;
  FakeProbe probe_;
  CapturingLogger logger_{clock_};
};

TEST_F(ReadinessTest, ADependentStartsOnlyOnceItsDependenciesAnswerReady) {
  Supervisor sup(
      {Probed("hazelcast"), Probed("bridge", {"hazelcast"}),
       Probed("trader.BLUE", {"hazelcast", "bridge"}), Probed("health", {"hazelcast", "bridge"})},
      ops_, nullptr, clock_, fs_, logger_, Options());
  ASSERT_OK(sup.StartAll());
  EXPECT_EQ(SpawnedNames(), (std::vector<std::string>{"hazelcast"}));
  EXPECT_EQ(Row(sup, "hazelcast").readiness, "starting");
  EXPECT_EQ(Row(sup, "hazelcast").state_text, "starting");
  EXPECT_EQ(Row(sup, "bridge").readiness, "waiting for hazelcast");
  EXPECT_EQ(Row(sup, "bridge").state_text, "waiting for hazelcast");
  EXPECT_EQ(Row(sup, "trader.BLUE").readiness, "waiting for hazelcast, bridge");
  EXPECT_EQ(Row(sup, "bridge").after, (std::vector<std::string>{"hazelcast"}));

  Run(sup, seconds(3));  // the member takes its time
  EXPECT_EQ(SpawnedNames().size(), 1u);
  EXPECT_GT(probe_.calls("hazelcast"), 3);

  probe_.SetReady("hazelcast", true);
  Run(sup, milliseconds(250));
  EXPECT_EQ(Row(sup, "hazelcast").readiness, "ready");
  EXPECT_EQ(Row(sup, "hazelcast").state_text, "running");
  ASSERT_TRUE(Row(sup, "hazelcast").ready_at.has_value());
  EXPECT_EQ(SpawnedNames(), (std::vector<std::string>{"hazelcast", "bridge"}));
  EXPECT_LE(*Row(sup, "hazelcast").ready_at, *Row(sup, "bridge").started_at);
  EXPECT_TRUE(logger_.Contains("ready"));

  probe_.SetReady("bridge", true);
  Run(sup, milliseconds(500));
  EXPECT_EQ(SpawnedNames(),
            (std::vector<std::string>{"hazelcast", "bridge", "trader.BLUE", "health"}));
  EXPECT_EQ(Row(sup, "trader.BLUE").readiness, "starting");
}

TEST_F(ReadinessTest, AWaitBeyondTheReadyTimeoutIsReportedOnceInOneLine) {
  ChildSpec bridge = Probed("bridge", {"hazelcast"});
  bridge.options.ready_timeout = seconds(10);
  ChildSpec member = Probed("hazelcast");
  member.options.ready_timeout = seconds(60);
  Supervisor sup({member, bridge}, ops_, nullptr, clock_, fs_, logger_, Options());
  ASSERT_OK(sup.StartAll());
  Run(sup, seconds(12));
  int lines = 0;
  for (const std::string& l : logger_.Lines()) {
    if (l.find("bridge not started: hazelcast not ready after 10 s") != std::string::npos) ++lines;
  }
  EXPECT_EQ(lines, 1);
  EXPECT_EQ(Row(sup, "bridge").state_text, "waiting for hazelcast");
  EXPECT_EQ(SpawnedNames().size(), 1u);
}

TEST_F(ReadinessTest, NotReadyWithinTheReadyTimeoutIsKilledAndRestartedByItsPolicy) {
  ChildSpec bridge = Probed("bridge");
  bridge.options.ready_timeout = seconds(10);
  bridge.options.restart_sec = seconds(1);
  Supervisor sup({bridge}, ops_, nullptr, clock_, fs_, logger_, Options());
  ASSERT_OK(sup.StartAll());
  Run(sup, seconds(9));
  EXPECT_TRUE(ops_.AliveForTest(1000));
  Run(sup, seconds(1) + milliseconds(250));
  EXPECT_FALSE(ops_.AliveForTest(1000));
  bool group_killed = false;
  for (const auto& s : ops_.signals()) group_killed |= s.target == -1000 && s.sig == SIGKILL;
  EXPECT_TRUE(group_killed);
  sup.Poll();
  ChildStatus row = Row(sup, "bridge");
  EXPECT_EQ(row.last_exit, "signal 9 (SIGKILL): not ready within 10 s (connection refused)");
  EXPECT_EQ(row.state, ServiceState::kRestartPending);
  EXPECT_TRUE(
      logger_.Contains("bridge not ready within 10 s (connection refused): killing its group"));
  Run(sup, seconds(1) + milliseconds(250));
  EXPECT_EQ(ops_.spawned().size(), 2u);
  EXPECT_EQ(Row(sup, "bridge").readiness, "starting");
}

TEST_F(ReadinessTest, AChildThatStopsAnsweringIsUnresponsiveThenKilledAndRestarted) {
  ChildSpec bridge = Probed("bridge");
  bridge.options.watchdog = seconds(3);
  bridge.options.restart_sec = seconds(1);
  Supervisor sup({bridge}, ops_, nullptr, clock_, fs_, logger_, Options());
  probe_.SetReady("bridge", true);
  ASSERT_OK(sup.StartAll());
  Run(sup, seconds(2));
  EXPECT_EQ(Row(sup, "bridge").readiness, "ready");
  probe_.SetReady("bridge", false);  // e.g. SIGSTOPped: its API no longer answers
  Run(sup, seconds(1), seconds(1));
  EXPECT_EQ(Row(sup, "bridge").readiness.rfind("unresponsive", 0), 0u)
      << Row(sup, "bridge").readiness;
  EXPECT_TRUE(ops_.AliveForTest(1000));
  Run(sup, seconds(3), seconds(1));
  EXPECT_FALSE(ops_.AliveForTest(1000));
  sup.Poll();
  const ChildStatus row = Row(sup, "bridge");
  EXPECT_EQ(row.last_exit.rfind("signal 9 (SIGKILL): unresponsive for ", 0), 0u) << row.last_exit;
  EXPECT_EQ(row.restarts, 0);
  EXPECT_TRUE(logger_.Contains("bridge unresponsive for "));
  probe_.SetReady("bridge", true);
  Run(sup, seconds(2));
  EXPECT_EQ(ops_.spawned().size(), 2u);
  EXPECT_EQ(Row(sup, "bridge").readiness, "ready");
  EXPECT_EQ(Row(sup, "bridge").restarts, 1);
}

TEST_F(ReadinessTest, WithoutAProbeAChildIsReadyOnceSpawned) {
  ChildSpec sleeper = Probed("sleeper");
  sleeper.probe = false;
  Supervisor sup({sleeper, Probed("bridge", {"sleeper"})}, ops_, nullptr, clock_, fs_, logger_,
                 Options());
  ASSERT_OK(sup.StartAll());
  EXPECT_EQ(Row(sup, "sleeper").readiness, "ready");
  EXPECT_EQ(SpawnedNames().size(), 2u);
  EXPECT_EQ(probe_.calls("sleeper"), 0);
}

TEST(OrderByDependencies, PutsEveryNameAfterItsDependencies) {
  auto order = OrderByDependencies({"trader.BLUE", "sleeper", "bridge", "hazelcast", "health"},
                                   {{"trader.BLUE", {"hazelcast", "bridge"}},
                                    {"bridge", {"hazelcast"}},
                                    {"health", {"bridge", "not-run"}}});
  ASSERT_OK(order.status());
  EXPECT_EQ(*order,
            (std::vector<std::string>{"hazelcast", "bridge", "trader.BLUE", "sleeper", "health"}));
}

TEST(OrderByDependencies, ACycleIsOneLineNamingIt) {
  auto order =
      OrderByDependencies({"bridge", "health", "safety"},
                          {{"bridge", {"safety"}}, {"health", {"bridge"}}, {"safety", {"health"}}});
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(order.status().message(), "dependency cycle: bridge -> safety -> health -> bridge");
}

}  // namespace
}  // namespace dolphin::supervisor
