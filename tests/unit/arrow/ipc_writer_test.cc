// The writer: every format x compression round-trips through our reader, and every gold file
// survives read -> write -> read with identical rows.
#include "dolphin/arrow/ipc_writer.h"

#include <sstream>

#include <gtest/gtest.h>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/json_writer.h"
#include "dolphin/testing/testing.h"
#include "test_util.h"

namespace dolphin::arrow {
namespace {

std::string AllRows(const Table& t) { return EncodeJsonLines(t); }

Result<Table> ReadBack(const std::string& bytes) {
  return ReadIpc(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

Table ScanLike(int assets, int batches) {
  TableBuilder b;
  b.AddMetadata("synthetic", "true");
  for (int k = 0; k < batches; ++k) {
    std::vector<std::string> symbols;
    std::vector<double> prices;
    for (int i = 0; i < assets; ++i) {
      symbols.push_back("SYM" + std::to_string(i) + "USDT");
      prices.push_back(100.0 + i * 0.25 + k);
    }
    EXPECT_OK(b.AddBatch(
        {Int64Column("scan_number", {k}),
         TimestampColumn("timestamp", TimeUnit::kMicro, "UTC", {1774434601123456 + k}),
         Utf8ListColumn("assets", {symbols}), Float64ListColumn("asset_prices", {prices}),
         Float64Column("w50_lambda_max", {0.5}), BoolColumn("flag", {k % 2 == 0}),
         Utf8Column("regime", {"BULL"}, {k != 1}),
         StructColumn("st", {Int64Column("a", {k}), Utf8Column("b", {"x"})})}));
  }
  return b.table();
}

struct WriteCase {
  IpcFormat format;
  Compression compression;
  bool dictionary;
};

class WriterRoundTripTest : public ::testing::TestWithParam<WriteCase> {};

TEST_P(WriterRoundTripTest, ReadsBackIdentically) {
  Table t = ScanLike(400, 3);
  WriterOptions o;
  o.format = GetParam().format;
  o.compression = GetParam().compression;
  if (GetParam().dictionary) o.dictionary_columns = {"assets", "regime"};
  auto bytes = WriteIpc(t, o);
  ASSERT_OK(bytes);
  EXPECT_EQ(bytes->size() % 8, o.format == IpcFormat::kFile ? 2u : 0u);
  auto back = ReadBack(*bytes);
  ASSERT_OK(back);
  EXPECT_EQ(back->format, o.format);
  EXPECT_EQ(back->schema->metadata, t.schema->metadata);
  EXPECT_EQ(back->batches.size(), 3u);
  EXPECT_TRUE(AllRows(*back) == AllRows(t)) << "rows differ after the round trip";
  EXPECT_EQ(back->schema->fields[2].children[0].dictionary.has_value(), GetParam().dictionary);
}

INSTANTIATE_TEST_SUITE_P(
    AllOptions, WriterRoundTripTest,
    ::testing::Values(WriteCase{IpcFormat::kFile, Compression::kNone, false},
                      WriteCase{IpcFormat::kStream, Compression::kNone, false},
                      WriteCase{IpcFormat::kFile, Compression::kLz4Frame, false},
                      WriteCase{IpcFormat::kStream, Compression::kZstd, false},
                      WriteCase{IpcFormat::kFile, Compression::kZstd, true},
                      WriteCase{IpcFormat::kStream, Compression::kLz4Frame, true}),
    [](const auto& info) {
      return std::string(info.param.format == IpcFormat::kFile ? "File" : "Stream") +
             (info.param.compression == Compression::kNone       ? "Plain"
              : info.param.compression == Compression::kLz4Frame ? "Lz4"
                                                                 : "Zstd") +
             (info.param.dictionary ? "Dict" : "");
    });

TEST(WriterTest, RejectsMismatchedBatchesAndUnknownDictionaryColumns) {
  TableBuilder b;
  ASSERT_OK(b.AddBatch({Int64Column("a", {1})}));
  EXPECT_THAT(b.AddBatch({Float64Column("a", {1})}),
              dolphin::testing::StatusHasMessage("does not match"));
  EXPECT_THAT(b.AddBatch({Int64Column("a", {1}), Int64Column("b", {1, 2})}),
              dolphin::testing::StatusHasMessage("rows"));
  WriterOptions o;
  o.dictionary_columns = {"zz"};
  EXPECT_THAT(WriteIpc(b.table(), o), dolphin::testing::StatusHasMessage("no column 'zz'"));
  o.dictionary_columns = {"a"};
  EXPECT_THAT(WriteIpc(b.table(), o), dolphin::testing::StatusHasMessage("only utf8"));
}

TEST(WriterTest, WriteIpcFileRenamesIntoPlace) {
  dolphin::testing::TempDir dir;
  std::string path = (dir.path() / "scan.arrow").string();
  ASSERT_OK(WriteIpcFile(FileSystem::Default(), path, ScanLike(3, 1)));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto t = ReadIpcFile(path);
  ASSERT_OK(t);
  EXPECT_EQ(t->num_rows(), 1);
}

// Gold files: read, write in both formats (ZSTD), read again: same rows.
TEST(WriterTest, GoldFilesSurviveWriteAndReadBack) {
  auto root = testing::SharedArrowData() / "integration";
  int checked = 0;
  for (const auto& sub : {"1.0.0-littleendian", "2.0.0-compression"}) {
    for (const auto& p : testing::ListFiles(root / sub)) {
      if (p.extension() != ".stream") continue;
      SCOPED_TRACE(p.string());
      auto t = ReadIpcFile(p.string());
      ASSERT_OK(t);
      for (IpcFormat format : {IpcFormat::kFile, IpcFormat::kStream}) {
        WriterOptions o;
        o.format = format;
        o.compression = Compression::kZstd;
        auto bytes = WriteIpc(*t, o);
        ASSERT_OK(bytes);
        auto back = ReadBack(*bytes);
        ASSERT_OK(back) << (format == IpcFormat::kFile ? "file" : "stream");
        EXPECT_TRUE(AllRows(*back) == AllRows(*t)) << "rows differ after the round trip";
        ++checked;
      }
    }
  }
  if (checked == 0) {
    if (dolphin::testing::InCi()) FAIL() << "gold files missing under " << root;
    GTEST_SKIP() << "GOLD FILES MISSING under " << root;
  }
}

}  // namespace
}  // namespace dolphin::arrow
