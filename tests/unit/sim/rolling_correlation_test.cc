#include "rolling_correlation.h"

#include <Eigen/Dense>

#include "dolphin/core/random.h"
#include "dolphin/testing/testing.h"

namespace dolphin::sim::internal {
namespace {

Eigen::VectorXd Draw(Random& random, int n, double common) {
  Eigen::VectorXd r(n);
  const double f = random.Normal();
  for (int i = 0; i < n; ++i) r(i) = 1e-3 * (common * f + random.Normal()) + 1e-5;
  return r;
}

TEST(RollingCorrelationTest, RollingSumsEqualFromScratchComputation) {
  Random random(7);
  // recompute_every larger than the number of adds: only the incremental path runs.
  RollingCorrelation rc(12, 20, 100000);
  for (int i = 0; i < 500; ++i) rc.Add(Draw(random, 12, 0.8));
  EXPECT_EQ(rc.count(), 20);
  const Eigen::MatrixXd rolling = rc.Dense();
  const Eigen::MatrixXd scratch = rc.DenseFromScratchForTest();
  EXPECT_LT((rolling - scratch).cwiseAbs().maxCoeff(), 1e-9);
  // A valid correlation matrix: unit diagonal, symmetric, entries in [-1, 1].
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(rolling(i, i), 1.0, 1e-12);
  EXPECT_LT((rolling - rolling.transpose()).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LE(rolling.cwiseAbs().maxCoeff(), 1.0 + 1e-12);
}

TEST(RollingCorrelationTest, PeriodicRecomputeGivesTheSameMatrix) {
  Random a(11);
  Random b(11);
  RollingCorrelation incremental(8, 30, 100000);
  RollingCorrelation recomputing(8, 30, 7);
  for (int i = 0; i < 200; ++i) {
    incremental.Add(Draw(a, 8, 0.5));
    recomputing.Add(Draw(b, 8, 0.5));
  }
  EXPECT_LT((incremental.Dense() - recomputing.Dense()).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(RollingCorrelationTest, PartialWindowUsesTheVectorsAvailable) {
  Random random(3);
  RollingCorrelation rc(6, 750);
  for (int i = 0; i < 9; ++i) rc.Add(Draw(random, 6, 1.0));
  EXPECT_EQ(rc.count(), 9);
  EXPECT_LT((rc.Dense() - rc.DenseFromScratchForTest()).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(RollingCorrelationTest, FewerThanTwoVectorsGiveTheIdentity) {
  RollingCorrelation rc(5, 50);
  EXPECT_TRUE(rc.Dense().isIdentity(0));
  Eigen::VectorXd r = Eigen::VectorXd::LinSpaced(5, 0.001, 0.005);
  rc.Add(r);
  EXPECT_TRUE(rc.Dense().isIdentity(1e-12));
}

TEST(RollingCorrelationTest, ConstantAssetIsUncorrelatedWithEverything) {
  Random random(5);
  RollingCorrelation rc(4, 40);
  for (int i = 0; i < 60; ++i) {
    Eigen::VectorXd r = Draw(random, 4, 1.0);
    r(2) = 0.0;  // an asset whose price never moves
    rc.Add(r);
  }
  const Eigen::MatrixXd m = rc.Dense();
  for (int j = 0; j < 4; ++j) {
    EXPECT_DOUBLE_EQ(m(2, j), j == 2 ? 1.0 : 0.0);
    EXPECT_DOUBLE_EQ(m(j, 2), j == 2 ? 1.0 : 0.0);
  }
  EXPECT_GT(m(0, 1), 0.2);
}

}  // namespace
}  // namespace dolphin::sim::internal
