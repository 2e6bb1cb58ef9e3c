// The one JSON string writer (AppendJsonString) and IsValidUtf8: escapes, well-formed UTF-8
// copied verbatim, every ill-formed sequence replaced by U+FFFD so the output always parses.
#include "dolphin/core/json.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "dolphin/core/random.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

constexpr const char* kFffd = "\xEF\xBF\xBD";

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

// `n` replacement characters.
std::string Fffd(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += kFffd;
  return out;
}

// The writer's output parses as JSON, and the parsed string is valid UTF-8.
void ExpectParses(std::string_view s) {
  auto j = ParseJson(Quoted(s), "written string");
  ASSERT_OK(j);
  ASSERT_TRUE(j->is_string());
  EXPECT_TRUE(IsValidUtf8(j->get<std::string>()));
}

TEST(JsonStringTest, ValidMultiByteUtf8IsCopiedVerbatim) {
  const std::string cases[] = {
      "caf\xC3\xA9",                               // U+00E9
      "\xC2\x80",                                  // U+0080, the smallest two-byte form
      "\xDF\xBF",                                  // U+07FF
      "\xE0\xA0\x80",                              // U+0800, the smallest three-byte form
      "\xED\x9F\xBF",                              // U+D7FF, just below the surrogates
      "\xEE\x80\x80",                              // U+E000, just above them
      "\xEF\xBF\xBF",                              // U+FFFF
      "\xEF\xBF\xBD",                              // U+FFFD itself
      "\xF0\x90\x80\x80",                          // U+10000, the smallest four-byte form
      "\xF0\x9F\x90\xAC",                          // U+1F42C (a dolphin)
      "\xF4\x8F\xBF\xBF",                          // U+10FFFF, the largest code point
      "\xE6\x97\xA5\xE6\x9C\xAC BTC\xE2\x82\xAC",  // mixed with ASCII
  };
  for (const std::string& s : cases) {
    SCOPED_TRACE(s);
    EXPECT_TRUE(IsValidUtf8(s));
    EXPECT_EQ(Quoted(s), "\"" + s + "\"");
    ExpectParses(s);
  }
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_EQ(Quoted(""), "\"\"");
}

TEST(JsonStringTest, OverlongEncodingsAreReplacedBytewise) {
  // No lead byte of an overlong form starts a valid sequence, so each byte is its own
  // maximal subpart.
  struct Case {
    std::string in;
    int replacements;
  };
  const Case cases[] = {
      {"\xC0\x80", 2},              // U+0000 in two bytes
      {"\xC1\xBF", 2},              // U+007F in two bytes
      {"\xE0\x80\x80", 3},          // U+0000 in three bytes
      {"\xE0\x9F\xBF", 3},          // U+07FF in three bytes
      {"\xF0\x80\x80\x80", 4},      // U+0000 in four bytes
      {"\xF0\x8F\xBF\xBF", 4},      // U+FFFF in four bytes
      {"\xF8\x88\x80\x80\x80", 5},  // five-byte forms do not exist
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.in));
    EXPECT_FALSE(IsValidUtf8(c.in));
    EXPECT_EQ(Quoted(c.in), "\"" + Fffd(c.replacements) + "\"");
    EXPECT_EQ(Quoted("a" + c.in + "b"), "\"a" + Fffd(c.replacements) + "b\"");
    ExpectParses(c.in);
  }
}

TEST(JsonStringTest, SurrogatesAndCodePointsAboveTheMaximumAreReplaced) {
  struct Case {
    std::string in;
    int replacements;
  };
  const Case cases[] = {
      {"\xED\xA0\x80", 3},              // U+D800
      {"\xED\xBF\xBF", 3},              // U+DFFF
      {"\xED\xA0\xBD\xED\xB0\xAC", 6},  // a CESU-8 surrogate pair (U+1F42C)
      {"\xF4\x90\x80\x80", 4},          // U+110000
      {"\xF5\x80\x80\x80", 4},          // lead byte above F4
      {"\xFE", 1},
      {"\xFF", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.in));
    EXPECT_FALSE(IsValidUtf8(c.in));
    EXPECT_EQ(Quoted(c.in), "\"" + Fffd(c.replacements) + "\"");
    ExpectParses(c.in);
  }
}

