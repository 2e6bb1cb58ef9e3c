#include "dolphin/safety/safety_service.h"

#include <gtest/gtest.h>

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/meta_health.h"
#include "dolphin/contract/names.h"
#include "dolphin/contract/pnl.h"
#include "dolphin/contract/trader_state.h"
#include "dolphin/testing/testing.h"

namespace dolphin::safety {
namespace {

using contract::HealthStatus;
using std::chrono::seconds;

class SafetyServiceTest : public ::testing::Test {
 protected:
  SafetyServiceTest() {
    opts_.colors = {"BLUE"};
    opts_.safety.max_posture = Posture::kApex;
    opts_.safety.recover_after = seconds(60);
  }
  void Make() { svc_ = std::make_unique<SafetyService>(t_.env, *bus_, opts_); }

  void PutHealth(HealthStatus status, bool in_grace = false, double rm = 1.0) {
    contract::MetaHealth h;
    h.status = h.raw_status = status;
    h.rm_meta = rm;
    h.m1_proc = h.m2_heartbeat = h.m3_data_freshness = h.m4_control_plane = h.m5_coherence = 1.0;
    if (status == HealthStatus::kDead) h.m1_proc = 0.0;  // a missing service, not stale data
    h.timestamp = t_.clock.Now();
    h.started_at = t_.clock.Now() - seconds(40);
    h.in_startup_grace = in_grace;
    ASSERT_OK(bus_->Put(contract::kMetaHealthMap, contract::kMetaHealthKey,
                        contract::EncodeMetaHealth(h)));
  }
  void PutScan() {
    Json j = {{"scan_number", 1},
              {"timestamp", FormatRfc3339(t_.clock.Now())},
              {"bridge_ts", FormatRfc3339(t_.clock.Now())}};
    ASSERT_OK(bus_->Put(contract::kFeaturesMap, contract::kScanKey, j.dump()));
  }
  void PutTrader(double equity_now, double equity_peak = 100000) {
    contract::TraderState s;
    s.color = "BLUE";
    s.updated_at = t_.clock.Now();
    s.scan_ts = t_.clock.Now();
    s.equity = equity_now;
    ASSERT_OK(bus_->Put(contract::StateMapName("BLUE"), contract::kStateKey,
                        contract::EncodeTraderState(s)));
    contract::DayPnlRecord p;
    p.day = FormatRfc3339(t_.clock.Now()).substr(0, 10);
    p.color = "BLUE";
    p.equity_open = 100000;
    p.equity_peak = equity_peak;
    p.equity_now = equity_now;
    p.updated_at = t_.clock.Now();
    ASSERT_OK(bus_->Put(contract::PnlMapName("BLUE"), p.day, contract::EncodePnl(p)));
  }
  void Healthy() {
    PutHealth(HealthStatus::kGreen);
    PutScan();
    PutTrader(100000);
  }
  std::optional<contract::SafetyRecord> Published() {
    auto v = bus_->Get(contract::kSafetyMap, contract::kSafetyKey);
    if (!v.ok() || !v->has_value()) return std::nullopt;
    auto r = contract::DecodeSafety(**v);
    if (!r.ok()) return std::nullopt;
    return *r;
  }

  testing::TestEnv t_;
  std::unique_ptr<bus::KvBus> bus_ = bus::NewInMemoryBus();
  SafetyServiceOptions opts_;
  std::unique_ptr<SafetyService> svc_;
};

TEST_F(SafetyServiceTest, PublishesNothingUntilHealthIsOutOfItsGrace) {
  Make();
  PutScan();
  PutTrader(100000);
  EXPECT_FALSE(svc_->RunCycle().has_value());  // no health record at all
  EXPECT_FALSE(Published().has_value());
  t_.clock.AdvanceBy(seconds(5));
  PutHealth(HealthStatus::kDead, /*in_grace=*/true);  // a fresh start looks bad: ignored
  EXPECT_FALSE(svc_->RunCycle().has_value());
  EXPECT_FALSE(Published().has_value());
  EXPECT_NE(svc_->Health().detail.find("grace"), std::string::npos) << svc_->Health().detail;
  t_.clock.AdvanceBy(seconds(5));
  Healthy();
  auto r = svc_->RunCycle();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->posture, Posture::kApex);
  ASSERT_TRUE(Published().has_value());
  EXPECT_EQ(Published()->posture, Posture::kApex);
  EXPECT_TRUE(t_.logger.Contains("posture none -> APEX"));
}

TEST_F(SafetyServiceTest, AHealthRecordOlderThanSafetyDoesNotArmIt) {
  PutHealth(HealthStatus::kDead);  // left on a shared bus by a previous run
  t_.clock.AdvanceBy(seconds(1));
  Make();
  PutScan();
  PutTrader(100000);
  EXPECT_FALSE(svc_->RunCycle().has_value());
  t_.clock.AdvanceBy(seconds(5));
  PutHealth(HealthStatus::kGreen);
  ASSERT_TRUE(svc_->RunCycle().has_value());
}

TEST_F(SafetyServiceTest, OnceArmedMissingInputsMeanHibernate) {
  Make();
  Healthy();
  ASSERT_EQ(svc_->RunCycle()->posture, Posture::kApex);
  ASSERT_OK(bus_->Remove(contract::kMetaHealthMap, contract::kMetaHealthKey));
  t_.clock.AdvanceBy(seconds(5));
  PutScan();
  PutTrader(100000);
  auto r = svc_->RunCycle();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->posture, Posture::kHibernate);
  EXPECT_EQ(r->rm, 0.0);
  EXPECT_EQ(r->reasons[0], "health record missing: HIBERNATE");
  EXPECT_TRUE(t_.logger.Contains("posture APEX -> HIBERNATE"));
}

