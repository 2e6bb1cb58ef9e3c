#include "dolphin/health/health_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/heartbeat.h"
#include "dolphin/contract/meta_health.h"
#include "dolphin/contract/names.h"
#include "dolphin/testing/testing.h"

namespace dolphin::health {
namespace {

using contract::HealthStatus;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

class FakeProcesses final : public ProcessProbe {
 public:
  std::map<std::string, ProcessState> Probe(const std::vector<std::string>& services) override {
    std::map<std::string, ProcessState> out;
    for (const auto& s : services) {
      auto it = states.find(s);
      out[s] = it != states.end() ? it->second : ProcessState{};
    }
    return out;
  }
  std::map<std::string, contract::PoolHealth> ProbePools() override { return pools; }
  std::map<std::string, ProcessState> states;
  std::map<std::string, contract::PoolHealth> pools;
};

class FakePorts final : public PortProbe {
 public:
  Status Check(const std::string& host, uint16_t port, Duration) override {
    ++checks;
    if (down.count(port) > 0) return UnavailableError("connection refused");
    (void)host;
    return Status::Ok();
  }
  std::set<uint16_t> down;
  int checks = 0;
};

class FakeActions final : public RecoveryActions {
 public:
  Status RestartService(const std::string& s) override {
    restarted.push_back(s);
    return restart_result;
  }
  bool CanRestartControlPlane() const override { return control_plane; }
  Status RestartControlPlane() override {
    ++control_plane_restarts;
    return Status::Ok();
  }
  bool HasRecoveryRuns() const override { return recovery_runs; }
  Status TriggerRecoveryRuns() override {
    ++recovery_triggers;
    return Status::Ok();
  }
  std::vector<std::string> restarted;
  Status restart_result;
  bool control_plane = false;
  int control_plane_restarts = 0;
  bool recovery_runs = false;
  int recovery_triggers = 0;
};

// A bus whose reads fail while `down` is set (the member is gone).
class FlakyBus final : public bus::KvBus {
 public:
  Status Put(std::string_view m, std::string_view k, std::string_view v) override {
    if (down) return UnavailableError("member gone");
    return inner_->Put(m, k, v);
  }
  Result<std::optional<std::string>> Get(std::string_view m, std::string_view k) override {
    if (down) return UnavailableError("member gone");
    return inner_->Get(m, k);
  }
  Result<bool> Remove(std::string_view m, std::string_view k) override {
    return inner_->Remove(m, k);
  }
  Result<std::vector<std::string>> Keys(std::string_view m) override { return inner_->Keys(m); }
  Result<bus::ListenerId> AddKeyListener(std::string_view m, std::string_view k,
                                         bus::ListenerCallback cb,
                                         bus::ListenerOptions o) override {
    return inner_->AddKeyListener(m, k, std::move(cb), std::move(o));
  }
  Result<bus::ListenerId> AddMapListener(std::string_view m, bus::ListenerCallback cb,
                                         bus::ListenerOptions o) override {
    return inner_->AddMapListener(m, std::move(cb), std::move(o));
  }
  Status RemoveListener(bus::ListenerId id) override { return inner_->RemoveListener(id); }
  Result<bus::ListenerStats> GetListenerStats(bus::ListenerId id) override {
    return inner_->GetListenerStats(id);
  }
  Result<std::vector<std::string>> Maps() override { return inner_->Maps(); }
  std::string Describe() const override { return "flaky"; }
  bool down = false;

