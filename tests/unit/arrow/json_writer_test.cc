// JSON conventions of docs/architecture.md §8 (what `dolphin arrow cat` prints and the bridge
// publishes).
#include "dolphin/arrow/json_writer.h"

#include <cmath>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>

#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/testing/testing.h"

namespace dolphin::arrow {
namespace {

using dolphin::testing::IsOkAndHolds;
using dolphin::testing::StatusHasMessage;

// Renders column 0 of a one-column table, row by row.
std::vector<std::string> Render(Column c) {
  TableBuilder b;
  EXPECT_OK(b.AddBatch({std::move(c)}));
  Table t = b.table();
  std::vector<std::string> out;
  for (int64_t r = 0; r < t.batches[0].num_rows; ++r) {
    std::string s;
    EncodeCellJson(t, 0, 0, r, s);
    out.push_back(s);
  }
  return out;
}

template <typename T>
Column Raw(TypeId id, const std::vector<T>& values, TimeUnit unit = TimeUnit::kSecond,
           std::string tz = "") {
  Column c = Int64Column("c", {});
  auto a = std::make_shared<Array>();
  a->length = static_cast<int64_t>(values.size());
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  a->values = MakeBuffer(std::move(bytes));
  c.array = a;
  c.field.type.id = id;
  c.field.type.unit = unit;
  c.field.type.timezone = std::move(tz);
  return c;
}

TEST(JsonWriterTest, FloatsAreShortestRoundTripAndNonFiniteIsNull) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(
      Render(Float64Column("c", {0.1, 1.0, -2.5, 1e300, nan, inf, -inf, 5e-324})),
      (std::vector<std::string>{"0.1", "1", "-2.5", "1e+300", "null", "null", "null", "5e-324"}));
  EXPECT_EQ(Render(Raw<float>(TypeId::kFloat32, {0.1f, 3.0f})),
            (std::vector<std::string>{"0.1", "3"}));
  // float16: 1.0 = 0x3C00, -2.0 = 0xC000, +inf = 0x7C00
  EXPECT_EQ(Render(Raw<uint16_t>(TypeId::kFloat16, {0x3C00, 0xC000, 0x7C00})),
            (std::vector<std::string>{"1", "-2", "null"}));
}

TEST(JsonWriterTest, IntegersAreExact) {
  EXPECT_EQ(Render(Int64Column("c", {std::numeric_limits<int64_t>::min(), 0, 9007199254740993})),
            (std::vector<std::string>{"-9223372036854775808", "0", "9007199254740993"}));
  EXPECT_EQ(Render(Raw<uint64_t>(TypeId::kUInt64, {std::numeric_limits<uint64_t>::max()})),
            (std::vector<std::string>{"18446744073709551615"}));
  EXPECT_EQ(Render(Raw<int8_t>(TypeId::kInt8, {-128, 127})),
            (std::vector<std::string>{"-128", "127"}));
}

TEST(JsonWriterTest, NullsBoolsAndStrings) {
  EXPECT_EQ(Render(Int64Column("c", {1, 2}, {true, false})),
            (std::vector<std::string>{"1", "null"}));
  EXPECT_EQ(Render(BoolColumn("c", {true, false, true}, {true, true, false})),
            (std::vector<std::string>{"true", "false", "null"}));
  EXPECT_EQ(Render(Utf8Column("c", {"a\"b\\c\n", "caf\xc3\xa9", std::string("\x01\xff", 2)})),
            (std::vector<std::string>{"\"a\\\"b\\\\c\\n\"", "\"caf\xc3\xa9\"",
                                      "\"\\u0001\xEF\xBF\xBD\""}));
}

TEST(JsonWriterTest, BinaryIsUppercaseHex) {
  Column c = Utf8Column("c", {std::string("\x00\xab\x7f", 3), ""});
  c.field.type.id = TypeId::kBinary;
  EXPECT_EQ(Render(c), (std::vector<std::string>{"\"00AB7F\"", "\"\""}));
}

TEST(JsonWriterTest, DatesTimesAndTimestamps) {
  EXPECT_EQ(Render(Raw<int32_t>(TypeId::kDate32, {0, -1, 2932896, -719162, -719163, 2932897})),
            (std::vector<std::string>{"\"1970-01-01\"", "\"1969-12-31\"", "\"9999-12-31\"",
                                      "\"0001-01-01\"", "\"0000-12-31\"", "\"10000-01-01\""}));
  EXPECT_EQ(Render(Raw<int64_t>(TypeId::kDate64, {86400000LL * 365 - 1, -1})),
            (std::vector<std::string>{"\"1970-12-31\"", "\"1969-12-31\""}));
  EXPECT_EQ(Render(Raw<int32_t>(TypeId::kTime32, {3723}, TimeUnit::kSecond)),
            (std::vector<std::string>{"\"01:02:03\""}));
  EXPECT_EQ(Render(Raw<int32_t>(TypeId::kTime32, {3723004}, TimeUnit::kMilli)),
            (std::vector<std::string>{"\"01:02:03.004\""}));
  EXPECT_EQ(Render(Raw<int64_t>(TypeId::kTime64, {86399999999999}, TimeUnit::kNano)),
            (std::vector<std::string>{"\"23:59:59.999999999\""}));
  EXPECT_EQ(Render(TimestampColumn("c", TimeUnit::kMicro, "UTC", {1774434601123456, -1})),
            (std::vector<std::string>{"\"2026-03-25T10:30:01.123456Z\"",
                                      "\"1969-12-31T23:59:59.999999Z\""}));
  EXPECT_EQ(Render(TimestampColumn("c", TimeUnit::kSecond, "", {0})),
            (std::vector<std::string>{"\"1970-01-01T00:00:00\""}));
  EXPECT_EQ(Render(TimestampColumn("c", TimeUnit::kMilli, "America/New_York", {1500})),
            (std::vector<std::string>{"\"1970-01-01T00:00:01.500Z\""}));
  // Year -1 (astronomical) and a year beyond 9999, printed in full.
  EXPECT_EQ(Render(TimestampColumn("c", TimeUnit::kSecond, "", {-62198755200, 253402300800})),
            (std::vector<std::string>{"\"-0001-01-01T00:00:00\"", "\"10000-01-01T00:00:00\""}));
  EXPECT_EQ(Render(Raw<int64_t>(TypeId::kDuration, {-5, 7}, TimeUnit::kMilli)),
            (std::vector<std::string>{"-5", "7"}));
}

TEST(JsonWriterTest, ExtremeTemporalValuesDoNotOverflow) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = std::numeric_limits<int64_t>::max();
  for (TimeUnit unit : {TimeUnit::kSecond, TimeUnit::kMilli, TimeUnit::kMicro, TimeUnit::kNano}) {
    auto rows = Render(TimestampColumn("c", unit, "UTC", {lo, hi}));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].front(), '"');
    EXPECT_EQ(rows[1].back(), '"');
    auto times = Render(Raw<int64_t>(TypeId::kTime64, {lo, hi}, unit));
    EXPECT_EQ(times.size(), 2u);
  }
  EXPECT_EQ(Render(TimestampColumn("c", TimeUnit::kNano, "", {lo}))[0],
            "\"1677-09-21T00:12:43.145224192\"");
  EXPECT_EQ(Render(Raw<int64_t>(TypeId::kDate64, {lo, hi})).size(), 2u);
  EXPECT_EQ(Render(Raw<int32_t>(TypeId::kDate32, {std::numeric_limits<int32_t>::min()}))[0],
            "\"-5877641-06-23\"");
}

