// Scanner: the deterministic heart of `dolphin sim`, an NG6-compatible eigenvalue scanner.
//
// Each Next() takes one vector of prices (a seeded synthetic market or a replayed CSV file),
// updates the rolling correlation matrices of log returns over the windows of kWindows scans,
// solves them with warm-started iterative eigen-solvers and returns the scan's features in the
// shape of docs/architecture.md §8. A Scanner does no I/O after Create() and never reads a clock:
// the same options give the same scans, bit for bit. docs/sim.md documents the price model, the
// instability measure, the regime rule and the calibration.
//
// Thread-safety: a Scanner is not thread-safe; ScanFeatures is a plain value.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::sim {

// The correlation windows, in scans; index k of the per-window arrays below is kWindows[k].
inline constexpr std::array<int, 4> kWindows = {50, 150, 300, 750};
// How many of the largest eigenvalues of the 750 window a scan carries.
inline constexpr int kTopEigenvalues = 10;

enum class Regime { kBull, kBear, kSideways, kTransition };
// "BULL", "BEAR", "SIDEWAYS", "TRANSITION".
std::string_view RegimeName(Regime regime);

// One scan, docs/architecture.md §8.
struct ScanFeatures {
  int64_t scan_number = 0;
  Timestamp timestamp;
  std::vector<std::string> assets;
  std::vector<double> asset_prices;  // aligned with assets
  // The min(kTopEigenvalues, assets) largest eigenvalues of the 750 window's correlation
  // matrix, descending (not normalised).
  std::vector<double> eigenvalues;
  // Largest eigenvalue of each window's correlation matrix divided by the number of assets,
  // in (0, 1]. Index k is window kWindows[k].
  std::array<double, 4> lambda_max{};
  // lambda_max minus the previous scan's lambda_max (0 for the first scan).
  std::array<double, 4> velocity{};
  // velocity[0] - velocity[1] (w50_velocity - w150_velocity).
  double vel_div = 0;
  // Rotation of the leading eigenvector of the 50 / 150 window since the previous scan,
  // sin(angle) in [0, 1] (docs/sim.md).
  double instability_50 = 0;
  double instability_150 = 0;
  Regime regime = Regime::kSideways;
  // Share of assets whose price rose / fell since the previous scan (inputs of the regime).
  double up_share = 0;
  double down_share = 0;
};

struct ScannerOptions {
  // Number of synthetic assets (ignored when replaying a CSV). Default: 400.
  int assets = 400;
  // Seed of the synthetic market. Default: 42.
  uint64_t seed = 42;
  // Number of the first scan Next() returns. Default: 1.
  int64_t start_scan = 1;
  // Timestamp of the first synthetic scan when Next() is not given one. Default: 2026-03-25
  // 10:30:00 UTC.
  Timestamp start_time = Timestamp::FromUnixSeconds(1774434600);
  // Market time between synthetic scans when Next() is not given a timestamp. Default: 5 s.
  Duration step = std::chrono::seconds(5);
  // CSV file of `timestamp,symbol,close` rows to replay instead of the synthetic market.
  // Default: empty (synthetic).
  std::filesystem::path prices_csv;
  // Synthetic market only: scans generated before the first returned one so every window is
  // full from the start (only the rolling sums are updated for them, which is cheap).
  // Default: 750 (the largest window).
  int warmup_scans = 750;
  // Whether to compute `eigenvalues` (the subspace solver, the most expensive part).
  // Default: true.
  bool compute_eigenvalues = true;
};

class Scanner {
 public:
  virtual ~Scanner() = default;
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Builds a scanner. Errors: InvalidArgument for bad options or a malformed CSV file (one line
  // naming file:line and what was wrong), IoError when the CSV cannot be read.
  static Result<std::unique_ptr<Scanner>> Create(const ScannerOptions& options);

  // The asset symbols, in column order (synthetic: BTCUSDT, ETHUSDT, ...; CSV: order of first
  // appearance in the file).
  virtual const std::vector<std::string>& assets() const = 0;

  // Computes the next scan. Its timestamp is `timestamp` when given (live mode: the clock);
  // otherwise the CSV row's, or start_time + k * step for the synthetic market.
  // Returns nullopt when the CSV file is exhausted (the synthetic market never ends).
  virtual std::optional<ScanFeatures> Next(std::optional<Timestamp> timestamp = std::nullopt) = 0;

 protected:
  Scanner() = default;
};

}  // namespace dolphin::sim