 private:
  std::unique_ptr<bus::KvBus> inner_ = bus::NewInMemoryBus();
};

class HealthServiceTest : public ::testing::Test {
 protected:
  HealthServiceTest() {
    opts_.critical = {"bridge"};
    opts_.sources = SourceSpecs({"scan"}, {});
    opts_.ports = {{"api 127.0.0.1:4200", "127.0.0.1", 4200, false},
                   {"bus 127.0.0.1:5701", "127.0.0.1", 5701, true}};
    opts_.run_logs_dir = t_.dir.path() / "run_logs";
    procs_.states["bridge"] = ProcessState{true, 42, 0, false, false, "thread alive"};
  }
  void Make() {
    svc_ = std::make_unique<HealthService>(t_.env, bus_, opts_, procs_, ports_, actions_);
  }
  // Fresh heartbeat and scan, as a healthy system writes them every cycle.
  void FeedHealthy(int64_t scan_number) {
    contract::Heartbeat b{"bridge", 1, "h", t_.clock.Now(), contract::HeartbeatStatus::kOk, ""};
    ASSERT_OK(bus_.Put(contract::kHeartbeatMap, "bridge", contract::EncodeHeartbeat(b)));
    FeedScan(scan_number, t_.clock.Now());
  }
  void FeedScan(int64_t scan_number, Timestamp ts, int64_t epoch = 1) {
    Json j = {{"scan_number", scan_number},
              {"timestamp", FormatRfc3339(ts)},
              {"bridge_ts", FormatRfc3339(t_.clock.Now())},
              {"epoch", epoch},
              {"asset_prices", {{"BTCUSDT", 50000.0}}}};
    ASSERT_OK(bus_.Put(contract::kFeaturesMap, contract::kScanKey, j.dump()));
  }
  void FeedHeartbeatOnly() {
    contract::Heartbeat b{"bridge", 1, "h", t_.clock.Now(), contract::HeartbeatStatus::kOk, ""};
    ASSERT_OK(bus_.Put(contract::kHeartbeatMap, "bridge", contract::EncodeHeartbeat(b)));
  }
  // One health cycle, then 5 s of time.
  contract::MetaHealth Cycle() {
    auto r = svc_->RunCycle();
    t_.clock.AdvanceBy(seconds(5));
    return r;
  }
  std::string ReadFile(const std::filesystem::path& p) {
    return t_.env.fs.ReadFile(p).value_or("");
  }

  testing::TestEnv t_;
  FlakyBus bus_;
  FakeProcesses procs_;
  FakePorts ports_;
  FakeActions actions_;
  HealthServiceOptions opts_;
  std::unique_ptr<HealthService> svc_;
};

TEST_F(HealthServiceTest, HealthySystemIsGreenAndPublishedEverywhere) {
  Make();
  FeedHealthy(1);
  auto r = Cycle();
  EXPECT_EQ(r.status, HealthStatus::kGreen);
  EXPECT_EQ(r.rm_meta, 1.0);
  auto v = bus_.Get(contract::kMetaHealthMap, contract::kMetaHealthKey);
  ASSERT_OK(v);
  ASSERT_TRUE(v->has_value());
  auto decoded = contract::DecodeMetaHealth(**v);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->status, HealthStatus::kGreen);
  const std::string file = ReadFile(opts_.run_logs_dir / "meta_health.json");
  auto from_file = contract::DecodeMetaHealth(file);
  ASSERT_OK(from_file) << file;
  EXPECT_EQ(*from_file, *decoded);
  const std::string log = ReadFile(opts_.run_logs_dir / "meta_health.log");
  EXPECT_NE(log.find("status=GREEN"), std::string::npos) << log;
  EXPECT_EQ(actions_.restarted.size(), 0u);
}

// The scheduler's pools are in the record (and read back); a NOT_READY pool is named in
// reasons["pools"] without changing rm_meta.
TEST_F(HealthServiceTest, PoolsAreInTheRecordAndANotReadyPoolIsAReason) {
  procs_.pools["dolphin"] = {"READY", 0, 0, {"w1"}};
  procs_.pools["dolphin-scan"] = {"NOT_READY", 3, 1, {}};
  Make();
  FeedHealthy(1);
  auto r = Cycle();
  EXPECT_EQ(r.status, HealthStatus::kGreen);
  EXPECT_EQ(r.rm_meta, 1.0);
  ASSERT_EQ(r.pools.size(), 2u);
  EXPECT_EQ(r.pools.at("dolphin").workers, std::vector<std::string>{"w1"});
  ASSERT_EQ(r.reasons.count("pools"), 1u);
  ASSERT_EQ(r.reasons.at("pools").size(), 1u);
  EXPECT_EQ(
      r.reasons.at("pools")[0],
      "pool dolphin-scan NOT_READY: no worker heartbeat within zombie_after_s; 3 scheduled (1 Late) wait "
      "(start one: dolphin serve worker --pool dolphin-scan)");
  auto decoded = contract::DecodeMetaHealth(ReadFile(opts_.run_logs_dir / "meta_health.json"));
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->pools, r.pools);
}

