#include "rolling_correlation.h"

#include <cmath>

#include "dolphin/core/check.h"

namespace dolphin::sim::internal {

RollingCorrelation::RollingCorrelation(int assets, int window, int recompute_every)
    : assets_(assets),
      window_(window),
      recompute_every_(recompute_every),
      ring_(Eigen::MatrixXd::Zero(assets, window)),
      sum_(Eigen::VectorXd::Zero(assets)),
      cross_(Eigen::MatrixXd::Zero(assets, assets)),
      mean_(Eigen::VectorXd::Zero(assets)),
      inv_sd_(Eigen::VectorXd::Zero(assets)) {
  DOLPHIN_CHECK(assets >= 1 && window >= 1 && recompute_every >= 1);
}

void RollingCorrelation::Add(const Eigen::VectorXd& returns) {
  DOLPHIN_DCHECK(returns.size() == assets_);
  if (count_ < window_) {
    ring_.col((head_ + count_) % window_) = returns;
    ++count_;
    sum_ += returns;
    cross_.selfadjointView<Eigen::Lower>().rankUpdate(returns, 1.0);
  } else {
    // Full: the slot of the oldest vector receives the new one. Two symmetric rank-1 updates
    // of the lower triangle add the new outer product and drop the old one.
    auto oldest = ring_.col(head_);
    sum_ += returns - oldest;
    cross_.selfadjointView<Eigen::Lower>().rankUpdate(returns, 1.0);
    cross_.selfadjointView<Eigen::Lower>().rankUpdate(oldest, -1.0);
    oldest = returns;
    head_ = (head_ + 1) % window_;
  }
  if (++adds_since_recompute_ >= recompute_every_) {
    Recompute();
  } else {
    UpdateMoments();
  }
}

void RollingCorrelation::Recompute() {
  adds_since_recompute_ = 0;
  sum_.setZero();
  cross_.setZero();
  if (count_ > 0) {
    // Before the first wrap the vectors occupy columns [0, count_); afterwards every column.
    // The sums do not depend on the order.
    auto used = ring_.leftCols(count_);
    sum_ = used.rowwise().sum();
    cross_.selfadjointView<Eigen::Lower>().rankUpdate(used, 1.0);
  }
  UpdateMoments();
}

void RollingCorrelation::UpdateMoments() {
  if (count_ == 0) {
    mean_.setZero();
    inv_sd_.setZero();
    return;
  }
  const double n = count_;
  mean_ = sum_ / n;
  for (int i = 0; i < assets_; ++i) {
    const double second = cross_(i, i) / n;
    const double var = second - mean_(i) * mean_(i);
    // Relative threshold: cancellation leaves ~1e-16 * second of noise in a zero variance.
    inv_sd_(i) = (count_ >= 2 && var > 1e-12 * second && var > 0) ? 1.0 / std::sqrt(var) : 0.0;
  }
}

void RollingCorrelation::Multiply(const Eigen::MatrixXd& x, Eigen::MatrixXd* y) const {
  DOLPHIN_DCHECK(x.rows() == assets_);
  if (count_ == 0) {
    *y = x;
    return;
  }
  const double n = count_;
  Eigen::MatrixXd u = inv_sd_.asDiagonal() * x;
  Eigen::RowVectorXd mu = mean_.transpose() * u;
  y->noalias() = cross_.selfadjointView<Eigen::Lower>() * u;
  *y /= n;
  y->noalias() -= mean_ * mu;
  *y = inv_sd_.asDiagonal() * (*y);
  for (int i = 0; i < assets_; ++i) {
    if (inv_sd_(i) == 0.0) y->row(i) = x.row(i);
  }
}

Eigen::MatrixXd RollingCorrelation::Dense() const {
  Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(assets_, assets_);
  Eigen::MatrixXd r;
  Multiply(eye, &r);
  return r;
}

Eigen::MatrixXd RollingCorrelation::DenseFromScratchForTest() const {
  Eigen::MatrixXd r = Eigen::MatrixXd::Identity(assets_, assets_);
  if (count_ < 2) return r;
  Eigen::MatrixXd x(assets_, count_);
  for (int k = 0; k < count_; ++k) x.col(k) = ring_.col((head_ + k) % window_);
  Eigen::VectorXd mean = x.rowwise().mean();
  Eigen::MatrixXd centered = x.colwise() - mean;
  Eigen::MatrixXd cov = centered * centered.transpose() / static_cast<double>(count_);
  for (int i = 0; i < assets_; ++i) {
    for (int j = 0; j < assets_; ++j) {
      if (i == j) continue;
      const double vi = cov(i, i);
      const double vj = cov(j, j);
      const double si = x.row(i).squaredNorm() / count_;
      const double sj = x.row(j).squaredNorm() / count_;
      if (vi > 1e-12 * si && vi > 0 && vj > 1e-12 * sj && vj > 0) {
        r(i, j) = cov(i, j) / std::sqrt(vi * vj);
      }
    }
  }
  return r;
}

}  // namespace dolphin::sim::internal
