#include "dolphin/health/assessment.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dolphin/contract/heartbeat.h"
#include "dolphin/contract/names.h"
#include "dolphin/contract/safety.h"
#include "dolphin/core/json.h"
#include "dolphin/core/time.h"

namespace dolphin::health {
namespace {

using contract::HealthStatus;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Timestamp kNow = Timestamp::FromUnixSeconds(1774434600);

std::string Beat(const std::string& service, Duration age, const std::string& status = "ok") {
  return fmt::format(R"({{"service":"{}","pid":1,"host":"h","ts":"{}","status":"{}","detail":""}})",
                     service, FormatRfc3339(kNow - age), status);
}

// A well-formed scan as the bridge publishes it; `patch` overrides or adds fields.
std::string ScanJson(int64_t number, Duration age, const Json& patch = Json::object()) {
  Json j = {{"scan_number", number},
            {"timestamp", FormatRfc3339(kNow - age)},
            {"bridge_ts", FormatRfc3339(kNow - age)},
            {"epoch", 7},
            {"regime", "BULL"},
            {"w50_lambda_max", 0.4},
            {"w150_lambda_max", 0.3},
            {"eigenvalues", {3, 2, 1}},
            {"asset_prices", {{"BTCUSDT", 50000.5}, {"ETHUSDT", 3000}}}};
  for (const auto& [k, v] : patch.items()) j[k] = v;
  return j.dump();
}

class AssessmentTest : public ::testing::Test {
 protected:
  AssessmentTest() {
    o_.now = kNow;
    o_.processes["bridge"] = ProcessState{true, 10, 0, false, false, "thread alive"};
    o_.heartbeats["bridge"] = Beat("bridge", seconds(1));
    o_.sources.push_back(Source("scan", ScanJson(5, seconds(1))));
    o_.ports.push_back(PortCheck{"api 127.0.0.1:4200", true, ""});
  }
  static SourceValue Source(const std::string& name, std::optional<std::string> json) {
    if (name == "scan") {
      return {name, contract::kFeaturesMap, contract::kScanKey, "bridge_ts", std::move(json)};
    }
    if (name == "safety") {
      return {name, contract::kSafetyMap, contract::kSafetyKey, "ts", std::move(json)};
    }
    return {name, contract::kFeaturesMap, "x", "_pushed_at", std::move(json)};
  }
  Assessment Run() { return Assess(o_, opt_, memory_); }

