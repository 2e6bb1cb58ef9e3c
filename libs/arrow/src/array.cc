#include "dolphin/arrow/array.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace dolphin::arrow {

Buffer MakeBuffer(std::vector<uint8_t> bytes) {
  auto owner = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  Buffer b;
  b.data = owner->data();
  b.size = static_cast<int64_t>(owner->size());
  b.owner = std::move(owner);
  return b;
}

std::pair<const Array*, int64_t> Dictionary::Locate(int64_t index) const {
  for (const auto& chunk : chunks) {
    if (index < chunk->length) return {chunk.get(), index};
    index -= chunk->length;
  }
  return {nullptr, 0};
}

int64_t Table::num_rows() const {
  int64_t n = 0;
  for (const auto& b : batches) n += b.num_rows;
  return n;
}

std::pair<const Array*, int64_t> ResolveDictionary(const Field& field, const Array& array,
                                                   int64_t i) {
  if (!field.dictionary || array.dictionary == nullptr) return {&array, i};
  return array.dictionary->Locate(IntegerAt(field.dictionary->index_type, array, i));
}

int64_t IntegerAt(TypeId id, const Array& a, int64_t i) {
  switch (id) {
    case TypeId::kInt8: return a.values.Get<int8_t>(i);
    case TypeId::kUInt8: return a.values.Get<uint8_t>(i);
    case TypeId::kInt16: return a.values.Get<int16_t>(i);
    case TypeId::kUInt16: return a.values.Get<uint16_t>(i);
    case TypeId::kInt32:
    case TypeId::kDate32:
    case TypeId::kTime32: return a.values.Get<int32_t>(i);
    case TypeId::kUInt32: return a.values.Get<uint32_t>(i);
    case TypeId::kInt64:
    case TypeId::kUInt64:
    case TypeId::kDate64:
    case TypeId::kTime64:
    case TypeId::kTimestamp:
    case TypeId::kDuration: return a.values.Get<int64_t>(i);
    default: return 0;
  }
}

std::string_view BytesAt(const DataType& type, const Array& a, int64_t i) {
  int64_t begin = 0;
  int64_t end = 0;
  switch (type.id) {
    case TypeId::kUtf8:
    case TypeId::kBinary:
      begin = a.offsets.Get<int32_t>(i);
      end = a.offsets.Get<int32_t>(i + 1);
      break;
    case TypeId::kLargeUtf8:
    case TypeId::kLargeBinary:
      begin = a.offsets.Get<int64_t>(i);
      end = a.offsets.Get<int64_t>(i + 1);
      break;
    case TypeId::kFixedSizeBinary:
      begin = i * type.width;
      end = begin + type.width;
      break;
    default: return {};
  }
  if (end == begin) return {};
  return std::string_view(reinterpret_cast<const char*>(a.values.data + begin),
                          static_cast<size_t>(end - begin));
}

std::pair<int64_t, int64_t> ListRangeAt(const DataType& type, const Array& a, int64_t i) {
  switch (type.id) {
    case TypeId::kList:
    case TypeId::kMap: return {a.offsets.Get<int32_t>(i), a.offsets.Get<int32_t>(i + 1)};
    case TypeId::kLargeList: return {a.offsets.Get<int64_t>(i), a.offsets.Get<int64_t>(i + 1)};
    case TypeId::kFixedSizeList: return {i * type.width, (i + 1) * type.width};
    default: return {0, 0};
  }
}

namespace {

struct Cell {
  const Field* field;
  const Array* array;
  int64_t i;
};

Result<Cell> Locate(const Table& table, std::string_view column, int64_t row) {
  int c = table.ColumnIndex(column);
  if (c < 0) return NotFoundError(fmt::format("no column '{}'", column));
  if (row < 0) return NotFoundError(fmt::format("column '{}': row {} out of range", column, row));
  for (const auto& batch : table.batches) {
    if (row < batch.num_rows) {
      const Field& field = table.schema->fields[static_cast<size_t>(c)];
      const Array& array = *batch.columns[static_cast<size_t>(c)];
      if (!array.IsValid(row) || field.type.id == TypeId::kNull) {
        return InvalidArgumentError(fmt::format("column '{}': row {} is null", column, row));
      }
      auto [values, j] = ResolveDictionary(field, array, row);
      if (values == nullptr || !values->IsValid(j)) {
        return InvalidArgumentError(fmt::format("column '{}': row {} is null", column, row));
      }
      return Cell{&field, values, j};
    }
    row -= batch.num_rows;
  }
  return NotFoundError(fmt::format("column '{}': row out of range", column));
}

bool IsIntegerBacked(TypeId id) {
  return IsInteger(id) || id == TypeId::kDate32 || id == TypeId::kDate64 || id == TypeId::kTime32 ||
         id == TypeId::kTime64 || id == TypeId::kTimestamp || id == TypeId::kDuration;
}

bool IsBinaryKind(TypeId id) {
  return id == TypeId::kUtf8 || id == TypeId::kLargeUtf8 || id == TypeId::kBinary ||
         id == TypeId::kLargeBinary || id == TypeId::kFixedSizeBinary;
}

bool IsListKind(TypeId id) {
  return id == TypeId::kList || id == TypeId::kLargeList || id == TypeId::kFixedSizeList;
}

Status WrongType(std::string_view column, const Field& field, std::string_view wanted) {
  return InvalidArgumentError(
      fmt::format("column '{}' is {}, not {}", column, FieldTypeToString(field), wanted));
}

// A float value of a (resolved) array; NaN for null.
double FloatAt(const Field& field, const Array& a, int64_t i) {
  if (!a.IsValid(i)) return std::numeric_limits<double>::quiet_NaN();
  switch (field.type.id) {
    case TypeId::kFloat16: return HalfToFloat(a.values.Get<uint16_t>(i));
    case TypeId::kFloat32: return a.values.Get<float>(i);
    case TypeId::kFloat64: return a.values.Get<double>(i);
    case TypeId::kUInt64: return static_cast<double>(a.values.Get<uint64_t>(i));
    default: return static_cast<double>(IntegerAt(field.type.id, a, i));
  }
}

}  // namespace

