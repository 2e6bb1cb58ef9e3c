#include "dolphin/sim/scanner.h"

#include <chrono>
#include <cmath>
#include <set>

#include "dolphin/testing/testing.h"
#include "scanner_impl.h"

namespace dolphin::sim {
namespace {

ScannerOptions Small(int assets = 30, uint64_t seed = 42) {
  ScannerOptions o;
  o.assets = assets;
  o.seed = seed;
  o.warmup_scans = 100;
  return o;
}

std::unique_ptr<Scanner> Make(const ScannerOptions& o) {
  auto s = Scanner::Create(o);
  EXPECT_OK(s);
  return s.ok() ? std::move(*s) : nullptr;
}

void ExpectSameScan(const ScanFeatures& a, const ScanFeatures& b) {
  EXPECT_EQ(a.scan_number, b.scan_number);
  EXPECT_EQ(a.timestamp, b.timestamp);
  EXPECT_EQ(a.assets, b.assets);
  EXPECT_EQ(a.asset_prices, b.asset_prices);
  EXPECT_EQ(a.eigenvalues, b.eigenvalues);
  EXPECT_EQ(a.lambda_max, b.lambda_max);
  EXPECT_EQ(a.velocity, b.velocity);
  EXPECT_EQ(a.vel_div, b.vel_div);
  EXPECT_EQ(a.instability_50, b.instability_50);
  EXPECT_EQ(a.instability_150, b.instability_150);
  EXPECT_EQ(a.regime, b.regime);
}

TEST(ScannerTest, SameSeedGivesSameScans) {
  auto a = Make(Small());
  auto b = Make(Small());
  for (int i = 0; i < 200; ++i) {
    auto sa = a->Next();
    auto sb = b->Next();
    ASSERT_TRUE(sa && sb);
    ExpectSameScan(*sa, *sb);
  }
}

TEST(ScannerTest, DifferentSeedGivesDifferentPrices) {
  auto a = Make(Small(30, 1));
  auto b = Make(Small(30, 2));
  EXPECT_NE(a->Next()->asset_prices, b->Next()->asset_prices);
}

TEST(ScannerTest, SymbolsStartWithBtcAndEthAtPlausiblePrices) {
  ScannerOptions o = Small(70);
  o.warmup_scans = 0;
  auto s = Make(o);
  auto scan = s->Next();
  ASSERT_TRUE(scan);
  ASSERT_EQ(scan->assets.size(), 70u);
  EXPECT_EQ(scan->assets[0], "BTCUSDT");
  EXPECT_EQ(scan->assets[1], "ETHUSDT");
  EXPECT_EQ(scan->assets[69], "SIM0070USDT");
  EXPECT_DOUBLE_EQ(scan->asset_prices[0], 60000.0);
  EXPECT_DOUBLE_EQ(scan->asset_prices[1], 3000.0);
  std::set<std::string> unique(scan->assets.begin(), scan->assets.end());
  EXPECT_EQ(unique.size(), 70u);
  for (double p : scan->asset_prices) EXPECT_GT(p, 0.0);
}

TEST(ScannerTest, FeaturesFollowTheirDefinitions) {
  auto s = Make(Small());
  std::array<double, 4> prev{};
  bool have_prev = false;
  for (int i = 0; i < 150; ++i) {
    auto scan = s->Next();
    ASSERT_TRUE(scan);
    for (int k = 0; k < 4; ++k) {
      EXPECT_GT(scan->lambda_max[k], 0.0);
      EXPECT_LE(scan->lambda_max[k], 1.0);
      if (have_prev) {
        EXPECT_DOUBLE_EQ(scan->velocity[k], scan->lambda_max[k] - prev[k]);
      }
    }
    EXPECT_DOUBLE_EQ(scan->vel_div, scan->velocity[0] - scan->velocity[1]);
    EXPECT_GE(scan->instability_50, 0.0);
    EXPECT_LE(scan->instability_50, 1.0);
    EXPECT_GE(scan->instability_150, 0.0);
    EXPECT_LE(scan->instability_150, 1.0);
    ASSERT_EQ(scan->eigenvalues.size(), 10u);
    for (int e = 1; e < 10; ++e) EXPECT_GE(scan->eigenvalues[e - 1], scan->eigenvalues[e]);
    // The largest of the 750 window, two solvers: subspace (eigenvalues[0]) and power.
    EXPECT_NEAR(scan->eigenvalues[0] / 30.0, scan->lambda_max[3], 1e-3);
    prev = scan->lambda_max;
    have_prev = true;
  }
}

TEST(ScannerTest, WithoutWarmupTheFirstScanHasIdentityCorrelation) {
  ScannerOptions o = Small(20);
  o.warmup_scans = 0;
  auto s = Make(o);
  auto first = s->Next();
  ASSERT_TRUE(first);
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(first->lambda_max[k], 1.0 / 20, 1e-9);
    EXPECT_NEAR(first->velocity[k], 0.0, 1e-12);
  }
  EXPECT_EQ(first->regime, Regime::kSideways);
  for (double e : first->eigenvalues) EXPECT_NEAR(e, 1.0, 1e-9);
}

TEST(ScannerTest, StartScanNumbersTheScansAndTimestampsStep) {
  ScannerOptions o = Small();
  o.start_scan = 5000;
  o.start_time = Timestamp::FromUnixSeconds(1774434600);
  o.step = std::chrono::seconds(2);
  auto s = Make(o);
  for (int i = 0; i < 3; ++i) {
    auto scan = s->Next();
    EXPECT_EQ(scan->scan_number, 5000 + i);
    EXPECT_EQ(scan->timestamp, Timestamp::FromUnixSeconds(1774434600 + 2 * i));
  }
  const Timestamp given = Timestamp::FromUnixMicros(1774434700123456);
  EXPECT_EQ(s->Next(given)->timestamp, given);
}

TEST(ScannerTest, RegimeRuleUsesShareOfAssetsUpAndDown) {
  using internal::ClassifyRegime;
  Regime c = Regime::kSideways;
  EXPECT_EQ(ClassifyRegime(0.60, 0.40, Regime::kSideways, &c), Regime::kBull);
  EXPECT_EQ(c, Regime::kBull);
  EXPECT_EQ(ClassifyRegime(0.59, 0.41, Regime::kBull, &c), Regime::kSideways);
  EXPECT_EQ(ClassifyRegime(0.30, 0.65, Regime::kSideways, &c), Regime::kBear);
  EXPECT_EQ(ClassifyRegime(0.30, 0.65, Regime::kBull, &c), Regime::kTransition);
  EXPECT_EQ(c, Regime::kBear);
  EXPECT_EQ(ClassifyRegime(0.70, 0.30, Regime::kBear, &c), Regime::kTransition);
  EXPECT_EQ(c, Regime::kBull);
  EXPECT_EQ(ClassifyRegime(0.70, 0.30, Regime::kBull, &c), Regime::kBull);
  EXPECT_EQ(RegimeName(Regime::kTransition), "TRANSITION");
  EXPECT_EQ(RegimeName(Regime::kSideways), "SIDEWAYS");

  // The scanner applies the rule to each scan's returns.
  auto s = Make(Small(50));
  std::set<Regime> seen;
  for (int i = 0; i < 300; ++i) {
    auto scan = s->Next();
    seen.insert(scan->regime);
    if (scan->regime == Regime::kBull) {
      EXPECT_GE(scan->up_share, 0.6);
    }
    if (scan->regime == Regime::kBear) {
      EXPECT_GE(scan->down_share, 0.6);
    }
    if (scan->regime == Regime::kSideways) {
      EXPECT_LT(scan->up_share, 0.6);
      EXPECT_LT(scan->down_share, 0.6);
    }
  }
  EXPECT_GE(seen.size(), 3u);
}

TEST(ScannerTest, RejectsBadOptions) {
  ScannerOptions o;
  o.assets = 1;
  EXPECT_THAT(Scanner::Create(o), testing::StatusHasMessage("assets"));
  o.assets = 10;
  o.start_scan = -1;
  EXPECT_THAT(Scanner::Create(o), testing::StatusHasMessage("start_scan"));
}

}  // namespace
}  // namespace dolphin::sim
