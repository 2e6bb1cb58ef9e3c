// esof against PyPI `ephem` (tests/data/indicators/esof_2026.json, written by
// tools/indicators/make_esof_fixture.py): every 2026 new and full moon within an hour, the
// illuminated fraction within 1 %; funding times, sessions, weekdays and monthly expiries.
#include "dolphin/indicators/esof.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin::indicators {
namespace {

Timestamp At(const std::string& text) { return ParseRfc3339(text).value(); }

Json Fixture() {
  std::ifstream in(testing::SourceDir() / "tests/data/indicators/esof_2026.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = ParseJson(ss.str(), "esof fixture");
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : Json::object();
}

double Hours(Duration d) { return std::abs(std::chrono::duration<double>(d).count()) / 3600.0; }

TEST(EsofTest, NewAndFullMoonsOf2026WithinAnHourOfEphem) {
  const Json f = Fixture();
  ASSERT_EQ(f["new_moons"].size(), 12u);
  ASSERT_GE(f["full_moons"].size(), 12u);
  double worst = 0;
  using Kind = std::pair<const char*, double>;
  for (const auto& [kind, target] : {Kind{"new_moons", 0.0}, Kind{"full_moons", 180.0}}) {
    for (const Json& e : f[kind]) {
      const Timestamp want = At(e.get<std::string>());
      const Timestamp got = NextMoonPhase(want - std::chrono::hours(24 * 5), target);
      EXPECT_LT(Hours(got - want), 1.0) << kind << " " << e << " got " << FormatRfc3339(got);
      worst = std::max(worst, Hours(got - want));
    }
  }
  RecordProperty("worst_minutes", std::to_string(worst * 60));
  EXPECT_LT(worst, 1.0);
}

TEST(EsofTest, IlluminationWithinOnePercentOfEphem) {
  const Json f = Fixture();
  ASSERT_GT(f["illumination"].size(), 200u);
  for (const Json& s : f["illumination"]) {
    const Timestamp t = At(s["t"].get<std::string>());
    EXPECT_NEAR(MoonIllumination(t), s["illumination"].get<double>(), 0.01) << s;
  }
}

TEST(EsofTest, PhaseAtKnownEvents) {
  const Esof full = ComputeEsof(At("2026-01-03T10:02:50Z"));
  EXPECT_NEAR(full.moon_phase, 0.5, 0.002);
  EXPECT_EQ(full.moon_phase_name, "Full Moon");
  EXPECT_GT(full.moon_illumination, 0.99);
  const Esof fresh = ComputeEsof(At("2026-01-18T19:51:54Z"));
  EXPECT_LT(std::min(fresh.moon_phase, 1 - fresh.moon_phase), 0.002);
  EXPECT_LT(fresh.moon_illumination, 0.01);
}

TEST(EsofTest, FundingTimesAreAt00_08_16Utc) {
  EXPECT_EQ(FormatRfc3339(NextFundingTime(At("2026-03-25T07:59:59Z"))),
            "2026-03-25T08:00:00.000000+00:00");
  EXPECT_EQ(FormatRfc3339(NextFundingTime(At("2026-03-25T08:00:00Z"))),
            "2026-03-25T16:00:00.000000+00:00");
  EXPECT_EQ(FormatRfc3339(NextFundingTime(At("2026-03-25T16:30:00Z"))),
            "2026-03-26T00:00:00.000000+00:00");
  EXPECT_EQ(FormatRfc3339(NextFundingTime(At("2026-12-31T23:59:00Z"))),
            "2027-01-01T00:00:00.000000+00:00");
  EXPECT_DOUBLE_EQ(ComputeEsof(At("2026-03-25T07:22:30Z")).minutes_to_funding, 37.5);
}

TEST(EsofTest, MonthlyExpiryIsTheLastFridayAt0800) {
  EXPECT_EQ(FormatRfc3339(NextMonthlyExpiry(At("2026-01-01T00:00:00Z"))),
            "2026-01-30T08:00:00.000000+00:00");
  EXPECT_EQ(FormatRfc3339(NextMonthlyExpiry(At("2026-01-30T07:59:00Z"))),
            "2026-01-30T08:00:00.000000+00:00");
  EXPECT_EQ(FormatRfc3339(NextMonthlyExpiry(At("2026-01-30T08:00:00Z"))),
            "2026-02-27T08:00:00.000000+00:00");
  EXPECT_EQ(FormatRfc3339(NextMonthlyExpiry(At("2026-07-15T00:00:00Z"))),
            "2026-07-31T08:00:00.000000+00:00");
  EXPECT_EQ(FormatRfc3339(NextMonthlyExpiry(At("2026-12-26T00:00:00Z"))),
            "2027-01-29T08:00:00.000000+00:00");
  EXPECT_DOUBLE_EQ(ComputeEsof(At("2026-01-29T08:00:00Z")).days_to_monthly_expiry, 1.0);
}

TEST(EsofTest, WeekdayAndSession) {
  const Esof e = ComputeEsof(At("2026-03-25T10:00:00Z"));
  EXPECT_EQ(e.day_of_week, 2);
  EXPECT_EQ(e.day_name, "Wednesday");
  EXPECT_EQ(ComputeEsof(At("2026-03-29T10:00:00Z")).day_name, "Sunday");
  EXPECT_EQ(TradingSession(At("2026-03-25T07:59:59Z")), "ASIA");
  EXPECT_EQ(TradingSession(At("2026-03-25T08:00:00Z")), "EUROPE");
  EXPECT_EQ(TradingSession(At("2026-03-25T13:29:59Z")), "EUROPE");
  EXPECT_EQ(TradingSession(At("2026-03-25T13:30:00Z")), "US");
  EXPECT_EQ(TradingSession(At("2026-03-25T23:59:59Z")), "US");
  Json j = EsofJson(e);
  for (const char* k : {"moon_phase", "moon_illumination", "day_of_week", "session",
                        "minutes_to_funding", "days_to_monthly_expiry"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
}

}  // namespace
}  // namespace dolphin::indicators
