#include "dolphin/health/recovery_policy.h"

#include <gtest/gtest.h>

namespace dolphin::health {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

MonoTime At(Duration d) { return MonoTime::FromNanos(0) + d; }

TEST(RecoveryPolicyTest, CooldownDoublesUpToFifteenMinutes) {
  RecoveryPolicy p({seconds(60), minutes(15), 100});
  MonoTime t = At(seconds(0));
  std::vector<Duration> waits;
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(p.Decide("bridge", t).verdict, RecoveryVerdict::kAllowed) << i;
    p.RecordAttempt("bridge", t);
    auto d = p.Decide("bridge", t);
    ASSERT_EQ(d.verdict, RecoveryVerdict::kCoolingDown);
    ASSERT_TRUE(d.retry_at.has_value());
    // One nanosecond before the retry time it still cools down.
    EXPECT_EQ(p.Decide("bridge", *d.retry_at - Duration(1)).verdict, RecoveryVerdict::kCoolingDown);
    waits.push_back(*d.retry_at - t);
    t = *d.retry_at;
  }
  EXPECT_EQ(waits, (std::vector<Duration>{seconds(60), seconds(120), seconds(240), seconds(480),
                                          seconds(900), seconds(900), seconds(900)}));
}

TEST(RecoveryPolicyTest, RecoveredResetsTheBackoff) {
  RecoveryPolicy p({seconds(60), minutes(15), 100});
  p.RecordAttempt("bridge", At(seconds(0)));
  p.RecordAttempt("bridge", At(seconds(60)));
  EXPECT_EQ(*p.Decide("bridge", At(seconds(60))).retry_at, At(seconds(180)));
  p.RecordRecovered("bridge");
  EXPECT_EQ(*p.Decide("bridge", At(seconds(60))).retry_at, At(seconds(120)));
}

TEST(RecoveryPolicyTest, TargetsAreIndependent) {
  RecoveryPolicy p({seconds(60), minutes(15), 6});
  p.RecordAttempt("bridge", At(seconds(0)));
  EXPECT_EQ(p.Decide("trader.BLUE", At(seconds(1))).verdict, RecoveryVerdict::kAllowed);
  EXPECT_EQ(p.Decide("bridge", At(seconds(1))).verdict, RecoveryVerdict::kCoolingDown);
}

// A service failing forever over a simulated day: at most max_per_hour attempts in any hour,
// then gave_up, then nothing at all until the operator resets it.
TEST(RecoveryPolicyTest, FailingForeverGivesUpAtTheCapAndStaysSo) {
  RecoveryPolicy p({seconds(60), minutes(15), 6});
  std::vector<MonoTime> attempts;
  int gave_up_events = 0;
  for (Duration t = seconds(0); t < hours(24); t += seconds(5)) {  // one health cycle
    bool newly = false;
    auto d = p.Decide("bridge", At(t), &newly);
    if (newly) ++gave_up_events;
    if (d.verdict == RecoveryVerdict::kAllowed) {
      attempts.push_back(At(t));
      p.RecordAttempt("bridge", At(t));
    }
  }
  EXPECT_EQ(attempts.size(), 6u);
  EXPECT_EQ(gave_up_events, 1);
  EXPECT_TRUE(p.gave_up("bridge"));
  EXPECT_EQ(p.gave_up_targets(), std::vector<std::string>{"bridge"});
  for (size_t i = 0; i < attempts.size(); ++i) {
    int in_hour = 0;
    for (MonoTime a : attempts) in_hour += (a >= attempts[i] && a - attempts[i] < hours(1));
    EXPECT_LE(in_hour, 6);
  }
  // Recovery of the target does not clear gave_up; only Reset does.
  p.RecordRecovered("bridge");
  EXPECT_EQ(p.Decide("bridge", At(hours(25))).verdict, RecoveryVerdict::kGaveUp);
  EXPECT_TRUE(p.Reset("bridge"));
  EXPECT_FALSE(p.gave_up("bridge"));
  EXPECT_EQ(p.Decide("bridge", At(hours(25))).verdict, RecoveryVerdict::kAllowed);
  EXPECT_FALSE(p.Reset("never-seen"));
}

TEST(RecoveryPolicyTest, HourlyCapCountsASlidingHour) {
  // A short cooldown so the cap, not the back-off, limits: 3 per hour.
  RecoveryPolicy p({seconds(1), seconds(1), 3});
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(p.Decide("m", At(seconds(10 * i))).verdict, RecoveryVerdict::kAllowed);
    p.RecordAttempt("m", At(seconds(10 * i)));
    p.RecordRecovered("m");
  }
  EXPECT_EQ(p.AttemptsLastHour("m", At(seconds(30))), 3);
  EXPECT_EQ(p.Decide("m", At(seconds(30))).verdict, RecoveryVerdict::kGaveUp);
}

TEST(RecoveryPolicyTest, OldAttemptsLeaveTheWindow) {
  RecoveryPolicy p({seconds(1), seconds(1), 2});
  p.RecordAttempt("m", At(seconds(0)));
  p.RecordAttempt("m", At(seconds(10)));
  EXPECT_EQ(p.AttemptsLastHour("m", At(minutes(60))), 1);
  EXPECT_EQ(p.AttemptsLastHour("m", At(minutes(61))), 0);
  EXPECT_EQ(p.Decide("m", At(minutes(61))).verdict, RecoveryVerdict::kAllowed);
}

TEST(RecoveryPolicyTest, ZeroCapGivesUpAtOnce) {
  RecoveryPolicy p({seconds(60), minutes(15), 0});
  EXPECT_EQ(p.Decide("m", At(seconds(0))).verdict, RecoveryVerdict::kGaveUp);
}

}  // namespace
}  // namespace dolphin::health
