// Trader benchmarks (docs/trader.md and docs/architecture.md §10), one binary, every figure
// appended as one JSON line through the shared histogram helper and summed up in a table at the
// end:
//  1. bus put -> trader decision for 400-asset simulator scans (exactly the JSON the bridge
//     publishes), journal_sync = full and = normal, beside the bus's own put -> callback floor
//     (a key listener doing nothing, interleaved sample by sample in the same run); also
//     put -> committed (the decision observer runs after the journal's CommitScan);
//  2. scan file renamed into the day folder -> trader decision through the bridge (inotify) and
//     the trader on the memory bus, beside the bare rename -> inotify wake floor (interleaved);
//     budget p50 < 1 ms, p99 <= 1.5 x floor p99;
//  3. backtest replay of 1 million in-memory scans through trader::Backtest (vel_div strategy,
//     risk, paper venue, portfolio); budget < 10 s on 2 cores;
//  4. the journal's cost per scan: CommitIntents (scans that trade) + CommitScan with the
//     engine's SaveState snapshot, sync = full vs normal, interleaved on the same scans.
// Everything lives in a fresh /tmp/dolphin-trader-bench-XXXXXX, removed at the end.
// Usage: dolphin_trader_bench [--latency-scans N] [--e2e-scans N] [--backtest-scans N]
//                             [--journal-scans N] [--pool N]   (--benchmark_* flags ignored)
#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dolphin/bridge/bridge.h"
#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/scan_json.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"
#include "dolphin/core/logging.h"
#include "dolphin/sim/scan_sink.h"
#include "dolphin/sim/scanner.h"
#include "dolphin/trader/backtest.h"
#include "dolphin/trader/engine.h"
#include "dolphin/trader/journal.h"
#include "dolphin/trader/strategy.h"
#include "dolphin/trader/trader_service.h"
#include "histogram.h"

namespace {

namespace fs = std::filesystem;
namespace bench = dolphin::bench;
namespace trader = dolphin::trader;
using SteadyClock = std::chrono::steady_clock;  // determinism-ok: benchmark timing

constexpr int kWarmup = 20;  // samples dropped at the start of every latency series
constexpr char kFloorKey[] = "bench_floor";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())  // determinism-ok: benchmark timing
      .count();
}

double SecondsSince(int64_t t0) { return static_cast<double>(NowNs() - t0) / 1e9; }

[[noreturn]] void Die(const std::string& what, const dolphin::Status& st) {
  std::fprintf(stderr, "trader bench: %s: %s\n", what.c_str(), st.ToString().c_str());
  std::exit(1);
}

// Every record is appended (JSON line) and kept for the table at the end.
struct Row {
  bench::Record record;
  std::string budget;  // "" when none
  std::string verdict;
};
std::vector<Row> g_rows;

void Report(const bench::Record& r, std::string budget = "", std::string verdict = "") {
  bench::Append(r);
  g_rows.push_back({r, std::move(budget), std::move(verdict)});
}

