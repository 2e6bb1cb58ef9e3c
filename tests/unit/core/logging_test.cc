#include "dolphin/core/logging.h"

#include "dolphin/core/json.h"
#include "dolphin/core/simulated_clock.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

TEST(LoggingTest, HumanLineIsOneLineWithFields) {
  Timestamp ts = *ParseRfc3339("2026-03-25T10:30:01.123456Z");
  std::string line = FormatLogLine(LogFormat::kHuman, ts, LogLevel::kInfo, "bridge",
                                   "published scan", {{"scan", 42}, {"file", "a b.arrow"}});
  EXPECT_EQ(line,
            "2026-03-25T10:30:01.123456Z INFO  bridge   published scan scan=42 file=\"a b.arrow\"");
}

TEST(LoggingTest, JsonLineKeepsTypes) {
  Timestamp ts = *ParseRfc3339("2026-03-25T10:30:01.123456Z");
  std::string line = FormatLogLine(LogFormat::kJson, ts, LogLevel::kWarn, "run", "slow",
                                   {{"n", 3}, {"ratio", 0.25}, {"ok", true}, {"msg2", "x\ny"}});
  auto j = ParseJson(line);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["ts"], "2026-03-25T10:30:01.123456+00:00");
  EXPECT_EQ((*j)["level"], "warn");
  EXPECT_EQ((*j)["component"], "run");
  EXPECT_EQ((*j)["n"], 3);
  EXPECT_EQ((*j)["ratio"], 0.25);
  EXPECT_EQ((*j)["ok"], true);
  EXPECT_EQ((*j)["msg2"], "x\ny");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LoggingTest, CapturingLoggerRespectsLevel) {
  SimulatedClock clock;
  CapturingLogger logger(clock, LogLevel::kInfo);
  logger.Debug("x", "hidden");
  logger.Info("x", "shown");
  EXPECT_EQ(logger.Lines().size(), 1u);
  EXPECT_TRUE(logger.Contains("shown"));
  EXPECT_THAT(ParseLogLevel("loud"), testing::StatusHasMessage("unknown log level"));
  EXPECT_THAT(ParseLogFormat("json"), testing::IsOkAndHolds(LogFormat::kJson));
}

TEST(JsonTest, DoublesAreShortestRoundTripAndNonFiniteIsNull) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(1e300), "1e+300");
  EXPECT_EQ(FormatDouble(std::nan("")), "null");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "null");
  std::string s;
  AppendJsonString(s, "a\"b\\\x01");
  EXPECT_EQ(s, "\"a\\\"b\\\\\\u0001\"");
  EXPECT_THAT(ParseJson("{bad", "request body"), testing::StatusHasMessage("request body"));
}

}  // namespace
}  // namespace dolphin
