// Interop with real Arrow implementations (label `integration`):
//  - files written by pyarrow (new_file, new_stream, feather default LZ4, ZSTD, legacy V4 stream;
//    legacy V4 files and streams with no batch, a zero-length batch or several batches)
//    and by apache-arrow JS (file + stream, 400 assets, dictionary-encoded symbols) decode to the
//    values they wrote;
//  - files written by our writer read back unchanged with pyarrow (full validation).
// Peers: .venv/bin/python (scripts/setup.d/10-python-venv.sh) and tests/interop/node/node_modules
// (scripts/setup.d/20-node-arrow.sh). Under CI=true a missing peer fails; otherwise a loud skip.
#include <sstream>

#include <gtest/gtest.h>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/arrow/json_writer.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/testing.h"
#include "test_util.h"

namespace dolphin::arrow {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;
using testing::ShellQuote;
using testing::SourceDir;

fs::path Python() { return SourceDir() / ".venv" / "bin" / "python"; }
fs::path InteropDir() { return SourceDir() / "tests" / "interop"; }

#define REQUIRE_PEER(ok, what)                                               \
  do {                                                                       \
    if (!(ok)) {                                                             \
      if (dolphin::testing::InCi()) FAIL() << what << " missing (CI=true)";  \
      GTEST_SKIP() << "INTEROP PEER MISSING: " << what << " - test NOT run"; \
    }                                                                        \
  } while (false)

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string OurRows(const Table& t) { return EncodeJsonLines(t); }

// Compares JSON Lines value by value (numbers compare numerically, so 100 == 100.0).
void ExpectSameRows(const std::vector<std::string>& ours, const std::vector<std::string>& theirs,
                    const std::string& what) {
  ASSERT_EQ(ours.size(), theirs.size()) << what;
  for (size_t i = 0; i < ours.size(); ++i) {
    auto a = ParseJson(ours[i], "ours");
    auto b = ParseJson(theirs[i], "theirs");
    ASSERT_OK(a);
    ASSERT_OK(b);
    // Key order is part of the contract (schema order): compare the dumps of ordered_json.
    if (*a == *b) continue;
    std::string diff;
    if (a->is_object() && b->is_object()) {
      for (auto it = a->begin(); it != a->end(); ++it) {
        if (!b->contains(it.key()) || (*b)[it.key()] != it.value()) {
          diff += "\n key " + it.key() + ": ours " + DumpJson(it.value()).substr(0, 200) +
                  " theirs " +
                  (b->contains(it.key()) ? DumpJson((*b)[it.key()]).substr(0, 200) : "-");
        }
      }
    }
    ADD_FAILURE() << what << " row " << i << " differs:" << diff;
  }
}

void CheckWrittenFiles(const std::string& listing, const std::string& who) {
  int files = 0;
  for (const std::string& path : Lines(listing)) {
    SCOPED_TRACE(path);
    auto table = ReadIpcFile(path);
    ASSERT_OK(table);
    auto expected = ReadFileBytes(path + ".expected.jsonl");
    ASSERT_OK(expected);
    ExpectSameRows(Lines(OurRows(*table)), Lines(std::string(expected->begin(), expected->end())),
                   who + " " + path);
    ++files;
  }
  EXPECT_GT(files, 0) << who << " wrote nothing";
}

// Runs write_pyarrow.py into `dir`; the listing of the files it wrote.
std::string WritePyarrowFiles(const fs::path& dir, int* rc) {
  return RunCommand("PYTHONPATH=" + ShellQuote((InteropDir() / "python").string()) + " " +
                        ShellQuote(Python().string()) + " " +
                        ShellQuote((InteropDir() / "python" / "write_pyarrow.py").string()) + " " +
                        ShellQuote(dir.string()),
                    rc);
}

TEST(ArrowInteropTest, PyarrowWrittenFilesDecodeToTheirValues) {
  REQUIRE_PEER(fs::exists(Python()), ".venv with pyarrow (run scripts/setup.d/10-python-venv.sh)");
  dolphin::testing::TempDir dir;
  int rc = -1;
  std::string listing = WritePyarrowFiles(dir.path(), &rc);
  ASSERT_EQ(rc, 0) << listing;
  CheckWrittenFiles(listing, "pyarrow");
  // The legacy (pre-0.15, no continuation marker) V4 stream really is legacy.
  auto legacy = ReadFileBytes((dir.path() / "pyarrow_legacy_stream.arrows").string());
  ASSERT_OK(legacy);
  ASSERT_GE(legacy->size(), 4u);
  EXPECT_NE(std::vector<uint8_t>(legacy->begin(), legacy->begin() + 4),
            (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF}));
  auto t = ReadIpcFile((dir.path() / "pyarrow_legacy_stream.arrows").string());
  ASSERT_OK(t);
  EXPECT_EQ(t->version, MetadataVersion::kV4);
  EXPECT_EQ(t->schema->metadata, (Metadata{{"source", "pyarrow"}, {"synthetic", "false"}}));
  // Delta dictionaries really were deltas (the second batch's dictionary has two chunks), and a
  // replaced dictionary replaced the first one for later batches only.
  auto deltas = ReadIpcFile((dir.path() / "pyarrow_stream_deltas.arrows").string());
  ASSERT_OK(deltas);
  ASSERT_EQ(deltas->batches.size(), 2u);
  EXPECT_EQ(deltas->batches[0].columns[0]->dictionary->chunks.size(), 1u);
  EXPECT_EQ(deltas->batches[1].columns[0]->dictionary->chunks.size(), 2u);
  EXPECT_EQ(deltas->batches[1].columns[0]->dictionary->length, 4);
  auto replaced = ReadIpcFile((dir.path() / "pyarrow_stream_replaced.arrows").string());
  ASSERT_OK(replaced);
  ASSERT_EQ(replaced->batches.size(), 2u);
  EXPECT_NE(replaced->batches[0].columns[0]->dictionary,
            replaced->batches[1].columns[0]->dictionary);
  // Our writer re-emits the replacement in stream format; pyarrow-equivalent rows come back.
  WriterOptions o;
  o.format = IpcFormat::kStream;
  auto bytes = WriteIpc(*replaced, o);
  ASSERT_OK(bytes);
  auto back = ReadIpc(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
  ASSERT_OK(back);
  EXPECT_EQ(OurRows(*back), OurRows(*replaced));
}

TEST(ArrowInteropTest, ArrowJsWrittenFilesDecodeToTheirValues) {
  fs::path node_dir = InteropDir() / "node";
  REQUIRE_PEER(fs::exists(node_dir / "node_modules" / "apache-arrow"),
               "apache-arrow JS (run scripts/setup.d/20-node-arrow.sh)");
  dolphin::testing::TempDir dir;
  int rc = -1;
  std::string listing =
      RunCommand("cd " + ShellQuote(node_dir.string()) + " && node write_arrow.mjs " +
                     ShellQuote(dir.path().string()),
                 &rc);
  ASSERT_EQ(rc, 0) << listing;
  CheckWrittenFiles(listing, "apache-arrow JS");
  auto t = ReadIpcFile((dir.path() / "js_file.arrow").string());
  ASSERT_OK(t);
  int c = t->ColumnIndex("symbol");
  ASSERT_GE(c, 0);
  EXPECT_TRUE(t->schema->fields[static_cast<size_t>(c)].dictionary.has_value());
  EXPECT_EQ(t->num_rows(), 400);
}

struct OurCase {
  IpcFormat format;
  Compression compression;
  bool dictionary;
  std::string name;
};

class PyarrowReadsOurFilesTest : public ::testing::TestWithParam<OurCase> {};

TEST_P(PyarrowReadsOurFilesTest, RowsAndMetadataUnchanged) {
  REQUIRE_PEER(fs::exists(Python()), ".venv with pyarrow (run scripts/setup.d/10-python-venv.sh)");
  TableBuilder b;
  b.AddMetadata("synthetic", "true");
  for (int k = 0; k < 2; ++k) {
    std::vector<std::string> assets;
    std::vector<double> prices;
    for (int i = 0; i < 400; ++i) {
      assets.push_back(i == 0 ? "BTCUSDT" : i == 1 ? "ETHUSDT" : "S" + std::to_string(i) + "USDT");
      prices.push_back(1000.0 / (i + 1) + k);
    }
    ASSERT_OK(b.AddBatch(
        {Int64Column("scan_number", {100 + k, 200 + k}),
         TimestampColumn("timestamp", TimeUnit::kMicro, "UTC", {1774434601123456, -1}),
         Utf8ListColumn("assets", {assets, {}}), Float64ListColumn("asset_prices", {prices, {}}),
         Float64Column("vel_div", {0.1, -2.5e-7}, {true, false}), BoolColumn("b", {true, false}),
         Utf8Column("regime", {"BULL", "TRANSITION"}),
         TimestampColumn("naive", TimeUnit::kNano, "", {1, 2}),
         Int64ListColumn("ints", {{1, 2}, {3}}),
         StructColumn("s", {Int64Column("x", {1, 2}), Utf8Column("y", {"p", "q"}, {true, false})},
                      {true, false})}));
  }
  WriterOptions o;
  o.format = GetParam().format;
  o.compression = GetParam().compression;
  if (GetParam().dictionary) o.dictionary_columns = {"assets", "regime"};
  dolphin::testing::TempDir dir;
  std::string path = (dir.path() / "ours.arrow").string();
  ASSERT_OK(WriteIpcFile(FileSystem::Default(), path, b.table(), o));
  int rc = -1;
  std::string out =
      RunCommand("PYTHONPATH=" + ShellQuote((InteropDir() / "python").string()) + " " +
                     ShellQuote(Python().string()) + " " +
                     ShellQuote((InteropDir() / "python" / "read_with_pyarrow.py").string()) + " " +
                     ShellQuote(path) + " 2>&1",
                 &rc);
  ASSERT_EQ(rc, 0) << out;
  std::vector<std::string> theirs = Lines(out);
  ASSERT_FALSE(theirs.empty());
  std::string schema_line = theirs.back();
  theirs.pop_back();
  ASSERT_EQ(schema_line.rfind("#schema ", 0), 0u) << schema_line;
  auto schema = ParseJson(schema_line.substr(8), "schema line");
  ASSERT_OK(schema);
  EXPECT_EQ((*schema)["metadata"]["synthetic"], "true");
  std::string types = DumpJson((*schema)["types"]);
  EXPECT_EQ(types.find("dictionary") != std::string::npos, GetParam().dictionary) << types;
  auto ours = ReadIpcFile(path);
  ASSERT_OK(ours);
  ExpectSameRows(Lines(OurRows(*ours)), theirs, "pyarrow reading our " + GetParam().name);
  // And what pyarrow sees equals what we wrote (not only what we read back).
  ExpectSameRows(Lines(OurRows(b.table())), theirs, "pyarrow vs source " + GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(
    AllOptions, PyarrowReadsOurFilesTest,
    ::testing::Values(OurCase{IpcFormat::kFile, Compression::kNone, false, "FilePlain"},
                      OurCase{IpcFormat::kStream, Compression::kNone, false, "StreamPlain"},
                      OurCase{IpcFormat::kFile, Compression::kLz4Frame, false, "FileLz4"},
                      OurCase{IpcFormat::kFile, Compression::kZstd, true, "FileZstdDict"},
                      OurCase{IpcFormat::kStream, Compression::kLz4Frame, true, "StreamLz4Dict"},
                      OurCase{IpcFormat::kStream, Compression::kZstd, false, "StreamZstd"}),
    [](const auto& info) { return info.param.name; });

// Issue 10: pre-0.15 ("legacy") V4 files and streams that pyarrow writes (no continuation
// marker, 4-byte end-of-stream) with no record batch, with one zero-length batch and, for
// contrast, with batches; and the same files with no version in the footer (as other pre-0.15
// writers left it; it reads as V1 and was refused). All decode, as pyarrow reads them (the
// script reads each back before listing it; CheckWrittenFiles compares the rows).
TEST(ArrowInteropTest, PyarrowLegacyFilesWithNoOrEmptyBatchesDecode) {
  REQUIRE_PEER(fs::exists(Python()), ".venv with pyarrow (run scripts/setup.d/10-python-venv.sh)");
  dolphin::testing::TempDir dir;
  int rc = -1;
  std::string listing = WritePyarrowFiles(dir.path(), &rc);
  ASSERT_EQ(rc, 0) << listing;
  CheckWrittenFiles(listing, "pyarrow");
  struct Case {
    const char* name;
    size_t batches;
    int64_t rows;
  };
  const Case cases[] = {{"zero_batches", 0, 0}, {"empty_batch", 1, 0}, {"batches", 2, 3}};
  int checked = 0;
  for (const Case& c : cases) {
    for (const std::string& kind : {std::string("file"), std::string("stream")}) {
      for (const bool patched : {false, true}) {
        if (patched && kind == "stream") continue;  // a stream has no footer
        const std::string name = "pyarrow_legacy_" + kind + "_" + c.name +
                                 (patched ? "_no_footer_version" : "") +
                                 (kind == "file" ? ".arrow" : ".arrows");
        SCOPED_TRACE(name);
        const fs::path path = dir.path() / name;
        auto bytes = ReadFileBytes(path.string());
        ASSERT_OK(bytes);
        // Really legacy: the first message's length has no 0xFFFFFFFF marker before it.
        const size_t first = kind == "file" ? 8 : 0;
        ASSERT_GE(bytes->size(), first + 4);
        EXPECT_NE(std::vector<uint8_t>(bytes->begin() + first, bytes->begin() + first + 4),
                  (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF}));
        auto t = ReadIpcFile(path.string());
        ASSERT_OK(t);
        EXPECT_EQ(t->format, kind == "file" ? IpcFormat::kFile : IpcFormat::kStream);
        EXPECT_EQ(t->batches.size(), c.batches);
        EXPECT_EQ(t->num_rows(), c.rows);
        for (const RecordBatch& b : t->batches)
          EXPECT_EQ(b.columns.size(), t->schema->fields.size());
        EXPECT_EQ(t->schema->fields.size(), 16u);
        EXPECT_EQ(t->schema->metadata, (Metadata{{"source", "pyarrow"}, {"synthetic", "false"}}));
        // Streams carry V4 messages; pyarrow's footer says V5 even then; without a footer
        // version the file's version is its schema message's, V4.
        EXPECT_EQ(t->version,
                  kind == "file" && !patched ? MetadataVersion::kV5 : MetadataVersion::kV4);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 9);
}

}  // namespace
}  // namespace dolphin::arrow