Result<int64_t> GetInt64(const Table& table, std::string_view column, int64_t row) {
  DOLPHIN_ASSIGN_OR_RETURN(Cell cell, Locate(table, column, row));
  if (!IsIntegerBacked(cell.field->type.id)) return WrongType(column, *cell.field, "an integer");
  return IntegerAt(cell.field->type.id, *cell.array, cell.i);
}

Result<double> GetFloat64(const Table& table, std::string_view column, int64_t row) {
  DOLPHIN_ASSIGN_OR_RETURN(Cell cell, Locate(table, column, row));
  TypeId id = cell.field->type.id;
  if (!IsInteger(id) && id != TypeId::kFloat16 && id != TypeId::kFloat32 &&
      id != TypeId::kFloat64) {
    return WrongType(column, *cell.field, "a number");
  }
  return FloatAt(*cell.field, *cell.array, cell.i);
}

Result<std::string> GetString(const Table& table, std::string_view column, int64_t row) {
  DOLPHIN_ASSIGN_OR_RETURN(Cell cell, Locate(table, column, row));
  if (!IsBinaryKind(cell.field->type.id)) return WrongType(column, *cell.field, "a string");
  return std::string(BytesAt(cell.field->type, *cell.array, cell.i));
}

Result<std::vector<std::string>> GetStringList(const Table& table, std::string_view column,
                                               int64_t row) {
  DOLPHIN_ASSIGN_OR_RETURN(Cell cell, Locate(table, column, row));
  if (!IsListKind(cell.field->type.id) || !IsBinaryKind(cell.field->children[0].type.id)) {
    return WrongType(column, *cell.field, "a list of strings");
  }
  const Field& item = cell.field->children[0];
  const Array& child = *cell.array->children[0];
  auto [begin, end] = ListRangeAt(cell.field->type, *cell.array, cell.i);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(end - begin));
  for (int64_t k = begin; k < end; ++k) {
    auto [values, j] = ResolveDictionary(item, child, k);
    if (!child.IsValid(k) || values == nullptr || !values->IsValid(j)) {
      return InvalidArgumentError(
          fmt::format("column '{}': row {} has a null item at {}", column, row, k - begin));
    }
    out.emplace_back(BytesAt(item.type, *values, j));
  }
  return out;
}

Result<std::vector<double>> GetFloat64List(const Table& table, std::string_view column,
                                           int64_t row) {
  DOLPHIN_ASSIGN_OR_RETURN(Cell cell, Locate(table, column, row));
  const TypeId item_id =
      IsListKind(cell.field->type.id) ? cell.field->children[0].type.id : TypeId::kNull;
  if (!IsInteger(item_id) && item_id != TypeId::kFloat16 && item_id != TypeId::kFloat32 &&
      item_id != TypeId::kFloat64) {
    return WrongType(column, *cell.field, "a list of numbers");
  }
  const Field& item = cell.field->children[0];
  const Array& child = *cell.array->children[0];
  auto [begin, end] = ListRangeAt(cell.field->type, *cell.array, cell.i);
  std::vector<double> out;
  out.reserve(static_cast<size_t>(end - begin));
  for (int64_t k = begin; k < end; ++k) {
    auto [values, j] = ResolveDictionary(item, child, k);
    if (!child.IsValid(k) || values == nullptr) {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    } else {
      out.push_back(FloatAt(item, *values, j));
    }
  }
  return out;
}

float HalfToFloat(uint16_t h) {
  int exp = (h >> 10) & 0x1f;
  int mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant == 0 ? std::numeric_limits<float>::infinity()
                  : std::numeric_limits<float>::quiet_NaN();
  } else {
    v = std::ldexp(static_cast<float>(mant + 1024), exp - 25);
  }
  return (h & 0x8000) ? -v : v;
}

}  // namespace dolphin::arrow
