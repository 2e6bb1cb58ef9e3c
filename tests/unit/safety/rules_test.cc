#include "dolphin/safety/rules.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::safety {
namespace {

using contract::HealthStatus;
using std::chrono::seconds;

// Inputs of a healthy system at `now`: health GREEN rm 1, a fresh scan, one trader BLUE at its
// day's peak.
class RulesTest : public ::testing::Test {
 protected:
  RulesTest() {
    now_ = Timestamp() + std::chrono::hours(24 * 20000);
    in_.now = now_;
    contract::MetaHealth h;
    h.status = HealthStatus::kGreen;
    h.rm_meta = 1.0;
    h.timestamp = now_ - seconds(2);
    in_.health = h;
    in_.scan_bridge_ts = now_ - seconds(1);
    TraderInput t;
    t.color = "BLUE";
    contract::TraderState s;
    s.color = "BLUE";
    s.updated_at = now_ - seconds(1);
    s.scan_ts = now_ - seconds(1);
    t.state = s;
    contract::DayPnlRecord p;
    p.equity_open = 100000;
    p.equity_peak = 100000;
    p.equity_now = 100000;
    p.updated_at = now_ - seconds(1);
    t.pnl = p;
    in_.traders.push_back(t);
    opts_.max_posture = Posture::kApex;  // the rules alone, unless a test sets the cap
  }
  void Drawdown(double pct) {
    in_.traders[0].pnl->equity_now = in_.traders[0].pnl->equity_peak * (1 - pct / 100.0);
  }
  Posture Decide() { return DecidePosture(in_, opts_).posture; }

  Timestamp now_;
  SafetyInputs in_;
  SafetyOptions opts_;
};

TEST_F(RulesTest, HealthySystemIsApexWithRmOfHealth) {
  in_.health->rm_meta = 0.93;
  auto d = DecidePosture(in_, opts_);
  EXPECT_EQ(d.posture, Posture::kApex);
  EXPECT_DOUBLE_EQ(d.rm, 0.93);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_EQ(d.inputs["health"]["status"], "GREEN");
  EXPECT_EQ(d.inputs["traders"]["BLUE"]["drawdown_pct"], 0.0);
}

TEST_F(RulesTest, EachHealthStatusMapsToItsPosture) {
  const std::pair<HealthStatus, Posture> table[] = {{HealthStatus::kGreen, Posture::kApex},
                                                    {HealthStatus::kDegraded, Posture::kStalker},
                                                    {HealthStatus::kCritical, Posture::kTurtle},
                                                    {HealthStatus::kDead, Posture::kHibernate}};
  for (auto [status, posture] : table) {
    in_.health->status = status;
    EXPECT_EQ(Decide(), posture) << contract::HealthStatusName(status);
  }
  // and back to GREEN: the rules hold nothing (the service's hold does)
  in_.health->status = HealthStatus::kGreen;
  EXPECT_EQ(Decide(), Posture::kApex);
}

TEST_F(RulesTest, DeadFromDataFreshnessAloneIsNoHibernate) {
  in_.health->status = HealthStatus::kDead;
  in_.health->m1_proc = in_.health->m2_heartbeat = in_.health->m4_control_plane =
      in_.health->m5_coherence = 1.0;
  in_.health->m3_data_freshness = 0.0;
  auto d = DecidePosture(in_, opts_);
  EXPECT_EQ(d.posture, Posture::kTurtle);
  EXPECT_EQ(d.reasons[0], "health DEAD from data freshness alone (M3) allows at most TURTLE");
  in_.health->m1_proc = 0.0;  // a service missing too: DEAD means HIBERNATE
  EXPECT_EQ(Decide(), Posture::kHibernate);
}

TEST_F(RulesTest, HealthMappingIsConfigurable) {
  opts_.on_degraded = Posture::kTurtle;
  in_.health->status = HealthStatus::kDegraded;
  EXPECT_EQ(Decide(), Posture::kTurtle);
}

TEST_F(RulesTest, DrawdownThresholdsAtTheirBoundaries) {
  // Defaults 1 / 2 / 4 %: at a threshold the posture applies; just below it does not.
  const std::pair<double, Posture> table[] = {
      {0.99, Posture::kApex},      {1.0, Posture::kStalker}, {1.99, Posture::kStalker},
      {2.0, Posture::kTurtle},     {3.99, Posture::kTurtle}, {4.0, Posture::kHibernate},
      {10.0, Posture::kHibernate}, {0.0, Posture::kApex}};
  for (auto [pct, posture] : table) {
    // An exact peak * (1 - pct) may round below the threshold: build equity from the threshold.
    in_.traders[0].pnl->equity_peak = 100.0;
    in_.traders[0].pnl->equity_now = 100.0 - pct;
    EXPECT_EQ(Decide(), posture) << pct << "%";
  }
  in_.traders[0].pnl->equity_now = 97.5;
  auto d = DecidePosture(in_, opts_);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0], "BLUE drawdown 2.50% >= 2% allows at most TURTLE");
  EXPECT_DOUBLE_EQ(d.inputs["traders"]["BLUE"]["drawdown_pct"].get<double>(), 2.5);
}

