#include "dolphin/sim/simulator.h"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "dolphin/testing/testing.h"

namespace dolphin::sim {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Records what it is given.
class RecordingSink final : public ScanSink {
 public:
  Result<std::string> Write(const ScanFeatures& scan) override {
    std::lock_guard<std::mutex> lock(mu_);
    scans_.push_back(scan);
    return "scan " + std::to_string(scan.scan_number);
  }
  std::vector<ScanFeatures> scans() const {
    std::lock_guard<std::mutex> lock(mu_);
    return scans_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ScanFeatures> scans_;
};

SimOptions Options(int64_t count, Duration interval) {
  SimOptions o;
  o.assets = 12;
  o.warmup_scans = 60;
  o.count = count;
  o.interval = interval;
  return o;
}

std::unique_ptr<Scanner> MakeScanner(const SimOptions& o) {
  auto s = Scanner::Create(ToScannerOptions(o));
  EXPECT_OK(s);
  return std::move(*s);
}

class SimulatorTest : public ::testing::Test {
 protected:
  testing::TestEnv env_;
};

TEST_F(SimulatorTest, WritesOneScanPerIntervalStampedByTheClock) {
  SimOptions o = Options(3, 1s);
  o.start_scan = 40;
  auto sink = std::make_unique<RecordingSink>();
  RecordingSink* rec = sink.get();
  Simulator sim(o, MakeScanner(o), std::move(sink), env_.clock, env_.logger);
  CancelToken cancel;
  const Timestamp t0 = env_.clock.Now();
  Status result;
  std::thread runner([&] { result = sim.Run(cancel); });  // determinism-ok: the service thread
  // Sync points: the scan count (stats) and then the loop's next wait on the clock.
  ASSERT_TRUE(testing::WaitFor([&] { return sim.stats().scans_written == 1; }));
  env_.clock.BlockUntilWaiters(1);
  EXPECT_EQ(rec->scans().size(), 1u);  // the first scan is written at once
  env_.clock.AdvanceBy(999ms);
  EXPECT_EQ(rec->scans().size(), 1u);
  env_.clock.AdvanceBy(1ms);
  ASSERT_TRUE(testing::WaitFor([&] { return sim.stats().scans_written == 2; }));
  env_.clock.BlockUntilWaiters(1);
  env_.clock.AdvanceBy(1s);
  runner.join();  // count reached: Run returns without waiting again
  EXPECT_OK(result);
  auto scans = rec->scans();
  ASSERT_EQ(scans.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(scans[i].scan_number, 40 + i);
    EXPECT_EQ(scans[i].timestamp, t0 + std::chrono::seconds(i));
  }
  EXPECT_EQ(sim.stats().scans_written, 3);
  EXPECT_EQ(sim.stats().last_scan_number, 42);
  EXPECT_TRUE(env_.logger.Contains("simulator started"));
  EXPECT_TRUE(env_.logger.Contains("seed=42"));
  EXPECT_TRUE(env_.logger.Contains("wrote scan"));
}

TEST_F(SimulatorTest, CancelStopsAPendingWaitPromptly) {
  SimOptions o = Options(0, 1h);
  auto sink = std::make_unique<RecordingSink>();
  RecordingSink* rec = sink.get();
  Simulator sim(o, MakeScanner(o), std::move(sink), env_.clock, env_.logger);
  CancelToken cancel;
  std::thread runner([&] { EXPECT_OK(sim.Run(cancel)); });  // determinism-ok: service thread
  env_.clock.BlockUntilWaiters(1);
  cancel.Cancel();
  runner.join();
  EXPECT_EQ(rec->scans().size(), 1u);
  EXPECT_TRUE(env_.logger.Contains("simulator stopped"));
}

TEST_F(SimulatorTest, ZeroIntervalRunsBackToBackWithoutWaiting) {
  SimOptions o = Options(25, Duration::zero());
  auto sink = std::make_unique<RecordingSink>();
  RecordingSink* rec = sink.get();
  Simulator sim(o, MakeScanner(o), std::move(sink), env_.clock, env_.logger);
  CancelToken cancel;
  EXPECT_OK(sim.Run(cancel));  // no thread needed: it never waits
  EXPECT_EQ(rec->scans().size(), 25u);
}

TEST_F(SimulatorTest, AFailedWriteIsLoggedAndCountedAndTheLoopGoesOn) {
  SimOptions o = Options(3, Duration::zero());
  int calls = 0;
  auto sink = NewScanFileSink(env_.env.fs, env_.dir.path(),
                              [&](const ScanFeatures&) -> Result<std::string> {
                                if (++calls == 2) return IoError("disk full");
                                return std::string("bytes");
                              });
  Simulator sim(o, MakeScanner(o), std::move(sink), env_.clock, env_.logger);
  CancelToken cancel;
  EXPECT_OK(sim.Run(cancel));
  EXPECT_EQ(sim.stats().scans_written, 2);
  EXPECT_EQ(sim.stats().write_failures, 1);
  EXPECT_EQ(sim.stats().last_scan_number, 3);
  EXPECT_TRUE(env_.logger.Contains("disk full"));
}

// Files land in per-day folders; the day comes from the clock at each scan.
TEST_F(SimulatorTest, WritesFilesIntoDayFoldersAcrossMidnight) {
  ASSERT_TRUE(env_.clock.AdvanceTo(*ParseRfc3339("2026-03-25T23:59:58Z")));
  SimOptions o = Options(4, 1s);
  o.scan_dir = env_.dir.path() / "scans";
  o.start_scan = 1;
  auto sink =
      NewScanFileSink(env_.env.fs, o.scan_dir, [](const ScanFeatures& s) -> Result<std::string> {
        return std::string(RegimeName(s.regime));
      });
  Simulator sim(o, MakeScanner(o), std::move(sink), env_.clock, env_.logger);
  CancelToken cancel;
  std::thread runner([&] { EXPECT_OK(sim.Run(cancel)); });  // determinism-ok: service thread
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(testing::WaitFor([&] { return sim.stats().scans_written == i; }));
    env_.clock.BlockUntilWaiters(1);
    env_.clock.AdvanceBy(1s);
  }
  runner.join();
  EXPECT_TRUE(fs::exists(o.scan_dir / "2026-03-25/scan_000001_235958.arrow"));
  EXPECT_TRUE(fs::exists(o.scan_dir / "2026-03-25/scan_000002_235959.arrow"));
  EXPECT_TRUE(fs::exists(o.scan_dir / "2026-03-26/scan_000003_000000.arrow"));
  EXPECT_TRUE(fs::exists(o.scan_dir / "2026-03-26/scan_000004_000001.arrow"));
}

TEST_F(SimulatorTest, CreateRejectsAnUncreatableScanDir) {
  std::ofstream(env_.dir.path() / "blocker") << "x";
  SimOptions o = Options(1, 1s);
  o.scan_dir = env_.dir.path() / "blocker" / "scans";
  EXPECT_THAT(Simulator::Create(o, env_.env), testing::StatusHasMessage("create scan_dir"));
}

}  // namespace
}  // namespace dolphin::sim
