// Arrow IPC writer (file or stream format, metadata V5, optional LZ4_FRAME / ZSTD body
// compression, optional dictionary encoding of utf8 and list<utf8> columns), plus builders that
// turn C++ vectors into columns. Files it writes read back unchanged with pyarrow.
//
// Typical use (the simulator's scan file):
//   TableBuilder b;
//   b.AddMetadata("synthetic", "true");
//   DOLPHIN_RETURN_IF_ERROR(b.AddBatch({
//       Int64Column("scan_number", {42}),
//       TimestampColumn("timestamp", TimeUnit::kMicro, "UTC", {ts_us}),
//       Utf8ListColumn("assets", {{"BTCUSDT", "ETHUSDT"}}),
//       Float64ListColumn("asset_prices", {{97000.5, 3400.25}}),
//       Utf8Column("regime", {"BULL"})}));
//   WriterOptions o;  o.compression = Compression::kLz4Frame;
//   DOLPHIN_RETURN_IF_ERROR(WriteIpcFile(env.fs, path, b.table(), o));
//
// Thread-safety: builders are not thread-safe; WriteIpc is reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dolphin/arrow/array.h"
#include "dolphin/arrow/schema.h"
#include "dolphin/core/file_system.h"
#include "dolphin/core/result.h"

namespace dolphin::arrow {

enum class Compression : uint8_t { kNone, kLz4Frame, kZstd };

struct WriterOptions {
  // File format ("ARROW1" + footer) or stream format (ends with the 0xFFFFFFFF 0 marker).
  // Default: file.
  IpcFormat format = IpcFormat::kFile;
  // Body compression of every record/dictionary batch. Default: none.
  Compression compression = Compression::kNone;
  // Top-level columns to dictionary-encode (int32 indices): a utf8 column, or a list of utf8
  // whose items are encoded. One dictionary per column, shared by all batches. Default: none.
  std::vector<std::string> dictionary_columns;
};

// One column of one record batch: its field and its data.
struct Column {
  Field field;
  std::shared_ptr<const Array> array;
};

// Column builders. `valid` marks non-null rows; empty means all valid (else it must have the
// same size as `values`). Values at null rows are written but meaningless.
Column Int64Column(std::string name, const std::vector<int64_t>& values,
                   const std::vector<bool>& valid = {});
Column Int32Column(std::string name, const std::vector<int32_t>& values,
                   const std::vector<bool>& valid = {});
Column Float64Column(std::string name, const std::vector<double>& values,
                     const std::vector<bool>& valid = {});
Column BoolColumn(std::string name, const std::vector<bool>& values,
                  const std::vector<bool>& valid = {});
Column Utf8Column(std::string name, const std::vector<std::string>& values,
                  const std::vector<bool>& valid = {});
// Raw values in `unit` since the Unix epoch; `timezone` empty for a naive timestamp.
Column TimestampColumn(std::string name, TimeUnit unit, std::string timezone,
                       const std::vector<int64_t>& values, const std::vector<bool>& valid = {});
// A list column over `items` (renamed "item"): row i holds items [offsets[i], offsets[i+1]).
// REQUIRES: offsets.size() == rows + 1, non-decreasing, offsets[0] == 0, last <= item count.
Column ListColumn(std::string name, Column items, const std::vector<int32_t>& offsets,
                  const std::vector<bool>& valid = {});
Column Utf8ListColumn(std::string name, const std::vector<std::vector<std::string>>& lists);
Column Float64ListColumn(std::string name, const std::vector<std::vector<double>>& lists);
Column Int64ListColumn(std::string name, const std::vector<std::vector<int64_t>>& lists);
// REQUIRES: every child has at least as many rows as the struct (rows = first child's count,
// or `valid.size()` when there are no children).
Column StructColumn(std::string name, std::vector<Column> children,
                    const std::vector<bool>& valid = {});

// Collects record batches into a Table.
class TableBuilder {
 public:
  // Adds a schema-level custom metadata pair (e.g. "synthetic" = "true").
  TableBuilder& AddMetadata(std::string key, std::string value);
  // Appends a record batch. The first batch fixes the schema; later batches must have the same
  // field names and types. All columns must have the same number of rows. InvalidArgument
  // otherwise.
  Status AddBatch(std::vector<Column> columns);
  // The table so far (shares data with the builder).
  Table table() const;

 private:
  std::shared_ptr<Schema> schema_ = std::make_shared<Schema>();
  std::vector<RecordBatch> batches_;
};

// Serialises `table` (schema, dictionaries, batches). InvalidArgument for a table the writer
// cannot express (unknown dictionary column, list offsets not starting at 0, ...).
Result<std::string> WriteIpc(const Table& table, const WriterOptions& options = {});
// Serialises `table` and writes it with fs.WriteAtomically (a temporary file in the same
// folder renamed into place, not synced), so readers never see a partial file.
Status WriteIpcFile(FileSystem& fs, const std::string& path, const Table& table,
                    const WriterOptions& options = {});

}  // namespace dolphin::arrow
