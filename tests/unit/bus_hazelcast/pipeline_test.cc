// The pipeline over a real member, as separate processes: `dolphin serve trader` and
// `dolphin serve bridge`, scan files renamed into the watched folder, the member SIGKILLed
// while scans flow and started again (a new cluster: empty maps). The pipeline must continue
// with the next scan within seconds, no scan may be acted on twice, the missed ones are
// journaled as gaps, the bridge and the trader republish into the new cluster, the operator
// controls reach the serve process, and a backtest over the journal reproduces its fills.
#include <signal.h>

#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include "dolphin/core/json.h"
#include "dolphin/sim/scanner.h"
#include "dolphin/testing/scan_files.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "dolphin/trader/journal.h"
#include "member_environment.h"

namespace dolphin::bus::hazelcast {
namespace {

namespace fs = std::filesystem;
using dolphin::testing::DolphinBinary;
using dolphin::testing::Subprocess;
using dolphin::testing::TempDir;
using dolphin::testing::WaitFor;
using ::testing::HasSubstr;
using testing::Member;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DOLPHIN_REQUIRE_MEMBER();
    sim::ScannerOptions so;
    so.assets = 30;
    so.warmup_scans = 200;
    so.seed = 11;
    so.compute_eigenvalues = false;
    // Timestamps near now, so no scan is stale for the trader.
    so.start_time = Timestamp::FromUnixSeconds(
        std::time(nullptr));  // determinism-ok: live scans for a real process
    so.step = std::chrono::milliseconds(200);
    auto scanner = sim::Scanner::Create(so);
    ASSERT_OK(scanner);
    auto files = dolphin::testing::StageScanFiles(**scanner, 40, dir_.path() / "staging",
                                                  dir_.path() / "scans");
    ASSERT_OK(files);
    for (const dolphin::testing::StagedScan& s : *files) files_.push_back({s.number, s.relative});
    std::ofstream(dir_.path() / "dolphin.toml") << fmt::format(R"(heartbeat_interval_s = 1
[api]
listen = "127.0.0.1:0"
[bus]
backend = "hazelcast"
members = ["{}"]
[sim]
enabled = false
[bridge]
scan_dir = "scans"
[trader.BLUE]
posture = "APEX"
entry_threshold = -0.001
exit_threshold = 0.001
max_hold_scans = 3
max_scan_age_s = 3600
)",
                                                               Member::Get().address());
    // Another test of this binary may have left a scan or a state on the shared member.
    auto bus = Member::Get().NewBus();
    ASSERT_OK(bus);
    for (auto [map, key] : {std::pair{"DOLPHIN_FEATURES", "latest_eigen_scan"},
                            std::pair{"DOLPHIN_STATE_BLUE", "latest_nautilus"}}) {
      ASSERT_OK((*bus)->Remove(map, key));
    }
  }

  std::unique_ptr<Subprocess> Serve(const std::string& service) {
    auto p = std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "serve", service, "-c", "dolphin.toml"},
        dir_.path());
    EXPECT_TRUE(WaitFor(
        [&] { return fs::exists(dir_.path() / "var" / fmt::format("api.{}.addr", service)); },
        std::chrono::seconds(60)))
        << p->Stderr();
    return p;
  }

  void Deliver(size_t i) {
    const fs::path& rel = files_[i].second;
    fs::path tmp = dir_.path() / "scans" / rel.parent_path() / ".tmp";
    fs::copy_file(dir_.path() / "staging" / rel, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, dir_.path() / "scans" / rel);
  }

  int64_t LastProcessed() {
    auto j = trader::OpenJournalReadOnly(dir_.path() / "var" / "journal" / "trader_BLUE.sqlite");
    if (!j.ok()) return -1;
    auto last = (*j)->LastProcessed();
    return last.ok() && *last ? (*last)->scan_number : -1;
  }

  dolphin::testing::ProcessResult Dolphin(std::vector<std::string> args) {
    args.insert(args.begin(), DolphinBinary());
    args.insert(args.end(), {"-c", "dolphin.toml"});
    return dolphin::testing::RunProcess(args, dir_.path(), std::chrono::seconds(60));
  }

  TempDir dir_;
  std::vector<std::pair<int64_t, fs::path>> files_;
};

