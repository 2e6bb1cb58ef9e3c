// File renamed -> trader decision with the bridge and the trader as SEPARATE PROCESSES
// (`dolphin serve bridge`, `dolphin serve trader`) over one Hazelcast member on loopback,
// 400-asset scans (docs/architecture.md §10: p50 < 5 ms; p99 <= 1.5 x (floor p99 + 2 TCP round
// trips)).
//
// Method (docs/hazelcast.md, "Benchmarks"):
//  - floors, in the same run: the bare rename() -> inotify wake (as bench/bridge) and a 1 KB
//    loopback TCP round trip with TCP_NODELAY (as bench/bus_hazelcast);
//    floor_p99 = inotify p99 + 2 x TCP p99;
//  - scans pre-encoded with the simulator library (sim::Scanner, 400 assets, timestamps just
//    before now, sim::EncodeScanArrow), written to a staging folder on the same filesystem;
//  - per journal_sync mode, a fresh state folder and config, the two processes started and
//    waited for (<state_dir>/api.{trader,bridge}.addr); the scans renamed one at a time into
//    <scan_dir>/<today UTC>/, the rename's wall clock (CLOCK_REALTIME) taken just before
//    rename(); the bench waits for the decision by watching the trader's journal folder with
//    inotify and reading LastProcessed() from a read-only journal; latency =
//    ProcessedScan::processed_at (the trader's wall clock right after Engine::OnScan, before
//    the journal commit) - rename time. Same host, same clock. A warm-up is discarded.
//  - between scans the bench idles gap_ms (20 ms; live scans come every few seconds), so every
//    thread on the path wakes from idle, as it does live;
//  - --rate R instead paces the renames by a clock, R scans a second (scan i due at
//    start + i / R, however long the previous one took), as a scanner does; the CPU window then
//    ends one period after the last slot, so each scan carries its share of idle time;
//  - CPU per scan: each process's on-CPU time over the measured scans (the sum of its threads'
//    /proc/<pid>/task/*/schedstat, in ns) / scans; resident memory (VmRSS, VmHWM) at the end;
//    beside it the CPU floor of the same run: 2 x the paced echo-server step (one wake, a 1 KB
//    recv and send, CLOCK_THREAD_CPUTIME_ID): a process woken by a scan that waits for one
//    put's answer cannot spend less;
//  - the compute floor of the same run: the thread CPU of the bridge's fixed work on one scan
//    (read the file, DecodeScan, BuildScanJson) back to back, idling gap_ms before each, and
//    idling the --rate period before each; the bridge's CPU per scan is reported beside 2 wake
//    steps (paced gap_ms) plus the mean compute floor at the run's own pacing (this VM runs the
//    same code 3-4 x slower after an idle gap than back to back: docs/performance.md);
//  - breakdown: after each decision (outside the timed part) the bench reads
//    DOLPHIN_FEATURES["latest_eigen_scan"] and splits the latency at its bridge_ts (the bridge's
//    wall clock after reading and decoding the file (columns already JSON), before the state
//    file and the put);
//  - context, beside the budget floors: the same floors idling gap_ms before each sample
//    ("paced"), and the bus hop alone (put of the real scan JSON -> key listener on a second
//    connection), back to back and paced; measured after the pipeline, so they do not warm the
//    member for it.
// Diagnostics (own record names): --probe adds the bench's own listener on the scan key (splits
// bridge_ts -> decision at the event's arrival at a third client); --bridge-state-dir DIR puts
// the bridge's state_file there (e.g. /dev/shm, to see what writing it costs).
//
// Usage: dolphin_pipeline_bench --member 127.0.0.1:5701 [--n 400] [--warmup 20]
//          [--sync normal|full|both] [--gap-ms 20] [--rate R] [--floor-n 2000] [--hop-n N]
//          [--hop-warmup N]
//          [--probe] [--bridge-state-dir DIR] [--dolphin PATH] [--keep]
// Appends docs/architecture.md §10 JSON lines (histogram.h) and prints a table with the budgets (a
// figure, not a test: exit 0 whether or not a budget is met).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/bus/bus_options.h"
#include "dolphin/bus_hazelcast/hazelcast_bus.h"
#include "dolphin/contract/names.h"
#include "dolphin/contract/scan_json.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"
#include "dolphin/core/logging.h"
#include "dolphin/core/time.h"
#include "dolphin/sim/scan_sink.h"
#include "dolphin/sim/scanner.h"
#include "dolphin/trader/journal.h"
#include "floors.h"
#include "histogram.h"

namespace {

namespace fs = std::filesystem;
using dolphin::bench::Histogram;
using dolphin::bench::Record;

using dolphin::contract::kFeaturesMap;
using dolphin::contract::kScanKey;

// The wall clock the trader's processed_at comes from (SystemClock::Now is CLOCK_REALTIME too).
int64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);  // determinism-ok: benchmark timing
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
int64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // determinism-ok: benchmark timing
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
void SleepMs(double ms) {
  std::this_thread::sleep_for(std::chrono::microseconds(
      static_cast<int64_t>(ms * 1000)));  // determinism-ok: benchmark pacing
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "pipeline bench: %s\n", why.c_str());
  std::exit(1);
}

