// Scan file renamed into place -> DOLPHIN_FEATURES listener callback on the memory bus, for
// 400-asset scans, beside the bare rename -> inotify wake floor measured in the same run; the
// bridge's CPU per scan; the same through mtime polling at 10 ms. docs/architecture.md §10 JSON
// lines.
#include <sys/inotify.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/bridge/bridge.h"
#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/scan_json.h"
#include "dolphin/core/json.h"
#include "floors.h"
#include "histogram.h"

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;  // determinism-ok: benchmark timing

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

double CpuSeconds(int who) {
  struct rusage ru;
  getrusage(who, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string ScanBytes(int64_t number, int assets) {
  std::vector<std::string> symbols;
  std::vector<double> prices;
  for (int i = 0; i < assets; ++i) {
    symbols.push_back(i == 0 ? "BTCUSDT" : i == 1 ? "ETHUSDT" : fmt::format("A{:03d}USDT", i));
    prices.push_back(100.0 + i * 1.37 + number * 0.01);
  }
  std::vector<double> eig;
  for (int i = 0; i < 10; ++i) eig.push_back(40.0 / (i + 1));
  namespace a = dolphin::arrow;
  a::TableBuilder b;
  b.AddMetadata("synthetic", "true");
  std::vector<a::Column> cols = {a::Int64Column("scan_number", {number}),
                                 a::TimestampColumn("timestamp", a::TimeUnit::kMicro, "UTC",
                                                    {1774434600000000 + number * 1000000}),
                                 a::Utf8ListColumn("assets", {symbols}),
                                 a::Float64ListColumn("asset_prices", {prices}),
                                 a::Float64ListColumn("eigenvalues", {eig})};
  for (const char* n : {"w50_lambda_max", "w150_lambda_max", "w300_lambda_max", "w750_lambda_max",
                        "w50_velocity", "w150_velocity", "w300_velocity", "w750_velocity",
                        "vel_div", "instability_50", "instability_150"}) {
    cols.push_back(a::Float64Column(n, {0.123456789 + number * 1e-6}));
  }
  cols.push_back(a::Utf8Column("regime", {"BULL"}));
  (void)b.AddBatch(cols);
  return *a::WriteIpc(b.table());
}

struct BridgeRun {
  dolphin::bench::Histogram latency;
  double cpu_per_scan_us = 0;
};

BridgeRun RunBridge(const fs::path& root, int n, int assets, bool polling) {
  dolphin::SystemClock clock;
  dolphin::NullLogger logger;
  dolphin::Random fixed_random(1);  // Benchmarks draw nothing random; a fixed seed.
  dolphin::Env env{clock, logger, dolphin::FileSystem::Default(), fixed_random,
                   dolphin::ThreadFactory::Default()};
  auto bus = dolphin::bus::NewInMemoryBus();
  dolphin::bridge::BridgeOptions o;
  o.scan_dir = root / "scans";
  o.quarantine_dir = root / "q";
  o.state_file = root / "state.json";
  o.log_each_scan = false;
  if (polling) {
    o.inotify = false;
    o.poll_interval = std::chrono::milliseconds(10);
  }
  fs::path day = o.scan_dir / "2026-03-25";
  fs::create_directories(day);
  std::mutex mu;
  std::condition_variable cv;
  int64_t last_seen = 0, seen_at = 0;
  (void)bus->AddKeyListener(dolphin::contract::kFeaturesMap, dolphin::contract::kScanKey,
                            [&](const dolphin::bus::BusEvent& e) {
                              int64_t now = NowNs();
                              // Cheap: the listener's own work must not count as bridge CPU.
                              size_t at = e.value.find("\"scan_number\":");
                              int64_t number = std::atoll(e.value.c_str() + at + 14);
                              std::lock_guard<std::mutex> lock(mu);
                              last_seen = number;
                              seen_at = now;
                              cv.notify_all();
                            });
  auto bridge = dolphin::bridge::NewBridge(o, *bus, env);
  (void)bridge->Start();
  // Files are prepared before timing starts; the timed part is rename -> callback.
  std::vector<std::string> files;
  for (int i = 1; i <= n; ++i) files.push_back(ScanBytes(i, assets));
  BridgeRun run;
  const double cpu0 = CpuSeconds(RUSAGE_SELF), main0 = CpuSeconds(RUSAGE_THREAD);
  for (int i = 1; i <= n; ++i) {
    fs::path tmp = day / fmt::format(".scan_{:06d}.tmp", i);
    {
      std::ofstream out(tmp, std::ios::binary);
      out << files[i - 1];
    }
    int64_t t0 = NowNs();
    fs::rename(tmp, day / fmt::format("scan_{:06d}.arrow", i));
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return last_seen >= i; });
    run.latency.Add(static_cast<double>(seen_at - t0));
  }
  const double cpu = (CpuSeconds(RUSAGE_SELF) - cpu0) - (CpuSeconds(RUSAGE_THREAD) - main0);
  run.cpu_per_scan_us = cpu / n * 1e6;
  bridge->Stop();
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int assets = 400;
  char tmpl[] = "/tmp/dolphin-bridge-bench-XXXXXX";
  fs::path root = mkdtemp(tmpl);
  std::fprintf(stderr, "bridge bench: %d scans of %d assets in %s\n", n, assets, root.c_str());

  auto floor = dolphin::bench::InotifyFloor(root / "floor", n);  // ns
  auto floor_rec =
      dolphin::bench::FromHistogram("bridge.rename_to_inotify_floor", "us", floor, 1e-3);
  dolphin::bench::Append(floor_rec);

  auto inotify = RunBridge(root / "inotify", n, assets, false);
  auto rec = dolphin::bench::FromHistogram("bridge.rename_to_bus_callback.400_assets", "us",
                                           inotify.latency, 1e-3);
  rec.floor_p99 = floor_rec.p99;
  rec.ratio = *rec.p99 / *floor_rec.p99;
  dolphin::bench::Append(rec);
  dolphin::bench::Record cpu{"bridge.cpu_per_scan.400_assets",
                             "us",
                             static_cast<uint64_t>(n),
                             inotify.cpu_per_scan_us,
                             std::nullopt,
                             std::nullopt,
                             std::nullopt,
                             std::nullopt};
  dolphin::bench::Append(cpu);

  int n_poll = std::min(n, 500);
  auto polled = RunBridge(root / "poll", n_poll, assets, true);
  auto prec = dolphin::bench::FromHistogram("bridge.rename_to_bus_callback.400_assets.poll_10ms",
                                            "us", polled.latency, 1e-3);
  prec.floor_p99 = floor_rec.p99;
  prec.ratio = *prec.p99 / *floor_rec.p99;
  dolphin::bench::Append(prec);
  dolphin::bench::Record pcpu{"bridge.cpu_per_scan.400_assets.poll_10ms",
                              "us",
                              static_cast<uint64_t>(n_poll),
                              polled.cpu_per_scan_us,
                              std::nullopt,
                              std::nullopt,
                              std::nullopt,
                              std::nullopt};
  dolphin::bench::Append(pcpu);
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
