// Price sources of the scanner: the seeded synthetic market and a replayed CSV file.
// Thread-safety: not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/random.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::sim::internal {

class PriceSource {
 public:
  virtual ~PriceSource() = default;
  virtual const std::vector<std::string>& symbols() const = 0;
  // Moves to the next price vector; false when the source is exhausted.
  virtual bool Advance() = 0;
  // The current prices (after a successful Advance()), aligned with symbols().
  virtual const std::vector<double>& prices() const = 0;
  // The current row's timestamp, if the source has one.
  virtual std::optional<Timestamp> timestamp() const = 0;
};

// Parameters of one hidden market regime (returns in units of kBaseVol per scan).
struct MarketRegime {
  const char* name;
  double drift;       // market factor drift per scan
  double market_vol;  // market factor volatility
  double sector_vol;  // sector factor volatility
  double idio_vol;    // idiosyncratic volatility multiplier
  double mean_scans;  // mean duration in scans (geometric)
};

// The synthetic market's fixed parameters (docs/sim.md).
struct MarketModel {
  static constexpr double kBaseVol = 1e-3;  // log-return unit per scan
  static constexpr int kSectors = 12;
  // Probability per scan of a market jump, and the jump's size in market-factor sds.
  static constexpr double kJumpProbability = 0.004;
  static constexpr double kJumpScale = 3.0;
  static const MarketRegime kRegimes[4];
};

// returns_i = beta_i * (drift + market_vol * f) + gamma_i * sector_vol * g_sector(i)
//             + sigma_i * idio_vol * e_i, all in units of kBaseVol; price *= exp(return).
class SyntheticMarket final : public PriceSource {
 public:
  SyntheticMarket(int assets, uint64_t seed);
  const std::vector<std::string>& symbols() const override { return symbols_; }
  bool Advance() override;
  const std::vector<double>& prices() const override { return prices_; }
  std::optional<Timestamp> timestamp() const override { return std::nullopt; }
  int regime_index() const { return regime_; }

 private:
  Random random_;
  std::vector<std::string> symbols_;
  std::vector<double> prices_;
  std::vector<double> beta_;
  std::vector<double> gamma_;
  std::vector<double> sigma_;
  std::vector<int> sector_;
  std::vector<double> sector_draw_;
  int regime_ = 0;
  bool started_ = false;
};

// The first `n` synthetic symbols: BTCUSDT, ETHUSDT, well-known pairs, then SIM0061USDT, ...
std::vector<std::string> SyntheticSymbols(int n);

// A whole CSV file of `timestamp,symbol,close` rows, loaded and validated up front.
class CsvPrices final : public PriceSource {
 public:
  // Errors: IoError (unreadable), InvalidArgument "<file>:<line>: <what>" for the first bad row.
  static Result<std::unique_ptr<CsvPrices>> Load(const std::filesystem::path& file);
  // Same, from text (tests); `label` names the source in errors.
  static Result<std::unique_ptr<CsvPrices>> Parse(std::string_view text, const std::string& label);

  const std::vector<std::string>& symbols() const override { return symbols_; }
  bool Advance() override;
  const std::vector<double>& prices() const override { return current_; }
  std::optional<Timestamp> timestamp() const override;
  size_t rows() const { return times_.size(); }

 private:
  CsvPrices() = default;
  std::vector<std::string> symbols_;
  std::vector<Timestamp> times_;
  std::vector<std::vector<double>> steps_;  // one per distinct timestamp, ascending
  std::vector<double> current_;
  size_t next_ = 0;
};

// Timestamp text of a CSV row: RFC 3339, or an integer number of Unix seconds, milliseconds,
// microseconds or nanoseconds (told apart by magnitude).
Result<Timestamp> ParseCsvTimestamp(std::string_view text);

}  // namespace dolphin::sim::internal
