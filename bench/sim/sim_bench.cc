// `dolphin sim` throughput at 400 assets (docs/architecture.md §10: >= 100 scans/s, Release build).
//
// Appends two records through the shared histogram helper:
//   sim.scan_400_assets       per-scan compute time (Scanner::Next), us: p50, p99, max
//   sim.throughput_400_assets scans/s: p50 = median over batches of 100 scans; p99/max null
// and, with --write DIR, the same two for compute + Arrow encode + atomic file write.
// Usage: dolphin_sim_bench [--scans N] [--assets N] [--write DIR]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "dolphin/sim/scan_sink.h"
#include "dolphin/sim/scanner.h"
#include "histogram.h"

namespace {

using Clock = std::chrono::steady_clock;  // determinism-ok: benchmark timing

int Main(int argc, char** argv) {
  int scans = 2000;
  int assets = 400;
  std::string write_dir;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--scans") == 0 && i + 1 < argc) {
      scans = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--assets") == 0 && i + 1 < argc) {
      assets = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--write") == 0 && i + 1 < argc) {
      write_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--scans N] [--assets N] [--write DIR]\n", argv[0]);
      return 2;
    }
  }
  dolphin::sim::ScannerOptions options;
  options.assets = assets;
  auto t_create = Clock::now();
  auto scanner = dolphin::sim::Scanner::Create(options);
  if (!scanner.ok()) {
    std::fprintf(stderr, "%s\n", scanner.status().ToString().c_str());
    return 1;
  }
  const double create_s = std::chrono::duration<double>(Clock::now() - t_create).count();
  std::unique_ptr<dolphin::sim::ScanSink> sink;
  if (!write_dir.empty())
    sink = dolphin::sim::NewScanFileSink(dolphin::FileSystem::Default(), write_dir);
  dolphin::bench::Histogram per_scan;
  dolphin::bench::Histogram batches;
  per_scan.Reserve(scans);
  int below = 0;
  constexpr int kBatch = 100;
  auto batch_start = Clock::now();
  auto all_start = batch_start;
  for (int i = 0; i < scans; ++i) {
    auto t0 = Clock::now();
    auto scan = (*scanner)->Next();
    if (sink != nullptr) {
      auto written = sink->Write(*scan);
      if (!written.ok()) {
        std::fprintf(stderr, "%s\n", written.status().ToString().c_str());
        return 1;
      }
    }
    auto t1 = Clock::now();
    per_scan.Add(std::chrono::duration<double, std::micro>(t1 - t0).count());
    if (scan->vel_div <= -0.02) ++below;
    if ((i + 1) % kBatch == 0) {
      batches.Add(kBatch / std::chrono::duration<double>(t1 - batch_start).count());
      batch_start = t1;
    }
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - all_start).count();
  const std::string suffix = std::to_string(assets) + "_assets";
  const std::string what = write_dir.empty() ? "sim.scan_" : "sim.scan_write_";
  dolphin::bench::Append(dolphin::bench::FromHistogram(what + suffix, "us", per_scan));
  dolphin::bench::Record tp;
  tp.name = (write_dir.empty() ? "sim.throughput_" : "sim.write_throughput_") + suffix;
  tp.unit = "scans/s";
  tp.n = static_cast<uint64_t>(scans);
  tp.p50 = batches.Percentile(50);
  dolphin::bench::Append(tp);
  std::printf(
      "overall %.1f scans/s over %d scans; create (750 warm-up scans) %.2f s; "
      "vel_div <= -0.02 in %.2f %% of scans\n",
      scans / total_s, scans, create_s, 100.0 * below / scans);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
