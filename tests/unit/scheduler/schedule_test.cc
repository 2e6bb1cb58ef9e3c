#include "dolphin/scheduler/schedule.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::scheduler {
namespace {

using ::dolphin::testing::StatusHasMessage;

Timestamp At(std::string_view rfc3339) { return *ParseRfc3339(rfc3339); }
std::string Text(std::optional<Timestamp> t) { return t ? FormatRfc3339(*t) : "never"; }

std::string NextOf(std::string_view cron, std::string_view after) {
  auto c = CronExpr::Parse(cron);
  EXPECT_OK(c);
  if (!c.ok()) return "";
  return Text(c->Next(At(after)));
}

TEST(CronTest, EveryMinuteIsStrictlyAfter) {
  EXPECT_EQ(NextOf("* * * * *", "2026-03-25T10:30:00Z"), "2026-03-25T10:31:00.000000+00:00");
  EXPECT_EQ(NextOf("* * * * *", "2026-03-25T10:30:59.999Z"), "2026-03-25T10:31:00.000000+00:00");
}

TEST(CronTest, StepsRangesAndLists) {
  EXPECT_EQ(NextOf("*/15 * * * *", "2026-03-25T10:31:00Z"), "2026-03-25T10:45:00.000000+00:00");
  EXPECT_EQ(NextOf("*/15 * * * *", "2026-03-25T10:45:00Z"), "2026-03-25T11:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 9-17 * * *", "2026-03-25T17:00:00Z"), "2026-03-26T09:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 8-18/4 * * *", "2026-03-25T12:00:00Z"), "2026-03-25T16:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 8-18/4 * * *", "2026-03-25T16:00:00Z"), "2026-03-26T08:00:00.000000+00:00");
  EXPECT_EQ(NextOf("5,10,50 * * * *", "2026-03-25T10:10:00Z"), "2026-03-25T10:50:00.000000+00:00");
  EXPECT_EQ(NextOf("30 1,2-3,22 * * *", "2026-03-25T03:30:00Z"),
            "2026-03-25T22:30:00.000000+00:00");
  EXPECT_EQ(NextOf("10/20 * * * *", "2026-03-25T10:31:00Z"), "2026-03-25T10:50:00.000000+00:00");
}

TEST(CronTest, MonthEnds) {
  EXPECT_EQ(NextOf("0 0 31 * *", "2026-04-01T00:00:00Z"), "2026-05-31T00:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 0 30 * *", "2026-01-30T00:00:00Z"), "2026-03-30T00:00:00.000000+00:00");
  EXPECT_EQ(NextOf("59 23 28-31 2 *", "2026-02-28T23:59:00Z"), "2027-02-28T23:59:00.000000+00:00");
}

TEST(CronTest, LeapDay) {
  EXPECT_EQ(NextOf("0 12 29 2 *", "2026-01-01T00:00:00Z"), "2028-02-29T12:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 12 29 feb *", "2028-02-29T12:00:00Z"), "2032-02-29T12:00:00.000000+00:00");
  // 2100 is not a leap year: eight years from 2096.
  EXPECT_EQ(NextOf("0 0 29 2 *", "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00.000000+00:00");
}

TEST(CronTest, YearRollover) {
  EXPECT_EQ(NextOf("0 0 1 1 *", "2026-12-31T23:59:00Z"), "2027-01-01T00:00:00.000000+00:00");
  EXPECT_EQ(NextOf("59 23 31 12 *", "2026-12-31T23:59:00Z"), "2027-12-31T23:59:00.000000+00:00");
  EXPECT_EQ(NextOf("* * * * *", "2026-12-31T23:59:30Z"), "2027-01-01T00:00:00.000000+00:00");
}

TEST(CronTest, NamesAndSundaySeven) {
  // 2026-03-25 is a Wednesday.
  EXPECT_EQ(NextOf("0 0 * * SUN", "2026-03-25T00:00:00Z"), "2026-03-29T00:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 0 * * 7", "2026-03-25T00:00:00Z"), "2026-03-29T00:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 0 * * mon-fri", "2026-03-27T00:00:00Z"), "2026-03-30T00:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 0 1 jan-mar/2 *", "2026-01-01T00:00:00Z"),
            "2026-03-01T00:00:00.000000+00:00");
}