TEST_F(SafetyServiceTest, WorsensAtOnceAndImprovesAfterTheHold) {
  Make();
  Healthy();
  ASSERT_EQ(svc_->RunCycle()->posture, Posture::kApex);
  t_.clock.AdvanceBy(seconds(5));
  PutHealth(HealthStatus::kGreen);
  PutScan();
  PutTrader(97500);  // 2.5 % below the peak
  auto r = svc_->RunCycle();
  EXPECT_EQ(r->posture, Posture::kTurtle);  // at once
  // Recovered: the rules allow APEX again, the record holds TURTLE for 60 s.
  for (int i = 0; i < 12; ++i) {  // 0 .. 55 s since the rules first allowed APEX
    t_.clock.AdvanceBy(seconds(5));
    Healthy();
    r = svc_->RunCycle();
    ASSERT_EQ(r->posture, Posture::kTurtle) << i;
    EXPECT_EQ(r->reasons[0].substr(0, 14), "held at TURTLE") << r->reasons[0];
    EXPECT_EQ(r->inputs["decided"], "APEX");
  }
  t_.clock.AdvanceBy(seconds(5));  // 60 s
  Healthy();
  EXPECT_EQ(svc_->RunCycle()->posture, Posture::kApex);
}

TEST_F(SafetyServiceTest, RecordCarriesRmReasonsAndInputs) {
  opts_.safety.max_posture = Posture::kStalker;
  Make();
  PutHealth(HealthStatus::kGreen, false, 0.9);
  PutScan();
  PutTrader(100000);
  auto r = svc_->RunCycle();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->posture, Posture::kStalker);
  EXPECT_DOUBLE_EQ(r->rm, 0.9);
  EXPECT_EQ(r->reasons, std::vector<std::string>{"max_posture STALKER"});
  EXPECT_EQ(r->inputs["health"]["status"], "GREEN");
  EXPECT_EQ(r->inputs["traders"]["BLUE"]["equity_peak"], 100000.0);
  EXPECT_EQ(Published(), r);
  EXPECT_EQ(svc_->StatusJson()["posture"], "STALKER");
}

// A restarted health service starts a new grace: safety publishes nothing again until it ends
// (its first records, DEAD for want of heartbeats, must not become HIBERNATE).
TEST_F(SafetyServiceTest, AHealthRestartAfterArmingPublishesNothingUntilItsGraceEnds) {
  Make();
  Healthy();
  ASSERT_EQ(svc_->RunCycle()->posture, Posture::kApex);
  t_.clock.AdvanceBy(seconds(5));
  PutHealth(HealthStatus::kDead, /*in_grace=*/true);
  PutScan();
  PutTrader(100000);
  EXPECT_FALSE(svc_->RunCycle().has_value());
  EXPECT_EQ(Published()->posture, Posture::kApex);  // the last record, ageing
  EXPECT_TRUE(t_.logger.Contains("health restarted"));
  t_.clock.AdvanceBy(seconds(5));
  Healthy();
  EXPECT_EQ(svc_->RunCycle()->posture, Posture::kApex);
}

// A record left on a shared bus by a previous run never steers the traders while we wait.
TEST_F(SafetyServiceTest, StartRemovesThePreviousRunsRecord) {
  ASSERT_OK(bus_->Put(contract::kSafetyMap, contract::kSafetyKey,
                      R"({"posture":"APEX","Rm":1,"ts":"2026-03-25T10:30:00Z"})"));
  Make();
  ASSERT_OK(svc_->Start());
  svc_->Stop();
  EXPECT_FALSE(Published().has_value());
}

TEST_F(SafetyServiceTest, RunsOnItsOwnThreadOnTheClock) {
  opts_.safety.interval = seconds(5);
  Make();
  Healthy();
  ASSERT_OK(svc_->Start());
  ASSERT_TRUE(testing::WaitFor([&] { return Published().has_value(); }));
  svc_->Stop();
  EXPECT_GE(svc_->cycles(), 1u);
}

}  // namespace
}  // namespace dolphin::safety