  Observation o_;
  AssessOptions opt_;
  CoherenceMemory memory_;
};

TEST_F(AssessmentTest, AllWellIsGreen) {
  auto a = Run();
  EXPECT_EQ(a.sensors.m1_proc, 1.0);
  EXPECT_EQ(a.sensors.m2_heartbeat, 1.0);
  EXPECT_EQ(a.sensors.m3_data_freshness, 1.0);
  EXPECT_EQ(a.sensors.m4_control_plane, 1.0);
  EXPECT_EQ(a.sensors.m5_coherence, 1.0) << ::testing::PrintToString(a.failed_checks);
  EXPECT_EQ(a.rm_meta, 1.0);
  EXPECT_EQ(a.raw_status, HealthStatus::kGreen);
  EXPECT_GT(a.checks_run, 5);
  EXPECT_TRUE(a.reasons.empty());
  EXPECT_EQ(a.data_sources["scan"].state, "fresh");
  EXPECT_TRUE(a.processes["bridge"].present);
}

TEST_F(AssessmentTest, MissingServiceMakesM1ZeroWithItsReason) {
  o_.processes["trader.BLUE"] =
      ProcessState{false, std::nullopt, 2, false, true, "run loop returned"};
  auto a = Run();
  EXPECT_EQ(a.sensors.m1_proc, 0.0);
  EXPECT_EQ(a.raw_status, HealthStatus::kDead);
  ASSERT_EQ(a.reasons["m1"].size(), 1u);
  EXPECT_EQ(a.reasons["m1"][0], "trader.BLUE missing (run loop returned)");
  EXPECT_EQ(a.processes["trader.BLUE"].restarts, 2);
}

TEST_F(AssessmentTest, HeartbeatAgesAtTheBoundaries) {
  o_.heartbeats["bridge"] = Beat("bridge", seconds(30));
  EXPECT_EQ(Run().sensors.m2_heartbeat, 1.0);
  o_.heartbeats["bridge"] = Beat("bridge", milliseconds(30100));
  EXPECT_EQ(Run().sensors.m2_heartbeat, 0.5);
  o_.heartbeats["bridge"] = Beat("bridge", seconds(60));
  EXPECT_EQ(Run().sensors.m2_heartbeat, 0.5);
  o_.heartbeats["bridge"] = Beat("bridge", milliseconds(60001));
  EXPECT_EQ(Run().sensors.m2_heartbeat, 0.0);
  o_.heartbeats["bridge"] = std::nullopt;
  auto a = Run();
  EXPECT_EQ(a.sensors.m2_heartbeat, 0.0);
  EXPECT_EQ(a.reasons["m2"][0], "heartbeat bridge missing");
}

TEST_F(AssessmentTest, WorstHeartbeatCounts) {
  o_.heartbeats["trader.BLUE"] = Beat("trader.BLUE", seconds(45));
  EXPECT_EQ(Run().sensors.m2_heartbeat, 0.5);
}

TEST_F(AssessmentTest, StaleUpstreamDegradesThroughM3Only) {
  o_.sources[0] = Source("scan", ScanJson(5, seconds(600)));
  auto a = Run();
  EXPECT_EQ(a.sensors.m3_data_freshness, 0.0);
  EXPECT_EQ(a.data_sources["scan"].state, "dead");
  EXPECT_DOUBLE_EQ(*a.data_sources["scan"].age_s, 600.0);
  EXPECT_EQ(a.sensors.m1_proc, 1.0);
  EXPECT_EQ(a.raw_status, HealthStatus::kDead);
  o_.sources.push_back(Source("safety", std::nullopt));
  o_.sources[0] = Source("scan", ScanJson(6, seconds(60)));
  a = Run();
  EXPECT_DOUBLE_EQ(a.sensors.m3_data_freshness, 0.25);  // (0.5 stale + 0 missing) / 2
  EXPECT_EQ(a.data_sources["safety"].state, "dead");
  EXPECT_FALSE(a.data_sources["safety"].age_s.has_value());
}

// Safety holds its record back until health's start-up grace is over: missing then is
// "pending", not dead, and left out of M3's mean; once it is due, missing is dead again.
TEST_F(AssessmentTest, APendingSourceIsLeftOutOfM3) {
  SourceValue safety = Source("safety", std::nullopt);
  safety.pending_ok = true;
  o_.sources.push_back(safety);
  auto a = Run();
  EXPECT_EQ(a.sensors.m3_data_freshness, 1.0);
  EXPECT_EQ(a.data_sources["safety"].state, "pending");
  EXPECT_EQ(a.raw_status, HealthStatus::kGreen);
  o_.sources.back().pending_ok = false;
  EXPECT_DOUBLE_EQ(Run().sensors.m3_data_freshness, 0.5);
}

TEST_F(AssessmentTest, BusUnreachableZeroesM2M3M5NotTheLastValues) {
  o_.bus_readable = false;
  o_.bus_error = "connection refused";
  auto a = Run();
  EXPECT_EQ(a.sensors.m2_heartbeat, 0.0);
  EXPECT_EQ(a.sensors.m3_data_freshness, 0.0);
  EXPECT_EQ(a.sensors.m5_coherence, 0.0);
  EXPECT_EQ(a.sensors.m1_proc, 1.0);
  EXPECT_EQ(a.raw_status, HealthStatus::kDead);
  EXPECT_EQ(a.reasons["m2"][0], "bus unreachable: connection refused");
  EXPECT_EQ(a.reasons["m5"][0], "bus unreachable: connection refused");
}

TEST_F(AssessmentTest, ControlPlaneIsTheShareOfPortsUp) {
  o_.ports.push_back(PortCheck{"bus 127.0.0.1:5701", false, "connection refused"});
  auto a = Run();
  EXPECT_EQ(a.sensors.m4_control_plane, 0.5);
  EXPECT_EQ(a.reasons["m4"][0], "bus 127.0.0.1:5701: connection refused");
  EXPECT_EQ(a.raw_status, HealthStatus::kCritical);
}

// Every malformed value on a watched key is a failed, named M5 check: never a crash.
TEST_F(AssessmentTest, MalformedValuesAreNamedFailedChecks) {
  const std::vector<std::pair<std::string, std::string>> bad_scans = {
      {"not json", "scan: "},
      {"[1,2]", "scan: "},
      {R"({"timestamp":"2026-03-25T10:30:00Z"})", "scan_number"},
      {R"({"scan_number":"x","timestamp":"2026-03-25T10:30:00Z"})", "scan_number"},
      {R"({"scan_number":1,"timestamp":"yesterday"})", "timestamp"},
      {ScanJson(5, seconds(1), {{"w150_lambda_max", 1.5}}), "w150_lambda_max 1.5 outside (0, 1]"},
      {ScanJson(5, seconds(1), {{"w50_lambda_max", 0}}), "w50_lambda_max 0 outside (0, 1]"},
      {ScanJson(5, seconds(1), {{"eigenvalues", {1, 2, 3}}}), "eigenvalues not descending"},
      {ScanJson(5, seconds(1), {{"regime", "MOON"}}), "regime \"MOON\""},
      {ScanJson(5, seconds(1), {{"asset_prices", {{"BTCUSDT", -1}}}}), "price of BTCUSDT is -1"},
      {ScanJson(5, -seconds(60)), "in the future"},
  };
  for (const auto& [json, expect] : bad_scans) {
    memory_ = {};
    o_.sources[0] = Source("scan", json);
    auto a = Run();
    EXPECT_LT(a.sensors.m5_coherence, 1.0) << json;
    bool found = false;
    for (const auto& f : a.failed_checks) found = found || f.find(expect) != std::string::npos;
    EXPECT_TRUE(found) << json << " -> " << ::testing::PrintToString(a.failed_checks);
  }
}

TEST_F(AssessmentTest, MalformedSafetyHeartbeatStateAndFlowValues) {
  o_.sources.push_back(
      Source("safety", R"({"posture":"YOLO","Rm":1,"ts":"2026-03-25T10:30:00Z"})"));
  o_.sources.push_back(Source("esof", R"({"_pushed_at":12})"));
  o_.sources.push_back({"state.BLUE", "DOLPHIN_STATE_BLUE", "latest_nautilus", "updated_at",
                        std::string(R"({"color":"BLUE"})")});
  o_.heartbeats["bridge"] = Beat("bridge", seconds(1), "sleepy");
  auto a = Run();
  EXPECT_EQ(a.failed_checks.size(), 4u) << ::testing::PrintToString(a.failed_checks);
  std::string all = ::testing::PrintToString(a.failed_checks);
  EXPECT_NE(all.find("posture"), std::string::npos) << all;
  EXPECT_NE(all.find("_pushed_at"), std::string::npos) << all;
  EXPECT_NE(all.find("state.BLUE"), std::string::npos) << all;
  EXPECT_NE(all.find("heartbeat bridge"), std::string::npos) << all;
  EXPECT_LT(a.sensors.m5_coherence, 1.0);
  EXPECT_GT(a.sensors.m5_coherence, 0.0);
}

TEST_F(AssessmentTest, ScanNumberMustNotDecreaseWithinAnEpoch) {
  EXPECT_EQ(Run().sensors.m5_coherence, 1.0);  // remembers epoch 7, scan 5
  o_.sources[0] = Source("scan", ScanJson(4, seconds(1)));
  auto a = Run();
  ASSERT_EQ(a.failed_checks.size(), 1u);
  EXPECT_EQ(a.failed_checks[0], "scan: scan_number 4 decreased within epoch 7 (was 5)");
  // A new epoch may start lower.
  o_.sources[0] = Source("scan", ScanJson(1, seconds(1), {{"epoch", 8}}));
  EXPECT_EQ(Run().sensors.m5_coherence, 1.0);
}

}  // namespace
}  // namespace dolphin::health
