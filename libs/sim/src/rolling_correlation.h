// RollingCorrelation: the correlation matrix of the last W return vectors, kept as rolling sums.
//
// For a window of W scans it holds a ring buffer of the last W return vectors r (one value per
// asset), their running sum S and the running cross-product matrix C = sum r r^T. Add() is
// O(N^2): two symmetric rank-1 updates of the lower triangle that add the new outer product
// and subtract the dropped one. To
// bound floating-point drift the sums are recomputed from the ring every `recompute_every` adds.
//
// The correlation matrix is never formed for the solvers: Multiply() applies it implicitly,
//   R x = D^-1 (C/n - m m^T) D^-1 x,   m = S/n, D = diag(sd), sd_i = sqrt(C_ii/n - m_i^2),
// (population moments over the n <= W vectors present). An asset whose variance is zero (or
// fewer than two vectors are present) is uncorrelated with everything: its row and column are
// those of the identity matrix, so R is always a valid correlation matrix with unit diagonal.
// Thread-safety: not thread-safe.
#pragma once

#include <Eigen/Dense>

namespace dolphin::sim::internal {

class RollingCorrelation {
 public:
  // REQUIRES: assets >= 1, window >= 1, recompute_every >= 1.
  RollingCorrelation(int assets, int window, int recompute_every = 1000);

  // Appends one return vector (size assets), dropping the oldest when the window is full.
  void Add(const Eigen::VectorXd& returns);

  int assets() const { return assets_; }
  int window() const { return window_; }
  // Number of vectors currently in the window, min(adds so far, window).
  int count() const { return count_; }

  // Y = R X for a block of column vectors. REQUIRES: X.rows() == assets.
  void Multiply(const Eigen::MatrixXd& x, Eigen::MatrixXd* y) const;
  // The dense correlation matrix (tests and diagnostics; O(N^2)).
  Eigen::MatrixXd Dense() const;
  // Dense correlation matrix computed from the ring buffer without the running sums (tests).
  Eigen::MatrixXd DenseFromScratchForTest() const;

  // Recomputes S and C from the vectors in the ring.
  void Recompute();

 private:
  void UpdateMoments();

  const int assets_;
  const int window_;
  const int recompute_every_;
  Eigen::MatrixXd ring_;  // assets x window; column (head_ + i) % window is the i-th oldest
  int head_ = 0;          // index of the oldest vector
  int count_ = 0;
  int adds_since_recompute_ = 0;
  Eigen::VectorXd sum_;
  Eigen::MatrixXd cross_;  // symmetric; only the lower triangle is kept up to date
  Eigen::VectorXd mean_;
  Eigen::VectorXd inv_sd_;  // 0 where the variance is zero
};

}  // namespace dolphin::sim::internal
