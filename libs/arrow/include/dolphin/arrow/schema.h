// Arrow schema model: data types, fields and schemas as decoded from (or written to) Arrow IPC
// metadata. Only the types dolphin supports are representable; anything else is rejected by the
// reader with an "unsupported type" error naming the field.
//
// Thread-safety: plain value types; distinct objects may be used from distinct threads, and a
// const object may be shared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dolphin::arrow {

enum class TypeId : uint8_t {
  kNull,
  kBool,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kFloat16,
  kFloat32,
  kFloat64,
  kUtf8,
  kLargeUtf8,
  kBinary,
  kLargeBinary,
  kFixedSizeBinary,
  kDate32,  // days since the Unix epoch
  kDate64,  // milliseconds since the Unix epoch
  kTime32,  // unit second or millisecond
  kTime64,  // unit microsecond or nanosecond
  kTimestamp,
  kDuration,
  kList,
  kLargeList,
  kFixedSizeList,
  kStruct,
  kMap,
};

enum class TimeUnit : uint8_t { kSecond = 0, kMilli = 1, kMicro = 2, kNano = 3 };

// Custom metadata: ordered key/value pairs (Arrow allows duplicates, so not a map).
using Metadata = std::vector<std::pair<std::string, std::string>>;

struct DataType {
  TypeId id = TypeId::kNull;
  // kTime32/kTime64/kTimestamp/kDuration.
  TimeUnit unit = TimeUnit::kSecond;
  // kTimestamp: time zone, empty for a naive timestamp.
  std::string timezone;
  // kFixedSizeBinary: bytes per value; kFixedSizeList: values per list.
  int32_t width = 0;
  // kMap.
  bool keys_sorted = false;
};

// Dictionary encoding of a field: the field's `type` is the type of the dictionary values, the
// column itself holds integer indices of type `index_type`.
struct DictionaryEncoding {
  int64_t id = 0;
  TypeId index_type = TypeId::kInt32;  // one of the integer types
  bool ordered = false;
};

struct Field {
  std::string name;
  DataType type;
  bool nullable = true;
  // Children of nested types: list kinds exactly one (the item), map exactly one (a struct of
  // key and value), struct any number. Empty for other types.
  std::vector<Field> children;
  std::optional<DictionaryEncoding> dictionary;
  Metadata metadata;
};

enum class MetadataVersion : uint8_t { kV4 = 3, kV5 = 4 };

struct Schema {
  std::vector<Field> fields;
  Metadata metadata;

  // Index of the first top-level field called `name`, or -1.
  int FieldIndex(std::string_view name) const;
};

// Helpers for type predicates and text.
bool IsInteger(TypeId id);
bool IsSignedInteger(TypeId id);
// Byte width of fixed-width primitive types (ints, floats, dates, times, timestamp, duration),
// 0 for others (bool is bit-packed and reports 0).
int FixedWidth(TypeId id);
const char* TimeUnitName(TimeUnit unit);  // "s", "ms", "us", "ns"
const char* TypeIdName(TypeId id);        // "int32", "timestamp", ...
// Full readable type of a field, e.g. "list<item: utf8>", "timestamp[us, tz=UTC]",
// "dictionary<values=utf8, indices=int32, id=0>".
std::string FieldTypeToString(const Field& field);

}  // namespace dolphin::arrow