// The original system's scenario 2: upstream stops for 10 minutes. The status degrades; no
// action is ever taken (the source is external).
TEST_F(HealthServiceTest, StaleUpstreamAloneDegradesAndTriggersNoAction) {
  actions_.control_plane = true;
  actions_.recovery_runs = true;
  opts_.health.startup_grace = seconds(0);
  Make();
  FeedHealthy(1);
  EXPECT_EQ(Cycle().status, HealthStatus::kGreen);
  HealthStatus worst = HealthStatus::kGreen;
  for (int i = 0; i < 120; ++i) {  // 10 minutes
    FeedHeartbeatOnly();
    worst = std::max(worst, Cycle().status);
  }
  EXPECT_EQ(worst, HealthStatus::kDead);
  EXPECT_EQ(svc_->last()->data_sources.at("scan").state, "dead");
  EXPECT_TRUE(actions_.restarted.empty());
  EXPECT_EQ(actions_.control_plane_restarts, 0);
  EXPECT_EQ(actions_.recovery_triggers, 0);
  EXPECT_EQ(svc_->actions_run(), 0u);
}

TEST_F(HealthServiceTest, MissingServiceIsRestartedAfterHoldAndGraceOnly) {
  opts_.health.startup_grace = seconds(30);
  Make();
  procs_.states["bridge"] = ProcessState{false, std::nullopt, 0, false, true, "run loop returned"};
  for (int i = 0; i < 6; ++i) {  // 0..25 s: inside the grace
    FeedHealthy(i);
    Cycle();
  }
  EXPECT_TRUE(actions_.restarted.empty());
  FeedHealthy(7);
  auto r = Cycle();  // 30 s: grace over, DEAD held since 0 s
  EXPECT_EQ(r.status, HealthStatus::kDead);
  ASSERT_EQ(actions_.restarted, std::vector<std::string>{"bridge"});
  ASSERT_EQ(r.recovery.size(), 1u);
  EXPECT_EQ(r.recovery[0].target, "bridge");
  EXPECT_EQ(r.recovery[0].action, "restart service");
  EXPECT_EQ(r.recovery[0].result, "ok");
  EXPECT_NE(ReadFile(opts_.run_logs_dir / "meta_health.log").find("recovery target=bridge"),
            std::string::npos);
  // Back: GREEN only after recover_after (30 s).
  procs_.states["bridge"] = ProcessState{true, 43, 1, false, false, "thread alive"};
  HealthStatus s = HealthStatus::kDead;
  int cycles = 0;
  while (s != HealthStatus::kGreen && cycles < 20) {
    FeedHealthy(10 + cycles);
    s = Cycle().status;
    ++cycles;
  }
  EXPECT_EQ(s, HealthStatus::kGreen);
  EXPECT_EQ(cycles, 7);  // 0, 5, ..., 30 s of GREEN raw
  EXPECT_EQ(actions_.restarted.size(), 1u);
}

TEST_F(HealthServiceTest, ServiceInRunnerBackoffOrNotRestartableGetsNoAction) {
  opts_.health.startup_grace = seconds(0);
  opts_.critical = {"bridge", "trader.BLUE"};
  Make();
  procs_.states["bridge"] = ProcessState{false, std::nullopt, 3, true, true, "restarting in 5s"};
  procs_.states["trader.BLUE"] =
      ProcessState{false, std::nullopt, 0, false, false, "thread hung in a read"};
  for (int i = 0; i < 20; ++i) {
    FeedHealthy(i);
    EXPECT_EQ(Cycle().m1_proc, 0.0);
  }
  EXPECT_TRUE(actions_.restarted.empty());
  EXPECT_EQ(svc_->last()->status, HealthStatus::kDead);
}

