#include <gtest/gtest.h>

#include <fstream>

#include "dolphin/report/batch_options.h"
#include "dolphin/report/daily.h"
#include "dolphin/report/html_report.h"
#include "dolphin/testing/testing.h"

namespace dolphin::report {
namespace {

TEST(DayTest, ParsesDaysAndNamesWhatIsWrong) {
  auto t = ParseDay("2026-03-01");
  ASSERT_OK(t);
  EXPECT_EQ(FormatRfc3339(*t), "2026-03-01T00:00:00.000000+00:00");
  EXPECT_EQ(PreviousDay("2026-03-01"), "2026-02-28");
  EXPECT_EQ(PreviousDay("2028-03-01"), "2028-02-29");
  EXPECT_EQ(PreviousDay("2027-01-01"), "2026-12-31");
  for (const char* bad : {"", "2026-3-1", "2026-02-30", "2026-13-01", "20260301", "2026-03-01x",
                          "2026-+3-01", "-026-03-01", " 2026-3-01", "yesterday"}) {
    auto r = ParseDay(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("bad day"), std::string::npos) << r.status().message();
  }
}

Json SampleDay() {
  return Json::parse(R"({"day":"2026-03-25","generated_at":"2026-03-26T00:05:00Z",
    "scans":{"dir":"var/scans","files_of_day":2},
    "traders":{"BLUE":{"parity":{"verdict":"failed","fills_compared":1,"scans":2,
      "first_difference":"fill 2: journal </script><b>x</b> | backtest y"},
      "backtest":{"net_pnl":1.5,"fills":2,"trades":1,"sharpe":0.1},
      "live":{"net_pnl":1.0},"series":{"equity":[[1,100.0]],"drawdown_pct":[[1,0.0]]},
      "pnl_by_regime":{"BULL":1.0},"fill_list":[],"prices":{}}},
    "health":{"timeline":[],"seconds":{}}})");
}

TEST(HtmlReportTest, IsSelfContainedAndDataCannotEndTheScript) {
  const std::string html = RenderHtml(SampleDay());
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(html.find("Chart.js v"), std::string::npos) << "Chart.js inlined";
  EXPECT_EQ(html.find("src=\"http"), std::string::npos) << "nothing fetched";
  EXPECT_EQ(html.find("</script><b>"), std::string::npos) << "'<' escaped in the data";
  EXPECT_NE(html.find("\\u003c/script>\\u003cb>x\\u003c/b>"), std::string::npos);
  EXPECT_NE(html.find("const DAY = "), std::string::npos);
}

TEST(DailyJsonTest, ParityVerdictAndPnlFields) {
  Json day = SampleDay();
  std::string why;
  EXPECT_TRUE(ParityFailed(day, &why));
  EXPECT_EQ(why, "parity BLUE 2026-03-25: fill 2: journal </script><b>x</b> | backtest y");
  Json f = PnlFields(day["traders"]["BLUE"]);
  EXPECT_EQ(f["parity"], "failed");
  EXPECT_EQ(f["backtest_net_pnl"], 1.5);
  EXPECT_EQ(f["backtest_trades"], 1);
  EXPECT_EQ(f["parity_fills_compared"], 1);
  EXPECT_TRUE(f.contains("parity_first_difference"));
  day["traders"]["BLUE"]["parity"]["verdict"] = "ok";
  EXPECT_FALSE(ParityFailed(day, &why));
}

class BatchOptionsTest : public ::testing::Test {
 protected:
  Result<BatchOptions> Parse(const std::string& toml) {
    auto cfg = Config::LoadString(toml, "dolphin.toml", "/tmp");
    EXPECT_OK(cfg);
    config_ = std::move(*cfg);
    root_ = std::make_unique<ConfigSection>(config_.Root(&diag_));
    auto check = [](std::string_view c) {
      return c == "5 0 * * *" || c == "1 2 * * *" ? Status::Ok() : InvalidArgumentError("bad cron");
    };
    return ParseBatchOptions(root_->Sub("batch"), root_->Sub("housekeeping"), check);
  }
  ConfigDiagnostics diag_;
  Config config_ = Config::Empty();
  std::unique_ptr<ConfigSection> root_;
};

TEST_F(BatchOptionsTest, DefaultsKeysAndErrors) {
  auto d = Parse("");
  ASSERT_OK(d);
  EXPECT_TRUE(d->daily_backtest);
  EXPECT_EQ(d->daily_backtest_cron, "5 0 * * *");
  EXPECT_EQ(d->scans_days, 3);
  EXPECT_FALSE(d->watched_scans);
  auto o = Parse(R"([batch]
daily_backtest_cron = "1 2 * * *"
html_report = false
[housekeeping]
watched_scans = true
[housekeeping.scans]
retention_days = 7
[housekeeping.reports]
retention_days = 0
)");
  ASSERT_OK(o);
  EXPECT_EQ(o->daily_backtest_cron, "1 2 * * *");
  EXPECT_FALSE(o->html_report);
  EXPECT_TRUE(o->watched_scans);
  EXPECT_EQ(o->scans_days, 7);
  EXPECT_EQ(o->reports_days, 0);
  auto bad = Parse(R"([batch]
daily_backtest_cron = "whenever"
[housekeeping.scans]
retention_days = -1
keep = 3
)");
  EXPECT_FALSE(bad.ok());
  std::string all;
  for (const auto& e : diag_.errors()) all += e + "\n";
  EXPECT_NE(all.find("[batch] daily_backtest_cron: bad cron"), std::string::npos) << all;
  EXPECT_NE(all.find("retention_days"), std::string::npos) << all;
  EXPECT_NE(all.find("keep: unknown key"), std::string::npos) << all;
}

TEST(BuildDayTest, AColourWithoutJournalIsNamedAndABadFolderIsAnError) {
  testing::TestEnv t;
  DayOptions o;
  o.day = "2026-03-25";
  o.scans_dir = t.dir.path() / "scans";
  std::filesystem::create_directories(o.scans_dir);
  o.reports_dir = t.dir.path() / "reports";
  o.health_history_dir = t.dir.path() / "health_history";
  std::filesystem::create_directories(o.health_history_dir);
  std::ofstream(o.health_history_dir / "2026-03-25.jsonl")
      << R"({"ts":"2026-03-25T10:00:00Z","status":"GREEN","rm_meta":1.0,"m":[1,1,1,1,1]})"
         "\n"
      << R"({"ts":"2026-03-25T10:01:00Z","status":"DEGRADED","rm_meta":0.5,"m":[1,1,0.5,1,1]})"
         "\n"
      << R"({"ts":"2026-03-25T10:02:00Z","sta)";  // cut by a crash
  DayTrader blue;
  blue.color = "BLUE";
  blue.journal = t.dir.path() / "journal" / "trader_BLUE.sqlite";
  blue.options.engine.color = "BLUE";
  o.traders.push_back(blue);
  auto day = BuildDay(o, t.env);
  ASSERT_OK(day);
  const Json& b = (*day)["traders"]["BLUE"];
  EXPECT_EQ(b["parity"]["verdict"], kParityNoJournal);
  EXPECT_NE(b["parity"]["first_difference"].get<std::string>().find("trader_BLUE.sqlite"),
            std::string::npos)
      << b.dump();
  EXPECT_EQ((*day)["health"]["timeline"].size(), 2u);
  EXPECT_EQ((*day)["health"]["bad_lines"], 1);
  EXPECT_DOUBLE_EQ((*day)["health"]["seconds"]["GREEN"].get<double>(), 60.0);
  EXPECT_FALSE(ParityFailed(*day, nullptr));
  o.scans_dir = t.dir.path() / "nowhere";
  auto missing = BuildDay(o, t.env);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nowhere"), std::string::npos);
  o.day = "2026-02-30";
  EXPECT_FALSE(BuildDay(o, t.env).ok());
}

}  // namespace
}  // namespace dolphin::report