TEST(JsonWriterTest, ListsStructsAndRows) {
  TableBuilder b;
  ASSERT_OK(
      b.AddBatch({Int64Column("n", {1, 2}), Utf8ListColumn("assets", {{"BTCUSDT", "ETHUSDT"}, {}}),
                  StructColumn("s", {Float64Column("x", {0.5, 2}), Utf8Column("y", {"a", "b"})},
                               {true, false})}));
  Table t = b.table();
  std::string row0, row1;
  EncodeRowJson(t, 0, 0, row0);
  EncodeRowJson(t, 0, 1, row1);
  EXPECT_EQ(row0, R"({"n":1,"assets":["BTCUSDT","ETHUSDT"],"s":{"x":0.5,"y":"a"}})");
  EXPECT_EQ(row1, R"({"n":2,"assets":[],"s":null})");
}

TEST(JsonWriterTest, JsonLinesCoverEveryBatchAndStopAtTheByteLimit) {
  TableBuilder b;
  ASSERT_OK(b.AddBatch({Int64Column("n", {1, 2})}));
  ASSERT_OK(b.AddBatch({Int64Column("n", {3})}));
  Table t = b.table();
  EXPECT_EQ(EncodeJsonLines(t), "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
  // The row that reaches the limit is the last one.
  EXPECT_EQ(EncodeJsonLines(t, 8), "{\"n\":1}\n");
  EXPECT_EQ(EncodeJsonLines(t, 9), "{\"n\":1}\n{\"n\":2}\n");
  EXPECT_EQ(EncodeJsonLines(t, 0), "");
}

TEST(JsonWriterTest, MapIsArrayOfKeyValueObjects) {
  // map<utf8, int64>: rows [{a:1},{b:2}] and [].
  Column entries =
      StructColumn("entries", {Utf8Column("key", {"a", "b"}), Int64Column("value", {1, 2})});
  Column m = ListColumn("m", entries, {0, 2, 2});
  m.field.type.id = TypeId::kMap;
  m.field.children[0].name = "entries";
  m.field.children[0].nullable = false;
  EXPECT_EQ(Render(m),
            (std::vector<std::string>{R"([{"key":"a","value":1},{"key":"b","value":2}])", "[]"}));
}

TEST(JsonWriterTest, DictionaryColumnsAreDecoded) {
  TableBuilder b;
  ASSERT_OK(b.AddBatch(
      {Utf8Column("sym", {"X", "Y", "X"}), Utf8ListColumn("l", {{"a", "b"}, {"b"}, {}})}));
  WriterOptions o;
  o.dictionary_columns = {"sym", "l"};
  auto bytes = WriteIpc(b.table(), o);
  ASSERT_OK(bytes);
  auto t = ReadIpc(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
  ASSERT_OK(t);
  ASSERT_TRUE(t->schema->fields[0].dictionary.has_value());
  ASSERT_TRUE(t->schema->fields[1].children[0].dictionary.has_value());
  std::string rows;
  for (int64_t r = 0; r < 3; ++r) {
    EncodeRowJson(*t, 0, r, rows);
    rows += "\n";
  }
  EXPECT_EQ(
      rows,
      "{\"sym\":\"X\",\"l\":[\"a\",\"b\"]}\n{\"sym\":\"Y\",\"l\":[\"b\"]}\n{\"sym\":\"X\",\"l\":[]}\n");
  EXPECT_THAT(GetString(*t, "sym", 1), IsOkAndHolds(std::string("Y")));
  EXPECT_THAT(GetStringList(*t, "l", 0), IsOkAndHolds(std::vector<std::string>{"a", "b"}));
}

TEST(JsonWriterTest, ScalarAccessorsForTheBridge) {
  TableBuilder b;
  ASSERT_OK(b.AddBatch({Int64Column("scan_number", {7}),
                        TimestampColumn("timestamp", TimeUnit::kMicro, "UTC", {1774434601123456}),
                        Utf8ListColumn("assets", {{"BTCUSDT", "ETHUSDT"}}),
                        Float64ListColumn("asset_prices", {{97000.5, 3400.25}})}));
  ASSERT_OK(b.AddBatch({Int64Column("scan_number", {8}),
                        TimestampColumn("timestamp", TimeUnit::kMicro, "UTC", {1}),
                        Utf8ListColumn("assets", {{}}), Float64ListColumn("asset_prices", {{}})}));
  Table t = b.table();
  EXPECT_EQ(t.ColumnIndex("assets"), 2);
  EXPECT_EQ(t.ColumnIndex("nope"), -1);
  EXPECT_THAT(GetInt64(t, "scan_number", 0), IsOkAndHolds(7));
  EXPECT_THAT(GetInt64(t, "scan_number", 1), IsOkAndHolds(8));
  EXPECT_THAT(GetInt64(t, "timestamp", 0), IsOkAndHolds(1774434601123456));
  EXPECT_THAT(GetFloat64(t, "scan_number", 0), IsOkAndHolds(7.0));
  EXPECT_THAT(GetStringList(t, "assets", 0),
              IsOkAndHolds(std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  EXPECT_THAT(GetFloat64List(t, "asset_prices", 0),
              IsOkAndHolds(std::vector<double>{97000.5, 3400.25}));
  EXPECT_THAT(GetInt64(t, "scan_number", 2), StatusHasMessage("out of range"));
  EXPECT_THAT(GetInt64(t, "missing", 0), StatusHasMessage("no column 'missing'"));
  EXPECT_THAT(GetInt64(t, "assets", 0), StatusHasMessage("not an integer"));
}

TEST(JsonWriterTest, ArrowCommandExitCodes) {
  dolphin::testing::TempDir dir;
  TableBuilder b;
  b.AddMetadata("synthetic", "true");
  ASSERT_OK(b.AddBatch({Int64Column("n", {1, 2})}));
  std::string path = (dir.path() / "x.arrow").string();
  ASSERT_OK(WriteIpcFile(FileSystem::Default(), path, b.table()));
  std::ostringstream out, err;
  EXPECT_EQ(RunArrowCommand({"cat", path}, out, err), 0);
  EXPECT_EQ(out.str(), "{\"n\":1}\n{\"n\":2}\n");
  out.str("");
  EXPECT_EQ(RunArrowCommand({"schema", path}, out, err), 0);
  EXPECT_NE(out.str().find("\"n\": int64"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\"synthetic\": \"true\""), std::string::npos) << out.str();
  std::string bad = (dir.path() / "bad.arrow").string();
  {
    std::FILE* f = std::fopen(bad.c_str(), "wb");
    std::fputs("ARROW1 not really", f);
    std::fclose(f);
  }
  std::ostringstream err2;
  EXPECT_EQ(RunArrowCommand({"cat", bad}, out, err2), 1);
  const std::string message = err2.str();
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;
  EXPECT_EQ(RunArrowCommand({"cat", (dir.path() / "missing").string()}, out, err), 1);
  EXPECT_EQ(RunArrowCommand({"frobnicate"}, out, err), 2);
}

}  // namespace
}  // namespace dolphin::arrow
