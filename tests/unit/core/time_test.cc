#include "dolphin/core/time.h"

#include "dolphin/core/random.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

using testing::StatusHasMessage;

TEST(SecondsTest, ConvertsDurationsToFractionalSecondsAndBack) {
  EXPECT_EQ(SecondsOf(std::chrono::milliseconds(1500)), 1.5);
  EXPECT_EQ(SecondsOf(Duration(-250000000)), -0.25);
  EXPECT_EQ(DurationOfSeconds(2.5), std::chrono::milliseconds(2500));
  EXPECT_EQ(DurationOfSeconds(0.000000001), Duration(1));
  // Towards zero: a fraction of a nanosecond is dropped.
  EXPECT_EQ(DurationOfSeconds(1.9e-9), Duration(1));
  static_assert(SecondsOf(std::chrono::seconds(3)) == 3.0);
}

TEST(Rfc3339Test, FormatsUtcWithSixFractionDigitsAndOffset) {
  Timestamp ts = *ParseRfc3339("2026-03-25T10:30:01.123456Z");
  EXPECT_EQ(FormatRfc3339(ts), "2026-03-25T10:30:01.123456+00:00");
  EXPECT_EQ(FormatRfc3339(Timestamp::FromUnixSeconds(0)), "1970-01-01T00:00:00.000000+00:00");
  EXPECT_EQ(FormatUtcDate(ts), "2026-03-25");
}

TEST(Rfc3339Test, AcceptsOffsetsAndAnyFractionLength) {
  EXPECT_EQ(*ParseRfc3339("2026-03-25T12:30:01+02:00"), *ParseRfc3339("2026-03-25T10:30:01Z"));
  EXPECT_EQ(*ParseRfc3339("2026-03-25T05:00:00-05:30"), *ParseRfc3339("2026-03-25T10:30:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-03-25T10:30:01.5Z")->UnixNanos() % 1000000000, 500000000);
  EXPECT_EQ(ParseRfc3339("2026-03-25T10:30:01.123456789Z")->UnixNanos() % 1000000000, 123456789);
  EXPECT_EQ(*ParseRfc3339("2026-03-25t10:30:01z"), *ParseRfc3339("2026-03-25T10:30:01Z"));
  EXPECT_EQ(*ParseRfc3339("2026-03-25T10:30:01.123456+00:00"),
            *ParseRfc3339("2026-03-25T10:30:01.123456Z"));
}

TEST(Rfc3339Test, RejectsMalformedTextWithReason) {
  EXPECT_THAT(ParseRfc3339(""), StatusHasMessage("expected YYYY-MM-DD"));
  EXPECT_THAT(ParseRfc3339("2026-02-30T00:00:00Z"), StatusHasMessage("day out of range"));
  EXPECT_THAT(ParseRfc3339("2026-13-01T00:00:00Z"), StatusHasMessage("month out of range"));
  EXPECT_THAT(ParseRfc3339("2026-03-25T10:30:01"), StatusHasMessage("missing time zone"));
  EXPECT_THAT(ParseRfc3339("2026-03-25T10:30:01.Z"), StatusHasMessage("digits after '.'"));
  EXPECT_THAT(ParseRfc3339("2026-03-25T10:30:01.1234567890Z"), StatusHasMessage("more than 9"));
  EXPECT_THAT(ParseRfc3339("2026-03-25T10:30:01Zjunk"), StatusHasMessage("trailing"));
  EXPECT_THAT(ParseRfc3339("2026-03-25T25:30:01Z"), StatusHasMessage("time of day"));
  EXPECT_THAT(ParseRfc3339("2026-03-25T10:30:01+2:00"), StatusHasMessage("bad offset"));
}

TEST(Rfc3339Test, RoundTripIsExactToTheMicrosecond) {
  Random rng(12345);
  for (int i = 0; i < 20000; ++i) {
    // Instants from 1900 to 2200, at microsecond resolution.
    int64_t micros = static_cast<int64_t>(rng.Below(300ULL * 365 * 86400 * 1000000)) -
                     70LL * 365 * 86400 * 1000000;
    Timestamp ts = Timestamp::FromUnixMicros(micros);
    auto back = ParseRfc3339(FormatRfc3339(ts));
    ASSERT_TRUE(back.ok()) << FormatRfc3339(ts);
    ASSERT_EQ(back->UnixMicros(), micros) << FormatRfc3339(ts);
  }
}

TEST(Rfc3339Test, LeapYearsAndBeforeEpoch) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2023-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("1900-02-29T00:00:00Z").ok());
  EXPECT_TRUE(ParseRfc3339("2000-02-29T00:00:00Z").ok());
  EXPECT_EQ(FormatRfc3339(Timestamp::FromUnixMicros(-1)), "1969-12-31T23:59:59.999999+00:00");
}

TEST(DurationTest, FormatsForHumans) {
  using namespace std::chrono_literals;
  EXPECT_EQ(FormatDuration(850ns), "850ns");
  EXPECT_EQ(FormatDuration(85us), "85us");
  EXPECT_EQ(FormatDuration(12300us), "12.30ms");
  EXPECT_EQ(FormatDuration(4200ms), "4.20s");
  EXPECT_EQ(FormatDuration(185s), "3m05s");
  EXPECT_EQ(FormatDuration(7260s), "2h01m");
}

}  // namespace
}  // namespace dolphin
