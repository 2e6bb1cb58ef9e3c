#include "dolphin/arrow/schema.h"

#include <fmt/format.h>

namespace dolphin::arrow {

int Schema::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool IsInteger(TypeId id) { return id >= TypeId::kInt8 && id <= TypeId::kUInt64; }

bool IsSignedInteger(TypeId id) { return id >= TypeId::kInt8 && id <= TypeId::kInt64; }

int FixedWidth(TypeId id) {
  switch (id) {
    case TypeId::kInt8:
    case TypeId::kUInt8: return 1;
    case TypeId::kInt16:
    case TypeId::kUInt16:
    case TypeId::kFloat16: return 2;
    case TypeId::kInt32:
    case TypeId::kUInt32:
    case TypeId::kFloat32:
    case TypeId::kDate32:
    case TypeId::kTime32: return 4;
    case TypeId::kInt64:
    case TypeId::kUInt64:
    case TypeId::kFloat64:
    case TypeId::kDate64:
    case TypeId::kTime64:
    case TypeId::kTimestamp:
    case TypeId::kDuration: return 8;
    default: return 0;
  }
}

const char* TimeUnitName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond: return "s";
    case TimeUnit::kMilli: return "ms";
    case TimeUnit::kMicro: return "us";
    case TimeUnit::kNano: return "ns";
  }
  return "?";
}

const char* TypeIdName(TypeId id) {
  switch (id) {
    case TypeId::kNull: return "null";
    case TypeId::kBool: return "bool";
    case TypeId::kInt8: return "int8";
    case TypeId::kInt16: return "int16";
    case TypeId::kInt32: return "int32";
    case TypeId::kInt64: return "int64";
    case TypeId::kUInt8: return "uint8";
    case TypeId::kUInt16: return "uint16";
    case TypeId::kUInt32: return "uint32";
    case TypeId::kUInt64: return "uint64";
    case TypeId::kFloat16: return "float16";
    case TypeId::kFloat32: return "float32";
    case TypeId::kFloat64: return "float64";
    case TypeId::kUtf8: return "utf8";
    case TypeId::kLargeUtf8: return "large_utf8";
    case TypeId::kBinary: return "binary";
    case TypeId::kLargeBinary: return "large_binary";
    case TypeId::kFixedSizeBinary: return "fixed_size_binary";
    case TypeId::kDate32: return "date32";
    case TypeId::kDate64: return "date64";
    case TypeId::kTime32: return "time32";
    case TypeId::kTime64: return "time64";
    case TypeId::kTimestamp: return "timestamp";
    case TypeId::kDuration: return "duration";
    case TypeId::kList: return "list";
    case TypeId::kLargeList: return "large_list";
    case TypeId::kFixedSizeList: return "fixed_size_list";
    case TypeId::kStruct: return "struct";
    case TypeId::kMap: return "map";
  }
  return "?";
}

namespace {

std::string ValueTypeToString(const Field& field) {
  const DataType& t = field.type;
  switch (t.id) {
    case TypeId::kFixedSizeBinary: return fmt::format("fixed_size_binary[{}]", t.width);
    case TypeId::kDate32: return "date32[day]";
    case TypeId::kDate64: return "date64[ms]";
    case TypeId::kTime32:
    case TypeId::kTime64:
    case TypeId::kDuration: return fmt::format("{}[{}]", TypeIdName(t.id), TimeUnitName(t.unit));
    case TypeId::kTimestamp:
      if (t.timezone.empty()) return fmt::format("timestamp[{}]", TimeUnitName(t.unit));
      return fmt::format("timestamp[{}, tz={}]", TimeUnitName(t.unit), t.timezone);
    case TypeId::kList:
    case TypeId::kLargeList:
      return fmt::format("{}<{}: {}>", TypeIdName(t.id), field.children[0].name,
                         FieldTypeToString(field.children[0]));
    case TypeId::kFixedSizeList:
      return fmt::format("fixed_size_list<{}: {}>[{}]", field.children[0].name,
                         FieldTypeToString(field.children[0]), t.width);
    case TypeId::kMap: {
      const Field& entries = field.children[0];
      return fmt::format("map<{}, {}{}>", FieldTypeToString(entries.children[0]),
                         FieldTypeToString(entries.children[1]),
                         t.keys_sorted ? ", keys_sorted" : "");
    }
    case TypeId::kStruct: {
      std::string s = "struct<";
      for (size_t i = 0; i < field.children.size(); ++i) {
        if (i > 0) s += ", ";
        s += field.children[i].name;
        s += ": ";
        s += FieldTypeToString(field.children[i]);
      }
      s += ">";
      return s;
    }
    default: return TypeIdName(t.id);
  }
}

}  // namespace

std::string FieldTypeToString(const Field& field) {
  std::string value = ValueTypeToString(field);
  if (!field.dictionary) return value;
  return fmt::format("dictionary<values={}, indices={}, id={}{}>", value,
                     TypeIdName(field.dictionary->index_type), field.dictionary->id,
                     field.dictionary->ordered ? ", ordered" : "");
}

}  // namespace dolphin::arrow
