#include "price_source.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace dolphin::sim::internal {

// Four hidden regimes: calm (low correlation), bull, bear and a short high-correlation stress
// regime. Units: kBaseVol per scan. See docs/sim.md for the resulting correlation levels.
const MarketRegime MarketModel::kRegimes[4] = {
    {"calm", 0.00, 0.60, 0.50, 1.00, 600},
    {"bull", 0.12, 0.90, 0.55, 1.00, 500},
    {"bear", -0.15, 1.30, 0.60, 1.10, 400},
    {"stress", -0.40, 2.20, 0.80, 1.20, 150},
};

namespace {

constexpr const char* kKnownSymbols[] = {
    "BTCUSDT",  "ETHUSDT",   "BNBUSDT",   "SOLUSDT",  "XRPUSDT",   "ADAUSDT",  "DOGEUSDT",
    "TRXUSDT",  "AVAXUSDT",  "LINKUSDT",  "DOTUSDT",  "MATICUSDT", "LTCUSDT",  "BCHUSDT",
    "SHIBUSDT", "UNIUSDT",   "ATOMUSDT",  "XLMUSDT",  "ETCUSDT",   "NEARUSDT", "APTUSDT",
    "FILUSDT",  "ICPUSDT",   "ARBUSDT",   "OPUSDT",   "VETUSDT",   "HBARUSDT", "INJUSDT",
    "SUIUSDT",  "AAVEUSDT",  "ALGOUSDT",  "GRTUSDT",  "SANDUSDT",  "MANAUSDT", "AXSUSDT",
    "EGLDUSDT", "THETAUSDT", "FTMUSDT",   "XTZUSDT",  "EOSUSDT",   "FLOWUSDT", "CHZUSDT",
    "KAVAUSDT", "ZECUSDT",   "DASHUSDT",  "NEOUSDT",  "IOTAUSDT",  "COMPUSDT", "MKRUSDT",
    "SNXUSDT",  "CRVUSDT",   "LDOUSDT",   "RUNEUSDT", "QNTUSDT",   "ENJUSDT",  "ZILUSDT",
    "BATUSDT",  "1INCHUSDT", "SUSHIUSDT", "YFIUSDT",
};
constexpr int kKnownCount = sizeof(kKnownSymbols) / sizeof(kKnownSymbols[0]);

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::vector<std::string> SyntheticSymbols(int n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    out.push_back(i < kKnownCount ? std::string(kKnownSymbols[i])
                                  : fmt::format("SIM{:04d}USDT", i + 1));
  }
  return out;
}

SyntheticMarket::SyntheticMarket(int assets, uint64_t seed)
    : random_(seed),
      symbols_(SyntheticSymbols(assets)),
      prices_(assets),
      beta_(assets),
      gamma_(assets),
      sigma_(assets),
      sector_(assets),
      sector_draw_(MarketModel::kSectors) {
  for (int i = 0; i < assets; ++i) {
    if (i == 0) {
      prices_[i] = 60000.0;
    } else if (i == 1) {
      prices_[i] = 3000.0;
    } else {
      // Log-uniform between 0.05 and 500.
      prices_[i] = std::exp(std::log(0.05) + random_.Uniform() * std::log(500.0 / 0.05));
    }
    beta_[i] = i == 0 ? 1.0 : (i == 1 ? 1.15 : 0.6 + 0.8 * random_.Uniform());
    gamma_[i] = 0.7 + 0.6 * random_.Uniform();
    sigma_[i] = i < 2 ? 0.8 : 0.7 + 0.8 * random_.Uniform();
    sector_[i] = i < 2 ? 0 : static_cast<int>(random_.Below(MarketModel::kSectors));
  }
}

bool SyntheticMarket::Advance() {
  if (!started_) {
    // The first vector is the starting prices themselves.
    started_ = true;
    return true;
  }
  const MarketRegime& r = MarketModel::kRegimes[regime_];
  double f = random_.Normal();
  if (random_.Uniform() < MarketModel::kJumpProbability) f *= MarketModel::kJumpScale;
  const double market = r.drift + r.market_vol * f;
  for (double& g : sector_draw_) g = r.sector_vol * random_.Normal();
  for (size_t i = 0; i < prices_.size(); ++i) {
    const double ret = beta_[i] * market + gamma_[i] * sector_draw_[sector_[i]] +
                       sigma_[i] * r.idio_vol * random_.Normal();
    prices_[i] *= std::exp(MarketModel::kBaseVol * ret);
  }
  // Hidden Markov regime switch: leave with probability 1 / mean duration, to any other regime.
  if (random_.Uniform() < 1.0 / r.mean_scans) {
    regime_ = (regime_ + 1 + static_cast<int>(random_.Below(3))) % 4;
  }
  return true;
}

