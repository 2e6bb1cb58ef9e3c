#include "dolphin/safety/safety_options.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::safety {
namespace {

using std::chrono::seconds;

Result<SafetyOptions> Parse(std::string_view toml, ConfigDiagnostics* diag,
                            bool default_enabled = true) {
  auto config = Config::LoadString(toml, "test.toml", ".");
  if (!config.ok()) return config.status();
  auto root = config->Root(diag);
  return ParseSafetyOptions(root.Sub("safety"), default_enabled);
}

TEST(SafetyOptionsTest, Defaults) {
  ConfigDiagnostics diag;
  auto o = Parse("", &diag);
  ASSERT_OK(o);
  EXPECT_TRUE(o->enabled);
  EXPECT_EQ(o->max_posture, Posture::kStalker);
  EXPECT_EQ(o->interval, seconds(5));
  EXPECT_EQ(o->posture_max_age, seconds(60));
  EXPECT_EQ(o->scan_stale, seconds(30));
  EXPECT_EQ(o->recover_after, seconds(60));
  EXPECT_EQ(o->drawdown_stalker_pct, 1.0);
  EXPECT_EQ(o->drawdown_turtle_pct, 2.0);
  EXPECT_EQ(o->drawdown_hibernate_pct, 4.0);
  auto off = Parse("", &diag, /*default_enabled=*/false);
  ASSERT_OK(off);
  EXPECT_FALSE(off->enabled);
}

TEST(SafetyOptionsTest, ReadsEveryKeyAndWritesThemBack) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([safety]
enabled = false
max_posture = "APEX"
interval_s = 1
posture_max_age_s = 20
on_degraded = "TURTLE"
on_critical = "HIBERNATE"
on_dead = "HIBERNATE"
drawdown_stalker_pct = 0.5
drawdown_turtle_pct = 1.5
drawdown_hibernate_pct = 3
scan_stale_s = 10
recover_after_s = 0
)",
                 &diag);
  ASSERT_OK(o);
  EXPECT_FALSE(o->enabled);
  EXPECT_EQ(o->max_posture, Posture::kApex);
  EXPECT_EQ(o->on_degraded, Posture::kTurtle);
  EXPECT_EQ(o->on_critical, Posture::kHibernate);
  EXPECT_EQ(o->drawdown_hibernate_pct, 3.0);
  EXPECT_EQ(o->recover_after, seconds(0));
  ConfigWriter w;
  WriteSafetyOptions(*o, w);
  ConfigDiagnostics diag2;
  auto again = Parse(w.text(), &diag2);
  ASSERT_OK(again) << w.text();
  EXPECT_EQ(again->max_posture, Posture::kApex);
  EXPECT_EQ(again->posture_max_age, seconds(20));
  EXPECT_EQ(again->drawdown_stalker_pct, 0.5);
}

TEST(SafetyOptionsTest, BadValuesAreOneLineEach) {
  ConfigDiagnostics diag;
  auto o = Parse(R"([safety]
max_posture = "YOLO"
drawdown_stalker_pct = 3
drawdown_turtle_pct = 2
interval_s = -1
colour = 1
)",
                 &diag);
  EXPECT_FALSE(o.ok());
  ASSERT_EQ(diag.errors().size(), 4u);
  EXPECT_NE(diag.errors()[0].find("max_posture"), std::string::npos) << diag.errors()[0];
  EXPECT_NE(diag.errors()[0].find("YOLO"), std::string::npos);
  bool order = false, unknown = false;
  for (const auto& e : diag.errors()) {
    order |= e.find("drawdown_stalker_pct <= drawdown_turtle_pct") != std::string::npos;
    unknown |= e.find("colour") != std::string::npos;
  }
  EXPECT_TRUE(order);
  EXPECT_TRUE(unknown);
}

}  // namespace
}  // namespace dolphin::safety
