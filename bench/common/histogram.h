// The shared histogram helper every benchmark reports through (docs/architecture.md §10).
//
// Record samples (nanoseconds or any unit), then Append() one JSON line
//   {"name","unit","n","p50","p99","max","floor_p99","ratio"}
// to the results file: $DOLPHIN_BENCH_OUT, default bench/results/results.jsonl under the
// source tree. Fields that do not apply are null. Thread-safety: not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dolphin::bench {

class Histogram {
 public:
  void Add(double v) { samples_.push_back(v); }
  void Reserve(size_t n) { samples_.reserve(n); }
  size_t count() const { return samples_.size(); }
  // Nearest-rank percentile, p in [0, 100]. 0 when empty.
  double Percentile(double p) const;
  double Max() const;
  double Mean() const;

 private:
  mutable std::vector<double> samples_;
  mutable bool sorted_ = false;
};

struct Record {
  std::string name;
  std::string unit;
  std::optional<uint64_t> n;
  std::optional<double> p50;
  std::optional<double> p99;
  std::optional<double> max;
  std::optional<double> floor_p99;
  std::optional<double> ratio;
};

// Builds a record from a histogram; scale multiplies every figure (e.g. 1e-3 for ns -> us).
Record FromHistogram(std::string name, std::string unit, const Histogram& h, double scale = 1.0);

// Appends one JSON line to the results file and echoes it to stdout.
void Append(const Record& record);

// Path of the results file.
std::string ResultsPath();

}  // namespace dolphin::bench
