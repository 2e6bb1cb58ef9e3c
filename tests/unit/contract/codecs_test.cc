// The contract's value types: encode -> decode gives the value back; malformed input is a clear
// error naming the field, never an exception.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dolphin/contract/enums.h"
#include "dolphin/contract/heartbeat.h"
#include "dolphin/contract/meta_health.h"
#include "dolphin/contract/names.h"
#include "dolphin/contract/safety.h"
#include "dolphin/contract/scan.h"
#include "dolphin/contract/trader_state.h"
#include "dolphin/testing/testing.h"

namespace dolphin::contract {
namespace {

using testing::StatusHasMessage;

const Timestamp kT = Timestamp::FromUnixMicros(1774434601123456);  // 2026-03-25T10:30:01.123456Z

TEST(NamesTest, MapAndKeyNamesAreDesignSectionTwo) {
  EXPECT_STREQ(kFeaturesMap, "DOLPHIN_FEATURES");
  EXPECT_STREQ(kScanKey, "latest_eigen_scan");
  EXPECT_STREQ(kObFeaturesKey, "ob_features_latest");
  EXPECT_STREQ(kExfKey, "exf_latest");
  EXPECT_STREQ(kEsofKey, "esof_latest");
  EXPECT_STREQ(kSafetyMap, "DOLPHIN_SAFETY");
  EXPECT_STREQ(kSafetyKey, "latest");
  EXPECT_STREQ(kMetaHealthMap, "DOLPHIN_META_HEALTH");
  EXPECT_STREQ(kMetaHealthKey, "latest");
  EXPECT_STREQ(kHeartbeatMap, "DOLPHIN_HEARTBEAT");
  EXPECT_STREQ(kStateKey, "latest_nautilus");
  EXPECT_EQ(StateMapName("BLUE"), "DOLPHIN_STATE_BLUE");
  EXPECT_EQ(PnlMapName("GREEN"), "DOLPHIN_PNL_GREEN");
  EXPECT_EQ(TraderServiceName("BLUE"), "trader.BLUE");
}

TEST(EnumsTest, EveryNameParsesBackAndUnknownNamesAreErrors) {
  for (Posture p : {Posture::kApex, Posture::kStalker, Posture::kTurtle, Posture::kHibernate}) {
    EXPECT_EQ(*ParsePosture(PostureName(p)), p);
  }
  for (HealthStatus s : {HealthStatus::kGreen, HealthStatus::kDegraded, HealthStatus::kCritical,
                         HealthStatus::kDead}) {
    EXPECT_EQ(*ParseHealthStatus(HealthStatusName(s)), s);
  }
  for (HeartbeatStatus s :
       {HeartbeatStatus::kOk, HeartbeatStatus::kDegraded, HeartbeatStatus::kStalled}) {
    EXPECT_EQ(*ParseHeartbeatStatus(HeartbeatStatusName(s)), s);
  }
  for (TradingState s : {TradingState::kActive, TradingState::kReducing, TradingState::kHalted}) {
    EXPECT_EQ(*ParseTradingState(TradingStateName(s)), s);
  }
  EXPECT_THAT(
      ParsePosture("apex"),
      StatusHasMessage("posture: expected APEX, STALKER, TURTLE or HIBERNATE, got \"apex\""));
  EXPECT_THAT(ParseHealthStatus("OK"),
              StatusHasMessage("expected GREEN, DEGRADED, CRITICAL or DEAD"));
  EXPECT_THAT(ParseHeartbeatStatus("OK"), StatusHasMessage("expected ok, degraded or stalled"));
  EXPECT_THAT(ParseTradingState("RUNNING"),
              StatusHasMessage("expected ACTIVE, REDUCING or HALTED"));
}

TEST(EnumsTest, HeartbeatStatusIsOrderedBySeverity) {
  EXPECT_LT(HeartbeatStatus::kOk, HeartbeatStatus::kDegraded);
  EXPECT_LT(HeartbeatStatus::kDegraded, HeartbeatStatus::kStalled);
  EXPECT_LT(HealthStatus::kGreen, HealthStatus::kDead);
}

// ---- scan ----

Scan SampleScan() {
  Scan s;
  s.epoch = 1774434600000000;
  s.scan_number = 1234;
  s.timestamp = kT;
  s.vel_div = -0.031;
  s.w50_velocity = 0.01;
  s.w150_velocity = 0.041;
  s.w300_velocity = 0.002;
  s.w750_velocity = -0.5;
  s.w50_lambda_max = 0.31;
  s.w150_lambda_max = 0.29;
  s.w300_lambda_max = 0.25;
  s.w750_lambda_max = 0.2;
  s.instability_50 = 0.1;
  s.instability_150 = 0.2;
  s.eigenvalues = {2.5, 1.25, 0.5};
  s.regime = "BULL";
  s.prices = {{"BTCUSDT", 60000.5}, {"ETH\"USDT", 3000.25}};
  s.bridge_ts = kT + std::chrono::milliseconds(3);
  s.file = "scan_001234_103001.arrow";
  s.republished = true;
  return s;
}

TEST(ScanCodecTest, RoundTripKeepsEveryField) {
  const Scan s = SampleScan();
  auto back = DecodeScanJson(EncodeScanJson(s));
  ASSERT_OK(back);
  EXPECT_EQ(back->epoch, s.epoch);
  EXPECT_EQ(back->scan_number, s.scan_number);
  EXPECT_EQ(back->timestamp, s.timestamp);
  EXPECT_EQ(back->vel_div, s.vel_div);
  EXPECT_EQ(back->w50_velocity, s.w50_velocity);
  EXPECT_EQ(back->w150_velocity, s.w150_velocity);
  EXPECT_EQ(back->w300_velocity, s.w300_velocity);
  EXPECT_EQ(back->w750_velocity, s.w750_velocity);
  EXPECT_EQ(back->w50_lambda_max, s.w50_lambda_max);
  EXPECT_EQ(back->w150_lambda_max, s.w150_lambda_max);
  EXPECT_EQ(back->w300_lambda_max, s.w300_lambda_max);
  EXPECT_EQ(back->w750_lambda_max, s.w750_lambda_max);
  EXPECT_EQ(back->instability_50, s.instability_50);
  EXPECT_EQ(back->instability_150, s.instability_150);
  EXPECT_EQ(back->eigenvalues, s.eigenvalues);
  EXPECT_EQ(back->regime, s.regime);
  EXPECT_EQ(back->prices, s.prices);
  EXPECT_EQ(back->bridge_ts, s.bridge_ts);
  EXPECT_EQ(back->file, s.file);
  EXPECT_EQ(back->republished, s.republished);
  EXPECT_EQ(back->Price("BTCUSDT"), 60000.5);
  EXPECT_EQ(back->Price("XRPUSDT"), std::nullopt);
}

TEST(ScanCodecTest, AbsentFeaturesRoundTripAsNaN) {
  Scan s;
  s.scan_number = 1;
  s.timestamp = kT;
  auto back = DecodeScanJson(EncodeScanJson(s));
  ASSERT_OK(back);
  EXPECT_TRUE(std::isnan(back->vel_div));
  EXPECT_FALSE(back->bridge_ts.has_value());
}

TEST(ScanCodecTest, MalformedInputIsAnErrorNamingTheField) {
  EXPECT_THAT(DecodeScanJson("{"), StatusHasMessage("latest_eigen_scan"));
  EXPECT_THAT(DecodeScanJson("7"), StatusHasMessage("expected a JSON object"));
  EXPECT_THAT(DecodeScanJson(R"({"scan_number":1.5,"timestamp":"2026-03-25T10:30:00Z"})"),
              StatusHasMessage("scan_number: expected an integer"));
  EXPECT_THAT(DecodeScanJson(R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z","epoch":"x"})"),
              StatusHasMessage("epoch: expected an integer"));
  EXPECT_THAT(
      DecodeScanJson(R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z","bridge_ts":3})"),
      StatusHasMessage("bridge_ts: expected an RFC 3339 string"));
  EXPECT_THAT(
      DecodeScanJson(R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z","eigenvalues":["a"]})"),
      StatusHasMessage("eigenvalues"));
  EXPECT_THAT(
      DecodeScanJson(
          R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z","asset_prices":{"A":"x"}})"),
      StatusHasMessage("asset_prices.A"));
  EXPECT_THAT(
      DecodeScanJson(R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z","republished":1})"),
      StatusHasMessage("republished: expected a boolean"));
  EXPECT_THAT(DecodeScanJson(R"({"scan_number":1})"), StatusHasMessage("no timestamp"));
}

// ---- safety ----

TEST(SafetyCodecTest, RoundTrip) {
  SafetyRecord r;
  r.posture = Posture::kStalker;
  r.rm = 0.75;
  r.ts = kT;
  r.reasons = {"mhs GREEN", "drawdown 0.4%"};
  r.inputs = Json{{"mhs_status", "GREEN"}, {"drawdown_pct", 0.4}};
  auto back = DecodeSafety(EncodeSafety(r));
  ASSERT_OK(back);
  EXPECT_EQ(*back, r);
}

TEST(SafetyCodecTest, OnlyPostureAndTsAreRequired) {
  auto r = DecodeSafety(R"({"posture":"APEX","ts":"2026-03-25T10:30:01Z"})");
  ASSERT_OK(r);
  EXPECT_EQ(r->posture, Posture::kApex);
  EXPECT_EQ(r->rm, 1.0);
  EXPECT_TRUE(r->reasons.empty());
}

TEST(SafetyCodecTest, MalformedInputIsAnErrorNamingTheField) {
  EXPECT_THAT(DecodeSafety("nope"), StatusHasMessage("DOLPHIN_SAFETY[latest]"));
  EXPECT_THAT(DecodeSafety("[]"),
              StatusHasMessage("DOLPHIN_SAFETY[latest]: expected a JSON object"));
  EXPECT_THAT(DecodeSafety(R"({"ts":"2026-03-25T10:30:01Z"})"),
              StatusHasMessage("posture: missing"));
  EXPECT_THAT(DecodeSafety(R"({"posture":1,"ts":"2026-03-25T10:30:01Z"})"),
              StatusHasMessage("posture: expected a string, got integer"));
  EXPECT_THAT(DecodeSafety(R"({"posture":"BRAVE","ts":"2026-03-25T10:30:01Z"})"),
              StatusHasMessage("got \"BRAVE\""));
  EXPECT_THAT(DecodeSafety(R"({"posture":"APEX"})"), StatusHasMessage("ts: missing"));
  EXPECT_THAT(DecodeSafety(R"({"posture":"APEX","ts":"soon"})"),
              StatusHasMessage("DOLPHIN_SAFETY[latest]: ts:"));
  EXPECT_THAT(DecodeSafety(R"({"posture":"APEX","ts":"2026-03-25T10:30:01Z","Rm":"1"})"),
              StatusHasMessage("Rm: expected a number"));
  EXPECT_THAT(DecodeSafety(R"({"posture":"APEX","ts":"2026-03-25T10:30:01Z","Rm":1.5})"),
              StatusHasMessage("Rm: 1.5 is outside [0, 1]"));
  EXPECT_THAT(DecodeSafety(R"({"posture":"APEX","ts":"2026-03-25T10:30:01Z","reasons":[1]})"),
              StatusHasMessage("reasons[]: expected a string"));
  EXPECT_THAT(DecodeSafety(R"({"posture":"APEX","ts":"2026-03-25T10:30:01Z","inputs":[]})"),
              StatusHasMessage("inputs: expected an object"));
}

// ---- heartbeat ----

TEST(HeartbeatCodecTest, RoundTrip) {
  Heartbeat b{"trader.BLUE", 4242, "host-1", kT, HeartbeatStatus::kDegraded, "journal failing"};
  auto back = DecodeHeartbeat(EncodeHeartbeat(b));
  ASSERT_OK(back);
  EXPECT_EQ(*back, b);
  EXPECT_THAT(EncodeHeartbeat(b), ::testing::HasSubstr(R"("status":"degraded")"));
}

TEST(HeartbeatCodecTest, MalformedInputIsAnErrorNamingTheField) {
  EXPECT_THAT(DecodeHeartbeat("{"), StatusHasMessage("DOLPHIN_HEARTBEAT"));
  EXPECT_THAT(DecodeHeartbeat(R"({"ts":"2026-03-25T10:30:01Z","status":"ok"})"),
              StatusHasMessage("service: missing"));
  EXPECT_THAT(DecodeHeartbeat(R"({"service":"x","ts":"2026-03-25T10:30:01Z","status":"fine"})"),
              StatusHasMessage("DOLPHIN_HEARTBEAT: status: expected ok, degraded or stalled"));
  EXPECT_THAT(
      DecodeHeartbeat(R"({"service":"x","pid":"1","ts":"2026-03-25T10:30:01Z","status":"ok"})"),
      StatusHasMessage("pid: expected an integer, got string"));
  EXPECT_THAT(DecodeHeartbeat(R"({"service":"x","ts":5,"status":"ok"})"),
              StatusHasMessage("ts: expected an RFC 3339"));
}

// ---- trader state ----

TraderState SampleState() {
  TraderState s;
  s.updated_at = kT;
  s.color = "BLUE";
  s.scan_number = 1234;
  s.epoch = 1774434600000000;
  s.scan_ts = kT - std::chrono::seconds(1);
  s.trading_state = TradingState::kReducing;
  s.state_reason = "posture stale";
  s.posture = Posture::kTurtle;
  s.posture_source = "bus";
  s.posture_problem = "DOLPHIN_SAFETY[latest] missing";
  s.strategy = "vel_div";
  s.equity = 10012.5;
  s.cash = 9000.25;
  s.positions = {{"BTCUSDT", "LONG", 0.01, 60000, 60100, 1.0, 3}};
  s.pending_orders = {"BLUE-1-1234-0"};
  s.last_signal = Json{{"action", "hold"}};
  s.last_order = Json{{"id", "BLUE-1-1233-0"}};
  s.trades_today = 2;
  s.missed_scans = 1;
  s.stale_scans = 0;
  s.scans_processed = 99;
  s.status = "REDUCING: posture stale";
  s.halted = false;
  s.flatten_pending = true;
  return s;
}

TEST(TraderStateCodecTest, RoundTrip) {
  const TraderState s = SampleState();
  auto back = DecodeTraderState(EncodeTraderState(s));
  ASSERT_OK(back);
  EXPECT_EQ(*back, s);
}

TEST(TraderStateCodecTest, BeforeTheFirstScanTheScanFieldsAreNull) {
  TraderState s = SampleState();
  s.scan_number.reset();
  s.epoch.reset();
  s.scan_ts.reset();
  const std::string text = EncodeTraderState(s);
  EXPECT_THAT(text, ::testing::HasSubstr(R"("scan_number":null)"));
  auto back = DecodeTraderState(text);
  ASSERT_OK(back);
  EXPECT_EQ(*back, s);
}

TEST(TraderStateCodecTest, MalformedInputIsAnErrorNamingTheField) {
  const std::string ok = EncodeTraderState(SampleState());
  auto with = [&](std::string_view key, Json v) {
    Json j = Json::parse(ok);
    j[std::string(key)] = std::move(v);
    return DumpJson(j);
  };
  EXPECT_THAT(DecodeTraderState("x"), StatusHasMessage("DOLPHIN_STATE[latest_nautilus]"));
  EXPECT_THAT(DecodeTraderState(with("equity", "a lot")),
              StatusHasMessage("equity: expected a number, got string"));
  EXPECT_THAT(DecodeTraderState(with("trading_state", "ON")),
              StatusHasMessage("expected ACTIVE, REDUCING or HALTED"));
  EXPECT_THAT(DecodeTraderState(with("posture", "bus")), StatusHasMessage("posture:"));
  EXPECT_THAT(DecodeTraderState(with("scan_number", "7")),
              StatusHasMessage("scan_number: expected an integer"));
  EXPECT_THAT(DecodeTraderState(with("positions", Json::object())),
              StatusHasMessage("positions: expected an array"));
  EXPECT_THAT(DecodeTraderState(with(
                  "positions", Json::array({Json{{"asset", "A"}, {"side", "UP"}, {"qty", 1}}}))),
              StatusHasMessage("side: expected LONG or SHORT"));
  EXPECT_THAT(DecodeTraderState(with("controls", Json{{"halted", "no"}})),
              StatusHasMessage("controls: halted"));
  EXPECT_THAT(DecodeTraderState(with("last_signal", 3)),
              StatusHasMessage("last_signal: expected an object"));
  EXPECT_THAT(DecodeTraderState(with("updated_at", nullptr)), StatusHasMessage("updated_at"));
}

// ---- meta health ----

MetaHealth SampleHealth() {
  MetaHealth r;
  r.rm_meta = 0.45;
  r.status = HealthStatus::kDegraded;
  r.raw_status = HealthStatus::kCritical;
  r.m1_proc = 1.0;
  r.m2_heartbeat = 0.5;
  r.m3_data_freshness = 0.9;
  r.m4_control_plane = 1.0;
  r.m5_coherence = 1.0;
  r.processes["bridge"] = ProcessHealth{true, 101, 0, false, "running"};
  r.processes["trader.BLUE"] = ProcessHealth{false, std::nullopt, 6, true, "run loop returned"};
  r.data_sources["scan"] = DataSourceHealth{2.5, "fresh"};
  r.data_sources["obf"] = DataSourceHealth{std::nullopt, "dead"};
  r.checks = {"safety: Rm outside [0, 1]"};
  r.recovery = {RecoveryAction{"trader.BLUE", "restart", kT, "ok"}};
  r.reasons["m2"] = {"heartbeat trader.BLUE is 45.0s old"};
  r.hold = StatusHoldInfo{HealthStatus::kCritical, 5, 10};
  r.gave_up = {"trader.BLUE"};
  r.timestamp = kT;
  return r;
}

TEST(MetaHealthCodecTest, RoundTrip) {
  const MetaHealth r = SampleHealth();
  auto back = DecodeMetaHealth(EncodeMetaHealth(r));
  ASSERT_OK(back);
  EXPECT_EQ(*back, r);
}

TEST(MetaHealthCodecTest, TheSupervisorPartRoundTripsAndIsOptional) {
  MetaHealth r = SampleHealth();
  r.supervisor = SupervisorHealth{"limits not enforced: memory (...)", {"crasher"}};
  const std::string text = EncodeMetaHealth(r);
  auto j = Json::parse(text);
  EXPECT_EQ(j["supervisor"]["failed_start_limit"], Json::array({"crasher"})) << text;
  EXPECT_EQ(j["supervisor"]["unenforced"], "limits not enforced: memory (...)") << text;
  auto back = DecodeMetaHealth(text);
  ASSERT_OK(back);
  EXPECT_EQ(*back, r);
  EXPECT_FALSE(DecodeMetaHealth(EncodeMetaHealth(SampleHealth()))->supervisor.has_value());
}

TEST(MetaHealthCodecTest, StatusForRmIsTheOriginalMapping) {
  EXPECT_EQ(StatusForRm(0.81), HealthStatus::kGreen);
  EXPECT_EQ(StatusForRm(0.8), HealthStatus::kDegraded);
  EXPECT_EQ(StatusForRm(0.51), HealthStatus::kDegraded);
  EXPECT_EQ(StatusForRm(0.5), HealthStatus::kCritical);
  EXPECT_EQ(StatusForRm(0.21), HealthStatus::kCritical);
  EXPECT_EQ(StatusForRm(0.2), HealthStatus::kDead);
  EXPECT_EQ(StatusForRm(0.0), HealthStatus::kDead);
}

TEST(MetaHealthCodecTest, MalformedInputIsAnErrorNamingTheField) {
  const std::string ok = EncodeMetaHealth(SampleHealth());
  auto with = [&](std::string_view key, Json v) {
    Json j = Json::parse(ok);
    j[std::string(key)] = std::move(v);
    return DumpJson(j);
  };
  auto without = [&](std::string_view key) {
    Json j = Json::parse(ok);
    j.erase(std::string(key));
    return DumpJson(j);
  };
  EXPECT_THAT(DecodeMetaHealth("[]"),
              StatusHasMessage("DOLPHIN_META_HEALTH[latest]: expected a JSON object"));
  EXPECT_THAT(DecodeMetaHealth(without("m2_heartbeat")), StatusHasMessage("m2_heartbeat: missing"));
  EXPECT_THAT(DecodeMetaHealth(with("m3_data_freshness", 1.2)),
              StatusHasMessage("m3_data_freshness: 1.2 is outside [0, 1]"));
  EXPECT_THAT(DecodeMetaHealth(with("status", "RED")),
              StatusHasMessage("status: status: expected GREEN"));
  EXPECT_THAT(DecodeMetaHealth(with("raw_status", 3)),
              StatusHasMessage("raw_status: expected a string"));
  EXPECT_THAT(
      DecodeMetaHealth(with("subsystem_health",
                            Json{{"processes", Json{{"bridge", Json{{"present", "yes"}}}}}})),
      StatusHasMessage("processes.bridge: present: expected a boolean"));
  EXPECT_THAT(DecodeMetaHealth(with("subsystem_health",
                                    Json{{"data_sources", Json{{"scan", Json{{"state", "ok"}}}}}})),
              StatusHasMessage("data_sources.scan: state: expected fresh, stale or dead"));
  EXPECT_THAT(DecodeMetaHealth(with("subsystem_health", Json{{"checks", "all"}})),
              StatusHasMessage("checks: expected an array"));
  EXPECT_THAT(DecodeMetaHealth(with("recovery", Json::array({Json{{"target", "x"}}}))),
              StatusHasMessage("recovery[]: action: missing"));
  EXPECT_THAT(DecodeMetaHealth(without("timestamp")), StatusHasMessage("timestamp: missing"));
  EXPECT_THAT(DecodeMetaHealth(with("reasons", Json{{"m1", "x"}})),
              StatusHasMessage("reasons.m1: expected an array"));
  EXPECT_THAT(
      DecodeMetaHealth(with("hold", Json{{"towards", "RED"}, {"held_s", 1}, {"needed_s", 2}})),
      StatusHasMessage("hold: towards: "));
  EXPECT_THAT(DecodeMetaHealth(with("subsystem_health", Json{{"gave_up", Json::array({1})}})),
              StatusHasMessage("gave_up[]: expected a string"));
  // raw_status defaults to status when an older writer leaves it out.
  auto r = DecodeMetaHealth(without("raw_status"));
  ASSERT_OK(r);
  EXPECT_EQ(r->raw_status, HealthStatus::kDegraded);
}

}  // namespace
}  // namespace dolphin::contract
