// File -> decision in one process (label integration): a scan file written with our Arrow
// writer is renamed into the watched folder, the bridge (real inotify) publishes it on the
// memory bus and the trader service decides on it. One asset's symbol is not valid UTF-8: the
// bridge drops and counts it, the published value stays valid JSON without it, and the trader
// still processes the scan and trades the strategy's asset.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <optional>

#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/bridge/bridge.h"
#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/testing.h"
#include "dolphin/trader/trader_service.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using testing::WaitFor;

// One scan row as the upstream scanner writes it.
std::string ScanFileBytes(int64_t number, Timestamp ts, const std::vector<std::string>& symbols,
                          const std::vector<double>& prices, double vel_div) {
  arrow::TableBuilder b;
  EXPECT_OK(b.AddBatch(
      {arrow::Int64Column("scan_number", {number}),
       arrow::TimestampColumn("timestamp", arrow::TimeUnit::kMicro, "UTC", {ts.UnixMicros()}),
       arrow::Utf8ListColumn("assets", {symbols}),
       arrow::Float64ListColumn("asset_prices", {prices}),
       arrow::Float64ListColumn("eigenvalues", {{2.5, 1.25, 0.5}}),
       arrow::Float64Column("vel_div", {vel_div}), arrow::Utf8Column("regime", {"BULL"})}));
  auto bytes = arrow::WriteIpc(b.table());
  EXPECT_OK(bytes);
  return bytes.ok() ? *bytes : std::string();
}

struct Observed {
  trader::Scan scan;
  trader::ScanResult result;
};

TEST(FileToDecisionTest, ScanWithAnInvalidUtf8SymbolReachesTheTraderWithoutIt) {
  testing::TempDir dir;
  SystemClock clock;
  CapturingLogger logger(clock);
  Random random(testing::TestSeed());
  Env env{clock, logger, FileSystem::Default(), random, ThreadFactory::Default()};
  auto bus = bus::NewInMemoryBus();

  std::mutex mu;
  std::optional<Observed> observed;
  trader::TraderOptions to;
  to.journal = dir.path() / "journal" / "trader_BLUE.sqlite";
  to.posture = trader::PostureSetting::Fixed(contract::Posture::kApex);
  auto trader = trader::NewTraderService(
      to, *bus, env, [&](const trader::Scan& scan, const trader::ScanResult& r, MonoTime) {
        std::lock_guard<std::mutex> lock(mu);
        observed = Observed{scan, r};
      });
  ASSERT_OK(trader->Start());

  bridge::BridgeOptions bo;
  bo.scan_dir = dir.path() / "scans";
  bo.quarantine_dir = dir.path() / "quarantine";
  bo.state_file = dir.path() / "bridge_state.json";
  auto bridge = bridge::NewBridge(bo, *bus, env);
  ASSERT_OK(bridge->Start());

  // The scan is fresh (the trader enters only on a scan younger than max_scan_age_s).
  const Timestamp ts = clock.Now();
  const std::string bad_symbol = "ETH\xFFUSDT";
  const fs::path day = bo.scan_dir / FormatUtcDate(ts);
  fs::create_directories(day);
  const fs::path tmp = day / ".scan_000042.arrow.tmp";
  std::ofstream(tmp, std::ios::binary)
      << ScanFileBytes(42, ts, {"BTCUSDT", bad_symbol, "SOLUSDT"}, {60000.0, 3000.0, 150.0}, -0.03);
  fs::rename(tmp, day / "scan_000042.arrow");

  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return observed.has_value();
  })) << ::testing::PrintToString(logger.Lines());

  // The bridge dropped exactly the one asset, and said so.
  EXPECT_EQ(bridge->Stats().assets_dropped_invalid_utf8, 1u);
  EXPECT_EQ(bridge->Stats().published, 1u);
  EXPECT_TRUE(logger.Contains("not valid UTF-8")) << ::testing::PrintToString(logger.Lines());

  // The published value is valid JSON and does not carry the bad symbol in any form.
  auto text = bus->Get(contract::kFeaturesMap, contract::kScanKey);
  ASSERT_OK(text);
  ASSERT_TRUE(text->has_value());
  EXPECT_TRUE(IsValidUtf8(**text));
  EXPECT_EQ((*text)->find("\xEF\xBF\xBD"), std::string::npos) << **text;
  EXPECT_EQ((*text)->find("ETH"), std::string::npos) << **text;
  auto j = ParseJson(**text, "published scan");
  ASSERT_OK(j);
  EXPECT_EQ((*j)["scan_number"], 42);
  EXPECT_EQ((*j)["assets"], Json::array({"BTCUSDT", "SOLUSDT"}));
  EXPECT_EQ((*j)["asset_prices"], Json({{"BTCUSDT", 60000.0}, {"SOLUSDT", 150.0}}));

  // The trader processed it as a valid scan and decided on it: vel_div -0.03 enters short.
  trader::TraderStats ts_stats = trader->Stats();
  EXPECT_EQ(ts_stats.processed, 1);
  EXPECT_EQ(ts_stats.bad_scans, 0);
  EXPECT_EQ(ts_stats.failures, 0);
  EXPECT_EQ(ts_stats.last_scan_number, 42);
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_TRUE(observed.has_value());
    EXPECT_EQ(observed->scan.scan_number, 42);
    EXPECT_EQ(observed->scan.file, "scan_000042.arrow");
    EXPECT_EQ(observed->scan.prices, (std::vector<std::pair<std::string, double>>{
                                         {"BTCUSDT", 60000.0}, {"SOLUSDT", 150.0}}));
    EXPECT_EQ(observed->result.decision.action, trader::StrategyDecision::Action::kEnter)
        << observed->result.Summary();
    ASSERT_EQ(observed->result.intents.size(), 1u) << observed->result.Summary();
    EXPECT_EQ(observed->result.intents[0].asset, "BTCUSDT");
    EXPECT_EQ(observed->result.intents[0].side, trader::Side::kSell);
  }
  bridge->Stop();
  trader->Stop();
}

}  // namespace
}  // namespace dolphin