TEST_F(PipelineTest, SeparateProcessesSurviveAMemberKillWithoutActingTwice) {
  if (Member::Get().external()) GTEST_SKIP() << "the member is external: it cannot be killed here";
  auto trader = Serve("trader");
  auto bridge = Serve("bridge");
  size_t next = 0;
  for (; next < 12; ++next) {
    Deliver(next);
    ASSERT_TRUE(
        WaitFor([&] { return LastProcessed() >= files_[next].first; }, std::chrono::seconds(30)))
        << "scan " << files_[next].first << "\n"
        << trader->Stderr() << bridge->Stderr();
  }
  // Operator controls reach the serve process (api.trader.addr).
  auto halt = Dolphin({"trader", "halt"});
  EXPECT_EQ(halt.exit_code, 0) << halt.err;
  EXPECT_THAT(halt.out, HasSubstr("HALTED"));
  auto resume = Dolphin({"trader", "resume"});
  EXPECT_EQ(resume.exit_code, 0) << resume.err;

  // Kill the member while scans flow; they keep coming during the outage.
  ASSERT_OK(Member::Get().Kill());
  for (int i = 0; i < 3; ++i) Deliver(next++);
  ASSERT_OK(Member::Get().Start());
  auto restarted = std::chrono::steady_clock::now();  // determinism-ok: measuring real recovery
  Deliver(next);
  int64_t want = files_[next++].first;
  ASSERT_TRUE(WaitFor([&] { return LastProcessed() >= want; }, std::chrono::seconds(60)))
      << trader->Stderr() << bridge->Stderr();
  double recovery_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted)
                          .count();  // determinism-ok: measuring
  std::printf("pipeline: next scan processed %.2f s after the member restarted\n", recovery_s);
  for (; next < files_.size(); ++next) {
    Deliver(next);
    ASSERT_TRUE(
        WaitFor([&] { return LastProcessed() >= files_[next].first; }, std::chrono::seconds(30)))
        << trader->Stderr();
  }
  // The new cluster holds the trader's state and the bridge's newest scan again.
  auto bus = Member::Get().NewBus();
  ASSERT_OK(bus);
  ASSERT_TRUE(WaitFor([&] {
    auto v = (*bus)->Get("DOLPHIN_STATE_BLUE", "latest_nautilus");
    if (!v.ok() || !*v) return false;
    auto j = ParseJson(**v);
    return j.ok() && (*j)["scan_number"] == files_.back().first;
  }));
  EXPECT_THAT(bridge->Stderr(), HasSubstr("cluster"));

  trader->Signal(SIGTERM);
  bridge->Signal(SIGTERM);
  EXPECT_EQ(trader->Wait(std::chrono::seconds(30)).exit_code, 0);
  EXPECT_EQ(bridge->Wait(std::chrono::seconds(30)).exit_code, 0);

  // Each scan acted on at most once; the rest recorded as missed.
  auto j = trader::OpenJournalReadOnly(dir_.path() / "var" / "journal" / "trader_BLUE.sqlite");
  ASSERT_OK(j);
  auto processed = (*j)->Processed();
  auto gaps = (*j)->Gaps();
  ASSERT_OK(processed);
  ASSERT_OK(gaps);
  std::map<int64_t, int> seen;
  for (const auto& p : *processed) ++seen[p.scan_number];
  for (const auto& g : *gaps) {
    for (int64_t n = g.from_scan; n <= g.to_scan; ++n) ++seen[n];
  }
  for (const auto& [number, rel] : files_) EXPECT_EQ(seen[number], 1) << "scan " << number;
  auto parity = Dolphin({"backtest", "--scans", "staging", "--parity", "-q"});
  EXPECT_EQ(parity.exit_code, 0) << parity.out << parity.err;
  EXPECT_THAT(parity.out, HasSubstr("parity: OK"));
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