TEST_F(RulesTest, EquityAbovePeakIsNoDrawdown) {
  in_.traders[0].pnl->equity_now = 100500;  // the trader has not republished its peak yet
  EXPECT_EQ(Decide(), Posture::kApex);
}

TEST_F(RulesTest, WorstTraderCounts) {
  TraderInput green = in_.traders[0];
  green.color = "GREEN";
  in_.traders.push_back(green);
  in_.traders[1].pnl->equity_now = 97000;  // GREEN 3 %
  auto d = DecidePosture(in_, opts_);
  EXPECT_EQ(d.posture, Posture::kTurtle);
  EXPECT_EQ(d.reasons[0].substr(0, 14), "GREEN drawdown");
}

TEST_F(RulesTest, ScanStaleOrMissingAllowsTurtleNeverHibernate) {
  opts_.scan_stale = seconds(30);
  in_.scan_bridge_ts = now_ - seconds(30);
  EXPECT_EQ(Decide(), Posture::kApex);  // exactly at the threshold: still fresh
  in_.scan_bridge_ts = now_ - seconds(31);
  EXPECT_EQ(Decide(), Posture::kTurtle);
  in_.scan_bridge_ts = now_ - std::chrono::hours(5);
  EXPECT_EQ(Decide(), Posture::kTurtle);
  in_.scan_bridge_ts.reset();
  auto d = DecidePosture(in_, opts_);
  EXPECT_EQ(d.posture, Posture::kTurtle);
  EXPECT_EQ(d.reasons[0], "scan missing allows at most TURTLE");
  in_.scan_bridge_ts = now_;  // back
  EXPECT_EQ(Decide(), Posture::kApex);
}

TEST_F(RulesTest, MissingOrStaleInputsMeanHibernate) {
  opts_.posture_max_age = seconds(60);
  {
    SafetyInputs in = in_;
    in.health.reset();
    in.health_problem = "missing";
    auto d = DecidePosture(in, opts_);
    EXPECT_EQ(d.posture, Posture::kHibernate);
    EXPECT_EQ(d.rm, 0.0);
    EXPECT_EQ(d.reasons[0], "health record missing: HIBERNATE");
  }
  {
    SafetyInputs in = in_;
    in.health->timestamp = now_ - seconds(60);
    EXPECT_EQ(DecidePosture(in, opts_).posture, Posture::kApex);  // at the limit: fresh
    in.health->timestamp = now_ - seconds(61);
    EXPECT_EQ(DecidePosture(in, opts_).posture, Posture::kHibernate);
  }
  {
    SafetyInputs in = in_;
    in.traders[0].state.reset();
    in.traders[0].state_problem = "missing";
    EXPECT_EQ(DecidePosture(in, opts_).posture, Posture::kHibernate);
  }
  {
    SafetyInputs in = in_;
    in.traders[0].state->updated_at = now_ - seconds(61);
    EXPECT_EQ(DecidePosture(in, opts_).posture, Posture::kHibernate);
  }
  {
    SafetyInputs in = in_;
    in.traders[0].pnl.reset();
    in.traders[0].pnl_problem = "missing";
    auto d = DecidePosture(in, opts_);
    EXPECT_EQ(d.posture, Posture::kHibernate);
    EXPECT_EQ(d.reasons[0], "BLUE PnL missing: HIBERNATE");
  }
  {
    SafetyInputs in = in_;
    in.traders[0].pnl->updated_at = now_ - seconds(61);
    EXPECT_EQ(DecidePosture(in, opts_).posture, Posture::kHibernate);
  }
}

TEST_F(RulesTest, TraderWithoutAScanYetHasNoDrawdown) {
  in_.traders[0].state->scan_ts.reset();
  in_.traders[0].pnl.reset();
  EXPECT_EQ(Decide(), Posture::kApex);
}

TEST_F(RulesTest, NeverAboveMaxPosture) {
  opts_.max_posture = Posture::kStalker;
  auto d = DecidePosture(in_, opts_);
  EXPECT_EQ(d.posture, Posture::kStalker);
  EXPECT_EQ(d.reasons, std::vector<std::string>{"max_posture STALKER"});
  in_.health->status = HealthStatus::kCritical;  // worse than the cap: the rule wins
  d = DecidePosture(in_, opts_);
  EXPECT_EQ(d.posture, Posture::kTurtle);
  EXPECT_EQ(d.reasons[0], "health CRITICAL allows at most TURTLE");  // most severe first
  opts_.max_posture = Posture::kHibernate;
  in_.health->status = HealthStatus::kGreen;
  EXPECT_EQ(Decide(), Posture::kHibernate);
}

}  // namespace
}  // namespace dolphin::safety