// A service failing forever over a simulated day: at most max_restarts_per_hour restarts in any
// hour, then gave_up, then nothing until reset.
TEST_F(HealthServiceTest, FailingForeverIsCappedThenGivesUpUntilReset) {
  opts_.health.startup_grace = seconds(0);
  opts_.health.worsen_after = seconds(0);
  Make();
  procs_.states["bridge"] = ProcessState{false, std::nullopt, 0, false, true, "run loop returned"};
  actions_.restart_result = UnavailableError("exits at once");
  std::vector<Timestamp> at;
  for (Duration t = seconds(0); t < hours(24); t += seconds(5)) {
    const size_t before = actions_.restarted.size();
    svc_->RunCycle();
    if (actions_.restarted.size() > before) at.push_back(t_.clock.Now());
    t_.clock.AdvanceBy(seconds(5));
  }
  EXPECT_EQ(at.size(), 6u);
  for (size_t i = 0; i < at.size(); ++i) {
    int in_hour = 0;
    for (auto a : at) in_hour += (a >= at[i] && a - at[i] < hours(1));
    EXPECT_LE(in_hour, 6);
  }
  auto r = *svc_->last();
  EXPECT_TRUE(r.processes.at("bridge").gave_up);
  EXPECT_EQ(r.recovery.back().result, "exits at once");
  EXPECT_TRUE(t_.logger.Contains("gave up: no more recovery until an operator acts"));
  EXPECT_TRUE(t_.logger.Contains("dolphin health reset bridge"));
  // Only the operator's reset brings recovery back.
  EXPECT_FALSE(svc_->ResetTarget("nothing").ok());
  ASSERT_OK(svc_->ResetTarget("bridge"));
  svc_->RunCycle();
  EXPECT_EQ(actions_.restarted.size(), 7u);
  EXPECT_FALSE(svc_->last()->processes.at("bridge").gave_up);
}

TEST_F(HealthServiceTest, LostBusDrivesDeadAndRestartsAManagedControlPlane) {
  opts_.health.startup_grace = seconds(0);
  actions_.control_plane = true;
  Make();
  FeedHealthy(1);
  EXPECT_EQ(Cycle().status, HealthStatus::kGreen);
  bus_.down = true;
  ports_.down.insert(5701);
  auto r = Cycle();
  EXPECT_EQ(r.m2_heartbeat, 0.0);
  EXPECT_EQ(r.m3_data_freshness, 0.0);
  EXPECT_EQ(r.m5_coherence, 0.0);
  EXPECT_EQ(r.m4_control_plane, 0.5);
  EXPECT_EQ(r.raw_status, HealthStatus::kDead);
  EXPECT_EQ(r.status, HealthStatus::kGreen);  // held for worsen_after (10 s)
  Cycle();
  r = Cycle();
  EXPECT_EQ(r.status, HealthStatus::kDead);
  EXPECT_EQ(actions_.control_plane_restarts, 1);
  // The record survives on disk while the bus is gone.
  auto file = contract::DecodeMetaHealth(ReadFile(opts_.run_logs_dir / "meta_health.json"));
  ASSERT_OK(file);
  EXPECT_EQ(file->status, HealthStatus::kDead);
  // Cooldown: no second restart within 60 s.
  for (int i = 0; i < 11; ++i) Cycle();
  EXPECT_EQ(actions_.control_plane_restarts, 1);
  Cycle();
  EXPECT_EQ(actions_.control_plane_restarts, 2);
}

// Only a bus member that refuses connections is a control-plane failure: the API port of this
// process timing out under load never restarts a healthy member.
TEST_F(HealthServiceTest, ApiPortDownIsNoReasonToRestartTheControlPlane) {
  opts_.health.startup_grace = seconds(0);
  actions_.control_plane = true;
  Make();
  procs_.states["bridge"] = ProcessState{false, std::nullopt, 0, false, false, "stalled forever"};
  ports_.down.insert(4200);
  for (int i = 0; i < 20; ++i) {
    FeedHealthy(i);
    Cycle();
  }
  EXPECT_EQ(svc_->last()->status, HealthStatus::kDead);
  EXPECT_EQ(svc_->last()->m4_control_plane, 0.5);
  EXPECT_EQ(actions_.control_plane_restarts, 0);
}

// The recovery line says why: the missing service and its runner's words.
TEST_F(HealthServiceTest, RecoveryLineNamesWhy) {
  opts_.health.startup_grace = seconds(0);
  opts_.health.worsen_after = seconds(0);
  Make();
  procs_.states["bridge"] =
      ProcessState{false, std::nullopt, 0, false, true, "run loop returned: disk"};
  FeedHealthy(1);
  Cycle();
  EXPECT_NE(
      ReadFile(opts_.run_logs_dir / "meta_health.log")
          .find(
              "recovery target=bridge action=\"restart service\" why=\"bridge missing (run loop returned: disk)\""),
      std::string::npos)
      << ReadFile(opts_.run_logs_dir / "meta_health.log");
  EXPECT_EQ(svc_->last()->processes.at("bridge").detail, "run loop returned: disk");
}