TEST(JsonStringTest, TruncatedSequencesAndStrayContinuationBytesAreReplaced) {
  struct Case {
    std::string in;
    std::string out;
  };
  const std::string r = kFffd;
  const Case cases[] = {
      {"\xC3", r},          // two-byte lead at the end
      {"\xE2\x82", r},      // three-byte sequence cut after two bytes
      {"\xF0\x9F\x90", r},  // four-byte sequence cut after three bytes
      {"\xE2\x82"
       "A",
       r + "A"},                                     // cut by an ASCII byte, which is kept
      {"\xE2\x82\xE2\x82\xAC", r + "\xE2\x82\xAC"},  // cut by the lead of a valid sequence
      {"\xF0\x9F\x90\xF0\x9F\x90\xAC", r + "\xF0\x9F\x90\xAC"},
      {"\x80", r},  // continuation byte without a lead
      {"\xBF\xBF", r + r},
      {"\xC3\xA9\xA9", "\xC3\xA9" + r},  // one continuation byte too many
      {"BTC\xC3USDT", "BTC" + r + "USDT"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.in));
    EXPECT_FALSE(IsValidUtf8(c.in));
    EXPECT_EQ(Quoted(c.in), "\"" + c.out + "\"");
    ExpectParses(c.in);
  }
}

TEST(JsonStringTest, ControlCharactersQuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(Quoted("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(Quoted("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(Quoted(std::string("a\0b", 3)), "\"a\\u0000b\"");
  EXPECT_EQ(Quoted("\x01\x1f\x7f"), "\"\\u0001\\u001f\x7f\"");  // DEL needs no escape
  for (int c = 0; c < 0x20; ++c) {
    std::string s(1, static_cast<char>(c));
    SCOPED_TRACE(c);
    EXPECT_TRUE(IsValidUtf8(s));
    auto j = ParseJson(Quoted(s));
    ASSERT_OK(j);
    EXPECT_EQ(j->get<std::string>(), s);
  }
  // An escape next to a replacement: the run bookkeeping keeps both.
  EXPECT_EQ(Quoted("\n\xFF\"\xC3"), "\"\\n" + Fffd(1) + "\\\"" + Fffd(1) + "\"");
}

// Random byte strings (biased towards UTF-8 lead and continuation bytes): the writer agrees
// with nlohmann's replacing serializer (DumpJson) byte for byte, its output always parses, and
// a string round-trips unchanged exactly when IsValidUtf8 says it is valid.
TEST(JsonStringTest, AgreesWithDumpJsonOnRandomBytes) {
  Random random(testing::TestSeed());
  static constexpr unsigned char kInteresting[] = {
      0x00, 0x0a, 0x1f, '"',  '\\', 'A',  0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
      0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
  int valid = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    const uint64_t len = random.Below(9);
    for (uint64_t k = 0; k < len; ++k) {
      s.push_back(static_cast<char>(random.Below(2) == 0
                                        ? kInteresting[random.Below(sizeof(kInteresting))]
                                        : random.Below(256)));
    }
    const std::string ours = Quoted(s);
    ASSERT_EQ(ours, DumpJson(Json(s))) << ::testing::PrintToString(s);
    auto back = ParseJson(ours);
    ASSERT_OK(back);
    ASSERT_EQ(back->get<std::string>() == s, IsValidUtf8(s)) << ::testing::PrintToString(s);
    if (IsValidUtf8(s)) ++valid;
  }
  EXPECT_GT(valid, 100);  // both branches were exercised
}

}  // namespace
}  // namespace dolphin
