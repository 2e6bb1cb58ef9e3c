// ParseScanJson / ScanFromArrow: the bridge's JSON and the scan files give the same Scan.
#include "dolphin/trader/scan_parse.h"

#include "dolphin/trader/backtest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dolphin/sim/scan_sink.h"
#include "dolphin/sim/scanner.h"
#include "dolphin/testing/testing.h"

namespace dolphin::trader {
namespace {

using ::testing::HasSubstr;

TEST(ScanParseTest, ScanFileThroughTheBridgePathKeepsEveryValueExactly) {
  sim::ScannerOptions so;
  so.assets = 20;
  so.warmup_scans = 60;
  auto scanner = sim::Scanner::Create(so);
  ASSERT_OK(scanner);
  for (int i = 0; i < 5; ++i) {
    auto f = (*scanner)->Next();
    ASSERT_TRUE(f);
    auto bytes = sim::EncodeScanArrow(*f);
    ASSERT_OK(bytes);
    auto scan =
        ScanFromArrow(std::span(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()), 77,
                      "scan_x.arrow");
    ASSERT_OK(scan);
    EXPECT_EQ(scan->scan_number, f->scan_number);
    EXPECT_EQ(scan->epoch, 77);
    EXPECT_EQ(scan->timestamp, f->timestamp);
    EXPECT_EQ(scan->vel_div, f->vel_div);  // bit-exact, not near
    EXPECT_EQ(scan->w50_velocity, f->velocity[0]);
    EXPECT_EQ(scan->w750_lambda_max, f->lambda_max[3]);
    EXPECT_EQ(scan->instability_150, f->instability_150);
    EXPECT_EQ(scan->eigenvalues, f->eigenvalues);
    EXPECT_EQ(scan->regime, sim::RegimeName(f->regime));
    EXPECT_EQ(scan->file, "scan_x.arrow");
    ASSERT_EQ(scan->prices.size(), f->assets.size());
    for (size_t k = 0; k < f->assets.size(); ++k) {
      EXPECT_EQ(scan->prices[k].first, f->assets[k]);
      EXPECT_EQ(scan->prices[k].second, f->asset_prices[k]);
    }
    EXPECT_EQ(scan->Price("BTCUSDT"), f->asset_prices[0]);
    EXPECT_FALSE(scan->Price("NOPE"));
  }
}

TEST(ScanParseTest, MinimalAndNulls) {
  auto s = ParseScanJson(
      R"({"scan_number":3,"timestamp":"2026-03-25T10:30:00Z","vel_div":null,)"
      R"("regime":null,"asset_prices":{"BTCUSDT":1.5,"X":null},"extra":[1,{"a":2}]})");
  ASSERT_OK(s);
  EXPECT_EQ(s->scan_number, 3);
  EXPECT_EQ(s->epoch, 0);
  EXPECT_TRUE(std::isnan(s->vel_div));
  EXPECT_EQ(s->Price("BTCUSDT"), 1.5);
  EXPECT_FALSE(s->Price("X"));
}

TEST(ScanParseTest, ErrorsNameTheField) {
  EXPECT_THAT(ParseScanJson("not json").status(), testing::StatusHasMessage("latest_eigen_scan"));
  EXPECT_THAT(ParseScanJson("[1,2]").status(), testing::StatusHasMessage("expected a JSON object"));
  EXPECT_THAT(ParseScanJson(R"({"timestamp":"2026-03-25T10:30:00Z"})").status(),
              testing::StatusHasMessage("no scan_number"));
  EXPECT_THAT(ParseScanJson(R"({"scan_number":1})").status(),
              testing::StatusHasMessage("no timestamp"));
  EXPECT_THAT(ParseScanJson(R"({"scan_number":"1","timestamp":"2026-03-25T10:30:00Z"})").status(),
              testing::StatusHasMessage("scan_number: expected an integer"));
  EXPECT_THAT(ParseScanJson(R"({"scan_number":1,"timestamp":"yesterday"})").status(),
              testing::StatusHasMessage("timestamp: expected an RFC 3339"));
  EXPECT_THAT(ParseScanJson(R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z","vel_div":"x"})")
                  .status(),
              testing::StatusHasMessage("vel_div"));
  EXPECT_THAT(
      ParseScanJson(R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z","asset_prices":[1]})")
          .status(),
      testing::StatusHasMessage("asset_prices"));
  EXPECT_FALSE(
      ParseScanJson(R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z"} trailing)").ok());
  EXPECT_FALSE(ParseScanJson(R"({"scan_number":1,"timestamp":"2026-03-25T10:30:00Z",)").ok());
  EXPECT_FALSE(ParseScanJson("").ok());
}

}  // namespace
}  // namespace dolphin::trader
