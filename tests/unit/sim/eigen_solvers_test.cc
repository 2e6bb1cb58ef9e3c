#include "eigen_solvers.h"

#include <Eigen/Dense>

#include "dolphin/core/random.h"
#include "dolphin/sim/scanner.h"
#include "dolphin/testing/testing.h"
#include "scanner_impl.h"

namespace dolphin::sim::internal {
namespace {

// A correlation matrix of a market factor plus three sectors plus noise.
Eigen::MatrixXd FactorCorrelation(int n, uint64_t seed) {
  Random random(seed);
  Eigen::MatrixXd x(n, 400);
  for (int t = 0; t < 400; ++t) {
    const double m = random.Normal();
    const double s[3] = {random.Normal(), random.Normal(), random.Normal()};
    for (int i = 0; i < n; ++i) x(i, t) = 0.7 * m + 0.6 * s[i % 3] + random.Normal();
  }
  Eigen::MatrixXd c = x.colwise() - x.rowwise().mean();
  Eigen::MatrixXd cov = c * c.transpose();
  Eigen::VectorXd d = cov.diagonal().cwiseSqrt().cwiseInverse();
  return d.asDiagonal() * cov * d.asDiagonal();
}

BlockOperator Dense(const Eigen::MatrixXd& a) {
  return [&a](const Eigen::MatrixXd& x, Eigen::MatrixXd* y) { *y = a * x; };
}

TEST(PowerIterationTest, AgreesWithEigenDenseSolver) {
  const Eigen::MatrixXd a = FactorCorrelation(60, 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(a);
  PowerIteration power(60, 1e-10);
  SolveStats stats = power.Solve(Dense(a), 1000);
  EXPECT_TRUE(stats.converged);
  EXPECT_NEAR(power.eigenvalue(), dense.eigenvalues()(59), 1e-9 * dense.eigenvalues()(59));
  const double dot = std::abs(power.vector().dot(dense.eigenvectors().col(59)));
  EXPECT_NEAR(dot, 1.0, 1e-8);
}

TEST(SubspaceIterationTest, TopTenAgreeWithEigenDenseSolver) {
  const Eigen::MatrixXd a = FactorCorrelation(80, 2);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(a);
  SubspaceIteration sub(80, 10, 16, 9, 1e-9);
  SolveStats stats = sub.Solve(Dense(a), 2000);
  EXPECT_TRUE(stats.converged);
  for (int i = 0; i < 10; ++i) {
    EXPECT_NEAR(sub.eigenvalues()(i), dense.eigenvalues()(79 - i), 1e-7 * dense.eigenvalues()(79))
        << "eigenvalue " << i;
  }
}

TEST(SubspaceIterationTest, WarmStartOnAnUnchangedMatrixConvergesInOneStep) {
  const Eigen::MatrixXd a = FactorCorrelation(50, 3);
  SubspaceIteration sub(50, 10, 16, 4);
  ASSERT_TRUE(sub.Solve(Dense(a), 2000).converged);
  SolveStats again = sub.Solve(Dense(a), 10);
  EXPECT_TRUE(again.converged);
  EXPECT_EQ(again.iterations, 1);
}

// The scanner's warm-started solvers, scan after scan, against a dense solve of the same
// rolling correlation matrices.
TEST(ScannerSolversTest, WarmStartedSolversTrackDenseSolutionScanAfterScan) {
  ScannerOptions options;
  options.assets = 40;
  options.seed = 17;
  options.warmup_scans = 0;
  auto scanner = Scanner::Create(options);
  ASSERT_OK(scanner);
  auto* impl = static_cast<ScannerImpl*>(scanner->get());
  for (int step = 1; step <= 320; ++step) {
    auto scan = (*scanner)->Next();
    ASSERT_TRUE(scan.has_value());
    if (step % 40 != 0) continue;
    for (size_t k = 0; k < kWindows.size(); ++k) {
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(impl->window(k).Dense(),
                                                           Eigen::EigenvaluesOnly);
      const double expected = dense.eigenvalues()(39) / 40.0;
      EXPECT_NEAR(scan->lambda_max[k], expected, 1e-6)
          << "window " << kWindows[k] << " step " << step;
      EXPECT_GT(scan->lambda_max[k], 0.0);
      EXPECT_LE(scan->lambda_max[k], 1.0);
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense750(impl->window(3).Dense(),
                                                            Eigen::EigenvaluesOnly);
    ASSERT_EQ(scan->eigenvalues.size(), 10u);
    for (int i = 0; i < 10; ++i) {
      EXPECT_NEAR(scan->eigenvalues[i], dense750.eigenvalues()(39 - i),
                  2e-4 * dense750.eigenvalues()(39))
          << "eigenvalue " << i << " step " << step;
    }
  }
}

}  // namespace
}  // namespace dolphin::sim::internal
