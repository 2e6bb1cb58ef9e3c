// [trader] / [trader.<COLOR>] parsing.
#include "dolphin/trader/trader_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::trader {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  Result<TraderSetup> setup;
  ConfigDiagnostics diag;
};

Parsed Parse(std::string_view toml) {
  Parsed p{InternalError("unset"), {}};
  auto config = Config::LoadString(toml, "t.toml", "/cfg");
  EXPECT_OK(config);
  p.setup = ParseTraderSetup(config->Root(&p.diag).Sub("trader"), "/state");
  return p;
}

TEST(TraderOptionsTest, DefaultsAreOneBlueTurtleTraderWithItsJournal) {
  Parsed p = Parse("");
  ASSERT_OK(p.setup);
  EXPECT_TRUE(p.setup->enabled);
  ASSERT_EQ(p.setup->traders.size(), 1u);
  const TraderOptions& o = p.setup->traders[0];
  EXPECT_EQ(o.engine.color, "BLUE");
  EXPECT_EQ(PostureSettingName(o.posture), "TURTLE");
  EXPECT_EQ(JournalSyncName(o.journal_sync), "full");
  EXPECT_EQ(o.engine.fill_price, FillPrice::kNextScan);
  EXPECT_EQ(o.vel_div.entry_threshold, -0.02);
  EXPECT_EQ(o.vel_div.asset, "BTCUSDT");
  EXPECT_EQ(o.vel_div.direction, Side::kSell);
  EXPECT_EQ(o.journal, std::filesystem::path("/state/journal/trader_BLUE.sqlite"));
}

TEST(TraderOptionsTest, SectionDefaultsAndColourOverrides) {
  Parsed p = Parse(R"(
[trader]
initial_equity = 5000
posture = "bus"
[trader.GREEN]
direction = "long"
entry_threshold = 0.03
exit_threshold = 0.0
fill_price = "signal_scan"
journal = "j/green.db"
[trader.BLUE]
)");
  ASSERT_OK(p.setup);
  ASSERT_EQ(p.setup->traders.size(), 2u);
  const TraderOptions& blue = p.setup->traders[0];
  const TraderOptions& green = p.setup->traders[1];
  EXPECT_EQ(blue.engine.color, "BLUE");
  EXPECT_EQ(blue.engine.initial_equity, 5000);
  EXPECT_EQ(green.engine.initial_equity, 5000);
  EXPECT_EQ(PostureSettingName(green.posture), "bus");
  EXPECT_EQ(green.vel_div.direction, Side::kBuy);
  EXPECT_EQ(green.engine.fill_price, FillPrice::kSignalScan);
  EXPECT_EQ(green.journal, std::filesystem::path("/cfg/j/green.db"));
}

TEST(TraderOptionsTest, EveryProblemIsReportedWithItsKey) {
  Parsed p = Parse(R"(
[trader]
journal_sync = "sometimes"
[trader.BLUE]
posture = "BRAVE"
max_orders_per_minute = 0
venue = "binance"
surprise = 1
[trader.blue]
)");
  EXPECT_FALSE(p.setup.ok());
  std::string all;
  for (const auto& e : p.diag.errors()) all += e + "\n";
  EXPECT_THAT(all, HasSubstr("journal_sync"));
  EXPECT_THAT(all, HasSubstr("posture"));
  EXPECT_THAT(all, HasSubstr("max_orders_per_minute"));
  EXPECT_THAT(all, HasSubstr("venue"));
  EXPECT_THAT(all, HasSubstr("surprise"));
  EXPECT_THAT(all, HasSubstr("blue"));
}

TEST(TraderOptionsTest, TwoColoursCannotShareAJournal) {
  Parsed p = Parse(R"(
[trader.BLUE]
journal = "same.db"
[trader.RED]
journal = "same.db"
)");
  EXPECT_FALSE(p.setup.ok());
  ASSERT_FALSE(p.diag.errors().empty());
  EXPECT_THAT(p.diag.errors()[0], HasSubstr("each colour needs its own"));
}

}  // namespace
}  // namespace dolphin::trader