bench::Record Latency(std::string name, const bench::Histogram& h, const bench::Histogram* floor) {
  bench::Record r = bench::FromHistogram(std::move(name), "us", h, 1e-3);
  if (floor != nullptr) {
    r.floor_p99 = floor->Percentile(99) * 1e-3;
    r.ratio = *r.p99 / *r.floor_p99;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// 400-asset scans from the simulator.

// A pool of distinct simulator scans; scan i of a run reuses pool[i % size] renumbered, so every
// scan has the real 400-asset shape without paying ~6 ms of eigen-solving per scan.
std::vector<dolphin::sim::ScanFeatures> SimPool(int size) {
  dolphin::sim::ScannerOptions o;
  o.assets = 400;
  auto scanner = dolphin::sim::Scanner::Create(o);
  if (!scanner.ok()) Die("sim scanner", scanner.status());
  std::vector<dolphin::sim::ScanFeatures> pool;
  pool.reserve(size);
  for (int i = 0; i < size; ++i) pool.push_back(*(*scanner)->Next());
  return pool;
}

struct ScanFile {
  int64_t number = 0;
  dolphin::Timestamp ts;
  std::string name;   // scan_000123_103001.arrow
  std::string bytes;  // Arrow IPC file
};

// Scans 1..n, `step` apart from `start` (the wall clock now, so the trader never finds them
// stale and enters when the strategy says so).
std::vector<ScanFile> ScanFiles(const std::vector<dolphin::sim::ScanFeatures>& pool, int n,
                                dolphin::Timestamp start) {
  std::vector<ScanFile> files;
  files.reserve(n);
  for (int i = 1; i <= n; ++i) {
    dolphin::sim::ScanFeatures f = pool[static_cast<size_t>(i - 1) % pool.size()];
    f.scan_number = i;
    f.timestamp = start + std::chrono::seconds(5) * (i - 1);
    auto bytes = dolphin::sim::EncodeScanArrow(f);
    if (!bytes.ok()) Die("EncodeScanArrow", bytes.status());
    files.push_back(
        {i, f.timestamp, dolphin::sim::ScanFileName(i, f.timestamp), std::move(*bytes)});
  }
  return files;
}

// What the bridge would put on the bus for each file.
std::vector<std::string> BusJson(const std::vector<ScanFile>& files, int64_t epoch,
                                 const dolphin::Clock& clock) {
  std::vector<std::string> out;
  out.reserve(files.size());
  for (const ScanFile& f : files) {
    auto decoded = dolphin::contract::DecodeScan(
        {reinterpret_cast<const uint8_t*>(f.bytes.data()), f.bytes.size()});
    if (!decoded.ok()) Die("DecodeScan", decoded.status());
    out.push_back(dolphin::contract::BuildScanJson(*decoded, {epoch, clock.Now(), f.name, false}));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A trader service on a bus, observed: decision time, commit time, publication done.

class ObservedTrader {
 public:
  ObservedTrader(dolphin::bus::KvBus& bus, dolphin::Env env, const fs::path& journal,
                 std::string sync)
      : bus_(bus) {
    trader::TraderOptions o;
    o.journal = journal;
    o.journal_sync = sync == "normal" ? trader::JournalSync::kNormal : trader::JournalSync::kFull;
    o.log_each_scan = false;
    // Publish() (state + PnL puts) runs after the observer; the next scan waits for the PnL put
    // so it never queues behind the previous scan's publication (scans come 5 s apart live).
    auto pnl = bus.AddMapListener(dolphin::contract::PnlMapName(o.engine.color),
                                  [this](const dolphin::bus::BusEvent&) {
                                    std::lock_guard<std::mutex> lock(mu_);
                                    ++published_;
                                    cv_.notify_all();
                                  });
    if (!pnl.ok()) Die("pnl listener", pnl.status());
    pnl_listener_ = *pnl;
    service_ = trader::NewTraderService(
        o, bus, env,
        [this](const trader::Scan& scan, const trader::ScanResult& r, dolphin::MonoTime decided) {
          const int64_t now = NowNs();
          std::lock_guard<std::mutex> lock(mu_);
          last_scan_ = scan.scan_number;
          decided_ns_ = decided.Nanos();
          bridge_ts_ = scan.bridge_ts ? scan.bridge_ts->UnixNanos() : 0;
          committed_ns_ = now;
          intents_ += static_cast<int64_t>(r.intents.size());
          fills_ += static_cast<int64_t>(r.fills.size());
          cv_.notify_all();
        });
    if (dolphin::Status st = service_->Start(); !st.ok()) Die("trader start", st);
  }
  ~ObservedTrader() {
    service_->Stop();
    bus_.RemoveListener(pnl_listener_).IgnoreError();
  }

  struct Decision {
    int64_t decided_ns;
    int64_t committed_ns;
    int64_t bridge_ts_unix_ns;  // the scan's bridge_ts (wall clock, microseconds)
  };
  // Waits until scan `number` was decided, committed and published.
  Decision Wait(int64_t number) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(30),
                      [&] { return last_scan_ >= number && published_ >= number; })) {
      std::fprintf(
          stderr,
          "trader bench: scan %lld not decided within 30 s (stats: processed %lld, failures %lld)\n",
          static_cast<long long>(number), static_cast<long long>(service_->Stats().processed),
          static_cast<long long>(service_->Stats().failures));
      std::exit(1);
    }
    return {decided_ns_, committed_ns_, bridge_ts_};
  }
  int64_t intents() {
    std::lock_guard<std::mutex> lock(mu_);
    return intents_;
  }
  int64_t fills() {
    std::lock_guard<std::mutex> lock(mu_);
    return fills_;
  }

 private:
  dolphin::bus::KvBus& bus_;
  std::unique_ptr<trader::TraderService> service_;
  dolphin::bus::ListenerId pnl_listener_{};
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t last_scan_ = 0, decided_ns_ = 0, committed_ns_ = 0, bridge_ts_ = 0, published_ = 0,
          intents_ = 0, fills_ = 0;
};

// A key listener doing nothing but note when it ran: the bus's own put -> callback floor.
class BusTap {
 public:
  BusTap(dolphin::bus::KvBus& bus, const char* key) : bus_(bus) {
    auto id = bus.AddKeyListener(dolphin::contract::kFeaturesMap, key,
                                 [this](const dolphin::bus::BusEvent& e) {
                                   const int64_t now = NowNs();
                                   if (e.type == dolphin::bus::EventType::kSnapshot) return;
                                   std::lock_guard<std::mutex> lock(mu_);
                                   at_ = now;
                                   ++count_;
                                   cv_.notify_all();
                                 });
    if (!id.ok()) Die("tap listener", id.status());
    id_ = *id;
  }
  ~BusTap() { bus_.RemoveListener(id_).IgnoreError(); }
  int64_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  // When the callback for the `want`-th value ran (NowNs).
  int64_t Wait(int64_t want) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return count_ >= want; });
    return at_;
  }
  // One put -> callback sample, ns.
  double Sample(const char* key, const std::string& value) {
    const int64_t want = count() + 1;
    const int64_t t0 = NowNs();
    if (dolphin::Status st = bus_.Put(dolphin::contract::kFeaturesMap, key, value); !st.ok())
      Die("put", st);
    return static_cast<double>(Wait(want) - t0);
  }

 private:
  dolphin::bus::KvBus& bus_;
  dolphin::bus::ListenerId id_{};
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t at_ = 0, count_ = 0;
};

