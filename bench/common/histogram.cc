#include "histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include <nlohmann/json.hpp>

namespace dolphin::bench {

double Histogram::Percentile(double p) const {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(samples_.size())));
  if (rank == 0) rank = 1;
  return samples_[std::min(rank, samples_.size()) - 1];
}

double Histogram::Max() const {
  return samples_.empty() ? 0 : *std::max_element(samples_.begin(), samples_.end());
}

double Histogram::Mean() const {
  if (samples_.empty()) return 0;
  return std::accumulate(samples_.begin(), samples_.end(), 0.0) /
         static_cast<double>(samples_.size());
}

Record FromHistogram(std::string name, std::string unit, const Histogram& h, double scale) {
  Record r;
  r.name = std::move(name);
  r.unit = std::move(unit);
  r.n = h.count();
  r.p50 = h.Percentile(50) * scale;
  r.p99 = h.Percentile(99) * scale;
  r.max = h.Max() * scale;
  return r;
}

std::string ResultsPath() {
  if (const char* out = std::getenv("DOLPHIN_BENCH_OUT")) return out;
  return std::string(DOLPHIN_SOURCE_DIR) + "/bench/results/results.jsonl";
}

void Append(const Record& r) {
  nlohmann::ordered_json j;
  auto opt = [](const auto& v) -> nlohmann::ordered_json {
    if (!v.has_value()) return nullptr;
    return *v;
  };
  j["name"] = r.name;
  j["unit"] = r.unit;
  j["n"] = opt(r.n);
  j["p50"] = opt(r.p50);
  j["p99"] = opt(r.p99);
  j["max"] = opt(r.max);
  j["floor_p99"] = opt(r.floor_p99);
  j["ratio"] = opt(r.ratio);
  std::string line = j.dump();
  std::filesystem::path path(ResultsPath());
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (std::FILE* f = std::fopen(path.c_str(), "a")) {
    std::fprintf(f, "%s\n", line.c_str());
    std::fclose(f);
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace dolphin::bench
