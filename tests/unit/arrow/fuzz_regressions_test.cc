// Hostile input: every file of Arrow's OSS-Fuzz regression set (../shared/testdata/arrow/
// fuzz-regressions, both subfolders) and of our own fuzzer findings (tests/data/arrow/
// fuzz-regressions) is rejected with an error or decoded, never crashing, hanging or leaking
// (this binary runs under ASan/UBSan in CI). Also truncations and bit flips of the gold files.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/json_writer.h"
#include "dolphin/testing/testing.h"
#include "test_util.h"

namespace dolphin::arrow {
namespace {

using testing::ListFiles;
using testing::SharedArrowData;

// Decodes and, when it decodes, renders every row (the encoder must be safe on whatever the
// reader accepted). Returns the status.
Status DecodeAndRender(std::span<const uint8_t> bytes, size_t* rendered = nullptr) {
  ReaderOptions options;
  auto table = ReadIpc(bytes, options);
  if (!table.ok()) return table.status();
  std::string out;
  for (size_t b = 0; b < table->batches.size(); ++b) {
    for (int64_t r = 0; r < table->batches[b].num_rows && out.size() < (8u << 20); ++r) {
      EncodeRowJson(*table, b, r, out);
    }
  }
  if (rendered != nullptr) *rendered = out.size();
  return Status::Ok();
}

void ReplayFolder(const std::filesystem::path& dir, bool required, int* decoded, int* rejected) {
  auto files = ListFiles(dir);
  if (files.empty()) {
    if (required && dolphin::testing::InCi()) FAIL() << "no files in " << dir;
    if (required) GTEST_SKIP() << "FUZZ REGRESSION FILES MISSING at " << dir << " - not tested";
    return;
  }
  for (const auto& p : files) {
    SCOPED_TRACE(p.string());
    auto bytes = ReadFileBytes(p.string());
    ASSERT_OK(bytes);
    Status s = DecodeAndRender(*bytes);
    if (s.ok()) {
      std::cout << "decoded (valid input): " << p.filename().string() << "\n";
      ++*decoded;
    } else {
      ++*rejected;
      // One line, saying what is wrong.
      EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
      EXPECT_FALSE(s.message().empty());
    }
  }
}

TEST(FuzzRegressionTest, ArrowOssFuzzFileFormatCasesAreRejectedSafely) {
  int decoded = 0, rejected = 0;
  ReplayFolder(SharedArrowData() / "fuzz-regressions" / "arrow-ipc-file", true, &decoded,
               &rejected);
  std::cout << "arrow-ipc-file: " << rejected << " rejected, " << decoded << " decoded\n";
  EXPECT_GT(rejected, 0);
}

TEST(FuzzRegressionTest, ArrowOssFuzzStreamCasesAreRejectedSafely) {
  int decoded = 0, rejected = 0;
  ReplayFolder(SharedArrowData() / "fuzz-regressions" / "arrow-ipc-stream", true, &decoded,
               &rejected);
  std::cout << "arrow-ipc-stream: " << rejected << " rejected, " << decoded << " decoded\n";
  EXPECT_GT(rejected, 0);
}

TEST(FuzzRegressionTest, OwnFuzzerFindingsAreRejectedSafely) {
  int decoded = 0, rejected = 0;
  ReplayFolder(testing::SourceDir() / "tests" / "data" / "arrow" / "fuzz-regressions", false,
               &decoded, &rejected);
  std::cout << "own findings: " << rejected << " rejected, " << decoded << " decoded\n";
}

// Every prefix length and a spread of single-byte corruptions of a few gold files.
TEST(FuzzRegressionTest, TruncatedAndCorruptedGoldFilesFailCleanly) {
  auto dir = SharedArrowData() / "integration";
  std::vector<std::filesystem::path> picks = {
      dir / "1.0.0-littleendian" / "generated_nested_dictionary.stream",
      dir / "1.0.0-littleendian" / "generated_map.arrow_file",
      dir / "2.0.0-compression" / "generated_lz4.stream",
      dir / "2.0.0-compression" / "generated_zstd.arrow_file",
  };
  for (const auto& p : picks) {
    if (!std::filesystem::exists(p)) {
      if (dolphin::testing::InCi()) FAIL() << "missing " << p;
      GTEST_SKIP() << "GOLD FILES MISSING: " << p;
    }
    auto bytes = ReadFileBytes(p.string());
    ASSERT_OK(bytes);
    std::span<const uint8_t> all(*bytes);
    for (size_t n = 0; n < all.size(); n += (n < 512 ? 1 : 7)) {
      DecodeAndRender(all.first(n)).IgnoreError();
    }
    std::vector<uint8_t> copy = *bytes;
    for (size_t i = 0; i < copy.size(); i += 3) {
      uint8_t saved = copy[i];
      for (uint8_t v : {uint8_t{0}, uint8_t{0xFF}, static_cast<uint8_t>(saved ^ 0x40)}) {
        copy[i] = v;
        DecodeAndRender(copy).IgnoreError();
      }
      copy[i] = saved;
    }
  }
}

TEST(FuzzRegressionTest, DecodedBytesAreCappedByOptions) {
  auto p = SharedArrowData() / "integration" / "2.0.0-compression" / "generated_lz4.arrow_file";
  if (!std::filesystem::exists(p)) {
    if (dolphin::testing::InCi()) FAIL() << "missing " << p;
    GTEST_SKIP() << "GOLD FILES MISSING: " << p;
  }
  ReaderOptions tiny;
  tiny.max_decoded_bytes = 64;
  EXPECT_THAT(ReadIpcFile(p.string(), tiny), dolphin::testing::StatusHasMessage("limit"));
  ReaderOptions shallow;
  shallow.max_nesting_depth = 0;
  EXPECT_THAT(ReadIpcFile(p.string(), shallow), dolphin::testing::StatusHasMessage("depth"));
}

// Hand-made by tests/interop/python/make_hostile.py: each hits one specific bound.
TEST(FuzzRegressionTest, HandmadeHostileInputsHitTheirBounds) {
  auto dir = testing::SourceDir() / "tests" / "data" / "arrow" / "fuzz-regressions";
  const std::pair<const char*, const char*> cases[] = {
      {"handmade-field-dag.arrows", "decoded-size limit"},        // 2^30 fields via shared tables
      {"handmade-deep-nesting.arrows", "nesting depth exceeds"},  // 5000 levels
      {"handmade-null-rows.arrows", "rows without data"},         // null column, 2^40 rows
      {"handmade-columnless-rows.arrows", "rows without data"},   // no columns, 2^62 rows
  };
  for (const auto& [file, message] : cases) {
    SCOPED_TRACE(file);
    EXPECT_THAT(ReadIpcFile((dir / file).string()), dolphin::testing::StatusHasMessage(message));
  }
}

TEST(FuzzRegressionTest, GarbageAndEmptyInputsAreErrors) {
  std::vector<uint8_t> empty;
  EXPECT_FALSE(ReadIpc(empty).ok());
  std::vector<uint8_t> magic = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};
  EXPECT_THAT(ReadIpc(magic), dolphin::testing::StatusHasMessage("ARROW1"));
  std::vector<uint8_t> eos = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
  EXPECT_THAT(ReadIpc(eos), dolphin::testing::StatusHasMessage("schema"));
  std::vector<uint8_t> huge = {0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0x7F};
  EXPECT_THAT(ReadIpc(huge), dolphin::testing::StatusHasMessage("metadata length"));
}

}  // namespace
}  // namespace dolphin::arrow
