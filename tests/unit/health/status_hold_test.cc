#include "dolphin/health/status_hold.h"

#include <gtest/gtest.h>

namespace dolphin::health {
namespace {

using contract::HealthStatus;
using std::chrono::seconds;

class StatusHoldTest : public ::testing::Test {
 protected:
  MonoTime At(int s) const { return MonoTime::FromNanos(0) + seconds(s); }
  StatusHold hold_{seconds(10), seconds(30)};
};

TEST_F(StatusHoldTest, FirstObservationIsPublishedAsIs) {
  EXPECT_FALSE(hold_.published().has_value());
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(0)), HealthStatus::kDead);
}

TEST_F(StatusHoldTest, WorsensOnlyAfterTheRawStatusHeldForWorsenAfter) {
  hold_.Update(HealthStatus::kGreen, At(0));
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(5)), HealthStatus::kGreen);
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(10)), HealthStatus::kGreen);
  auto p = hold_.pending(At(10));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->towards, HealthStatus::kDead);
  EXPECT_EQ(p->held, seconds(5));
  EXPECT_EQ(p->needed, seconds(10));
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(14)), HealthStatus::kGreen);  // 9 s
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(15)), HealthStatus::kDead);   // 10 s
  EXPECT_FALSE(hold_.pending(At(15)).has_value());
}

TEST_F(StatusHoldTest, OneGoodCycleBreaksTheWorseningStreak) {
  hold_.Update(HealthStatus::kGreen, At(0));
  hold_.Update(HealthStatus::kDead, At(5));
  hold_.Update(HealthStatus::kGreen, At(10));
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(15)), HealthStatus::kGreen);
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(20)), HealthStatus::kGreen);
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(25)), HealthStatus::kDead);
}

TEST_F(StatusHoldTest, WorsensToTheLevelHeldWithoutABreak) {
  // Raw alternates CRITICAL and DEAD: at least CRITICAL all along, DEAD never for 10 s.
  hold_.Update(HealthStatus::kGreen, At(0));
  hold_.Update(HealthStatus::kCritical, At(5));
  hold_.Update(HealthStatus::kDead, At(10));
  EXPECT_EQ(hold_.Update(HealthStatus::kCritical, At(15)), HealthStatus::kCritical);
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(20)), HealthStatus::kCritical);
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(25)), HealthStatus::kCritical);
  EXPECT_EQ(hold_.Update(HealthStatus::kDead, At(30)), HealthStatus::kDead);
}

TEST_F(StatusHoldTest, RecoversOnlyAfterRecoverAfter) {
  hold_.Update(HealthStatus::kDead, At(0));
  EXPECT_EQ(hold_.Update(HealthStatus::kGreen, At(5)), HealthStatus::kDead);
  EXPECT_EQ(hold_.Update(HealthStatus::kGreen, At(34)), HealthStatus::kDead);   // 29 s
  EXPECT_EQ(hold_.Update(HealthStatus::kGreen, At(35)), HealthStatus::kGreen);  // 30 s
}

TEST_F(StatusHoldTest, RecoversStepwiseToTheLevelHeld) {
  hold_.Update(HealthStatus::kDead, At(0));
  hold_.Update(HealthStatus::kDegraded, At(5));
  hold_.Update(HealthStatus::kGreen, At(20));
  // At least DEGRADED since 5 s; GREEN only since 20 s.
  EXPECT_EQ(hold_.Update(HealthStatus::kGreen, At(35)), HealthStatus::kDegraded);
  EXPECT_EQ(hold_.Update(HealthStatus::kGreen, At(49)), HealthStatus::kDegraded);
  EXPECT_EQ(hold_.Update(HealthStatus::kGreen, At(50)), HealthStatus::kGreen);
}

TEST_F(StatusHoldTest, ZeroHoldTimesFollowTheRawStatus) {
  StatusHold hold(seconds(0), seconds(0));
  hold.Update(HealthStatus::kGreen, At(0));
  EXPECT_EQ(hold.Update(HealthStatus::kDead, At(1)), HealthStatus::kDead);
  EXPECT_EQ(hold.Update(HealthStatus::kDegraded, At(2)), HealthStatus::kDegraded);
}

}  // namespace
}  // namespace dolphin::health