// ---- floors -------------------------------------------------------------------------------

// ---- child processes ----------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  std::string name;
  fs::path log;
};

std::vector<pid_t> g_children;  // killed on abnormal exit

void KillChildren() {
  for (pid_t p : g_children) {
    if (p > 0) ::kill(p, SIGKILL);
  }
}

Child Spawn(const std::vector<std::string>& argv, const fs::path& log, std::string name) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    // Only async-signal-safe calls until exec. The child dies with the bench.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  g_children.push_back(pid);
  return Child{pid, std::move(name), log};
}

std::string Tail(const fs::path& file, size_t bytes = 4000) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

bool Alive(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == 0;
}

// SIGTERM, then SIGKILL after `grace`; returns the exit code (-signal when killed).
int Stop(Child& c, std::chrono::seconds grace = std::chrono::seconds(30)) {
  if (c.pid <= 0) return 0;
  ::kill(c.pid, SIGTERM);
  int status = 0;
  const int64_t deadline = MonoNs() + std::chrono::nanoseconds(grace).count();
  while (true) {
    pid_t r = ::waitpid(c.pid, &status, WNOHANG);
    if (r == c.pid) break;
    if (r < 0) return -1;
    if (MonoNs() > deadline) {
      ::kill(c.pid, SIGKILL);
      ::waitpid(c.pid, &status, 0);
      break;
    }
    SleepMs(20);
  }
  std::erase(g_children, c.pid);
  c.pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

struct Cpu {
  double user = 0, sys = 0;  // seconds
};

// Nanoseconds on a CPU of every live thread of a process (/proc/<pid>/task/*/schedstat, field
// 1): exact, where /proc/<pid>/stat's utime/stime come in 10 ms ticks, too coarse for a few
// hundred microseconds a scan at 1 scan/s. A thread that exits inside the window takes its time
// with it: the services keep their threads (the bridge reads local files on its own thread).
double ProcessCpuNs(pid_t pid) {
  double total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(fmt::format("/proc/{}/task", pid), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::ifstream in(it->path() / "schedstat");
    double ns = 0;
    if (in >> ns) total += ns;
  }
  return total;
}

// VmRSS and VmHWM (peak) of a process, MB.
std::pair<double, double> ProcessRssMb(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  double rss = 0, hwm = 0;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::stod(line.substr(6)) / 1024;
  }
  return {rss, hwm};
}

// utime and stime of a process.
Cpu ProcessCpu(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = s.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  Cpu cpu;
  const double tck = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 (utime) and 15 (stime)
    if (i == 14) cpu.user = std::stod(field) / tck;
    if (i == 15) cpu.sys = std::stod(field) / tck;
  }
  return cpu;
}

// ---- the pipeline -------------------------------------------------------------------------

struct ScanFile {
  int64_t number;
  std::string name;
  std::string bytes;
};

struct ModeResult {
  std::string sync;
  Histogram latency, to_bridge, bridge_to_decision;  // ns
  Histogram bridge_to_probe, probe_to_decision;      // ns, with --probe only
  int breakdown_misses = 0;
  int stale = 0;
  int with_orders = 0;
  double cpu_bridge_us = 0, cpu_trader_us = 0;  // on-CPU time per scan (schedstat)
  double sys_bridge_us = 0, sys_trader_us = 0;  // of which sys (from the 10 ms ticks)
  double rss_bridge_mb = 0, rss_trader_mb = 0, hwm_bridge_mb = 0, hwm_trader_mb = 0;
  double rate = 0;  // achieved scans per second over the measured scans
};

// --probe: the bench's own key listener on DOLPHIN_FEATURES (a third client of the member),
// recording when each scan's event reached it. Diagnostic only: the member then sends every
// event twice and the bench wakes inside the timed window.
struct Probe {
  std::mutex mu;
  std::map<int64_t, int64_t> arrived;  // scan_number -> wall clock ns
  std::optional<int64_t> Take(int64_t number) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = arrived.find(number);
    if (it == arrived.end()) return std::nullopt;
    int64_t t = it->second;
    arrived.erase(arrived.begin(), std::next(it));
    return t;
  }
};

std::vector<ScanFile> EncodeScans(int count, int assets) {
  dolphin::sim::ScannerOptions so;
  so.assets = assets;
  // Timestamps just before now, 200 ms apart: no scan is stale (max_scan_age_s = 3600).
  const int64_t step_ns = 200'000'000;
  const int64_t start = RealtimeNs() - static_cast<int64_t>(count + 1) * step_ns;
  so.start_time = dolphin::Timestamp::FromUnixNanos(start);
  so.step = std::chrono::nanoseconds(step_ns);
  auto scanner = dolphin::sim::Scanner::Create(so);
  if (!scanner.ok()) Die("scanner: " + scanner.status().ToString());
  std::vector<ScanFile> files;
  for (int i = 0; i < count; ++i) {
    auto f = (*scanner)->Next();
    auto bytes = dolphin::sim::EncodeScanArrow(*f);
    if (!bytes.ok()) Die("encode: " + bytes.status().ToString());
    files.push_back({f->scan_number, dolphin::sim::ScanFileName(f->scan_number, f->timestamp),
                     std::move(*bytes)});
  }
  return files;
}

