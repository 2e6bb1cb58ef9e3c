// Files whose footer has no metadata version (pre-0.15 writers other than Arrow C++ left it out;
// an unset field reads as V1): the file's version comes from its schema message, and files with
// no record batch or only a zero-length one read like any other. pyarrow-written legacy files
// are covered by interop_test.cc; these need no peer.
#include <cstring>

#include <gtest/gtest.h>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/testing/testing.h"

namespace dolphin::arrow {
namespace {

using dolphin::testing::StatusHasMessage;

uint32_t Load32(const std::string& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

// Marks the footer's version field (field 0) absent in its vtable; the FlatBuffer stays valid.
std::string WithoutFooterVersion(std::string bytes) {
  const size_t n = bytes.size();
  const auto footer_len = static_cast<int32_t>(Load32(bytes, n - 10));
  const size_t footer = n - 10 - static_cast<size_t>(footer_len);
  const size_t table = footer + Load32(bytes, footer);
  const size_t vtable = table - static_cast<size_t>(static_cast<int32_t>(Load32(bytes, table)));
  EXPECT_NE(bytes[vtable + 4] | bytes[vtable + 5], 0) << "the writer stored a footer version";
  bytes[vtable + 4] = 0;
  bytes[vtable + 5] = 0;
  return bytes;
}

Result<Table> Read(const std::string& bytes) {
  return ReadIpc(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

TableBuilder Builder(int batches, int64_t rows) {
  TableBuilder b;
  b.AddMetadata("source", "test");
  for (int k = 0; k < batches; ++k) {
    std::vector<int64_t> n(static_cast<size_t>(rows), k);
    std::vector<std::vector<std::string>> assets(static_cast<size_t>(rows), {"BTCUSDT"});
    EXPECT_OK(b.AddBatch({Int64Column("n", n), Utf8ListColumn("assets", assets)}));
  }
  return b;
}

TEST(LegacyFooterTest, FileWithoutFooterVersionTakesTheSchemaMessageVersion) {
  struct Case {
    const char* what;
    int batches;
    int64_t rows;
  };
  for (const Case& c : {Case{"no record batch", 0, 0}, Case{"one zero-length batch", 1, 0},
                        Case{"two batches", 2, 3}}) {
    SCOPED_TRACE(c.what);
    TableBuilder b = Builder(c.batches, c.rows);
    if (c.batches == 0) {
      // A schema without batches: the builder takes its fields from the first batch.
      ASSERT_OK(b.AddBatch({Int64Column("n", {}), Utf8ListColumn("assets", {})}));
    }
    Table t = b.table();
    if (c.batches == 0) t.batches.clear();
    auto bytes = WriteIpc(t);
    ASSERT_OK(bytes);
    auto plain = Read(*bytes);
    ASSERT_OK(plain);
    auto patched = Read(WithoutFooterVersion(*bytes));
    ASSERT_OK(patched);
    EXPECT_EQ(patched->version, plain->version);
    EXPECT_EQ(patched->batches.size(), static_cast<size_t>(c.batches));
    EXPECT_EQ(patched->num_rows(), c.batches * c.rows);
    ASSERT_EQ(patched->schema->fields.size(), 2u);
    EXPECT_EQ(patched->schema->metadata, (Metadata{{"source", "test"}}));
  }
}

TEST(LegacyFooterTest, FileWithoutFooterVersionAndAnUnreadableSchemaMessageIsAClearError) {
  auto bytes = WriteIpc(Builder(1, 2).table());
  ASSERT_OK(bytes);
  std::string broken = WithoutFooterVersion(*bytes);
  ASSERT_EQ(Load32(broken, 8), 0xFFFFFFFFu);  // the continuation marker before the length
  // The schema message's length prefix (after the continuation marker) points past the footer.
  const uint32_t huge = 0x7FFFFFF0;
  std::memcpy(broken.data() + 12, &huge, 4);
  EXPECT_THAT(Read(broken), StatusHasMessage("footer has no metadata version"));
}

}  // namespace
}  // namespace dolphin::arrow
