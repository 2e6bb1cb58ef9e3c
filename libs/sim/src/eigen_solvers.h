// Warm-started iterative eigen-solvers for symmetric positive semi-definite operators (the
// rolling correlation matrices), applied implicitly through a block operator Y = A X.
//
// PowerIteration tracks the largest eigenpair; SubspaceIteration tracks the `wanted` largest
// eigenvalues with a block of `block` >= wanted orthonormal vectors, a Rayleigh-Ritz step on the
// small block x block matrix (Eigen's SelfAdjointEigenSolver) and Householder
// re-orthonormalisation. Both keep their vectors between calls: a slowly changing matrix (one new
// scan per call) usually converges in one or two operator applications.
//
// Convergence is judged by residuals, ||A q - theta q|| <= tolerance * theta_max, which bounds the
// eigenvalue error by the same amount (Bauer-Fike for symmetric matrices).
// Thread-safety: not thread-safe.
#pragma once

#include <cstdint>
#include <functional>

#include <Eigen/Dense>

namespace dolphin::sim::internal {

// Y = A X for a block of column vectors; A symmetric.
using BlockOperator = std::function<void(const Eigen::MatrixXd& x, Eigen::MatrixXd* y)>;

struct SolveStats {
  int iterations = 0;  // operator applications
  bool converged = false;
};

class PowerIteration {
 public:
  // REQUIRES: n >= 1. Starts from the normalised all-ones vector (the "market mode").
  explicit PowerIteration(int n, double tolerance = 1e-5);

  // Iterates from the current vector until converged or `max_iterations` applications.
  SolveStats Solve(const BlockOperator& op, int max_iterations);

  // Rayleigh quotient of the last solve (0 before the first).
  double eigenvalue() const { return eigenvalue_; }
  // Unit eigenvector, sign chosen so that its sum is >= 0.
  Eigen::VectorXd vector() const { return vector_.col(0); }

 private:
  const double tolerance_;
  Eigen::MatrixXd vector_;  // n x 1
  Eigen::MatrixXd product_;
  double eigenvalue_ = 0;
};

class SubspaceIteration {
 public:
  // REQUIRES: 1 <= wanted <= block <= n. The initial block is random from `seed`.
  SubspaceIteration(int n, int wanted, int block, uint64_t seed, double tolerance = 1e-4);

  SolveStats Solve(const BlockOperator& op, int max_iterations);

  // The `wanted` largest Ritz values of the last solve, descending.
  const Eigen::VectorXd& eigenvalues() const { return eigenvalues_; }

 private:
  const int wanted_;
  const double tolerance_;
  Eigen::MatrixXd basis_;  // n x block, orthonormal columns
  Eigen::MatrixXd product_;
  Eigen::VectorXd eigenvalues_;
};

}  // namespace dolphin::sim::internal