bool WaitForFile(const fs::path& p, const Child& c, std::chrono::seconds timeout) {
  const int64_t deadline = MonoNs() + std::chrono::nanoseconds(timeout).count();
  while (MonoNs() < deadline) {
    if (fs::exists(p)) return true;
    if (!Alive(c.pid)) return false;
    SleepMs(20);
  }
  return false;
}

ModeResult RunMode(const std::string& sync, const fs::path& root, const std::string& dolphin,
                   const std::string& member, dolphin::bus::KvBus& bus,
                   const std::vector<ScanFile>& scans, int warmup, double gap_ms, double rate,
                   Probe* probe, const std::string& bridge_state_dir) {
  ModeResult res;
  res.sync = sync;
  const fs::path dir = root / ("sync_" + sync);
  const fs::path staging = dir / "staging";
  const fs::path day =
      dir / "scans" / dolphin::FormatUtcDate(dolphin::Timestamp::FromUnixNanos(RealtimeNs()));
  fs::create_directories(staging);
  fs::create_directories(day);
  for (const ScanFile& s : scans) std::ofstream(staging / s.name, std::ios::binary) << s.bytes;

  const fs::path cfg = dir / "dolphin.toml";
  std::ofstream(cfg) << fmt::format(
      R"([log]
level = "warn"
[api]
listen = "127.0.0.1:0"
[bus]
backend = "hazelcast"
members = ["{}"]
[sim]
enabled = false
[bridge]
scan_dir = "{}"
{}
[trader.BLUE]
posture = "APEX"
max_scan_age_s = 3600
journal_sync = "{}"
)",
      member, (dir / "scans").string(),
      bridge_state_dir.empty()
          ? std::string()
          : fmt::format("state_file = \"{}/bridge_state.{}.json\"", bridge_state_dir, sync),
      sync);

  // A previous mode (or run) may have left its newest scan and state on the member.
  for (auto [map, key] :
       {std::pair{kFeaturesMap, kScanKey}, std::pair{"DOLPHIN_STATE_BLUE", "latest_nautilus"}}) {
    if (auto st = bus.Remove(map, key); !st.ok()) Die("remove: " + st.status().ToString());
  }

  Child trader =
      Spawn({dolphin, "serve", "trader", "-c", cfg.string()}, dir / "trader.log", "trader");
  if (!WaitForFile(dir / "var" / "api.trader.addr", trader, std::chrono::seconds(60))) {
    Die("trader did not start:\n" + Tail(trader.log));
  }
  Child bridge =
      Spawn({dolphin, "serve", "bridge", "-c", cfg.string()}, dir / "bridge.log", "bridge");
  if (!WaitForFile(dir / "var" / "api.bridge.addr", bridge, std::chrono::seconds(60))) {
    Die("bridge did not start:\n" + Tail(bridge.log));
  }

  const fs::path journal_dir = dir / "var" / "journal";
  const fs::path journal_file = journal_dir / "trader_BLUE.sqlite";
  if (!WaitForFile(journal_file, trader, std::chrono::seconds(30)))
    Die("no journal:\n" + Tail(trader.log));
  auto journal = dolphin::trader::OpenJournalReadOnly(journal_file);
  if (!journal.ok()) Die("journal: " + journal.status().ToString());
  int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  inotify_add_watch(ifd, journal_dir.c_str(), IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);

  auto last_processed = [&]() -> std::optional<dolphin::trader::ProcessedScan> {
    auto last = (*journal)->LastProcessed();
    if (!last.ok()) Die("journal read: " + last.status().ToString());
    return *last;
  };
  // Waits (journal folder events, 50 ms fallback) until the trader journaled scan `number`.
  auto wait_decision = [&](int64_t number) -> dolphin::trader::ProcessedScan {
    const int64_t deadline = MonoNs() + 20'000'000'000;
    alignas(struct inotify_event) char buf[4096];
    while (true) {
      auto last = last_processed();
      if (last && last->scan_number >= number) {
        if (last->scan_number != number)
          Die(fmt::format("expected scan {}, journal has {}", number, last->scan_number));
        while (read(ifd, buf, sizeof(buf)) > 0) {
        }
        return *last;
      }
      if (MonoNs() > deadline || !Alive(trader.pid) || !Alive(bridge.pid)) {
        Die(fmt::format("scan {} not decided within 20 s\n--- trader:\n{}\n--- bridge:\n{}", number,
                        Tail(trader.log), Tail(bridge.log)));
      }
      pollfd p{ifd, POLLIN, 0};
      ::poll(&p, 1, 50);
      while (read(ifd, buf, sizeof(buf)) > 0) {
      }
    }
  };

  std::fprintf(stderr,
               "pipeline bench: sync=%s, %zu scans (%d warm-up), trader pid %d, bridge pid %d\n",
               sync.c_str(), scans.size(), warmup, trader.pid, bridge.pid);
  Cpu cpu_b0, cpu_t0;
  double ns_b0 = 0, ns_t0 = 0;
  int64_t measured_from = MonoNs();
  for (size_t i = 0; i < scans.size(); ++i) {
    if (static_cast<int>(i) == warmup) {
      cpu_b0 = ProcessCpu(bridge.pid);
      cpu_t0 = ProcessCpu(trader.pid);
      ns_b0 = ProcessCpuNs(bridge.pid);
      ns_t0 = ProcessCpuNs(trader.pid);
      measured_from = MonoNs();
    }
    // --rate: scan i of the measured run is due at measured_from + (i - warmup) / rate, the
    // way a scanner's clock paces them (idle time = period - latency).
    if (rate > 0 && static_cast<int>(i) > warmup) {
      const int64_t due =
          measured_from +
          static_cast<int64_t>(static_cast<double>(static_cast<int>(i) - warmup) * 1e9 / rate);
      const int64_t now = MonoNs();
      if (due > now) SleepMs(static_cast<double>(due - now) / 1e6);
    }
    const ScanFile& s = scans[i];
    const fs::path from = staging / s.name, to = day / s.name;
    const int64_t t0 = RealtimeNs();
    if (::rename(from.c_str(), to.c_str()) != 0)
      Die(fmt::format("rename {}: {}", from.string(), std::strerror(errno)));
    const dolphin::trader::ProcessedScan p = wait_decision(s.number);
    const int64_t decided = p.processed_at.UnixNanos();
    // Outside the timed part: where did the time go (the bridge's bridge_ts)?
    std::optional<int64_t> bridge_ts;
    if (auto v = bus.Get(kFeaturesMap, kScanKey); v.ok() && *v) {
      auto j = dolphin::ParseJson(**v);
      if (j.ok() && (*j)["scan_number"] == s.number && (*j)["bridge_ts"].is_string()) {
        auto ts = dolphin::ParseRfc3339((*j)["bridge_ts"].get<std::string>());
        if (ts.ok()) bridge_ts = ts->UnixNanos();
      }
    }
    if (static_cast<int>(i) >= warmup) {
      res.latency.Add(static_cast<double>(decided - t0));
      if (probe && bridge_ts) {
        if (auto at = probe->Take(s.number)) {
          res.bridge_to_probe.Add(static_cast<double>(*at - *bridge_ts));
          res.probe_to_decision.Add(static_cast<double>(decided - *at));
        }
      }
      if (bridge_ts) {
        res.to_bridge.Add(static_cast<double>(*bridge_ts - t0));
        res.bridge_to_decision.Add(static_cast<double>(decided - *bridge_ts));
      } else {
        ++res.breakdown_misses;
      }
      if (p.outcome != "processed") ++res.stale;
      if (p.signal.find(" order=") != std::string::npos) ++res.with_orders;
    }
    if (rate <= 0 && gap_ms > 0) SleepMs(gap_ms);
  }
  // With --rate the window ends one period after the last scan's slot, so every measured scan
  // carries one period of idle time, as it does live.
  if (rate > 0) {
    const int64_t end =
        measured_from +
        static_cast<int64_t>(static_cast<double>(scans.size() - warmup) * 1e9 / rate);
    const int64_t now = MonoNs();
    if (end > now) SleepMs(static_cast<double>(end - now) / 1e6);
  }
  const double measured = static_cast<double>(scans.size() - static_cast<size_t>(warmup));
  res.rate = measured / (static_cast<double>(MonoNs() - measured_from) / 1e9);
  const Cpu cpu_b1 = ProcessCpu(bridge.pid), cpu_t1 = ProcessCpu(trader.pid);
  res.cpu_bridge_us = (ProcessCpuNs(bridge.pid) - ns_b0) / measured / 1e3;
  res.cpu_trader_us = (ProcessCpuNs(trader.pid) - ns_t0) / measured / 1e3;
  std::tie(res.rss_bridge_mb, res.hwm_bridge_mb) = ProcessRssMb(bridge.pid);
  std::tie(res.rss_trader_mb, res.hwm_trader_mb) = ProcessRssMb(trader.pid);
  res.sys_bridge_us = (cpu_b1.sys - cpu_b0.sys) / measured * 1e6;
  res.sys_trader_us = (cpu_t1.sys - cpu_t0.sys) / measured * 1e6;
  close(ifd);
  journal->reset();
  int rb = Stop(bridge);
  int rt = Stop(trader);
  if (rb != 0 || rt != 0) {
    std::fprintf(
        stderr,
        "pipeline bench: exit codes bridge %d trader %d\n--- trader:\n%s\n--- bridge:\n%s\n", rb,
        rt, Tail(trader.log).c_str(), Tail(bridge.log).c_str());
  }
  return res;
}

