#include <fstream>

#include "dolphin/sim/scanner.h"
#include "dolphin/testing/testing.h"
#include "price_source.h"

namespace dolphin::sim {
namespace {

using internal::CsvPrices;
using testing::StatusHasMessage;

TEST(CsvReplayTest, GroupsRowsByTimestampAndCarriesMissingPricesForward) {
  auto csv = CsvPrices::Parse(
      "timestamp,symbol,close\n"
      "2026-03-25T10:00:00Z,BTCUSDT,60000\n"
      "2026-03-25T10:00:00Z,ETHUSDT,3000\r\n"
      "\n"
      "2026-03-25T10:00:05Z,ETHUSDT,3010.5\n"
      "2026-03-25T10:00:05Z,SOLUSDT,150\n"
      "2026-03-25T10:00:10+00:00,BTCUSDT,60100\n",
      "p.csv");
  ASSERT_OK(csv);
  auto& p = **csv;
  EXPECT_EQ(p.symbols(), (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT"}));
  ASSERT_EQ(p.rows(), 3u);
  ASSERT_TRUE(p.Advance());
  // SOLUSDT has no price yet: it takes its first known price.
  EXPECT_EQ(p.prices(), (std::vector<double>{60000, 3000, 150}));
  EXPECT_EQ(*p.timestamp(), *ParseRfc3339("2026-03-25T10:00:00Z"));
  ASSERT_TRUE(p.Advance());
  EXPECT_EQ(p.prices(), (std::vector<double>{60000, 3010.5, 150}));
  ASSERT_TRUE(p.Advance());
  EXPECT_EQ(p.prices(), (std::vector<double>{60100, 3010.5, 150}));
  EXPECT_FALSE(p.Advance());
}

TEST(CsvReplayTest, HeaderIsOptionalAndIntegerTimestampsAreUnixTime) {
  auto csv = CsvPrices::Parse("1774432800,BTCUSDT,1\n1774432800000,ETHUSDT,2\n", "p.csv");
  ASSERT_OK(csv);
  // Seconds and milliseconds of the same instant are one scan.
  EXPECT_EQ((*csv)->rows(), 1u);
  EXPECT_THAT(internal::ParseCsvTimestamp("1774432800000000"),
              testing::IsOkAndHolds(Timestamp::FromUnixSeconds(1774432800)));
}

TEST(CsvReplayTest, MalformedRowsNameFileLineAndProblem) {
  EXPECT_THAT(CsvPrices::Parse("timestamp,symbol,close\n2026-03-25T10:00:00Z,BTCUSDT\n", "p.csv"),
              StatusHasMessage("p.csv:2: expected 3 fields"));
  EXPECT_THAT(CsvPrices::Parse("yesterday,BTCUSDT,1\n", "p.csv"),
              StatusHasMessage("p.csv:1: bad timestamp \"yesterday\""));
  EXPECT_THAT(CsvPrices::Parse("1774432800,BTCUSDT,abc\n", "p.csv"),
              StatusHasMessage("p.csv:1: bad close \"abc\""));
  EXPECT_THAT(CsvPrices::Parse("1774432800,BTCUSDT,1\n1774432801,ETHUSDT,-3\n", "p.csv"),
              StatusHasMessage("p.csv:2: bad close \"-3\" (expected a positive finite price)"));
  EXPECT_THAT(CsvPrices::Parse("1774432800,,1\n", "p.csv"),
              StatusHasMessage("p.csv:1: empty symbol"));
  EXPECT_THAT(CsvPrices::Parse("1774432800,BTCUSDT,1\n1774432800,BTCUSDT,2\n", "p.csv"),
              StatusHasMessage("p.csv:2: duplicate price for BTCUSDT"));
  EXPECT_THAT(CsvPrices::Parse("timestamp,symbol,close\n", "p.csv"),
              StatusHasMessage("p.csv: no price rows"));
}

TEST(CsvReplayTest, ScannerReplaysFileAndStopsAtItsEnd) {
  testing::TempDir dir;
  const auto path = dir.path() / "prices.csv";
  {
    std::ofstream out(path);
    out << "timestamp,symbol,close\n";
    for (int t = 0; t < 60; ++t) {
      out << 1774432800 + 5 * t << ",BTCUSDT," << 60000 + 10 * t + (t % 3) * 7 << "\n";
      out << 1774432800 + 5 * t << ",ETHUSDT," << 3000 + (t % 5) << "\n";
      out << 1774432800 + 5 * t << ",SOLUSDT," << 150 - (t % 4) << "\n";
    }
  }
  ScannerOptions o;
  o.prices_csv = path;
  o.start_scan = 7;
  auto scanner = Scanner::Create(o);
  ASSERT_OK(scanner);
  EXPECT_EQ((*scanner)->assets(), (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT"}));
  int n = 0;
  while (auto scan = (*scanner)->Next()) {
    EXPECT_EQ(scan->scan_number, 7 + n);
    EXPECT_EQ(scan->timestamp, Timestamp::FromUnixSeconds(1774432800 + 5 * n));
    EXPECT_EQ(scan->asset_prices[0], 60000 + 10 * n + (n % 3) * 7);
    EXPECT_EQ(scan->eigenvalues.size(), 3u);
    for (double l : scan->lambda_max) {
      EXPECT_GT(l, 0.0);
      EXPECT_LE(l, 1.0);
    }
    ++n;
  }
  EXPECT_EQ(n, 60);
}

TEST(CsvReplayTest, ScannerReportsUnreadableAndMalformedFiles) {
  testing::TempDir dir;
  ScannerOptions o;
  o.prices_csv = dir.path() / "missing.csv";
  EXPECT_THAT(Scanner::Create(o), StatusHasMessage("missing.csv: cannot open price file"));
  o.prices_csv = dir.path() / "bad.csv";
  std::ofstream(o.prices_csv) << "1774432800,BTCUSDT,1\n1774432800,ETHUSDT,1,2\n";
  EXPECT_THAT(Scanner::Create(o), StatusHasMessage("bad.csv:2: expected 3 fields"));
}

}  // namespace
}  // namespace dolphin::sim
