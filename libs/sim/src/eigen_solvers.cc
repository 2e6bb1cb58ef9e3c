#include "eigen_solvers.h"

#include <algorithm>
#include <cmath>

#include "dolphin/core/check.h"
#include "dolphin/core/random.h"

namespace dolphin::sim::internal {

PowerIteration::PowerIteration(int n, double tolerance)
    : tolerance_(tolerance), vector_(Eigen::MatrixXd::Constant(n, 1, 1.0 / std::sqrt(n))) {
  DOLPHIN_CHECK(n >= 1);
}

SolveStats PowerIteration::Solve(const BlockOperator& op, int max_iterations) {
  SolveStats stats;
  for (int it = 0; it < max_iterations; ++it) {
    op(vector_, &product_);
    ++stats.iterations;
    const double theta = vector_.col(0).dot(product_.col(0));
    eigenvalue_ = theta;
    const double residual = (product_ - theta * vector_).norm();
    const double norm = product_.norm();
    if (norm <= 0.0 || !std::isfinite(norm)) {
      // A zero operator: every vector is an eigenvector with eigenvalue 0.
      stats.converged = true;
      break;
    }
    vector_ = product_ / norm;
    if (residual <= tolerance_ * std::abs(theta)) {
      stats.converged = true;
      break;
    }
  }
  if (vector_.sum() < 0) vector_ = -vector_;
  return stats;
}

SubspaceIteration::SubspaceIteration(int n, int wanted, int block, uint64_t seed, double tolerance)
    : wanted_(wanted), tolerance_(tolerance), eigenvalues_(Eigen::VectorXd::Zero(wanted)) {
  DOLPHIN_CHECK(1 <= wanted && wanted <= block && block <= n);
  Random random(seed);
  Eigen::MatrixXd start(n, block);
  for (int j = 0; j < block; ++j) {
    for (int i = 0; i < n; ++i) start(i, j) = random.Normal();
  }
  start.col(0).setConstant(1.0);  // the market mode, the usual dominant direction
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(start);
  basis_ = qr.householderQ() * Eigen::MatrixXd::Identity(n, block);
}

SolveStats SubspaceIteration::Solve(const BlockOperator& op, int max_iterations) {
  SolveStats stats;
  const Eigen::Index n = basis_.rows();
  const Eigen::Index block = basis_.cols();
  for (int it = 0; it < max_iterations; ++it) {
    op(basis_, &product_);  // Y = A V
    ++stats.iterations;
    // Rayleigh-Ritz on span(V): H = V^T A V, symmetrised against rounding.
    Eigen::MatrixXd h = basis_.transpose() * product_;
    h = 0.5 * (h + h.transpose()).eval();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> small(h);
    // Ascending -> descending.
    Eigen::MatrixXd q = small.eigenvectors().rowwise().reverse();
    Eigen::VectorXd theta = small.eigenvalues().reverse();
    Eigen::MatrixXd ritz = basis_ * q;     // Ritz vectors
    Eigen::MatrixXd image = product_ * q;  // A times the Ritz vectors
    const double scale = std::max(std::abs(theta(0)), 1e-300);
    double worst = 0;
    for (int i = 0; i < wanted_; ++i) {
      worst = std::max(worst, (image.col(i) - theta(i) * ritz.col(i)).norm());
    }
    eigenvalues_ = theta.head(wanted_);
    // One more block power step for the next call (or iteration): V = orth(A V Q).
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(image);
    basis_ = qr.householderQ() * Eigen::MatrixXd::Identity(n, block);
    if (worst <= tolerance_ * scale) {
      stats.converged = true;
      break;
    }
  }
  return stats;
}

}  // namespace dolphin::sim::internal
