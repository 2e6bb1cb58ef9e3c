#include "dolphin/sim/scanner.h"

#include <cmath>

#include <fmt/format.h>

#include "scanner_impl.h"

namespace dolphin::sim {

std::string_view RegimeName(Regime regime) {
  switch (regime) {
    case Regime::kBull: return "BULL";
    case Regime::kBear: return "BEAR";
    case Regime::kSideways: return "SIDEWAYS";
    case Regime::kTransition: return "TRANSITION";
  }
  return "SIDEWAYS";
}

Result<std::unique_ptr<Scanner>> Scanner::Create(const ScannerOptions& options) {
  std::unique_ptr<internal::PriceSource> source;
  if (options.prices_csv.empty()) {
    if (options.assets < 2 || options.assets > 20000) {
      return InvalidArgumentError(
          fmt::format("assets must be between 2 and 20000, got {}", options.assets));
    }
    source = std::make_unique<internal::SyntheticMarket>(options.assets, options.seed);
  } else {
    DOLPHIN_ASSIGN_OR_RETURN(auto csv, internal::CsvPrices::Load(options.prices_csv));
    if (csv->symbols().size() < 2) {
      return InvalidArgumentError(fmt::format("{}: need at least 2 symbols, found {}",
                                              options.prices_csv.string(), csv->symbols().size()));
    }
    source = std::move(csv);
  }
  if (options.warmup_scans < 0) {
    return InvalidArgumentError(
        fmt::format("warmup_scans must be >= 0, got {}", options.warmup_scans));
  }
  if (options.start_scan < 0) {
    return InvalidArgumentError(fmt::format("start_scan must be >= 0, got {}", options.start_scan));
  }
  const bool synthetic = options.prices_csv.empty();
  auto impl = std::make_unique<internal::ScannerImpl>(options, std::move(source));
  if (synthetic) impl->WarmUp(options.warmup_scans);
  return std::unique_ptr<Scanner>(std::move(impl));
}

namespace internal {

Regime ClassifyRegime(double up_share, double down_share, Regime previous_candidate,
                      Regime* candidate) {
  Regime c = Regime::kSideways;
  if (up_share >= 0.6) {
    c = Regime::kBull;
  } else if (down_share >= 0.6) {
    c = Regime::kBear;
  }
  *candidate = c;
  const bool flipped = (c == Regime::kBull && previous_candidate == Regime::kBear) ||
                       (c == Regime::kBear && previous_candidate == Regime::kBull);
  return flipped ? Regime::kTransition : c;
}

ScannerImpl::ScannerImpl(const ScannerOptions& options, std::unique_ptr<PriceSource> source)
    : options_(options),
      source_(std::move(source)),
      n_(static_cast<int>(source_->symbols().size())),
      returns_(Eigen::VectorXd::Zero(n_)),
      next_number_(options.start_scan) {
  for (int w : kWindows) {
    windows_.push_back(std::make_unique<RollingCorrelation>(n_, w));
    power_.emplace_back(n_);
  }
  if (options_.compute_eigenvalues) {
    const int wanted = std::min(kTopEigenvalues, n_);
    const int block = std::min(kSubspaceBlock, n_);
    subspace_ = std::make_unique<SubspaceIteration>(n_, wanted, block, options_.seed ^ 0x5eedULL);
  }
  for (auto& v : prev_vector_) v = Eigen::VectorXd::Constant(n_, 1.0 / std::sqrt(n_));
  for (auto& l : prev_lambda_) l = 1.0 / n_;
}

void ScannerImpl::Ingest() {
  const std::vector<double>& prices = source_->prices();
  int up = 0;
  int down = 0;
  if (have_prices_) {
    for (int i = 0; i < n_; ++i) {
      const double a = last_prices_[i];
      const double b = prices[i];
      const double r = (a > 0 && b > 0) ? std::log(b / a) : 0.0;
      returns_(i) = std::isfinite(r) ? r : 0.0;
      up += returns_(i) > 0;
      down += returns_(i) < 0;
    }
    for (auto& w : windows_) w->Add(returns_);
  }
  up_share_ = static_cast<double>(up) / n_;
  down_share_ = static_cast<double>(down) / n_;
  if (have_prices_) {
    regime_ = ClassifyRegime(up_share_, down_share_, candidate_, &candidate_);
  }
  last_prices_ = prices;
  have_prices_ = true;
}

void ScannerImpl::WarmUp(int scans) {
  for (int i = 0; i < scans; ++i) {
    if (!source_->Advance()) return;
    Ingest();
  }
  if (scans > 0) {
    // Solve once at the end of the pre-roll so the first scan's velocities and instability
    // compare against a real previous scan.
    ScanFeatures discard;
    Solve(&discard);
  }
}

void ScannerImpl::Solve(ScanFeatures* out) {
  const int warm_power = solved_once_ ? kWarmPowerIterations : kColdPowerIterations;
  for (size_t k = 0; k < kWindows.size(); ++k) {
    const RollingCorrelation& win = *windows_[k];
    auto op = [&win](const Eigen::MatrixXd& x, Eigen::MatrixXd* y) { win.Multiply(x, y); };
    iterations_[k] += power_[k].Solve(op, warm_power).iterations;
    const double lambda = std::clamp(power_[k].eigenvalue() / n_, 1e-12, 1.0);
    out->lambda_max[k] = lambda;
    out->velocity[k] = lambda - prev_lambda_[k];
    prev_lambda_[k] = lambda;
    if (k < 2) {
      const Eigen::VectorXd v = power_[k].vector();
      const double dot = std::clamp(v.dot(prev_vector_[k]), -1.0, 1.0);
      const double inst = std::sqrt(std::max(0.0, 1.0 - dot * dot));
      (k == 0 ? out->instability_50 : out->instability_150) = inst;
      prev_vector_[k] = v;
    }
  }
  out->vel_div = out->velocity[0] - out->velocity[1];
  if (subspace_ != nullptr) {
    const RollingCorrelation& win = *windows_.back();
    auto op = [&win](const Eigen::MatrixXd& x, Eigen::MatrixXd* y) { win.Multiply(x, y); };
    iterations_[4] +=
        subspace_->Solve(op, solved_once_ ? kWarmSubspaceIterations : kColdSubspaceIterations)
            .iterations;
    const Eigen::VectorXd& ev = subspace_->eigenvalues();
    out->eigenvalues.assign(ev.data(), ev.data() + ev.size());
  }
  solved_once_ = true;
}

std::optional<ScanFeatures> ScannerImpl::Next(std::optional<Timestamp> timestamp) {
  if (!source_->Advance()) return std::nullopt;
  Ingest();
  ScanFeatures out;
  out.scan_number = next_number_++;
  if (timestamp.has_value()) {
    out.timestamp = *timestamp;
  } else if (auto ts = source_->timestamp(); ts.has_value()) {
    out.timestamp = *ts;
  } else {
    out.timestamp = options_.start_time + options_.step * produced_;
  }
  ++produced_;
  out.assets = source_->symbols();
  out.asset_prices = source_->prices();
  Solve(&out);
  out.regime = regime_;
  out.up_share = up_share_;
  out.down_share = down_share_;
  return out;
}

}  // namespace internal
}  // namespace dolphin::sim
