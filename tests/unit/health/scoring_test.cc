#include "dolphin/health/scoring.h"

#include <gtest/gtest.h>

#include <cmath>

#include "dolphin/contract/meta_health.h"

namespace dolphin::health {
namespace {

using contract::HealthStatus;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(HeartbeatScoreTest, ThresholdsAt30And60Seconds) {
  EXPECT_EQ(HeartbeatScore(std::nullopt), 0.0);
  EXPECT_EQ(HeartbeatScore(seconds(0)), 1.0);
  EXPECT_EQ(HeartbeatScore(milliseconds(29900)), 1.0);
  EXPECT_EQ(HeartbeatScore(seconds(30)), 1.0);
  EXPECT_EQ(HeartbeatScore(milliseconds(30100)), 0.5);
  EXPECT_EQ(HeartbeatScore(milliseconds(59900)), 0.5);
  EXPECT_EQ(HeartbeatScore(seconds(60)), 0.5);
  EXPECT_EQ(HeartbeatScore(milliseconds(60100)), 0.0);
  EXPECT_EQ(HeartbeatScore(seconds(-3)), 1.0);  // stamped in the future: M5's business
}

TEST(FreshnessTest, FreshStaleDeadBoundaries) {
  const FreshnessThresholds t;  // 30 s / 120 s
  EXPECT_EQ(ClassifyAge(std::nullopt, t), Freshness::kDead);
  EXPECT_EQ(ClassifyAge(milliseconds(29900), t), Freshness::kFresh);
  EXPECT_EQ(ClassifyAge(seconds(30), t), Freshness::kFresh);
  EXPECT_EQ(ClassifyAge(milliseconds(30100), t), Freshness::kStale);
  EXPECT_EQ(ClassifyAge(milliseconds(119900), t), Freshness::kStale);
  EXPECT_EQ(ClassifyAge(seconds(120), t), Freshness::kStale);
  EXPECT_EQ(ClassifyAge(milliseconds(120100), t), Freshness::kDead);
  EXPECT_EQ(ClassifyAge(seconds(-1), t), Freshness::kFresh);
  EXPECT_EQ(FreshnessScore(Freshness::kFresh), 1.0);
  EXPECT_EQ(FreshnessScore(Freshness::kStale), 0.5);
  EXPECT_EQ(FreshnessScore(Freshness::kDead), 0.0);
  EXPECT_EQ(FreshnessName(Freshness::kStale), "stale");
}

TEST(FreshnessTest, ConfiguredThresholds) {
  const FreshnessThresholds t{seconds(2), seconds(5)};
  EXPECT_EQ(ClassifyAge(seconds(2), t), Freshness::kFresh);
  EXPECT_EQ(ClassifyAge(milliseconds(2001), t), Freshness::kStale);
  EXPECT_EQ(ClassifyAge(seconds(5), t), Freshness::kStale);
  EXPECT_EQ(ClassifyAge(milliseconds(5001), t), Freshness::kDead);
}

TEST(RmMetaTest, ProductOfClampedSensors) {
  EXPECT_DOUBLE_EQ(RmMeta({1, 1, 1, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(RmMeta({1, 0.5, 1, 1, 1}), 0.5);
  EXPECT_DOUBLE_EQ(RmMeta({1, 0.5, 0.5, 1, 0.8}), 0.2);
  EXPECT_EQ(RmMeta({0, 1, 1, 1, 1}), 0.0);
  EXPECT_EQ(RmMeta({1, 1, 1, 1, std::nan("")}), 0.0);
  EXPECT_EQ(RmMeta({2, 1, 1, 1, 1}), 1.0);
  EXPECT_EQ(RmMeta({-1, 1, 1, 1, 1}), 0.0);
}

TEST(RmMetaTest, StatusBoundariesExactly) {
  EXPECT_EQ(contract::StatusForRm(1.0), HealthStatus::kGreen);
  EXPECT_EQ(contract::StatusForRm(0.8000001), HealthStatus::kGreen);
  EXPECT_EQ(contract::StatusForRm(0.8), HealthStatus::kDegraded);
  EXPECT_EQ(contract::StatusForRm(0.5000001), HealthStatus::kDegraded);
  EXPECT_EQ(contract::StatusForRm(0.5), HealthStatus::kCritical);
  EXPECT_EQ(contract::StatusForRm(0.2000001), HealthStatus::kCritical);
  EXPECT_EQ(contract::StatusForRm(0.2), HealthStatus::kDead);
  EXPECT_EQ(contract::StatusForRm(0.0), HealthStatus::kDead);
}

TEST(RmMetaTest, SeverityOrdersStatuses) {
  EXPECT_LT(Severity(HealthStatus::kGreen), Severity(HealthStatus::kDegraded));
  EXPECT_LT(Severity(HealthStatus::kDegraded), Severity(HealthStatus::kCritical));
  EXPECT_LT(Severity(HealthStatus::kCritical), Severity(HealthStatus::kDead));
}

}  // namespace
}  // namespace dolphin::health