std::string DefaultDolphin() {
  // <build>/bench/pipeline/dolphin_pipeline_bench -> <build>/apps/dolphin/dolphin
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path().parent_path() / "apps" / "dolphin" / "dolphin").string();
}

std::string LoadAvg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string Us(double ns) { return fmt::format("{:.0f}", ns / 1e3); }

}  // namespace

int main(int argc, char** argv) {
  std::string member;
  std::string dolphin = DefaultDolphin();
  std::string sync = "both";
  int n = 400, warmup = 20, floor_n = 2000, assets = 400, hop_n = -1, hop_warmup = -1;
  double gap_ms = 20, rate = 0;
  bool keep = false, probe = false;
  std::string bridge_state_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--member") member = next();
    else if (a == "--n") n = std::stoi(next());
    else if (a == "--warmup") warmup = std::stoi(next());
    else if (a == "--sync") sync = next();
    else if (a == "--gap-ms") gap_ms = std::stod(next());
    else if (a == "--rate") rate = std::stod(next());
    else if (a == "--floor-n") floor_n = std::stoi(next());
    else if (a == "--assets") assets = std::stoi(next());
    else if (a == "--dolphin") dolphin = next();
    else if (a == "--keep") keep = true;
    else if (a == "--probe") probe = true;
    else if (a == "--bridge-state-dir") bridge_state_dir = next();
    else if (a == "--hop-n") hop_n = std::stoi(next());
    else if (a == "--hop-warmup") hop_warmup = std::stoi(next());
    else Die("unknown argument " + a + " (see the header of bench/pipeline/pipeline_bench.cc)");
  }
  if (member.empty()) Die("--member host:port is required (scripts/bench-pipeline.sh starts one)");
  if (!fs::exists(dolphin))
    Die("no dolphin binary at " + dolphin + " (build target dolphin, or --dolphin)");
  std::vector<std::string> modes;
  if (sync == "both") modes = {"normal", "full"};
  else if (sync == "normal" || sync == "full") modes = {sync};
  else Die("--sync normal|full|both");
  std::atexit(KillChildren);
  for (int sig : {SIGINT, SIGTERM}) {
    std::signal(sig, [](int) {
      KillChildren();
      std::_Exit(1);
    });
  }

  char tmpl[] = "/tmp/dolphin-pipeline-bench-XXXXXX";
  if (!mkdtemp(tmpl)) Die("mkdtemp failed");
  const fs::path root = tmpl;
  std::fprintf(stderr, "pipeline bench: member %s, %d+%d scans of %d assets, dolphin %s, in %s\n",
               member.c_str(), warmup, n, assets, dolphin.c_str(), root.c_str());

  dolphin::SystemClock clock;
  dolphin::StreamLogger logger(clock, stderr, dolphin::LogFormat::kHuman, dolphin::LogLevel::kWarn);
  dolphin::Random fixed_random(1);  // Benchmarks draw nothing random; a fixed seed.
  dolphin::Env env{clock, logger, dolphin::FileSystem::Default(), fixed_random,
                   dolphin::ThreadFactory::Default()};
  dolphin::bus::BusOptions bo;
  bo.backend = "hazelcast";
  bo.members = {member};
  auto bus = dolphin::bus::NewHazelcastBus(bo, env);
  if (!bus.ok()) Die("cannot connect to " + member + ": " + bus.status().ToString());

  const std::string load_start = LoadAvg();
  const int64_t enc0 = MonoNs();
  const std::vector<ScanFile> scans = EncodeScans(n + warmup, assets);
  std::fprintf(stderr, "pipeline bench: encoded %zu scans (%.1f KB each) in %.1f s\n", scans.size(),
               static_cast<double>(scans.back().bytes.size()) / 1024,
               static_cast<double>(MonoNs() - enc0) / 1e9);

  const Histogram inotify = dolphin::bench::InotifyFloor(root / "floor", floor_n);
  const Histogram tcp = dolphin::bench::TcpFloor(floor_n);
  Record ri =
      dolphin::bench::FromHistogram("pipeline.rename_to_inotify_floor", "us", inotify, 1e-3);
  Record rt = dolphin::bench::FromHistogram("pipeline.tcp_floor_rtt_1k", "us", tcp, 1e-3);
  dolphin::bench::Append(ri);
  dolphin::bench::Append(rt);
  const double floor_p99 = *ri.p99 + 2 * *rt.p99;  // us
  // The same floors idling gap_ms between samples, as the pipeline does between scans: what a
  // wake-up from idle costs on this host (not the budget floor; reported beside it).
  const int paced_n = std::min(floor_n, 300);
  Histogram inotify_paced, tcp_paced;
  // CPU floors (paced, ns per step): one inotify wake + read; one echo-server step (wake, 1 KB
  // recv, 1 KB send). A service that wakes on a scan and waits for one put's answer spends at
  // least two such steps per scan: cpu_floor_us.
  double cpu_wake_ns = 0, cpu_echo_ns = 0;
  if (gap_ms > 0) {
    inotify_paced =
        dolphin::bench::InotifyFloor(root / "floor_paced", paced_n, gap_ms, 1, &cpu_wake_ns);
    tcp_paced = dolphin::bench::TcpFloor(paced_n, gap_ms, 1, &cpu_echo_ns);
    for (auto [what, v] :
         {std::pair{"inotify_wake", cpu_wake_ns}, std::pair{"tcp_echo_step", cpu_echo_ns}}) {
      dolphin::bench::Append(Record{fmt::format("pipeline.cpu_floor.{}.paced_{:g}ms", what, gap_ms),
                                    "us", paced_n, v / 1e3, std::nullopt, std::nullopt,
                                    std::nullopt, std::nullopt});
    }
    dolphin::bench::Append(dolphin::bench::FromHistogram(
        fmt::format("pipeline.rename_to_inotify_floor.paced_{:g}ms", gap_ms), "us", inotify_paced,
        1e-3));
    dolphin::bench::Append(dolphin::bench::FromHistogram(
        fmt::format("pipeline.tcp_floor_rtt_1k.paced_{:g}ms", gap_ms), "us", tcp_paced, 1e-3));
  }
  const double cpu_floor_us = 2 * cpu_echo_ns / 1e3;

  // A second connection: the probe's listener (--probe) and the bus-hop figure's listener, so
  // their dispatch never delays the bench's own requests.
  Probe probe_state;
  auto pb = dolphin::bus::NewHazelcastBus(bo, env);
  if (!pb.ok()) Die("cannot connect to " + member + ": " + pb.status().ToString());
  std::unique_ptr<dolphin::bus::KvBus> probe_bus = std::move(*pb);
  if (probe) {
    auto id =
        probe_bus->AddKeyListener(kFeaturesMap, kScanKey, [&](const dolphin::bus::BusEvent& e) {
          const int64_t now = RealtimeNs();
          size_t at = e.value.find("\"scan_number\":");
          if (at == std::string::npos) return;
          const int64_t number = std::atoll(e.value.c_str() + at + 14);
          std::lock_guard<std::mutex> lock(probe_state.mu);
          probe_state.arrived.emplace(number, now);
        });
    if (!id.ok()) Die("probe listener: " + id.status().ToString());
  }

  // The compute floor: what the bridge's fixed work on one scan (read the file, decode it,
  // build its JSON: arrow::ReadFileBytes, contract::DecodeScan, BuildScanJson) costs this
  // thread in CPU back to back, idling gap_ms before each, and idling the --rate period before
  // each (20 x rate samples, at least 10 and at most 300: about 20 s at 0.5 to 15 scans/s,
  // 10 periods below). On this VM the same code costs several times more after an
  // idle gap than back to back, so a service's CPU per scan is compared with the compute floor
  // of its own pacing.
  const fs::path decode_file = root / "decode_floor.arrow";
  std::ofstream(decode_file, std::ios::binary) << scans.front().bytes;
  size_t decode_json_bytes = 0;
  auto decode_step = [&] {
    auto bytes = dolphin::arrow::ReadFileBytes(decode_file.string());
    if (!bytes.ok()) Die("compute floor: " + bytes.status().ToString());
    auto scan = dolphin::contract::DecodeScan(*bytes);
    if (!scan.ok()) Die("compute floor: " + scan.status().ToString());
    dolphin::contract::PublishFields f;
    f.file = decode_file.filename().string();
    decode_json_bytes = dolphin::contract::BuildScanJson(*scan, f).size();
  };
  const Histogram decode_hot = dolphin::bench::CpuOfStep(decode_step, 2000);
  Histogram decode_paced, decode_rate;
  if (gap_ms > 0) decode_paced = dolphin::bench::CpuOfStep(decode_step, paced_n, gap_ms);
  if (rate > 0) {
    decode_rate = dolphin::bench::CpuOfStep(
        decode_step, std::clamp(static_cast<int>(20 * rate), 10, 300), 1000 / rate);
  }
  dolphin::bench::Append(dolphin::bench::FromHistogram(
      "pipeline.cpu_floor.decode_json.back_to_back", "us", decode_hot, 1e-3));
  if (gap_ms > 0) {
    dolphin::bench::Append(dolphin::bench::FromHistogram(
        fmt::format("pipeline.cpu_floor.decode_json.paced_{:g}ms", gap_ms), "us", decode_paced,
        1e-3));
  }
  if (rate > 0) {
    dolphin::bench::Append(dolphin::bench::FromHistogram(
        fmt::format("pipeline.cpu_floor.decode_json.rate_{:g}", rate), "us", decode_rate, 1e-3));
  }
  // The floor of the bridge's CPU per scan: the 2 wake steps (paced gap_ms) and the mean compute
  // floor at this run's own pacing (means, as CPU per scan is one).
  const Histogram& decode_own = rate > 0 ? decode_rate : gap_ms > 0 ? decode_paced : decode_hot;
  const double work_floor_us = cpu_floor_us + decode_own.Mean() / 1e3;

  std::vector<ModeResult> results;
  for (const std::string& mode : modes) {
    {
      std::lock_guard<std::mutex> lock(probe_state.mu);
      probe_state.arrived.clear();
    }
    results.push_back(RunMode(mode, root, dolphin, member, **bus, scans, warmup, gap_ms, rate,
                              probe ? &probe_state : nullptr, bridge_state_dir));
    const ModeResult& r = results.back();
    // Diagnostic variants get their own names, never mixed with the plain figure.
    const std::string variant = std::string(probe ? "probed." : "") +
                                (bridge_state_dir.empty() ? "" : "bridge_state_elsewhere.") +
                                (rate > 0 ? fmt::format("rate_{:g}.", rate) : "");
    const std::string base =
        "pipeline.hazelcast." + variant + "rename_to_decision.400_assets.sync_" + mode;
    Record rec = dolphin::bench::FromHistogram(base, "us", r.latency, 1e-3);
    rec.floor_p99 = floor_p99;
    rec.ratio = *rec.p99 / floor_p99;
    dolphin::bench::Append(rec);
    dolphin::bench::Append(
        dolphin::bench::FromHistogram(base + ".rename_to_bridge_ts", "us", r.to_bridge, 1e-3));
    dolphin::bench::Append(dolphin::bench::FromHistogram(base + ".bridge_ts_to_decision", "us",
                                                         r.bridge_to_decision, 1e-3));
    if (probe) {
      dolphin::bench::Append(dolphin::bench::FromHistogram(base + ".bridge_ts_to_probe_event", "us",
                                                           r.bridge_to_probe, 1e-3));
      dolphin::bench::Append(dolphin::bench::FromHistogram(base + ".probe_event_to_decision", "us",
                                                           r.probe_to_decision, 1e-3));
    }
    for (auto [who, v] :
         {std::pair{"bridge", r.cpu_bridge_us}, std::pair{"trader", r.cpu_trader_us}}) {
      dolphin::bench::Append(
          Record{fmt::format("pipeline.hazelcast.{}cpu_per_scan.{}.sync_{}", variant, who, mode),
                 "us", r.latency.count(), v, std::nullopt, std::nullopt,
                 cpu_floor_us > 0 ? std::optional<double>(cpu_floor_us) : std::nullopt,
                 cpu_floor_us > 0 ? std::optional<double>(v / cpu_floor_us) : std::nullopt});
    }
    // The bridge's CPU per scan against its wake steps + compute floor at this pacing.
    dolphin::bench::Append(
        Record{fmt::format("pipeline.hazelcast.{}cpu_per_scan_vs_work_floor.bridge.sync_{}",
                           variant, mode),
               "us", r.latency.count(), r.cpu_bridge_us, std::nullopt, std::nullopt, work_floor_us,
               r.cpu_bridge_us / work_floor_us});
    for (auto [who, v] :
         {std::pair{"bridge", r.rss_bridge_mb}, std::pair{"trader", r.rss_trader_mb}}) {
      dolphin::bench::Append(
          Record{fmt::format("pipeline.hazelcast.{}rss.{}.sync_{}", variant, who, mode), "MB", 1, v,
                 std::nullopt, std::nullopt, std::nullopt, std::nullopt});
    }
  }

  // After the pipeline (so it does not warm the member for it): the bus hop alone, a put of the
  // real scan JSON on one connection -> key listener callback on another.
  // Back to back (warm, busy threads) and paced like the pipeline (gap_ms idle before each).
  Histogram hop, hop_paced;
  if (hop_n < 0) hop_n = std::min(n, 300);
  if (hop_warmup < 0) hop_warmup = warmup;
  size_t value_bytes = 0;
  {
    auto v = (*bus)->Get(kFeaturesMap, kScanKey);
    if (!v.ok() || !*v) Die("no scan on the bus after the run");
    const std::string value = **v;
    value_bytes = value.size();
    const size_t at = value.find("\"scan_number\":");
    const size_t end = value.find_first_of(",}", at);
    if (at == std::string::npos || end == std::string::npos) Die("scan JSON without scan_number");
    const std::string head = value.substr(0, at + 14), tail = value.substr(end);
    const std::string map = fmt::format("BENCH_PIPELINE_{}", ::getpid());
    std::mutex mu;
    std::condition_variable cv;
    int64_t seen = -1, seen_at = 0;
    auto id = probe_bus->AddKeyListener(map, "scan", [&](const dolphin::bus::BusEvent& e) {
      const int64_t now = MonoNs();
      if (e.value.size() < head.size()) return;
      const int64_t k = std::atoll(e.value.c_str() + head.size());
      std::lock_guard<std::mutex> lock(mu);
      seen = k;
      seen_at = now;
      cv.notify_all();
    });
    if (!id.ok()) Die("listener: " + id.status().ToString());
    int64_t i = 0;
    auto hop_once = [&](Histogram* h) {
      const std::string v2 = head + std::to_string(i) + tail;
      const int64_t t0 = MonoNs();
      if (auto st = (*bus)->Put(map, "scan", v2); !st.ok()) Die("put: " + st.ToString());
      std::unique_lock<std::mutex> lock(mu);
      if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return seen == i; }))
        Die("bus hop: event lost");
      if (h) h->Add(static_cast<double>(seen_at - t0));
      ++i;
    };
    for (int k = 0; k < hop_warmup; ++k) hop_once(nullptr);
    for (int k = 0; k < hop_n; ++k) hop_once(&hop);
    if (gap_ms > 0) {
      for (int k = 0; k < hop_n; ++k) {
        SleepMs(gap_ms);
        hop_once(&hop_paced);
      }
    }
    (void)probe_bus->RemoveListener(*id);
    (void)(*bus)->Remove(map, "scan");
  }
  Record rh = dolphin::bench::FromHistogram("pipeline.hazelcast.put_to_listener.scan_json", "us",
                                            hop, 1e-3);
  rh.floor_p99 = *rt.p99;
  rh.ratio = *rh.p99 / *rt.p99;
  dolphin::bench::Append(rh);
  if (gap_ms > 0) {
    dolphin::bench::Append(dolphin::bench::FromHistogram(
        fmt::format("pipeline.hazelcast.put_to_listener.scan_json.paced_{:g}ms", gap_ms), "us",
        hop_paced, 1e-3));
  }

  std::printf(
      "\nfile renamed -> trader decision, `dolphin serve bridge` + `dolphin serve trader` over one\n"
      "Hazelcast member on loopback, %d-asset scans, %d measured after %d warm-up, %.0f ms between scans\n",
      assets, n, warmup, gap_ms);
  std::printf(
      "load average at start %s, at end %s (2 cores)%s%s\n\n", load_start.c_str(),
      LoadAvg().c_str(), probe ? "; --probe: a third client listens too (diagnostic figures)" : "",
      bridge_state_dir.empty() ? "" : ("; the bridge's state_file in " + bridge_state_dir).c_str());
  std::printf("%-44s %9s %9s %9s\n", "figure (us)", "p50", "p99", "max");
  auto row = [](const std::string& name, const Histogram& h) {
    std::printf("%-44s %9s %9s %9s\n", name.c_str(), Us(h.Percentile(50)).c_str(),
                Us(h.Percentile(99)).c_str(), Us(h.Max()).c_str());
  };
  row("floor: rename -> inotify wake", inotify);
  row("floor: 1 KB loopback TCP round trip", tcp);
  std::printf("%-44s %29.0f\n", "floor_p99 = inotify p99 + 2 x TCP p99", floor_p99);
  if (gap_ms > 0) {
    row(fmt::format("paced floor: inotify wake, {:g} ms idle", gap_ms), inotify_paced);
    row(fmt::format("paced floor: TCP round trip, {:g} ms idle", gap_ms), tcp_paced);
    std::printf("%-44s %9.1f\n", "cpu floor: inotify wake + read (us)", cpu_wake_ns / 1e3);
    std::printf("%-44s %9.1f\n", "cpu floor: echo step, wake+recv+send (us)", cpu_echo_ns / 1e3);
  }
  std::printf("cpu floor: read + decode + JSON of one scan (%.1f KB JSON), thread CPU:\n",
              static_cast<double>(decode_json_bytes) / 1024);
  row("  back to back", decode_hot);
  if (gap_ms > 0) row(fmt::format("  {:g} ms idle before each", gap_ms), decode_paced);
  if (rate > 0) row(fmt::format("  at the rate's period ({:g} ms idle)", 1000 / rate), decode_rate);
  row(fmt::format("bus hop: put -> listener, {:.1f} KB scan JSON",
                  static_cast<double>(value_bytes) / 1024),
      hop);
  if (gap_ms > 0) row(fmt::format("  the same, {:g} ms idle before each", gap_ms), hop_paced);
  bool ok = true;
  for (const ModeResult& r : results) {
    row("rename -> decision, journal_sync=" + r.sync, r.latency);
    row("  rename -> bridge_ts (inotify, read, decode)", r.to_bridge);
    row("  bridge_ts -> decision (JSON, put, event)", r.bridge_to_decision);
    if (probe) {
      row("    bridge_ts -> event at a 3rd client", r.bridge_to_probe);
      row("    event at 3rd client -> decision", r.probe_to_decision);
    }
    const double p50 = r.latency.Percentile(50) / 1e3, p99 = r.latency.Percentile(99) / 1e3;
    const bool p50_ok = p50 < 5000, p99_ok = p99 <= 1.5 * floor_p99;
    ok = ok && p50_ok && p99_ok;
    std::printf("  budget: p50 %.0f < 5000 %s; p99 %.0f <= 1.5 x %.0f = %.0f %s (ratio %.2f)\n",
                p50, p50_ok ? "ok" : "MISSED", p99, floor_p99, 1.5 * floor_p99,
                p99_ok ? "ok" : "MISSED", p99 / floor_p99);
    std::printf(
        "  cpu per scan (schedstat) at %.1f scans/s: bridge %.0f us (sys %.0f), trader %.0f us "
        "(sys %.0f); cpu floor %.0f us (2 wake steps, %g ms idle); with the mean compute floor at "
        "this pacing %.0f us (bridge %.1f x)\n",
        r.rate, r.cpu_bridge_us, r.sys_bridge_us, r.cpu_trader_us, r.sys_trader_us, cpu_floor_us,
        gap_ms, work_floor_us, r.cpu_bridge_us / work_floor_us);
    std::printf(
        "  resident memory at the end (peak): bridge %.1f MB (%.1f), trader %.1f MB (%.1f)\n",
        r.rss_bridge_mb, r.hwm_bridge_mb, r.rss_trader_mb, r.hwm_trader_mb);
    std::printf("  scans with orders %d, stale %d, without breakdown %d\n", r.with_orders, r.stale,
                r.breakdown_misses);
  }
  std::fflush(stdout);
  if (!keep) {
    std::error_code ec;
    fs::remove_all(root, ec);
  } else {
    std::fprintf(stderr, "pipeline bench: kept %s\n", root.c_str());
  }
  if (!ok) std::printf("\nbudget missed (see above)\n");
  return 0;
}
