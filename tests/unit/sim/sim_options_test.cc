#include "dolphin/sim/sim_options.h"

#include "dolphin/testing/testing.h"

namespace dolphin::sim {
namespace {

using namespace std::chrono_literals;

Result<SimOptions> Parse(std::string_view toml, ConfigDiagnostics* diag, bool enabled = false) {
  auto cfg = Config::LoadString(toml, "dolphin.toml", "/etc/dolphin");
  if (!cfg.ok()) return cfg.status();
  return ParseSimOptions(cfg->Root(diag).Sub("sim"), "/var/lib/dolphin", enabled);
}

TEST(SimOptionsTest, DefaultsComeFromTheCaller) {
  ConfigDiagnostics diag;
  auto o = Parse("", &diag, true);
  ASSERT_OK(o);
  EXPECT_TRUE(o->enabled);
  EXPECT_EQ(o->scan_dir, "/var/lib/dolphin/scans");
  EXPECT_EQ(o->interval, 1000ms);
  EXPECT_EQ(o->assets, 400);
  EXPECT_EQ(o->seed, 42);
  EXPECT_EQ(o->count, 0);
  EXPECT_EQ(o->start_scan, 1);
  EXPECT_TRUE(o->prices.empty());
  EXPECT_FALSE(Parse("", &diag, false)->enabled);
}

TEST(SimOptionsTest, ReadsEveryKeyAndResolvesPathsAgainstTheConfigFolder) {
  ConfigDiagnostics diag;
  auto o = Parse(R"(
[sim]
enabled = true
scan_dir = "scans"
interval_ms = 0
assets = 50
seed = 7
count = 10
start_scan = 100
prices = "/data/prices.csv"
warmup_scans = 0
log_every = 5
)",
                 &diag);
  ASSERT_OK(o);
  EXPECT_TRUE(o->enabled);
  EXPECT_EQ(o->scan_dir, "/etc/dolphin/scans");
  EXPECT_EQ(o->interval, Duration::zero());
  EXPECT_EQ(o->assets, 50);
  EXPECT_EQ(o->seed, 7);
  EXPECT_EQ(o->count, 10);
  EXPECT_EQ(o->start_scan, 100);
  EXPECT_EQ(o->prices, "/data/prices.csv");
  EXPECT_EQ(o->warmup_scans, 0);
  EXPECT_EQ(o->log_every, 5);
  const ScannerOptions s = ToScannerOptions(*o);
  EXPECT_EQ(s.assets, 50);
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.start_scan, 100);
  EXPECT_EQ(s.warmup_scans, 0);
}

TEST(SimOptionsTest, ReportsEveryBadKeyAtOnce) {
  ConfigDiagnostics diag;
  auto o = Parse("[sim]\nassets = 1\ninterval_ms = -5\nseed = \"x\"\ncolour = 3\n", &diag);
  EXPECT_FALSE(o.ok());
  ASSERT_EQ(diag.errors().size(), 4u);
  std::string all;
  for (const auto& e : diag.errors()) all += e + "\n";
  EXPECT_THAT(all, ::testing::HasSubstr("assets"));
  EXPECT_THAT(all, ::testing::HasSubstr("interval_ms"));
  EXPECT_THAT(all, ::testing::HasSubstr("seed"));
  EXPECT_THAT(all, ::testing::HasSubstr("colour"));
}

TEST(SimOptionsTest, WrittenOptionsParseBackToTheSameValues) {
  SimOptions o;
  o.scan_dir = "/tmp/scans";
  o.interval = 250ms;
  o.assets = 33;
  o.seed = 9;
  o.start_scan = 5;
  ConfigWriter w;
  WriteSimOptions(o, w);
  ConfigDiagnostics diag;
  auto back = Parse(w.text(), &diag, false);
  ASSERT_OK(back) << w.text();
  EXPECT_EQ(back->scan_dir, o.scan_dir);
  EXPECT_EQ(back->interval, o.interval);
  EXPECT_EQ(back->assets, o.assets);
  EXPECT_EQ(back->seed, o.seed);
  EXPECT_EQ(back->start_scan, o.start_scan);
  EXPECT_TRUE(back->enabled);
}

}  // namespace
}  // namespace dolphin::sim