Result<Timestamp> ParseCsvTimestamp(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return InvalidArgumentError("empty timestamp");
  bool integer = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (i == 0 && c == '-'))) integer = false;
  }
  if (!integer) {
    auto ts = ParseRfc3339(text);
    if (!ts.ok()) {
      return InvalidArgumentError(
          fmt::format("bad timestamp \"{}\" (expected RFC 3339 or Unix seconds/ms/us/ns)", text));
    }
    return *ts;
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return InvalidArgumentError(fmt::format("bad timestamp \"{}\" (integer out of range)", text));
  }
  const int64_t mag = v < 0 ? -v : v;
  if (mag < 100000000000LL) return Timestamp::FromUnixSeconds(v);             // < 1e11: seconds
  if (mag < 100000000000000LL) return Timestamp::FromUnixNanos(v * 1000000);  // ms
  if (mag < 100000000000000000LL) return Timestamp::FromUnixMicros(v);        // us
  return Timestamp::FromUnixNanos(v);                                         // ns
}

Result<std::unique_ptr<CsvPrices>> CsvPrices::Load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return IoError(fmt::format("{}: cannot open price file", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError(fmt::format("{}: read error", file.string()));
  return Parse(text.str(), file.string());
}

Result<std::unique_ptr<CsvPrices>> CsvPrices::Parse(std::string_view text,
                                                    const std::string& label) {
  std::unique_ptr<CsvPrices> out(new CsvPrices());
  std::map<std::string, int, std::less<>> symbol_index;
  // (timestamp, symbol) -> (price, line)
  std::map<int64_t, std::map<int, std::pair<double, int>>> rows;
  int line_no = 0;
  bool seen_row = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty()) {
      if (end == text.size()) break;
      continue;
    }
    auto error = [&](const std::string& what) {
      return InvalidArgumentError(fmt::format("{}:{}: {}", label, line_no, what));
    };
    std::vector<std::string_view> fields;
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      fields.push_back(Trim(line.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (fields.size() != 3) {
      return error(
          fmt::format("expected 3 fields \"timestamp,symbol,close\", got {}", fields.size()));
    }
    if (!seen_row && IEquals(fields[0], "timestamp") && IEquals(fields[1], "symbol") &&
        IEquals(fields[2], "close")) {
      seen_row = true;  // the optional header
      continue;
    }
    seen_row = true;
    auto ts = ParseCsvTimestamp(fields[0]);
    if (!ts.ok()) return error(ts.status().message());
    if (fields[1].empty()) return error("empty symbol");
    double close = 0;
    auto [ptr, ec] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), close);
    if (ec != std::errc() || ptr != fields[2].data() + fields[2].size() || fields[2].empty()) {
      return error(fmt::format("bad close \"{}\" (expected a number)", fields[2]));
    }
    if (!std::isfinite(close) || close <= 0) {
      return error(fmt::format("bad close \"{}\" (expected a positive finite price)", fields[2]));
    }
    auto [it, inserted] =
        symbol_index.try_emplace(std::string(fields[1]), static_cast<int>(out->symbols_.size()));
    if (inserted) out->symbols_.emplace_back(fields[1]);
    auto& at = rows[ts->UnixNanos()];
    auto [slot, fresh] = at.try_emplace(it->second, close, line_no);
    if (!fresh) {
      return error(fmt::format("duplicate price for {} at {} (first on line {})", fields[1],
                               FormatRfc3339(*ts), slot->second.second));
    }
    if (end == text.size()) break;
  }
  if (rows.empty()) return InvalidArgumentError(fmt::format("{}: no price rows", label));
  const size_t n = out->symbols_.size();
  // Before its first row an asset takes its first known price (a zero return); after a gap it
  // keeps its last price.
  std::vector<double> current(n, 0.0);
  std::vector<bool> known(n, false);
  size_t known_count = 0;
  for (const auto& [nanos, prices] : rows) {
    for (const auto& [sym, pl] : prices) {
      if (!known[sym]) {
        known[sym] = true;
        ++known_count;
        current[sym] = pl.first;
      }
    }
    if (known_count == n) break;
  }
  out->steps_.reserve(rows.size());
  out->times_.reserve(rows.size());
  for (const auto& [nanos, prices] : rows) {
    for (const auto& [sym, pl] : prices) current[sym] = pl.first;
    out->times_.push_back(Timestamp::FromUnixNanos(nanos));
    out->steps_.push_back(current);
  }
  return out;
}

bool CsvPrices::Advance() {
  if (next_ >= steps_.size()) return false;
  current_ = steps_[next_++];
  return true;
}

std::optional<Timestamp> CsvPrices::timestamp() const {
  if (next_ == 0) return std::nullopt;
  return times_[next_ - 1];
}

}  // namespace dolphin::sim::internal
