// ScannerImpl: price source -> log returns -> rolling correlations -> eigen features.
// Private; tests include it to reach the solvers' state.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include <Eigen/Dense>

#include "dolphin/sim/scanner.h"
#include "eigen_solvers.h"
#include "price_source.h"
#include "rolling_correlation.h"

namespace dolphin::sim::internal {

// Iteration caps per scan (warm start) and for a cold start (first solve).
inline constexpr int kWarmPowerIterations = 60;
inline constexpr int kColdPowerIterations = 500;
inline constexpr int kWarmSubspaceIterations = 8;
inline constexpr int kColdSubspaceIterations = 300;
// Block size of the subspace solver (oversampling beyond kTopEigenvalues speeds convergence).
inline constexpr int kSubspaceBlock = 16;

// The regime rule (docs/sim.md): BULL when >= 60 % of assets rose, BEAR when >= 60 % fell,
// SIDEWAYS otherwise; TRANSITION when the direction flipped (BULL <-> BEAR) since the previous
// scan's candidate.
Regime ClassifyRegime(double up_share, double down_share, Regime previous_candidate,
                      Regime* candidate);

class ScannerImpl final : public Scanner {
 public:
  ScannerImpl(const ScannerOptions& options, std::unique_ptr<PriceSource> source);

  const std::vector<std::string>& assets() const override { return source_->symbols(); }
  std::optional<ScanFeatures> Next(std::optional<Timestamp> timestamp) override;

  // Runs the pre-roll (called by Create()).
  void WarmUp(int scans);

  const RollingCorrelation& window(int k) const { return *windows_[k]; }
  const PowerIteration& power(int k) const { return power_[k]; }
  const SubspaceIteration* subspace() const { return subspace_.get(); }
  PriceSource& source() { return *source_; }
  // Operator applications so far: [0..3] power iteration per window, [4] subspace.
  const std::array<int64_t, 5>& iterations() const { return iterations_; }

 private:
  // Feeds the source's current prices: returns into the windows and the regime inputs.
  void Ingest();
  // Solves every window; fills lambda, velocities, instability, eigenvalues.
  void Solve(ScanFeatures* out);

  const ScannerOptions options_;
  std::unique_ptr<PriceSource> source_;
  const int n_;
  std::vector<std::unique_ptr<RollingCorrelation>> windows_;
  std::vector<PowerIteration> power_;
  std::unique_ptr<SubspaceIteration> subspace_;
  std::vector<double> last_prices_;
  bool have_prices_ = false;
  bool solved_once_ = false;
  Eigen::VectorXd returns_;
  std::array<double, 4> prev_lambda_{};
  std::array<Eigen::VectorXd, 2> prev_vector_;
  double up_share_ = 0;
  double down_share_ = 0;
  Regime candidate_ = Regime::kSideways;
  Regime regime_ = Regime::kSideways;
  int64_t next_number_;
  int64_t produced_ = 0;
  std::array<int64_t, 5> iterations_{};
};

}  // namespace dolphin::sim::internal