// ---------------------------------------------------------------------------------------------
// 1. bus put -> decision.

struct PutRun {
  bench::Histogram decision, commit;
  int64_t intents = 0, fills = 0;
};

PutRun PutToDecision(const std::vector<std::string>& json, const fs::path& journal,
                     const std::string& sync, bench::Histogram& floor, dolphin::Env env) {
  auto bus = dolphin::bus::NewInMemoryBus();
  PutRun run;
  {
    BusTap floor_tap(*bus, kFloorKey);
    ObservedTrader observed(*bus, env, journal, sync);
    for (size_t i = 0; i < json.size(); ++i) {
      const double f = floor_tap.Sample(kFloorKey, json[i]);
      const int64_t t0 = NowNs();
      if (dolphin::Status st =
              bus->Put(dolphin::contract::kFeaturesMap, dolphin::contract::kScanKey, json[i]);
          !st.ok()) {
        Die("put", st);
      }
      auto d = observed.Wait(static_cast<int64_t>(i) + 1);
      if (i < kWarmup) continue;
      floor.Add(f);
      run.decision.Add(static_cast<double>(d.decided_ns - t0));
      run.commit.Add(static_cast<double>(d.committed_ns - t0));
    }
    run.intents = observed.intents();
    run.fills = observed.fills();
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// 2. file renamed -> decision through the bridge, beside the bare rename -> inotify floor.

class InotifyFloor {
 public:
  explicit InotifyFloor(const fs::path& dir) : dir_(dir) {
    fs::create_directories(dir);
    fd_ = inotify_init1(IN_CLOEXEC);
    inotify_add_watch(fd_, dir.c_str(), IN_MOVED_TO);
    reader_ = std::thread([this] {  // determinism-ok: benchmark
      alignas(struct inotify_event) char buf[4096];
      while (true) {
        ssize_t r = read(fd_, buf, sizeof(buf));
        const int64_t now = NowNs();
        if (r <= 0) return;
        auto* ev = reinterpret_cast<struct inotify_event*>(buf);
        if (ev->len > 0 && std::strcmp(ev->name, "stop") == 0) return;
        woke_at_.store(now);
        got_.fetch_add(1);
      }
    });
  }
  ~InotifyFloor() {
    std::ofstream(dir_ / "stop.tmp") << "x";
    fs::rename(dir_ / "stop.tmp", dir_ / "stop");
    reader_.join();
    close(fd_);
  }
  // One bare rename -> inotify wake sample, ns.
  double Sample(int i) {
    fs::path tmp = dir_ / fmt::format("f{}.tmp", i);
    std::ofstream(tmp) << "x";
    const int64_t want = got_.load() + 1;
    const int64_t t0 = NowNs();
    fs::rename(tmp, dir_ / fmt::format("f{}.arrow", i));
    while (got_.load() < want) std::this_thread::yield();
    return static_cast<double>(woke_at_.load() - t0);
  }

 private:
  fs::path dir_;
  int fd_ = -1;
  std::thread reader_;  // determinism-ok: benchmark
  std::atomic<int64_t> got_{0}, woke_at_{0};
};

struct RenameRun {
  bench::Histogram decision, commit, rename_call;
  int64_t intents = 0;
};

RenameRun RenameToDecision(const std::vector<ScanFile>& files, const fs::path& root,
                           const std::string& sync, bench::Histogram& floor_hist,
                           bench::Histogram& bridge_hist, bench::Histogram& after_bridge_hist,
                           dolphin::Env env) {
  RenameRun run;
  auto bus = dolphin::bus::NewInMemoryBus();
  dolphin::bridge::BridgeOptions o;
  o.scan_dir = root / "scans";
  o.quarantine_dir = root / "quarantine";
  o.state_file = root / "bridge_state.json";
  o.log_each_scan = false;
  fs::path day = o.scan_dir / dolphin::FormatUtcDate(files.front().ts);
  fs::create_directories(day);
  InotifyFloor floor(root / "floor");
  {
    ObservedTrader observed(*bus, env, root / "journal" / "trader_BLUE.sqlite", sync);
    auto bridge = dolphin::bridge::NewBridge(o, *bus, env);
    if (dolphin::Status st = bridge->Start(); !st.ok()) Die("bridge start", st);
    for (size_t i = 0; i < files.size(); ++i) {
      const double f = floor.Sample(static_cast<int>(i));
      fs::path tmp = day / ("." + files[i].name + ".tmp");
      {
        std::ofstream out(tmp, std::ios::binary);
        out << files[i].bytes;
      }
      const dolphin::Timestamp wall0 = env.clock.Now();
      const int64_t t0 = NowNs();
      fs::rename(tmp, day / files[i].name);
      const int64_t t_renamed = NowNs();
      auto d = observed.Wait(files[i].number);
      if (i < kWarmup) continue;
      run.rename_call.Add(static_cast<double>(t_renamed - t0));
      floor_hist.Add(f);
      const double bridge_ns = static_cast<double>(d.bridge_ts_unix_ns - wall0.UnixNanos());
      bridge_hist.Add(bridge_ns);
      after_bridge_hist.Add(static_cast<double>(d.decided_ns - t0) - bridge_ns);
      run.decision.Add(static_cast<double>(d.decided_ns - t0));
      run.commit.Add(static_cast<double>(d.committed_ns - t0));
    }
    run.intents = observed.intents();
    bridge->Stop();
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// 3 and 4: in-memory scans with a few assets and a vel_div series that trades regularly.

// vel_div is an AR(1) series (sd ~0.013: <= -0.02 on ~7 % of scans, an entry on ~2-3 %); BTCUSDT's
// log return follows the previous vel_div a little (the edge the strategy bets on, so it neither
// bleeds into the daily loss limit nor stops trading), the other assets walk at random.
std::vector<trader::Scan> BacktestScans(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  const std::vector<std::string> assets = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"};
  std::vector<double> prices = {60000.0, 3000.0, 150.0, 600.0};
  std::vector<trader::Scan> scans(static_cast<size_t>(n));
  const dolphin::Timestamp start = dolphin::Timestamp::FromUnixSeconds(1774434600);
  double v = 0, prev_v = 0, w150 = 0;
  for (int64_t i = 0; i < n; ++i) {
    prev_v = v;
    v = 0.8 * v + 0.008 * noise(rng);
    w150 = 0.95 * w150 + 0.001 * noise(rng);
    prices[0] *= std::exp(0.03 * prev_v + 0.0005 * noise(rng));
    for (size_t k = 1; k < prices.size(); ++k) prices[k] *= std::exp(0.0008 * noise(rng));
    trader::Scan& s = scans[static_cast<size_t>(i)];
    s.epoch = 1774434600000000;
    s.scan_number = i + 1;
    s.timestamp = start + std::chrono::seconds(5) * i;
    s.vel_div = v;
    s.w150_velocity = w150;
    s.w50_velocity = w150 + v;
    s.regime = "SIDEWAYS";
    s.prices.reserve(assets.size());
    for (size_t k = 0; k < assets.size(); ++k) s.prices.emplace_back(assets[k], prices[k]);
  }
  return scans;
}

struct BacktestRun {
  double seconds = 0;
  double engine_only_seconds = 0;
  trader::BacktestReport report;
};

BacktestRun RunBacktest(const std::vector<trader::Scan>& scans) {
  BacktestRun run;
  const trader::ScanContext ctx;  // TURTLE, not stale: what a live trader with defaults sees
  {
    trader::Backtest bt(trader::EngineOptions{},
                        trader::NewVelDivStrategy(trader::VelDivOptions{}));
    const int64_t t0 = NowNs();
    for (const trader::Scan& s : scans) {
      if (dolphin::Status st = bt.Add(s, ctx); !st.ok()) Die("backtest", st);
    }
    run.report = bt.Finish();
    run.seconds = SecondsSince(t0);
  }
  {
    // The same replay straight through Engine::OnScan (no per-scan equity series, no fills
    // kept): how much of the total is the Backtest driver's own.
    trader::Engine engine(trader::EngineOptions{},
                          trader::NewVelDivStrategy(trader::VelDivOptions{}));
    const int64_t t0 = NowNs();
    for (const trader::Scan& s : scans) {
      auto r = engine.OnScan(s, ctx);
      if (!r.ok()) Die("engine", r.status());
    }
    run.engine_only_seconds = SecondsSince(t0);
  }
  return run;
}

// A rough breakdown of one engine scan, for when the replay is slow: the strategy's call alone
// and the JSON bookkeeping the engine does on every scan, each timed over the same scans.
void BacktestBreakdown(const std::vector<trader::Scan>& scans) {
  auto strategy = trader::NewVelDivStrategy(trader::VelDivOptions{});
  int64_t t0 = NowNs();
  size_t sink = 0;
  const trader::IndicatorValues none;
  for (const trader::Scan& s : scans) {
    trader::StrategyInput in{s, none, std::nullopt, s.timestamp, 100000.0};
    sink += strategy->OnScan(in).reason.size();
  }
  const double strat = SecondsSince(t0);
  t0 = NowNs();
  for (const trader::Scan& s : scans) {
    dolphin::Json j = dolphin::Json::object();
    j["scan_number"] = s.scan_number;
    j["epoch"] = s.epoch;
    j["action"] = "hold";
    j["reason"] = "vel_div=-0.00123456";
    j["vel_div"] = s.vel_div;
    sink += j.size();
  }
  const double json = SecondsSince(t0);
  t0 = NowNs();
  for (const trader::Scan& s : scans) sink += dolphin::FormatUtcDate(s.timestamp).size();
  const double day = SecondsSince(t0);
  std::printf(
      "backtest breakdown over %zu scans: strategy OnScan (fmt reason) %.3f s, last_signal JSON %.3f s, "
      "FormatUtcDate %.3f s (sink %zu)\n",
      scans.size(), strat, json, day, sink);
}

struct JournalRun {
  bench::Histogram per_scan, snapshot;
  int64_t trade_scans = 0;
  size_t snapshot_bytes = 0;
};

// Drives an engine over the first n scans and commits each scan the way the service does:
// CommitIntents from the before_send hook on scans that trade, then CommitScan with the fills,
// the processed marker and DumpJson(SaveState()). Timed: the journal calls only (per scan);
// the snapshot's SaveState + DumpJson separately.
JournalRun JournalCost(const std::vector<trader::Scan>& scans, int n, const fs::path& path,
                       trader::JournalSync sync) {
  JournalRun run;
  trader::JournalOptions o;
  o.sync = sync;
  auto opened = trader::OpenJournal(path, o);
  if (!opened.ok()) Die("open journal", opened.status());
  std::unique_ptr<trader::Journal> journal = std::move(*opened);
  trader::Engine engine(trader::EngineOptions{},
                        trader::NewVelDivStrategy(trader::VelDivOptions{}));
  const trader::ScanContext ctx;
  for (int i = 0; i < n; ++i) {
    const trader::Scan& s = scans[static_cast<size_t>(i)];
    double ns = 0;
    trader::ScanHooks hooks;
    hooks.before_send = [&](std::span<const trader::OrderIntent> intents) -> dolphin::Status {
      const int64_t t0 = NowNs();
      DOLPHIN_RETURN_IF_ERROR(journal->CommitIntents(intents));
      ns += static_cast<double>(NowNs() - t0);
      return dolphin::Status::Ok();
    };
    auto r = engine.OnScan(s, ctx, hooks);
    if (!r.ok()) Die("engine", r.status());
    if (!r->intents.empty()) ++run.trade_scans;
    trader::ScanCommit commit;
    commit.processed.epoch = s.epoch;
    commit.processed.scan_number = s.scan_number;
    commit.processed.scan_ts = s.timestamp;
    commit.processed.context = ctx;
    commit.processed.outcome = "processed";
    commit.processed.signal = r->Summary();
    commit.processed.processed_at = s.timestamp;
    commit.fills = r->fills;
    const int64_t ts0 = NowNs();
    commit.snapshot_json = dolphin::DumpJson(engine.SaveState());
    run.snapshot.Add(static_cast<double>(NowNs() - ts0));
    run.snapshot_bytes = std::max(run.snapshot_bytes, commit.snapshot_json.size());
    const int64_t t0 = NowNs();
    if (dolphin::Status st = journal->CommitScan(commit); !st.ok()) Die("CommitScan", st);
    ns += static_cast<double>(NowNs() - t0);
    run.per_scan.Add(ns);
  }
  return run;
}

// ---------------------------------------------------------------------------------------------

// The 1/5/15-minute load averages: these figures are only as quiet as the machine was.
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  in >> a >> b >> c;
  return fmt::format("{:.2f} {:.2f} {:.2f}", a, b, c);
}

void PrintTable() {
  std::printf("\n%-52s %6s %9s %10s %10s %10s %7s  %s\n", "trader benchmark", "unit", "n", "p50",
              "p99", "floor_p99", "ratio", "budget");
  auto num = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.6g}", *v) : std::string("-");
  };
  for (const Row& row : g_rows) {
    const bench::Record& r = row.record;
    std::printf("%-52s %6s %9llu %10s %10s %10s %7s  %s%s%s\n", r.name.c_str(), r.unit.c_str(),
                static_cast<unsigned long long>(r.n.value_or(0)), num(r.p50).c_str(),
                num(r.p99).c_str(), num(r.floor_p99).c_str(),
                r.ratio ? fmt::format("{:.2f}", *r.ratio).c_str() : "-", row.budget.c_str(),
                row.verdict.empty() ? "" : ": ", row.verdict.c_str());
  }
}

int Main(int argc, char** argv) {
  int latency_scans = 2000, e2e_scans = 1500, journal_scans = 2000, pool_size = 300;
  int64_t backtest_scans = 1000000;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> long long {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return std::atoll(argv[++i]);
    };
    if (std::strcmp(argv[i], "--latency-scans") == 0) {
      latency_scans = static_cast<int>(next());
    } else if (std::strcmp(argv[i], "--e2e-scans") == 0) {
      e2e_scans = static_cast<int>(next());
    } else if (std::strcmp(argv[i], "--backtest-scans") == 0) {
      backtest_scans = next();
    } else if (std::strcmp(argv[i], "--journal-scans") == 0) {
      journal_scans = static_cast<int>(next());
    } else if (std::strcmp(argv[i], "--pool") == 0) {
      pool_size = static_cast<int>(next());
    } else if (std::strncmp(argv[i], "--benchmark", 11) == 0) {
      // scripts/bench.sh passes Google Benchmark flags to every bench: nothing to do here.
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--latency-scans N] [--e2e-scans N] [--backtest-scans N] [--journal-scans N] "
          "[--pool N]\n",
          argv[0]);
      return 2;
    }
  }
  latency_scans = std::max(latency_scans, kWarmup + 1);
  e2e_scans = std::max(e2e_scans, kWarmup + 1);
  pool_size = std::max(pool_size, 1);
  journal_scans = static_cast<int>(
      std::min<int64_t>(std::max(journal_scans, 1), std::max<int64_t>(backtest_scans, 1)));

  char tmpl[] = "/tmp/dolphin-trader-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path root = tmpl;
  dolphin::SystemClock clock;
  dolphin::NullLogger logger;
  dolphin::Random fixed_random(1);  // Benchmarks draw nothing random; a fixed seed.
  dolphin::Env env{clock, logger, dolphin::FileSystem::Default(), fixed_random,
                   dolphin::ThreadFactory::Default()};
  const int64_t all0 = NowNs();
  const std::string load0 = LoadAverage();

  // Scans: simulator pool, renumbered, timestamps from now on (never stale).
  int64_t t0 = NowNs();
  auto pool = SimPool(pool_size);
  const dolphin::Timestamp start = dolphin::Timestamp::FromUnixSeconds(clock.Now().UnixSeconds());
  auto files = ScanFiles(pool, std::max(latency_scans, e2e_scans), start);
  const int64_t epoch = start.UnixMicros();
  auto json = BusJson(files, epoch, clock);
  json.resize(static_cast<size_t>(latency_scans));
  files.resize(static_cast<size_t>(e2e_scans));
  std::fprintf(
      stderr,
      "trader bench: %d-scan simulator pool (400 assets), %zu-byte bus JSON, %zu-byte files, %.1f s, in %s\n",
      pool_size, json.front().size(), files.front().bytes.size(), SecondsSince(t0), root.c_str());

  // 1. bus put -> decision, sync full and normal, one floor over both (interleaved samples).
  bench::Histogram bus_floor;
  t0 = NowNs();
  PutRun put_full =
      PutToDecision(json, root / "put_full" / "trader_BLUE.sqlite", "full", bus_floor, env);
  PutRun put_normal =
      PutToDecision(json, root / "put_normal" / "trader_BLUE.sqlite", "normal", bus_floor, env);
  std::fprintf(stderr,
               "trader bench: put -> decision, %d scans x 2, %.1f s (intents %lld / %lld)\n",
               latency_scans, SecondsSince(t0), static_cast<long long>(put_full.intents),
               static_cast<long long>(put_normal.intents));
  Report(Latency("trader.bus_put_to_callback_floor.400_assets", bus_floor, nullptr));
  Report(Latency("trader.put_to_decision.400_assets.sync_full", put_full.decision, &bus_floor));
  Report(Latency("trader.put_to_decision.400_assets.sync_normal", put_normal.decision, &bus_floor));
  Report(Latency("trader.put_to_commit.400_assets.sync_full", put_full.commit, &bus_floor));
  Report(Latency("trader.put_to_commit.400_assets.sync_normal", put_normal.commit, &bus_floor));

  // 2. file renamed -> decision through the bridge (journal_sync = full, the default; then
  // normal, which shows how much of the tail is the previous scan's fsync), one floor over both.
  bench::Histogram inotify_floor, bridge_part, after_bridge;
  t0 = NowNs();
  RenameRun e2e = RenameToDecision(files, root / "e2e_full", "full", inotify_floor, bridge_part,
                                   after_bridge, env);
  RenameRun e2e_normal = RenameToDecision(files, root / "e2e_normal", "normal", inotify_floor,
                                          bridge_part, after_bridge, env);
  std::fprintf(stderr,
               "trader bench: rename -> decision, %d scans x 2, %.1f s (intents %lld / %lld)\n",
               e2e_scans, SecondsSince(t0), static_cast<long long>(e2e.intents),
               static_cast<long long>(e2e_normal.intents));
  Report(Latency("trader.rename_to_inotify_floor", inotify_floor, nullptr));
  std::fprintf(
      stderr,
      "trader bench: the rename() call itself in the scan folder: p50 %.1f / p99 %.1f us (full), "
      "p50 %.1f / p99 %.1f us (normal)\n",
      e2e.rename_call.Percentile(50) / 1e3, e2e.rename_call.Percentile(99) / 1e3,
      e2e_normal.rename_call.Percentile(50) / 1e3, e2e_normal.rename_call.Percentile(99) / 1e3);
  for (auto [run, suffix] :
       {std::pair<RenameRun*, const char*>{&e2e, "sync_full"}, {&e2e_normal, "sync_normal"}}) {
    bench::Record r = Latency(fmt::format("trader.rename_to_decision.400_assets.{}", suffix),
                              run->decision, &inotify_floor);
    const bool ok = *r.p50 < 1000.0 && *r.ratio <= 1.5;
    Report(r, "p50 < 1000 us, ratio <= 1.5",
           fmt::format("{} (p50 {}, ratio {})", ok ? "MET" : "MISSED",
                       *r.p50 < 1000.0 ? "ok" : "over", *r.ratio <= 1.5 ? "ok" : "over"));
  }
  // The bridge's own part: rename -> its bridge_ts stamp (taken after the decode, before the put).
  // The rest: bridge_ts -> decision (JSON build, the bridge's state file, the put, the trader),
  // per sample decision - bridge part (wall and monotonic clocks read together at the rename).
  Report(Latency("trader.rename_to_bridge_ts.400_assets", bridge_part, &inotify_floor));
  Report(Latency("trader.bridge_ts_to_decision.400_assets", after_bridge, nullptr));
  Report(Latency("trader.rename_to_commit.400_assets.sync_full", e2e.commit, &inotify_floor));
  Report(
      Latency("trader.rename_to_commit.400_assets.sync_normal", e2e_normal.commit, &inotify_floor));

  // 3. backtest throughput.
  t0 = NowNs();
  auto scans = BacktestScans(backtest_scans, 20260325);
  const double gen_s = SecondsSince(t0);
  BacktestRun bt = RunBacktest(scans);
  std::fprintf(
      stderr,
      "trader bench: backtest of %lld scans (generated in %.1f s): %.2f s; fills %lld, round trips %lld "
      "(entries on %.2f %% of scans), wins %lld, final equity %.2f, engine only %.2f s\n",
      static_cast<long long>(backtest_scans), gen_s, bt.seconds,
      static_cast<long long>(bt.report.fills), static_cast<long long>(bt.report.round_trips),
      100.0 * static_cast<double>(bt.report.round_trips) / static_cast<double>(backtest_scans),
      static_cast<long long>(bt.report.wins), bt.report.final_equity, bt.engine_only_seconds);
  const std::string scale = backtest_scans == 1000000 ? "1M" : std::to_string(backtest_scans);
  {
    bench::Record r{"trader.backtest." + scale + "_scans",
                    "s",
                    static_cast<uint64_t>(backtest_scans),
                    bt.seconds,
                    std::nullopt,
                    std::nullopt,
                    std::nullopt,
                    std::nullopt};
    const double budget_s = 10.0 * static_cast<double>(backtest_scans) / 1e6;
    Report(r, fmt::format("< {:.3g} s", budget_s), bt.seconds < budget_s ? "MET" : "MISSED");
    Report({"trader.backtest.throughput", "scans/s", static_cast<uint64_t>(backtest_scans),
            static_cast<double>(backtest_scans) / bt.seconds, std::nullopt, std::nullopt,
            std::nullopt, std::nullopt},
           ">= 100000 scans/s",
           static_cast<double>(backtest_scans) / bt.seconds >= 1e5 ? "MET" : "MISSED");
    Report({"trader.backtest.engine_only." + scale + "_scans", "s",
            static_cast<uint64_t>(backtest_scans), bt.engine_only_seconds, std::nullopt,
            std::nullopt, std::nullopt, std::nullopt});
    if (bt.seconds >= budget_s || std::getenv("DOLPHIN_TRADER_BENCH_BREAKDOWN") != nullptr)
      BacktestBreakdown(scans);
  }

  // 4. the journal's cost per scan: full, then normal, each on its own file (sequential passes,
  // so one file's writes never ride on the other's fsync); the engine is deterministic, so both
  // commit the same scans, intents, fills and snapshots.
  t0 = NowNs();
  JournalRun j_full = JournalCost(scans, journal_scans, root / "journal_cost" / "full.sqlite",
                                  trader::JournalSync::kFull);
  JournalRun j_normal = JournalCost(scans, journal_scans, root / "journal_cost" / "normal.sqlite",
                                    trader::JournalSync::kNormal);
  std::fprintf(
      stderr,
      "trader bench: journal, %d scans x 2 (%lld trade), snapshot up to %zu bytes, %.1f s\n",
      journal_scans, static_cast<long long>(j_full.trade_scans), j_full.snapshot_bytes,
      SecondsSince(t0));
  Report(Latency("trader.journal.per_scan.sync_full", j_full.per_scan, nullptr));
  Report(Latency("trader.journal.per_scan.sync_normal", j_normal.per_scan, nullptr));
  Report(Latency("trader.journal.snapshot_json", j_full.snapshot, nullptr));

  scans.clear();
  scans.shrink_to_fit();
  std::error_code ec;
  fs::remove_all(root, ec);
  PrintTable();
  std::printf("total %.1f s; load average at start %s, at end %s; results: %s\n",
              SecondsSince(all0), load0.c_str(), LoadAverage().c_str(),
              bench::ResultsPath().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
