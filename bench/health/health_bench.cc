// Health cycle cost (docs/architecture.md §10: < 0.5 % of one core at the 5 s cadence, < 64 MB):
// one HealthService::RunCycle over the embedded bus holding what a running system holds (a
// 400-asset scan, heartbeats of bridge + 4 traders, 4 trader states), with the real TCP port
// probe against a loopback listener, the record written to meta_health.json and the log.
// Reports thread CPU per cycle (and the share of one core at a 5 s cadence) and the process's
// peak resident memory, beside the bare bus reads of the same cycle as a floor.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/heartbeat.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"
#include "dolphin/health/health_service.h"
#include "histogram.h"

namespace {

using namespace dolphin;

double ThreadCpuNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double PeakRssMb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

class AllPresent final : public health::ProcessProbe {
 public:
  std::map<std::string, health::ProcessState> Probe(
      const std::vector<std::string>& names) override {
    std::map<std::string, health::ProcessState> out;
    for (const auto& n : names) out[n] = {true, 1, 0, false, false, "running"};
    return out;
  }
};
class NoActions final : public health::RecoveryActions {
 public:
  Status RestartService(const std::string&) override { return Status::Ok(); }
  bool CanRestartControlPlane() const override { return false; }
  Status RestartControlPlane() override { return Status::Ok(); }
};

std::string ScanJson(Timestamp now, int64_t n) {
  Json j = {{"scan_number", n},
            {"timestamp", FormatRfc3339(now)},
            {"bridge_ts", FormatRfc3339(now)},
            {"epoch", 1},
            {"regime", "BULL"},
            {"vel_div", -0.01}};
  for (const char* w : {"w50_lambda_max", "w150_lambda_max", "w300_lambda_max", "w750_lambda_max"})
    j[w] = 0.3;
  Json eig = Json::array();
  for (int i = 10; i > 0; --i) eig.push_back(i * 0.7);
  j["eigenvalues"] = eig;
  Json prices = Json::object();
  for (int i = 0; i < 400; ++i) prices["A" + std::to_string(i) + "USDT"] = 100.0 + i;
  j["asset_prices"] = prices;
  return j.dump();
}

}  // namespace

int main(int argc, char** argv) {
  SystemClock clock;
  NullLogger logger;
  Random random(1);
  Env env{clock, logger, FileSystem::Default(), random, ThreadFactory::Default()};
  auto bus = bus::NewInMemoryBus();
  const std::vector<std::string> colors = {"BLUE", "GREEN", "RED", "AMBER"};
  health::HealthServiceOptions o;
  o.critical = {"bridge"};
  for (const auto& c : colors) o.critical.push_back(contract::TraderServiceName(c));
  o.sources = health::SourceSpecs({"scan", "state"}, colors);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dolphin-health-bench-" + std::to_string(::getpid()));
  o.run_logs_dir = dir;
  // A loopback listener M4 connects to each cycle.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::listen(lfd, 128);
  socklen_t len = sizeof(a);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  o.ports = {{"api", "127.0.0.1", ntohs(a.sin_port), false}};
  // Accept and close each probe connection, as the control API would.
  std::thread acceptor([lfd] {  // determinism-ok: benchmark
    while (true) {
      int c = ::accept(lfd, nullptr, nullptr);
      if (c < 0) return;
      ::close(c);
    }
  });
  AllPresent procs;
  auto ports = health::NewTcpPortProbe();
  NoActions actions;
  health::HealthService svc(env, *bus, o, procs, *ports, actions);
  (void)svc.Start();
  svc.Stop();  // Start made the folder; cycles are driven here, on this thread.

  auto feed = [&](int64_t n) {
    const Timestamp now = clock.Now();
    (void)bus->Put(contract::kFeaturesMap, contract::kScanKey, ScanJson(now, n));
    for (const auto& s : o.critical) {
      contract::Heartbeat b{s, 1, "h", now, contract::HeartbeatStatus::kOk, "ok"};
      (void)bus->Put(contract::kHeartbeatMap, s, contract::EncodeHeartbeat(b));
    }
    for (const auto& c : colors) {
      Json st = {{"updated_at", FormatRfc3339(now)},
                 {"color", c},
                 {"trading_state", "ACTIVE"},
                 {"posture", "TURTLE"},
                 {"equity", 10000.0},
                 {"positions", Json::array()}};
      (void)bus->Put(contract::StateMapName(c), contract::kStateKey, st.dump());
    }
  };
  constexpr int kWarmup = 20;
  constexpr int kCycles = 500;
  bench::Histogram cycle_cpu, cycle_wall, floor_cpu;
  for (int i = 0; i < kWarmup + kCycles; ++i) {
    feed(i + 1);
    // Floor: the same bus reads a cycle makes, nothing else.
    double f0 = ThreadCpuNs();
    for (const auto& s : o.critical) benchmark::DoNotOptimize(bus->Get(contract::kHeartbeatMap, s));
    for (const auto& src : o.sources) benchmark::DoNotOptimize(bus->Get(src.map, src.key));
    double f1 = ThreadCpuNs();
    const MonoTime w0 = clock.MonotonicNow();
    double c0 = ThreadCpuNs();
    auto rec = svc.RunCycle();
    double c1 = ThreadCpuNs();
    const MonoTime w1 = clock.MonotonicNow();
    benchmark::DoNotOptimize(rec);
    if (i >= kWarmup) {
      cycle_cpu.Add(c1 - c0);
      cycle_wall.Add(static_cast<double>((w1 - w0).count()));
      floor_cpu.Add(f1 - f0);
    }
  }
  auto r = bench::FromHistogram("health.cycle_cpu", "us", cycle_cpu, 1e-3);
  r.floor_p99 = floor_cpu.Percentile(99) * 1e-3;
  r.ratio = cycle_cpu.Percentile(99) / floor_cpu.Percentile(99);
  bench::Append(r);
  bench::Append(bench::FromHistogram("health.cycle_wall", "us", cycle_wall, 1e-3));
  bench::Record share;
  share.name = "health.core_share_at_5s";
  share.unit = "percent";
  share.n = cycle_cpu.count();
  share.p50 = cycle_cpu.Percentile(50) / 5e9 * 100.0;
  share.p99 = cycle_cpu.Percentile(99) / 5e9 * 100.0;
  share.max = cycle_cpu.Max() / 5e9 * 100.0;
  bench::Append(share);
  bench::Record rss;
  rss.name = "health.peak_rss";
  rss.unit = "MB";
  rss.max = PeakRssMb();
  bench::Append(rss);
  std::printf(
      "health cycle: CPU p50 %.0f us, p99 %.0f us (bus reads alone p99 %.0f us); %.4f %% of a core at 5 s; peak RSS %.1f MB\n",
      cycle_cpu.Percentile(50) * 1e-3, cycle_cpu.Percentile(99) * 1e-3,
      floor_cpu.Percentile(99) * 1e-3, *share.p50, *rss.max);
  ::shutdown(lfd, SHUT_RDWR);
  ::close(lfd);
  acceptor.join();
  std::filesystem::remove_all(dir);
  (void)argc;
  (void)argv;
  return 0;
}
