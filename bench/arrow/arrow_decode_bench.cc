// Arrow decode + JSON encode of one 400-asset scan file (docs/architecture.md §8 layout), the work
// the bridge does per scan: ReadIpc(bytes) then EncodeRowJson. Budget (docs/architecture.md §10):
// p50 < 50 us. The same file is decoded by pyarrow (open_file().read_all().to_pylist()) in the same
// run; its figures are appended as their own record and as floor_p99/ratio of ours (ratio = our p50
// / pyarrow p50, so < 1 means faster than pyarrow).
//
// Usage: arrow_decode_bench [iterations]   (DOLPHIN_BENCH_PYTHON overrides .venv/bin/python)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/arrow/json_writer.h"
#include "histogram.h"

namespace {

using dolphin::arrow::Column;
using dolphin::arrow::Float64Column;

dolphin::arrow::Table ScanTable(int assets) {
  std::vector<std::string> symbols;
  std::vector<double> prices;
  for (int i = 0; i < assets; ++i) {
    // Appended piecewise: GCC 12 warns (-Wrestrict, bug 105329) on "A" + to_string(..) + "USDT".
    std::string symbol = i == 0 ? "BTC" : i == 1 ? "ETH" : "A";
    if (i > 1) symbol += std::to_string(1000 + i);
    symbol += "USDT";
    symbols.push_back(std::move(symbol));
    prices.push_back(1000.0 / (i + 1) + 0.123456789 * i);
  }
  std::vector<double> eigen;
  for (int i = 0; i < 10; ++i) eigen.push_back(100.0 / (i + 1.37));
  std::vector<Column> cols = {
      dolphin::arrow::Int64Column("scan_number", {123456}),
      dolphin::arrow::TimestampColumn("timestamp", dolphin::arrow::TimeUnit::kMicro, "UTC",
                                      {1774434601123456}),
      dolphin::arrow::Utf8ListColumn("assets", {symbols}),
      dolphin::arrow::Float64ListColumn("asset_prices", {prices}),
      dolphin::arrow::Float64ListColumn("eigenvalues", {eigen})};
  const char* scalars[] = {"w50_lambda_max",  "w150_lambda_max", "w300_lambda_max",
                           "w750_lambda_max", "w50_velocity",    "w150_velocity",
                           "w300_velocity",   "w750_velocity",   "vel_div",
                           "instability_50",  "instability_150"};
  double v = 0.0123456789;
  for (const char* name : scalars) {
    cols.push_back(Float64Column(name, {v}));
    v *= 1.731;
  }
  cols.push_back(dolphin::arrow::Utf8Column("regime", {"SIDEWAYS"}));
  dolphin::arrow::TableBuilder b;
  b.AddMetadata("synthetic", "true");
  if (!b.AddBatch(std::move(cols)).ok()) std::abort();
  return b.table();
}

double NowNs() {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())  // determinism-ok: benchmark timing
          .count());
}

double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Wall time per decode+encode into the returned histogram, thread CPU time into *cpu (the
// machine is shared: CPU time shows the cost without other processes' preemptions).
dolphin::bench::Histogram Measure(const std::vector<uint8_t>& bytes, int iterations,
                                  size_t* json_size, dolphin::bench::Histogram* cpu) {
  dolphin::bench::Histogram h;
  h.Reserve(static_cast<size_t>(iterations));
  cpu->Reserve(static_cast<size_t>(iterations));
  std::string json;
  for (int i = 0; i < iterations + 200; ++i) {
    double c0 = ThreadCpuNs();
    double t0 = NowNs();
    auto table = dolphin::arrow::ReadIpc(std::span<const uint8_t>(bytes));
    if (!table.ok()) {
      std::fprintf(stderr, "decode failed: %s\n", table.status().ToString().c_str());
      std::exit(1);
    }
    json.clear();
    dolphin::arrow::EncodeRowJson(*table, 0, 0, json);
    double t1 = NowNs();
    double c1 = ThreadCpuNs();
    if (i >= 200) {  // the first 200 warm up caches and the allocator
      h.Add(t1 - t0);
      cpu->Add(c1 - c0);
    }
  }
  *json_size = json.size();
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 20000;
  auto dir = std::filesystem::temp_directory_path() / "dolphin-arrow-bench";
  std::filesystem::create_directories(dir);

  struct Variant {
    const char* name;
    dolphin::arrow::Compression compression;
    bool dictionary;
  };
  const Variant variants[] = {{"plain", dolphin::arrow::Compression::kNone, false},
                              {"lz4", dolphin::arrow::Compression::kLz4Frame, false},
                              {"zstd_dict", dolphin::arrow::Compression::kZstd, true}};
  std::string python = std::getenv("DOLPHIN_BENCH_PYTHON") != nullptr
                           ? std::getenv("DOLPHIN_BENCH_PYTHON")
                           : std::string(DOLPHIN_SOURCE_DIR) + "/.venv/bin/python";
  for (const Variant& v : variants) {
    dolphin::arrow::WriterOptions o;
    o.compression = v.compression;
    if (v.dictionary) o.dictionary_columns = {"assets"};
    std::string path = (dir / (std::string("scan400_") + v.name + ".arrow")).string();
    if (!dolphin::arrow::WriteIpcFile(dolphin::FileSystem::Default(), path, ScanTable(400), o).ok())
      return 1;
    auto bytes = dolphin::arrow::ReadFileBytes(path);
    if (!bytes.ok()) return 1;
    size_t json_size = 0;
    dolphin::bench::Histogram cpu;
    auto h = Measure(*bytes, iterations, &json_size, &cpu);
    std::printf("# %s: file %zu bytes, JSON %zu bytes\n", v.name, bytes->size(), json_size);

    std::optional<double> py_p50, py_p99;
    if (std::filesystem::exists(python)) {
      std::string cmd = python + " " + DOLPHIN_SOURCE_DIR + "/bench/arrow/pyarrow_decode.py " +
                        path + " " + std::to_string(std::max(200, iterations / 10));
      std::FILE* p = popen(cmd.c_str(), "r");
      double p50 = 0, p99 = 0, mx = 0;
      unsigned long long n = 0;
      if (p != nullptr && std::fscanf(p, "%lf %lf %lf %llu", &p50, &p99, &mx, &n) == 4) {
        py_p50 = p50 / 1000.0;
        py_p99 = p99 / 1000.0;
        dolphin::bench::Record r{std::string("arrow_pyarrow_read_all_to_pylist_400_") + v.name,
                                 "us",
                                 n,
                                 p50 / 1000.0,
                                 p99 / 1000.0,
                                 mx / 1000.0,
                                 std::nullopt,
                                 std::nullopt};
        dolphin::bench::Append(r);
      } else {
        std::fprintf(stderr, "# pyarrow timing failed (%s)\n", cmd.c_str());
      }
      if (p != nullptr) pclose(p);
    } else {
      std::fprintf(stderr, "# %s missing: pyarrow not timed\n", python.c_str());
    }
    auto rec = dolphin::bench::FromHistogram(std::string("arrow_decode_json_400_assets_") + v.name,
                                             "us", h, 1e-3);
    rec.floor_p99 = py_p99;
    if (py_p50 && rec.p50) rec.ratio = *rec.p50 / *py_p50;
    dolphin::bench::Append(rec);
    dolphin::bench::Append(dolphin::bench::FromHistogram(
        std::string("arrow_decode_json_400_assets_") + v.name + "_thread_cpu", "us", cpu, 1e-3));
  }
  return 0;
}
