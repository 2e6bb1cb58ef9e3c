// Memory bus: put -> listener callback latency beside the condition-variable wake floor
// (both measured in this run, ping-pong so nothing coalesces), then puts/s with Google
// Benchmark. Results go to the docs/architecture.md §10 JSON-lines file via bench::Append.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "dolphin/bus/in_memory_bus.h"
#include "histogram.h"

namespace {

using Clock = std::chrono::steady_clock;  // determinism-ok: benchmark timing

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

constexpr int kSamples = 20000;
constexpr int kWarmup = 1000;

// Floor: one thread notifies a condition variable, another wakes (the mechanism our listener
// dispatch uses). Measures notify -> wake.
dolphin::bench::Histogram CvWakeFloor() {
  std::mutex mu;
  std::condition_variable cv;
  int64_t sent = 0;
  bool has = false, done = false;
  dolphin::bench::Histogram h;
  std::atomic<int> received{0};
  std::thread waiter([&] {  // determinism-ok: benchmark
    std::unique_lock<std::mutex> lock(mu);
    int i = 0;
    while (true) {
      cv.wait(lock, [&] { return has || done; });
      if (done) return;
      int64_t lat = NowNs() - sent;
      has = false;
      if (i++ >= kWarmup) h.Add(static_cast<double>(lat));
      received.fetch_add(1, std::memory_order_release);
    }
  });
  for (int i = 0; i < kSamples + kWarmup; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      sent = NowNs();
      has = true;
    }
    cv.notify_one();
    while (received.load(std::memory_order_acquire) <= i) std::this_thread::yield();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_one();
  waiter.join();
  return h;
}

// Ours: Put on the writer's thread -> callback on the listener's dispatch thread.
dolphin::bench::Histogram PutToCallback(size_t value_bytes) {
  auto bus = dolphin::bus::NewInMemoryBus();
  dolphin::bench::Histogram h;
  std::atomic<int> received{0};
  std::atomic<int64_t> sent{0};
  int count = 0;
  auto id = bus->AddKeyListener("BENCH", "k", [&](const dolphin::bus::BusEvent&) {
    int64_t lat = NowNs() - sent.load(std::memory_order_acquire);
    if (count++ >= kWarmup) h.Add(static_cast<double>(lat));
    received.fetch_add(1, std::memory_order_release);
  });
  std::string value(value_bytes, 'x');
  for (int i = 0; i < kSamples + kWarmup; ++i) {
    sent.store(NowNs(), std::memory_order_release);
    (void)bus->Put("BENCH", "k", value);
    while (received.load(std::memory_order_acquire) <= i) std::this_thread::yield();
  }
  (void)bus->RemoveListener(*id);
  return h;
}

void ReportLatency() {
  auto floor = CvWakeFloor();
  auto floor_rec = dolphin::bench::FromHistogram("bus.memory.cv_wake_floor", "us", floor, 1e-3);
  dolphin::bench::Append(floor_rec);
  for (size_t bytes : {256, 16384}) {
    auto ours = PutToCallback(bytes);
    auto rec = dolphin::bench::FromHistogram(
        "bus.memory.put_to_callback." + std::to_string(bytes) + "B", "us", ours, 1e-3);
    rec.floor_p99 = floor_rec.p99;
    rec.ratio = *rec.p99 / *floor_rec.p99;
    dolphin::bench::Append(rec);
  }
}

void BM_PutWithOneMapListener(benchmark::State& state) {
  auto bus = dolphin::bus::NewInMemoryBus();
  std::atomic<uint64_t> n{0};
  auto id = bus->AddMapListener("BENCH", [&](const dolphin::bus::BusEvent&) { ++n; });
  std::string value(static_cast<size_t>(state.range(0)), 'x');
  int64_t i = 0;
  for (auto _ : state) {
    (void)bus->Put("BENCH", "k" + std::to_string(i++ % 64), value);
  }
  state.SetItemsProcessed(state.iterations());
  (void)bus->RemoveListener(*id);
}
BENCHMARK(BM_PutWithOneMapListener)->Arg(256)->Arg(16384)->UseRealTime();

void BM_GetHit(benchmark::State& state) {
  auto bus = dolphin::bus::NewInMemoryBus();
  (void)bus->Put("BENCH", "k", std::string(256, 'x'));
  for (auto _ : state) benchmark::DoNotOptimize(bus->Get("BENCH", "k"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetHit);

// Reports puts/s through the shared JSON-lines file too.
class JsonLinesReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it == r.counters.end()) continue;
      dolphin::bench::Record rec;
      rec.name = "bus.memory." + r.benchmark_name();
      rec.unit = "ops/s";
      rec.n = static_cast<uint64_t>(r.iterations);
      rec.p50 = static_cast<double>(it->second);
      dolphin::bench::Append(rec);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  ReportLatency();
  benchmark::Initialize(&argc, argv);
  JsonLinesReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
