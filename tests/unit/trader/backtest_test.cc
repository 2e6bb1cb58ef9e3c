// dolphin backtest's scan loading: epochs assigned by the bridge's own EpochSequencer.
#include "dolphin/trader/backtest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/testing/testing.h"

namespace dolphin::trader {
namespace {

const int64_t kBaseMicros = 1774434600000000;  // 2026-03-25T10:30:00Z

ScanFileEntry Entry(int64_t number, int64_t ts_micros) {
  ScanFileEntry e;
  e.path = fmt::format("scan_{}_{}.arrow", number, ts_micros);
  e.scan.scan_number = number;
  e.scan.timestamp = Timestamp::FromUnixMicros(ts_micros);
  return e;
}

std::vector<std::pair<int64_t, int64_t>> NumbersAndEpochs(
    const std::vector<ScanFileEntry>& entries) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const ScanFileEntry& e : entries) out.emplace_back(e.scan.scan_number, e.scan.epoch);
  return out;
}

TEST(BacktestEpochsTest, LowerNumberWithAnEqualTimestampIsStaleNotANewEpoch) {
  // Before the shared sequencer the backtest started a new epoch here; the bridge never did.
  auto out = AssignEpochs(
      {Entry(10, kBaseMicros), Entry(9, kBaseMicros), Entry(11, kBaseMicros + 1000000)});
  EXPECT_EQ(NumbersAndEpochs(out),
            (std::vector<std::pair<int64_t, int64_t>>{{10, kBaseMicros}, {11, kBaseMicros}}));
}

TEST(BacktestEpochsTest, RestartDuplicateAndStaleAsTheBridgeDecides) {
  auto out = AssignEpochs({Entry(10, kBaseMicros), Entry(11, kBaseMicros + 1000000),
                           Entry(11, kBaseMicros + 1000000),  // duplicate: dropped
                           Entry(9, kBaseMicros - 1000000),   // stale: dropped
                           Entry(1, kBaseMicros + 2000000),   // restart: new epoch
                           Entry(2, kBaseMicros + 3000000)});
  EXPECT_EQ(NumbersAndEpochs(out),
            (std::vector<std::pair<int64_t, int64_t>>{{10, kBaseMicros},
                                                      {11, kBaseMicros},
                                                      {1, kBaseMicros + 2000000},
                                                      {2, kBaseMicros + 2000000}}));
}

void WriteScanFile(const std::filesystem::path& p, int64_t number, int64_t ts_micros) {
  arrow::TableBuilder b;
  ASSERT_OK(
      b.AddBatch({arrow::Int64Column("scan_number", {number}),
                  arrow::TimestampColumn("timestamp", arrow::TimeUnit::kMicro, "UTC", {ts_micros}),
                  arrow::Utf8ListColumn("assets", {{"BTCUSDT"}}),
                  arrow::Float64ListColumn("asset_prices", {{60000.0 + number}})}));
  auto bytes = arrow::WriteIpc(b.table());
  ASSERT_OK(bytes);
  std::ofstream(p, std::ios::binary) << *bytes;
}

TEST(BacktestEpochsTest, LoadScanDirOrdersByTimestampThenNumberAndSequencesEpochs) {
  testing::TempDir dir;
  // Two scans at the same instant (numbers 7 and 5) after scan 6: sorted by (timestamp, number)
  // they come as 6, 5, 7; 5 is a restart (its timestamp is newer than 6's) and 7 continues it.
  WriteScanFile(dir.path() / "a.arrow", 6, kBaseMicros);
  WriteScanFile(dir.path() / "b.arrow", 7, kBaseMicros + 1000000);
  WriteScanFile(dir.path() / "c.arrow", 5, kBaseMicros + 1000000);
  auto scans = LoadScanDir(dir.path());
  ASSERT_OK(scans);
  EXPECT_EQ(NumbersAndEpochs(*scans),
            (std::vector<std::pair<int64_t, int64_t>>{
                {6, kBaseMicros}, {5, kBaseMicros + 1000000}, {7, kBaseMicros + 1000000}}));
}

}  // namespace
}  // namespace dolphin::trader
