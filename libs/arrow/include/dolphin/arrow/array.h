// Decoded Arrow data: buffers, arrays, record batches and tables.
//
// An Array is purely physical (validity bitmap, offsets, values, children, dictionary); its
// logical type comes from the Field it is paired with (Table::schema). Arrays produced by the
// reader are validated: every offset, index and child length is within bounds, so the accessors
// below never read outside their buffers when used with the matching field.
//
// Ownership: buffers share ownership of the bytes they point into (the input file or a
// decompressed buffer), so a Table, RecordBatch or Array stays valid on its own.
// Thread-safety: immutable after construction; const objects may be shared between threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dolphin/arrow/schema.h"
#include "dolphin/core/result.h"

namespace dolphin::arrow {

// A byte range kept alive by `owner`.
struct Buffer {
  std::shared_ptr<const void> owner;
  const uint8_t* data = nullptr;
  int64_t size = 0;

  // Little-endian load of the i-th element of type T (no alignment required).
  template <typename T>
  T Get(int64_t i) const {
    T v;
    std::memcpy(&v, data + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return v;
  }
  bool Bit(int64_t i) const { return (data[i >> 3] >> (i & 7)) & 1; }
};

// Makes a buffer that owns a copy of `bytes`.
Buffer MakeBuffer(std::vector<uint8_t> bytes);

struct Dictionary;

struct Array {
  int64_t length = 0;
  int64_t null_count = 0;
  // Validity bitmap; empty means "all valid" (for the null type: all null).
  Buffer validity;
  // Offsets (int32 or int64) of variable-size binary and list kinds.
  Buffer offsets;
  // Fixed-width values, bit-packed booleans, dictionary indices, or the bytes of binary kinds.
  Buffer values;
  std::vector<std::shared_ptr<const Array>> children;
  // Set on arrays of dictionary-encoded fields: `values` then holds the indices.
  std::shared_ptr<const Dictionary> dictionary;

  // REQUIRES: 0 <= i < length. Arrays of TypeId::kNull have no bitmap: check the type first.
  bool IsValid(int64_t i) const { return validity.size == 0 || validity.Bit(i); }
};

// The values of one dictionary id, as one or more chunks (a stream's delta batches append chunks).
struct Dictionary {
  std::vector<std::shared_ptr<const Array>> chunks;
  int64_t length = 0;

  // Chunk holding dictionary index `index` and the index inside that chunk.
  // REQUIRES: 0 <= index < length.
  std::pair<const Array*, int64_t> Locate(int64_t index) const;
};

struct RecordBatch {
  int64_t num_rows = 0;
  std::vector<std::shared_ptr<const Array>> columns;  // one per schema field
};

enum class IpcFormat : uint8_t { kFile, kStream };

struct Table {
  std::shared_ptr<const Schema> schema;
  std::vector<RecordBatch> batches;
  // How the table was read (the writer ignores these).
  IpcFormat format = IpcFormat::kFile;
  MetadataVersion version = MetadataVersion::kV5;

  int64_t num_rows() const;
  // Index of the first top-level column called `name`, or -1.
  int ColumnIndex(std::string_view name) const { return schema ? schema->FieldIndex(name) : -1; }
};

// ---- Scalar access, for consumers that build their own values (the bridge). ----
//
// Each takes a table, a column name and a row number counted over all batches. Dictionary-encoded
// columns are resolved to their values. Errors: NotFound (no such column / row out of range),
// InvalidArgument (the column's type does not fit the accessor, or the value is null).

// Integers of any width, and the integer-backed types (date, time, timestamp, duration) as their
// raw stored value (e.g. microseconds for timestamp[us]).
Result<int64_t> GetInt64(const Table& table, std::string_view column, int64_t row);
// float16/32/64, or an integer converted to double.
Result<double> GetFloat64(const Table& table, std::string_view column, int64_t row);
Result<std::string> GetString(const Table& table, std::string_view column, int64_t row);
// A list column (list / large_list / fixed_size_list) of utf8 or of floats. Null items are an
// error for the string list and NaN for the float list.
Result<std::vector<std::string>> GetStringList(const Table& table, std::string_view column,
                                               int64_t row);
Result<std::vector<double>> GetFloat64List(const Table& table, std::string_view column,
                                           int64_t row);

// Lower-level access to one value of a validated (field, array) pair; `i` must be in range.
// Resolves a dictionary-encoded slot to (values array, index); identity otherwise.
std::pair<const Array*, int64_t> ResolveDictionary(const Field& field, const Array& array,
                                                   int64_t i);
// Raw integer of an integer-backed type (not dictionary-resolved).
int64_t IntegerAt(TypeId id, const Array& array, int64_t i);
// Bytes of a binary kind (utf8, large_utf8, binary, large_binary, fixed_size_binary).
std::string_view BytesAt(const DataType& type, const Array& array, int64_t i);
// [begin, end) child range of a list kind (list, large_list, fixed_size_list, map).
std::pair<int64_t, int64_t> ListRangeAt(const DataType& type, const Array& array, int64_t i);
// The value of an IEEE 754 half-precision float (a float16 slot's raw bits).
float HalfToFloat(uint16_t h);

}  // namespace dolphin::arrow
