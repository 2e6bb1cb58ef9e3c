// Typed, non-throwing access to outside JSON.
#include "dolphin/contract/json_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::contract {
namespace {

using testing::StatusHasMessage;

Json Obj(std::string_view text) { return *ParseObject(text, "test"); }

TEST(JsonFieldsTest, ReadsEachTypeAndRejectsEveryMismatchWithTheFieldNamed) {
  Json j =
      Obj(R"({"s":"x","i":7,"u":18446744073709551615,"d":1.5,"b":true,"t":"2026-03-25T10:30:00Z",
                  "o":{},"a":[],"n":null})");
  EXPECT_EQ(*GetString(j, "s", "f"), "x");
  EXPECT_EQ(*GetInt64(j, "i", "f"), 7);
  EXPECT_EQ(*GetDouble(j, "i", "f"), 7.0);
  EXPECT_EQ(*GetDouble(j, "d", "f"), 1.5);
  EXPECT_TRUE(*GetBool(j, "b", "f"));
  EXPECT_EQ(GetTimestamp(j, "t", "f")->UnixMicros(), 1774434600000000);
  EXPECT_OK(GetObject(j, "o", "f"));
  EXPECT_OK(GetArray(j, "a", "f"));

  EXPECT_THAT(GetInt64(j, "s", "state.json"),
              StatusHasMessage("state.json: s: expected an integer, got string"));
  EXPECT_THAT(GetInt64(j, "d", "f"), StatusHasMessage("expected an integer, got number"));
  EXPECT_THAT(GetInt64(j, "u", "f"), StatusHasMessage("out of range"));
  EXPECT_THAT(GetString(j, "i", "f"), StatusHasMessage("f: i: expected a string, got integer"));
  EXPECT_THAT(GetDouble(j, "s", "f"), StatusHasMessage("expected a number"));
  EXPECT_THAT(GetBool(j, "i", "f"), StatusHasMessage("expected a boolean"));
  EXPECT_THAT(GetTimestamp(j, "s", "f"), StatusHasMessage("f: s:"));
  EXPECT_THAT(GetTimestamp(j, "i", "f"), StatusHasMessage("expected an RFC 3339 string"));
  EXPECT_THAT(GetObject(j, "a", "f"), StatusHasMessage("expected an object, got array"));
  EXPECT_THAT(GetArray(j, "o", "f"), StatusHasMessage("expected an array, got object"));
  EXPECT_THAT(GetString(j, "missing", "f"), StatusHasMessage("f: missing: missing"));
}

TEST(JsonFieldsTest, OrVariantsDefaultOnlyWhenAbsentOrNull) {
  Json j = Obj(R"({"i":"x","n":null})");
  EXPECT_EQ(*GetInt64Or(j, "absent", 5, "f"), 5);
  EXPECT_EQ(*GetInt64Or(j, "n", 5, "f"), 5);
  EXPECT_THAT(GetInt64Or(j, "i", 5, "f"),
              StatusHasMessage("f: i: expected an integer, got string"));
  EXPECT_EQ(*GetStringOr(j, "absent", "d", "f"), "d");
  EXPECT_EQ(*GetDoubleOr(j, "absent", 2.5, "f"), 2.5);
  EXPECT_FALSE(*GetBoolOr(j, "absent", false, "f"));
  EXPECT_THAT(GetBoolOr(j, "i", false, "f"), StatusHasMessage("expected a boolean"));
}

TEST(JsonFieldsTest, ParseObjectRejectsNonObjectsAndBadText) {
  EXPECT_THAT(ParseObject("[1]", "bus value"),
              StatusHasMessage("bus value: expected a JSON object, got array"));
  EXPECT_THAT(ParseObject("{", "bus value"), StatusHasMessage("bus value"));
  EXPECT_THAT(ParseObject("", "bus value"), StatusHasMessage("bus value"));
  EXPECT_EQ(FindField(Json::array(), "x"), nullptr);
}

}  // namespace
}  // namespace dolphin::contract
