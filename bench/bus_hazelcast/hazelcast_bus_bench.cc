// Benchmarks of the hazelcast backend against a live member (docs/architecture.md §10 format):
//   hazelcast.cpp.set_rtt / get_rtt   one Set / Get round trip, 1 KB JSON value
//   hazelcast.cpp.set_throughput      sequential Sets per second from one thread
//   hazelcast.cpp.put_to_listener     Put on one connection -> key listener callback on another
//   hazelcast.tcp_floor_rtt           1 KB loopback echo round trip, measured in the same run
// Every latency record carries floor_p99 (the echo's p99) and ratio = p99 / floor_p99.
// Usage: dolphin_bus_hazelcast_bench --member 127.0.0.1:5701 [--n 5000]
// Prints FLOOR_P99_US=<x> so scripts/bench-hazelcast.sh can hand it to the Python baseline.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "dolphin/bus_hazelcast/hazelcast_bus.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/logging.h"
#include "floors.h"
#include "histogram.h"

namespace {

using dolphin::bench::Histogram;
using dolphin::bench::Record;

dolphin::SystemClock g_clock;

double NowUs() { return static_cast<double>(g_clock.MonotonicNow().Nanos()) / 1e3; }

void Emit(const std::string& name, const Histogram& h, double floor_p99) {
  Record r = dolphin::bench::FromHistogram(name, "us", h);
  r.floor_p99 = floor_p99;
  r.ratio = *r.p99 / floor_p99;
  dolphin::bench::Append(r);
}

std::string Value1K(int i) {
  std::string v = "{\"scan_number\": " + std::to_string(i) + ", \"pad\": \"";
  v.append(1000 - v.size() - 3, 'p');
  v += "\"}";
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string member = "127.0.0.1:5701";
  int n = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--member") member = argv[i + 1];
    if (a == "--n") n = std::atoi(argv[i + 1]);
  }
  dolphin::StreamLogger logger(g_clock, stderr, dolphin::LogFormat::kHuman,
                               dolphin::LogLevel::kWarn);
  dolphin::Random fixed_random(1);  // Benchmarks draw nothing random; a fixed seed.
  dolphin::Env env{g_clock, logger, dolphin::FileSystem::Default(), fixed_random,
                   dolphin::ThreadFactory::Default()};
  dolphin::bus::BusOptions options;
  options.backend = "hazelcast";
  options.members = {member};
  auto writer = dolphin::bus::NewHazelcastBus(options, env);
  auto reader = dolphin::bus::NewHazelcastBus(options, env);
  if (!writer.ok() || !reader.ok()) {
    std::fprintf(stderr, "cannot connect to %s: %s\n", member.c_str(),
                 (writer.ok() ? reader.status() : writer.status()).ToString().c_str());
    return 1;
  }
  auto& bus = **writer;
  const std::string map = "BENCH_CPP_" + std::to_string(::getpid());

  Histogram floor = dolphin::bench::TcpFloor(n, 0, 1000.0);  // us
  const double floor_p99 = floor.Percentile(99);
  Emit("hazelcast.tcp_floor_rtt_1k", floor, floor_p99);

  Histogram set, get;
  // Warm the member's JIT before any measured figure (this run goes first; the Python baseline
  // after it finds the member equally warm).
  for (int i = 0; i < 4 * n; ++i) {
    (void)bus.Put(map, "warm", Value1K(i));
    (void)bus.Get(map, "warm");
  }
  for (int i = 0; i < n; ++i) {
    const std::string v = Value1K(i);
    double t0 = NowUs();
    if (!bus.Put(map, "k", v).ok()) return 1;
    double t1 = NowUs();
    if (!bus.Get(map, "k").ok()) return 1;
    double t2 = NowUs();
    set.Add(t1 - t0);
    get.Add(t2 - t1);
  }
  Emit("hazelcast.cpp.set_rtt_1k", set, floor_p99);
  Emit("hazelcast.cpp.get_rtt_1k", get, floor_p99);

  double t0 = NowUs();
  for (int i = 0; i < n; ++i) (void)bus.Put(map, "t" + std::to_string(i % 64), Value1K(i));
  double secs = (NowUs() - t0) / 1e6;
  Record tput{"hazelcast.cpp.set_throughput_1thread",
              "ops/s",
              static_cast<uint64_t>(n),
              n / secs,
              std::nullopt,
              std::nullopt,
              std::nullopt,
              std::nullopt};
  dolphin::bench::Append(tput);

  // Put on the writer's connection -> callback of a key listener on the reader's connection.
  std::mutex mu;
  std::condition_variable cv;
  int seen = -1;
  double seen_at = 0;
  auto id = (*reader)->AddKeyListener(map, "ev", [&](const dolphin::bus::BusEvent& e) {
    double now = NowUs();
    int k = std::atoi(e.value.c_str() + std::strlen("{\"scan_number\": "));
    std::lock_guard<std::mutex> lock(mu);
    seen = k;
    seen_at = now;
    cv.notify_all();
  });
  if (!id.ok()) return 1;
  Histogram ev;
  for (int i = 0; i < n; ++i) {
    double start = NowUs();
    if (!bus.Put(map, "ev", Value1K(i)).ok()) return 1;
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return seen == i; })) {
      std::fprintf(stderr, "event %d lost\n", i);
      return 1;
    }
    ev.Add(seen_at - start);
  }
  Emit("hazelcast.cpp.put_to_listener_1k", ev, floor_p99);
  (void)(*reader)->RemoveListener(*id);
  std::printf("FLOOR_P99_US=%.3f\n", floor_p99);
  return 0;
}