TEST(CronTest, VixieDayOfMonthOrDayOfWeek) {
  // Both restricted: the 13th OR a Friday. 2026-03-25 (Wed) -> Friday 27th.
  EXPECT_EQ(NextOf("0 0 13 * 5", "2026-03-25T00:00:00Z"), "2026-03-27T00:00:00.000000+00:00");
  // Day of week '*': only the 13th.
  EXPECT_EQ(NextOf("0 0 13 * *", "2026-03-25T00:00:00Z"), "2026-04-13T00:00:00.000000+00:00");
  // A field starting with '*' counts as unrestricted (Vixie): */2 days AND Friday.
  EXPECT_EQ(NextOf("0 0 */2 * 5", "2026-03-25T00:00:00Z"), "2026-03-27T00:00:00.000000+00:00");
  EXPECT_EQ(NextOf("0 0 */2 * 5", "2026-03-27T00:00:00Z"), "2026-04-03T00:00:00.000000+00:00");
}

TEST(CronTest, MalformedExpressionsNameTheField) {
  EXPECT_THAT(CronExpr::Parse("* * * *"),
              StatusHasMessage("cron \"* * * *\": expected 5 fields (minute hour day-of-month "
                               "month day-of-week), got 4"));
  EXPECT_THAT(CronExpr::Parse("61 * * * *"), StatusHasMessage("minute: 61 is out of range 0-59"));
  EXPECT_THAT(CronExpr::Parse("* 24 * * *"), StatusHasMessage("hour: 24 is out of range 0-23"));
  EXPECT_THAT(CronExpr::Parse("* * 0 * *"),
              StatusHasMessage("day-of-month: 0 is out of range 1-31"));
  EXPECT_THAT(CronExpr::Parse("* * * 13 *"), StatusHasMessage("month: 13 is out of range 1-12"));
  EXPECT_THAT(CronExpr::Parse("* * * FOO *"),
              StatusHasMessage("month: \"FOO\" is not a number or a month name"));
  EXPECT_THAT(CronExpr::Parse("* * * * 8"), StatusHasMessage("day-of-week: 8 is out of range 0-7"));
  EXPECT_THAT(CronExpr::Parse("*/0 * * * *"),
              StatusHasMessage("minute: step \"0\" in \"*/0\" is not a whole number >= 1"));
  EXPECT_THAT(CronExpr::Parse("* 5-3 * * *"), StatusHasMessage("hour: range 5-3 goes backwards"));
  EXPECT_THAT(CronExpr::Parse("1,,2 * * * *"), StatusHasMessage("minute: empty item in list"));
  EXPECT_THAT(CronExpr::Parse("x * * * *"), StatusHasMessage("minute: \"x\" is not a number"));
  EXPECT_THAT(CronExpr::Parse("0 0 30 2 *"), StatusHasMessage("never fires"));
  EXPECT_THAT(CronExpr::Parse("* * * * * *"), StatusHasMessage("got 6"));
}

TEST(ScheduleTest, IntervalsAreAlignedToTheEpochSoRestartsAgree) {
  Schedule s = Schedule::Every(std::chrono::minutes(5));
  EXPECT_EQ(Text(s.Next(At("2026-03-25T10:31:10Z"))), "2026-03-25T10:35:00.000000+00:00");
  EXPECT_EQ(Text(s.Next(At("2026-03-25T10:35:00Z"))), "2026-03-25T10:40:00.000000+00:00");
  EXPECT_EQ(s.ToString(), "every 5m00s");
}

TEST(ScheduleTest, LookAheadIsBoundedByHorizonAndCount) {
  Schedule s = Schedule::Every(std::chrono::minutes(1));
  auto runs = s.Upcoming(At("2026-03-25T10:00:00Z"), At("2026-03-25T11:00:00Z"), 10);
  ASSERT_EQ(runs.size(), 10u);
  EXPECT_EQ(FormatRfc3339(runs.front()), "2026-03-25T10:01:00.000000+00:00");
  EXPECT_EQ(FormatRfc3339(runs.back()), "2026-03-25T10:10:00.000000+00:00");
  auto few = s.Upcoming(At("2026-03-25T10:00:00Z"), At("2026-03-25T10:03:00Z"), 10);
  EXPECT_EQ(few.size(), 3u);
  Schedule daily = Schedule::Cron(*CronExpr::Parse("0 3 * * *"));
  EXPECT_EQ(daily.Upcoming(At("2026-03-25T10:00:00Z"), At("2026-03-26T10:00:00Z"), 10).size(), 1u);
  EXPECT_EQ(daily.ToString(), "cron 0 3 * * *");
}

}  // namespace
}  // namespace dolphin::scheduler