TEST_F(HealthServiceTest, SharedControlPlaneIsNeverRestarted) {
  opts_.health.startup_grace = seconds(0);
  actions_.control_plane = false;
  Make();
  bus_.down = true;
  ports_.down.insert(5701);
  for (int i = 0; i < 30; ++i) Cycle();
  EXPECT_EQ(svc_->last()->status, HealthStatus::kDead);
  EXPECT_EQ(actions_.control_plane_restarts, 0);
}

TEST_F(HealthServiceTest, RunsEveryIntervalOnItsOwnThread) {
  opts_.health.interval = seconds(5);
  Make();
  FeedHealthy(1);
  ASSERT_OK(svc_->Start());
  // The first cycle one interval after start, then one per interval.
  t_.clock.BlockUntilWaitCalls(1);
  EXPECT_EQ(svc_->cycles(), 0u);
  t_.clock.AdvanceBy(seconds(5));
  t_.clock.BlockUntilWaitCalls(2);
  EXPECT_EQ(svc_->cycles(), 1u);
  FeedHealthy(2);
  t_.clock.AdvanceBy(seconds(5));
  t_.clock.BlockUntilWaitCalls(3);
  EXPECT_EQ(svc_->cycles(), 2u);
  svc_->Stop();
  // Start after Stop runs again (a restarted service).
  ASSERT_OK(svc_->Start());
  t_.clock.BlockUntilWaitCalls(4);
  t_.clock.AdvanceBy(seconds(5));
  t_.clock.BlockUntilWaitCalls(5);
  EXPECT_EQ(svc_->cycles(), 3u);
  svc_->Stop();
  EXPECT_EQ(svc_->Health().status, contract::HeartbeatStatus::kOk);
  EXPECT_EQ(svc_->StatusJson()["status"], "GREEN");
}

TEST_F(HealthServiceTest, LogRotatesAtTheConfiguredSize) {
  opts_.log_rotate_bytes = 300;
  opts_.log_files = 3;
  Make();
  for (int i = 0; i < 60; ++i) {  // a status line per minute
    FeedHealthy(i);
    svc_->RunCycle();
    t_.clock.AdvanceBy(seconds(61));
  }
  namespace fs = std::filesystem;
  EXPECT_TRUE(fs::exists(opts_.run_logs_dir / "meta_health.log"));
  EXPECT_TRUE(fs::exists(opts_.run_logs_dir / "meta_health.log.1"));
  EXPECT_TRUE(fs::exists(opts_.run_logs_dir / "meta_health.log.2"));
  EXPECT_FALSE(fs::exists(opts_.run_logs_dir / "meta_health.log.3"));
  EXPECT_LE(fs::file_size(opts_.run_logs_dir / "meta_health.log"), 300u);
}

// The per-day history `dolphin report` draws: one line per status change and per minute, in the
// file of the record's UTC day.
TEST_F(HealthServiceTest, HistoryHasOneLinePerMinuteAndPerChangeInTheDaysFile) {
  Make();
  for (int i = 0; i < 24; ++i) {  // two minutes of healthy 5 s cycles
    FeedHealthy(i + 1);
    Cycle();
  }
  const std::string day = FormatUtcDate(t_.clock.Now());
  const auto path = opts_.run_logs_dir / "health_history" / (day + ".jsonl");
  std::string text = ReadFile(path);
  ASSERT_FALSE(text.empty()) << path;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;  // at 0 s and at 60 s
  auto first = ParseJson(text.substr(0, text.find('\n')), "history");
  ASSERT_OK(first);
  EXPECT_EQ((*first)["status"], "GREEN");
  EXPECT_EQ((*first)["rm_meta"], 1.0);
  ASSERT_EQ((*first)["m"].size(), 5u);
  EXPECT_TRUE(ParseRfc3339((*first)["ts"].get<std::string>()).ok());
  // The scan goes silent: the change to a worse status is a line of its own at once.
  for (int i = 0; i < 60; ++i) {
    FeedHeartbeatOnly();
    Cycle();
  }
  text =
      ReadFile(opts_.run_logs_dir / "health_history" / (FormatUtcDate(t_.clock.Now()) + ".jsonl"));
  const bool worse = text.find("\"status\":\"DEGRADED\"") != std::string::npos ||
                     text.find("\"status\":\"CRITICAL\"") != std::string::npos ||
                     text.find("\"status\":\"DEAD\"") != std::string::npos;
  EXPECT_TRUE(worse) << text;
}

}  // namespace
}  // namespace dolphin::health
