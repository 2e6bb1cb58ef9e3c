// Threads count as tasks (docs/services.md §2): TasksMax= / pids.max count every thread, and the
// original units allow 50 tasks, so every dolphin process must stay well inside at steady state:
// at most 25 threads. Real processes: `dolphin run` with every service (two traders, bridge,
// simulator, health) and each `dolphin serve` process against a real Hazelcast member, sampled
// from /proc/<pid>/task once they have been up for a few heartbeats with scans flowing. A
// behaviour bound, not a timing: scripts/bench-threads.sh reports the figures.
#include <dirent.h>
#include <signal.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "member_environment.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using bus::hazelcast::testing::Member;
using testing::DolphinBinary;
using testing::Subprocess;
using testing::WaitFor;

constexpr size_t kBudget = 25;  // half of the original units' TasksMax=50

// Thread name -> count, from /proc/<pid>/task/*/comm.
std::map<std::string, size_t> ThreadsByName(pid_t pid) {
  std::map<std::string, size_t> out;
  std::error_code ec;
  for (fs::directory_iterator it(fmt::format("/proc/{}/task", pid), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name;
    std::getline(std::ifstream(it->path() / "comm"), name);
    ++out[name];
  }
  return out;
}

size_t Total(const std::map<std::string, size_t>& by_name) {
  size_t n = 0;
  for (const auto& [name, count] : by_name) n += count;
  return n;
}

std::string Describe(const std::map<std::string, size_t>& by_name) {
  std::string s;
  for (const auto& [name, count] : by_name) s += fmt::format("{} x{}, ", name, count);
  return s;
}

struct Process {
  std::string label;
  std::unique_ptr<Subprocess> proc;
  fs::path addr_file;
};

class ThreadBudgetTest : public ::testing::Test {
 protected:
  // Waits until `p` is up (its API address written) and has beaten `beats` times, then samples
  // its threads `samples` times (until each sample saw a new status line); returns the largest.
  std::map<std::string, size_t> SteadyStateMax(Process& p, int beats = 4, int samples = 5) {
    EXPECT_TRUE(WaitFor([&] { return fs::exists(p.addr_file); }, std::chrono::seconds(90)))
        << p.label << ": " << p.proc->Stderr();
    auto status_lines = [&] {
      const std::string err = p.proc->Stderr();
      size_t n = 0;
      for (size_t at = err.find(" status up="); at != std::string::npos;
           at = err.find(" status up=", at + 1))
        ++n;
      return n;
    };
    EXPECT_TRUE(WaitFor([&] { return status_lines() >= static_cast<size_t>(beats); },
                        std::chrono::seconds(60)))
        << p.label << ": " << p.proc->Stderr();
    std::map<std::string, size_t> worst;
    for (int i = 0; i < samples; ++i) {
      const size_t seen = status_lines();
      auto now = ThreadsByName(p.proc->pid());
      if (Total(now) > Total(worst)) worst = now;
      (void)WaitFor([&] { return status_lines() > seen; }, std::chrono::seconds(10));
    }
    return worst;
  }

  void ExpectWithinBudget(Process& p) {
    auto threads = SteadyStateMax(p);
    std::printf("threads %s: %zu (%s)\n", p.label.c_str(), Total(threads),
                Describe(threads).c_str());
    EXPECT_GT(Total(threads), 0u) << p.label;
    EXPECT_LE(Total(threads), kBudget) << p.label << ": " << Describe(threads);
    // The HTTP pool is explicit and small: the accept thread + [api] threads (2) + max_watchers
    // (4). A worker is named api-http once it served a request; until then it carries the
    // accept thread's name.
    EXPECT_EQ(threads["api-accept"] + threads["api-http"], 7u)
        << p.label << ": " << Describe(threads);
  }

  testing::TempDir dir_;
};

TEST_F(ThreadBudgetTest, RunWithEveryServiceStaysWithinTwentyFiveThreads) {
  std::ofstream(dir_.path() / "run.toml") << R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[sim]
enabled = true
interval_ms = 200
assets = 20
[trader.BLUE]
posture = "TURTLE"
[trader.GREEN]
posture = "TURTLE"
)";
  Process run{"run",
              std::make_unique<Subprocess>(
                  std::vector<std::string>{DolphinBinary(), "run", "-c", "run.toml"}, dir_.path()),
              dir_.path() / "var" / "api.addr"};
  ExpectWithinBudget(run);
  // Scans flowed through both traders meanwhile: a steady state, not an idle one.
  EXPECT_THAT(run.proc->Stderr(), ::testing::HasSubstr("trader.GREEN scan scan="));
  run.proc->Signal(SIGTERM);
  EXPECT_EQ(run.proc->Wait(std::chrono::seconds(30)).exit_code, 0);
}

TEST_F(ThreadBudgetTest, EveryServeProcessStaysWithinTwentyFiveThreads) {
  DOLPHIN_REQUIRE_MEMBER();
  std::ofstream(dir_.path() / "serve.toml") << fmt::format(R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[bus]
backend = "hazelcast"
members = ["{}"]
[sim]
interval_ms = 200
assets = 20
[trader.BLUE]
posture = "TURTLE"
[health]
processes = "systemd"
systemd_probe = ["true"]
)",
                                                           Member::Get().address());
  auto serve = [&](std::string label, std::vector<std::string> args, std::string addr) {
    args.insert(args.begin(), {DolphinBinary(), "serve"});
    args.insert(args.end(), {"-c", "serve.toml"});
    return Process{std::move(label), std::make_unique<Subprocess>(std::move(args), dir_.path()),
                   dir_.path() / "var" / addr};
  };
  // All at once, as under systemd: the simulator feeds the bridge, the bridge the trader.
  std::vector<Process> procs;
  procs.push_back(serve("serve sim", {"sim"}, "api.sim.addr"));
  procs.push_back(serve("serve bridge", {"bridge"}, "api.bridge.addr"));
  procs.push_back(serve("serve trader", {"trader", "--color", "BLUE"}, "api.trader.BLUE.addr"));
  procs.push_back(serve("serve health", {"health"}, "api.health.addr"));
  for (Process& p : procs) ExpectWithinBudget(p);
  EXPECT_THAT(procs[2].proc->Stderr(), ::testing::HasSubstr("trader.BLUE scan scan="));
  for (Process& p : procs) p.proc->Signal(SIGTERM);
  for (Process& p : procs)
    EXPECT_EQ(p.proc->Wait(std::chrono::seconds(30)).exit_code, 0) << p.label;
}

}  // namespace
}  // namespace dolphin
