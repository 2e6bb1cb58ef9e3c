#include "dolphin/arrow/ipc_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "compression.h"
#include "flatbuf.h"
#include "format.h"

namespace dolphin::arrow {

namespace f = format;

namespace {

template <typename T>
Buffer VectorBuffer(const std::vector<T>& v) {
  std::vector<uint8_t> bytes(v.size() * sizeof(T));
  if (!bytes.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return MakeBuffer(std::move(bytes));
}

Buffer Bitmap(const std::vector<bool>& bits) {
  std::vector<uint8_t> bytes((bits.size() + 7) / 8, 0);
  for (size_t i = 0; i < bits.size(); ++i) {
    if (bits[i]) bytes[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  }
  return MakeBuffer(std::move(bytes));
}

void SetValidity(Array& a, const std::vector<bool>& valid) {
  if (valid.empty()) return;
  int64_t nulls = 0;
  for (bool v : valid) nulls += v ? 0 : 1;
  a.null_count = nulls;
  if (nulls > 0) a.validity = Bitmap(valid);
}

Field MakeField(std::string name, TypeId id) {
  Field field;
  field.name = std::move(name);
  field.type.id = id;
  return field;
}

template <typename T>
Column FixedColumn(std::string name, TypeId id, const std::vector<T>& values,
                   const std::vector<bool>& valid) {
  auto a = std::make_shared<Array>();
  a->length = static_cast<int64_t>(values.size());
  a->values = VectorBuffer(values);
  SetValidity(*a, valid);
  return Column{MakeField(std::move(name), id), std::move(a)};
}

}  // namespace

Column Int64Column(std::string name, const std::vector<int64_t>& values,
                   const std::vector<bool>& valid) {
  return FixedColumn(std::move(name), TypeId::kInt64, values, valid);
}

Column Int32Column(std::string name, const std::vector<int32_t>& values,
                   const std::vector<bool>& valid) {
  return FixedColumn(std::move(name), TypeId::kInt32, values, valid);
}

Column Float64Column(std::string name, const std::vector<double>& values,
                     const std::vector<bool>& valid) {
  return FixedColumn(std::move(name), TypeId::kFloat64, values, valid);
}

Column BoolColumn(std::string name, const std::vector<bool>& values,
                  const std::vector<bool>& valid) {
  auto a = std::make_shared<Array>();
  a->length = static_cast<int64_t>(values.size());
  a->values = Bitmap(values);
  SetValidity(*a, valid);
  return Column{MakeField(std::move(name), TypeId::kBool), std::move(a)};
}

Column Utf8Column(std::string name, const std::vector<std::string>& values,
                  const std::vector<bool>& valid) {
  auto a = std::make_shared<Array>();
  a->length = static_cast<int64_t>(values.size());
  std::vector<int32_t> offsets{0};
  std::vector<uint8_t> data;
  for (const auto& s : values) {
    data.insert(data.end(), s.begin(), s.end());
    offsets.push_back(static_cast<int32_t>(data.size()));
  }
  a->offsets = VectorBuffer(offsets);
  a->values = MakeBuffer(std::move(data));
  SetValidity(*a, valid);
  return Column{MakeField(std::move(name), TypeId::kUtf8), std::move(a)};
}

Column TimestampColumn(std::string name, TimeUnit unit, std::string timezone,
                       const std::vector<int64_t>& values, const std::vector<bool>& valid) {
  Column c = FixedColumn(std::move(name), TypeId::kTimestamp, values, valid);
  c.field.type.unit = unit;
  c.field.type.timezone = std::move(timezone);
  return c;
}

Column ListColumn(std::string name, Column items, const std::vector<int32_t>& offsets,
                  const std::vector<bool>& valid) {
  auto a = std::make_shared<Array>();
  a->length = offsets.empty() ? 0 : static_cast<int64_t>(offsets.size()) - 1;
  a->offsets = VectorBuffer(offsets.empty() ? std::vector<int32_t>{0} : offsets);
  a->children.push_back(std::move(items.array));
  SetValidity(*a, valid);
  Field field = MakeField(std::move(name), TypeId::kList);
  items.field.name = "item";
  field.children.push_back(std::move(items.field));
  return Column{std::move(field), std::move(a)};
}

namespace {
template <typename T, typename F>
Column ListOf(std::string name, const std::vector<std::vector<T>>& lists, F make_items) {
  std::vector<int32_t> offsets{0};
  std::vector<T> flat;
  for (const auto& l : lists) {
    flat.insert(flat.end(), l.begin(), l.end());
    offsets.push_back(static_cast<int32_t>(flat.size()));
  }
  return ListColumn(std::move(name), make_items(flat), offsets);
}
}  // namespace

Column Utf8ListColumn(std::string name, const std::vector<std::vector<std::string>>& lists) {
  return ListOf(std::move(name), lists, [](const auto& v) { return Utf8Column("item", v); });
}

Column Float64ListColumn(std::string name, const std::vector<std::vector<double>>& lists) {
  return ListOf(std::move(name), lists, [](const auto& v) { return Float64Column("item", v); });
}

Column Int64ListColumn(std::string name, const std::vector<std::vector<int64_t>>& lists) {
  return ListOf(std::move(name), lists, [](const auto& v) { return Int64Column("item", v); });
}

Column StructColumn(std::string name, std::vector<Column> children,
                    const std::vector<bool>& valid) {
  auto a = std::make_shared<Array>();
  a->length = children.empty() ? static_cast<int64_t>(valid.size()) : children[0].array->length;
  Field field = MakeField(std::move(name), TypeId::kStruct);
  for (auto& c : children) {
    field.children.push_back(std::move(c.field));
    a->children.push_back(std::move(c.array));
  }
  SetValidity(*a, valid);
  return Column{std::move(field), std::move(a)};
}

TableBuilder& TableBuilder::AddMetadata(std::string key, std::string value) {
  schema_->metadata.emplace_back(std::move(key), std::move(value));
  return *this;
}

Status TableBuilder::AddBatch(std::vector<Column> columns) {
  RecordBatch batch;
  batch.num_rows = columns.empty() ? 0 : columns[0].array->length;
  for (const auto& c : columns) {
    if (c.array == nullptr || c.array->length != batch.num_rows) {
      return InvalidArgumentError(fmt::format("column '{}' has {} rows, the first column {}",
                                              c.field.name, c.array ? c.array->length : -1,
                                              batch.num_rows));
    }
  }
  if (batches_.empty()) {
    for (const auto& c : columns) schema_->fields.push_back(c.field);
  } else {
    if (columns.size() != schema_->fields.size()) {
      return InvalidArgumentError(fmt::format("batch has {} columns, the schema {}", columns.size(),
                                              schema_->fields.size()));
    }
    for (size_t i = 0; i < columns.size(); ++i) {
      const Field& s = schema_->fields[i];
      if (s.name != columns[i].field.name ||
          FieldTypeToString(s) != FieldTypeToString(columns[i].field)) {
        return InvalidArgumentError(fmt::format(
            "column {} '{}' ({}) does not match the schema's '{}' ({})", i, columns[i].field.name,
            FieldTypeToString(columns[i].field), s.name, FieldTypeToString(s)));
      }
    }
  }
  for (auto& c : columns) batch.columns.push_back(std::move(c.array));
  batches_.push_back(std::move(batch));
  return Status::Ok();
}

Table TableBuilder::table() const {
  Table t;
  t.schema = schema_;
  t.batches = batches_;
  return t;
}

// ---- Serialisation ----

namespace {

using Ref = fb::Builder::Ref;

Ref BuildMetadata(fb::Builder& b, const Metadata& md) {
  std::vector<Ref> kvs;
  for (const auto& [k, v] : md) {
    Ref key = b.AddString(k);
    Ref value = b.AddString(v);
    fb::Builder::TableBuilder t;
    t.Offset(f::kKey, key).Offset(f::kValue, value);
    kvs.push_back(b.AddTable(t));
  }
  return b.AddRefVector(kvs);
}

Ref BuildIntType(fb::Builder& b, TypeId id) {
  int32_t bits = FixedWidth(id) * 8;
  fb::Builder::TableBuilder t;
  t.Int32(f::kIntBitWidth, bits).Bool(f::kIntIsSigned, IsSignedInteger(id));
  return b.AddTable(t);
}

Result<std::pair<uint8_t, Ref>> BuildType(fb::Builder& b, const DataType& type) {
  fb::Builder::TableBuilder t;
  uint8_t tag = 0;
  switch (type.id) {
    case TypeId::kNull: tag = f::kTypeNull; break;
    case TypeId::kBool: tag = f::kTypeBool; break;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kUInt64: return std::make_pair(uint8_t{f::kTypeInt}, BuildIntType(b, type.id));
    case TypeId::kFloat16:
      tag = f::kTypeFloatingPoint;
      t.Int16(f::kFloatPrecision, 0);
      break;
    case TypeId::kFloat32:
      tag = f::kTypeFloatingPoint;
      t.Int16(f::kFloatPrecision, 1);
      break;
    case TypeId::kFloat64:
      tag = f::kTypeFloatingPoint;
      t.Int16(f::kFloatPrecision, 2);
      break;
    case TypeId::kUtf8: tag = f::kTypeUtf8; break;
    case TypeId::kLargeUtf8: tag = f::kTypeLargeUtf8; break;
    case TypeId::kBinary: tag = f::kTypeBinary; break;
    case TypeId::kLargeBinary: tag = f::kTypeLargeBinary; break;
    case TypeId::kFixedSizeBinary:
      tag = f::kTypeFixedSizeBinary;
      t.Int32(f::kFixedSizeBinaryWidth, type.width);
      break;
    case TypeId::kDate32:
      tag = f::kTypeDate;
      t.Int16(f::kDateUnit, 0);
      break;
    case TypeId::kDate64:
      tag = f::kTypeDate;
      t.Int16(f::kDateUnit, 1);
      break;
    case TypeId::kTime32:
    case TypeId::kTime64:
      tag = f::kTypeTime;
      t.Int16(f::kTimeUnit, static_cast<int16_t>(type.unit))
          .Int32(f::kTimeBitWidth, type.id == TypeId::kTime32 ? 32 : 64);
      break;
    case TypeId::kTimestamp: {
      tag = f::kTypeTimestamp;
      t.Int16(f::kTimestampUnit, static_cast<int16_t>(type.unit));
      if (!type.timezone.empty()) t.Offset(f::kTimestampTimezone, b.AddString(type.timezone));
      break;
    }
    case TypeId::kDuration:
      tag = f::kTypeDuration;
      t.Int16(f::kDurationUnit, static_cast<int16_t>(type.unit));
      break;
    case TypeId::kList: tag = f::kTypeList; break;
    case TypeId::kLargeList: tag = f::kTypeLargeList; break;
    case TypeId::kFixedSizeList:
      tag = f::kTypeFixedSizeList;
      t.Int32(f::kFixedSizeListSize, type.width);
      break;
    case TypeId::kStruct: tag = f::kTypeStruct; break;
    case TypeId::kMap:
      tag = f::kTypeMap;
      t.Bool(f::kMapKeysSorted, type.keys_sorted);
      break;
  }
  if (tag == 0) return InternalError("unknown type");
  return std::make_pair(tag, b.AddTable(t));
}

Result<Ref> BuildField(fb::Builder& b, const Field& field) {
  Ref name = b.AddString(field.name);
  DOLPHIN_ASSIGN_OR_RETURN(auto type, BuildType(b, field.type));
  std::vector<Ref> children;
  for (const Field& c : field.children) {
    DOLPHIN_ASSIGN_OR_RETURN(Ref r, BuildField(b, c));
    children.push_back(r);
  }
  Ref children_vec = b.AddRefVector(children);
  fb::Builder::TableBuilder t;
  t.Offset(f::kFieldName, name)
      .Bool(f::kFieldNullable, field.nullable)
      .UInt8(f::kFieldTypeType, type.first)
      .Offset(f::kFieldType, type.second)
      .Offset(f::kFieldChildren, children_vec);
  if (field.dictionary) {
    fb::Builder::TableBuilder d;
    d.Int64(f::kDictId, field.dictionary->id)
        .Offset(f::kDictIndexType, BuildIntType(b, field.dictionary->index_type))
        .Bool(f::kDictIsOrdered, field.dictionary->ordered);
    t.Offset(f::kFieldDictionary, b.AddTable(d));
  }
  if (!field.metadata.empty()) t.Offset(f::kFieldCustomMetadata, BuildMetadata(b, field.metadata));
  return b.AddTable(t);
}

Result<Ref> BuildSchema(fb::Builder& b, const Schema& schema) {
  std::vector<Ref> fields;
  for (const Field& field : schema.fields) {
    DOLPHIN_ASSIGN_OR_RETURN(Ref r, BuildField(b, field));
    fields.push_back(r);
  }
  Ref fields_vec = b.AddRefVector(fields);
  fb::Builder::TableBuilder t;
  t.Int16(f::kSchemaEndianness, 0).Offset(f::kSchemaFields, fields_vec);
  if (!schema.metadata.empty())
    t.Offset(f::kSchemaCustomMetadata, BuildMetadata(b, schema.metadata));
  return b.AddTable(t);
}

// Body of one record batch being assembled.
struct BodyWriter {
  internal::Codec codec = internal::Codec::kNone;
  std::string body;
  std::vector<int64_t> nodes;    // pairs (length, null_count)
  std::vector<int64_t> buffers;  // pairs (offset, length)

  Status AddBuffer(const uint8_t* data, int64_t size) {
    while (body.size() % 8 != 0) body.push_back('\0');
    auto start = static_cast<int64_t>(body.size());
    if (size > 0) {
      if (codec == internal::Codec::kNone) {
        body.append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
      } else {
        int64_t raw = size;
        body.append(reinterpret_cast<const char*>(&raw), 8);
        DOLPHIN_RETURN_IF_ERROR(internal::Compress(codec, data, static_cast<size_t>(size), body));
      }
    }
    buffers.push_back(start);
    buffers.push_back(static_cast<int64_t>(body.size()) - start);
    return Status::Ok();
  }
  Status AddBuffer(const Buffer& buf, int64_t size) { return AddBuffer(buf.data, size); }
  Status AddBytes(const std::vector<uint8_t>& v) {
    return AddBuffer(v.data(), static_cast<int64_t>(v.size()));
  }

  Status AddValidity(const Array& a) {
    if (a.null_count == 0 || a.validity.size == 0) return AddBuffer(nullptr, 0);
    int64_t bytes = (a.length + 7) / 8;
    return AddBuffer(a.validity, bytes);
  }

  template <typename O>
  Status AddOffsets(const Array& a, int64_t* first, int64_t* last) {
    *first = 0;
    *last = 0;
    std::vector<O> out(static_cast<size_t>(a.length) + 1, 0);
    if (a.length > 0 && a.offsets.size > 0) {
      *first = static_cast<int64_t>(a.offsets.Get<O>(0));
      for (int64_t i = 0; i <= a.length; ++i) {
        out[static_cast<size_t>(i)] = static_cast<O>(a.offsets.Get<O>(i) - *first);
      }
      *last = static_cast<int64_t>(a.offsets.Get<O>(a.length));
    }
    return AddBuffer(reinterpret_cast<const uint8_t*>(out.data()),
                     static_cast<int64_t>(out.size() * sizeof(O)));
  }

  Status AddArray(const Field& field, const Array& a, bool dict_values) {
    nodes.push_back(a.length);
    const bool dict = field.dictionary && !dict_values;
    const TypeId id = dict ? field.dictionary->index_type : field.type.id;
    if (id == TypeId::kNull) {
      nodes.push_back(a.length);
      return Status::Ok();
    }
    nodes.push_back(a.validity.size == 0 ? 0 : a.null_count);
    DOLPHIN_RETURN_IF_ERROR(AddValidity(a));
    if (int w = FixedWidth(id); w > 0) return AddBuffer(a.values, a.length * w);
    switch (id) {
      case TypeId::kBool: return AddBuffer(a.values, (a.length + 7) / 8);
      case TypeId::kFixedSizeBinary: return AddBuffer(a.values, a.length * field.type.width);
      case TypeId::kUtf8:
      case TypeId::kBinary:
      case TypeId::kLargeUtf8:
      case TypeId::kLargeBinary: {
        int64_t first = 0, last = 0;
        bool large = id == TypeId::kLargeUtf8 || id == TypeId::kLargeBinary;
        DOLPHIN_RETURN_IF_ERROR(large ? AddOffsets<int64_t>(a, &first, &last)
                                      : AddOffsets<int32_t>(a, &first, &last));
        return AddBuffer(a.values.data + first, last - first);
      }
      case TypeId::kList:
      case TypeId::kLargeList:
      case TypeId::kMap: {
        int64_t first = 0, last = 0;
        DOLPHIN_RETURN_IF_ERROR(id == TypeId::kLargeList ? AddOffsets<int64_t>(a, &first, &last)
                                                         : AddOffsets<int32_t>(a, &first, &last));
        if (first != 0) {
          return InvalidArgumentError(
              fmt::format("field '{}': list offsets starting at {} are not supported by the writer",
                          field.name, first));
        }
        return AddArray(field.children[0], *a.children[0], false);
      }
      case TypeId::kFixedSizeList: return AddArray(field.children[0], *a.children[0], false);
      case TypeId::kStruct:
        for (size_t c = 0; c < field.children.size(); ++c) {
          DOLPHIN_RETURN_IF_ERROR(AddArray(field.children[c], *a.children[c], false));
        }
        return Status::Ok();
      default: break;
    }
    return InternalError(fmt::format("field '{}': unhandled type", field.name));
  }
};

Ref BuildRecordBatchTable(fb::Builder& b, const BodyWriter& w, int64_t length) {
  Ref nodes = b.AddBytesVector(w.nodes.data(), static_cast<uint32_t>(w.nodes.size() / 2), 16, 8);
  Ref buffers =
      b.AddBytesVector(w.buffers.data(), static_cast<uint32_t>(w.buffers.size() / 2), 16, 8);
  fb::Builder::TableBuilder t;
  t.Int64(f::kBatchLength, length).Offset(f::kBatchNodes, nodes).Offset(f::kBatchBuffers, buffers);
  if (w.codec != internal::Codec::kNone) {
    fb::Builder::TableBuilder c;
    c.Int8(f::kCompressionCodec, static_cast<int8_t>(w.codec)).Int8(f::kCompressionMethod, 0);
    t.Offset(f::kBatchCompression, b.AddTable(c));
  }
  return b.AddTable(t);
}

struct Block {
  int64_t offset;
  int32_t meta_len;
  int32_t pad;
  int64_t body_len;
};

class IpcWriter {
 public:
  explicit IpcWriter(const WriterOptions& options) : options_(options) {
    if (options.compression == Compression::kLz4Frame) codec_ = internal::Codec::kLz4Frame;
    if (options.compression == Compression::kZstd) codec_ = internal::Codec::kZstd;
  }

  Result<std::string> Write(const Table& input) {
    if (input.schema == nullptr) return InvalidArgumentError("table has no schema");
    DOLPHIN_ASSIGN_OR_RETURN(Table table, EncodeDictionaryColumns(input));
    if (options_.format == IpcFormat::kFile) out_ = std::string("ARROW1\0\0", 8);
    {
      fb::Builder b;
      DOLPHIN_ASSIGN_OR_RETURN(Ref schema, BuildSchema(b, *table.schema));
      WriteMessage(b, f::kHeaderSchema, schema, "", nullptr);
    }
    for (const RecordBatch& batch : table.batches) {
      if (batch.columns.size() != table.schema->fields.size()) {
        return InvalidArgumentError("record batch does not match the schema");
      }
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        DOLPHIN_RETURN_IF_ERROR(EmitDictionaries(table.schema->fields[c], *batch.columns[c]));
      }
      BodyWriter w;
      w.codec = codec_;
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        DOLPHIN_RETURN_IF_ERROR(w.AddArray(table.schema->fields[c], *batch.columns[c], false));
      }
      fb::Builder b;
      Ref rb = BuildRecordBatchTable(b, w, batch.num_rows);
      WriteMessage(b, f::kHeaderRecordBatch, rb, w.body, &batch_blocks_);
    }
    if (options_.format == IpcFormat::kStream) {
      uint32_t eos[2] = {f::kContinuation, 0};
      out_.append(reinterpret_cast<const char*>(eos), 8);
      return std::move(out_);
    }
    fb::Builder b;
    DOLPHIN_ASSIGN_OR_RETURN(Ref schema, BuildSchema(b, *table.schema));
    Ref dicts = b.AddBytesVector(dict_blocks_.data(), static_cast<uint32_t>(dict_blocks_.size()),
                                 sizeof(Block), 8);
    Ref batches = b.AddBytesVector(batch_blocks_.data(),
                                   static_cast<uint32_t>(batch_blocks_.size()), sizeof(Block), 8);
    fb::Builder::TableBuilder footer;
    footer.Int16(f::kFooterVersion, f::kVersionV5)
        .Offset(f::kFooterSchema, schema)
        .Offset(f::kFooterDictionaries, dicts)
        .Offset(f::kFooterRecordBatches, batches);
    std::string fbytes = b.Finish(b.AddTable(footer));
    out_ += fbytes;
    auto len = static_cast<int32_t>(fbytes.size());
    out_.append(reinterpret_cast<const char*>(&len), 4);
    out_ += "ARROW1";
    return std::move(out_);
  }

 private:
  void WriteMessage(fb::Builder& b, uint8_t header_type, Ref header, std::string body,
                    std::vector<Block>* blocks) {
    // The body length includes its padding, so the next message starts right after it.
    while (body.size() % 8 != 0) body.push_back('\0');
    fb::Builder::TableBuilder m;
    m.Int16(f::kMessageVersion, f::kVersionV5)
        .UInt8(f::kMessageHeaderType, header_type)
        .Offset(f::kMessageHeader, header)
        .Int64(f::kMessageBodyLength, static_cast<int64_t>(body.size()));
    std::string meta = b.Finish(b.AddTable(m));
    auto offset = static_cast<int64_t>(out_.size());
    uint32_t prefix[2] = {f::kContinuation, static_cast<uint32_t>(meta.size())};
    out_.append(reinterpret_cast<const char*>(prefix), 8);
    out_ += meta;
    out_ += body;
    if (blocks != nullptr) {
      blocks->push_back(Block{offset, static_cast<int32_t>(8 + meta.size()), 0,
                              static_cast<int64_t>(body.size())});
    }
  }

  // Writes the dictionaries `array` (of `field`) refers to, inner ones first, unless the same
  // dictionary object was already written for that id.
  Status EmitDictionaries(const Field& field, const Array& array) {
    if (field.dictionary && array.dictionary) {
      const Dictionary& d = *array.dictionary;
      for (const auto& chunk : d.chunks) {
        for (size_t c = 0; c < field.children.size() && c < chunk->children.size(); ++c) {
          DOLPHIN_RETURN_IF_ERROR(EmitDictionaries(field.children[c], *chunk->children[c]));
        }
      }
      auto it = written_.find(field.dictionary->id);
      if (it != written_.end() && it->second == &d) return Status::Ok();
      if (it != written_.end() && options_.format == IpcFormat::kFile) {
        return InvalidArgumentError(fmt::format(
            "field '{}': the dictionary changes between batches, which the file format cannot hold",
            field.name));
      }
      if (d.chunks.size() != 1) {
        return InvalidArgumentError(
            fmt::format("field '{}': writing a dictionary of {} chunks is not supported",
                        field.name, d.chunks.size()));
      }
      BodyWriter w;
      w.codec = codec_;
      DOLPHIN_RETURN_IF_ERROR(w.AddArray(field, *d.chunks[0], true));
      fb::Builder b;
      Ref rb = BuildRecordBatchTable(b, w, d.chunks[0]->length);
      fb::Builder::TableBuilder db;
      db.Int64(f::kDictBatchId, field.dictionary->id)
          .Offset(f::kDictBatchData, rb)
          .Bool(f::kDictBatchIsDelta, false);
      Ref header = b.AddTable(db);
      WriteMessage(b, f::kHeaderDictionaryBatch, header, w.body, &dict_blocks_);
      written_[field.dictionary->id] = &d;
      return Status::Ok();
    }
    for (size_t c = 0; c < field.children.size() && c < array.children.size(); ++c) {
      DOLPHIN_RETURN_IF_ERROR(EmitDictionaries(field.children[c], *array.children[c]));
    }
    return Status::Ok();
  }

  // Applies WriterOptions::dictionary_columns: one dictionary per column over all batches.
  Result<Table> EncodeDictionaryColumns(const Table& input) {
    if (options_.dictionary_columns.empty()) return input;
    auto schema = std::make_shared<Schema>(*input.schema);
    Table table = input;
    table.schema = schema;
    int64_t next_id = 0;
    auto bump = [&](const Field& fl, auto&& self) -> void {
      if (fl.dictionary) next_id = std::max(next_id, fl.dictionary->id + 1);
      for (const Field& c : fl.children) self(c, self);
    };
    for (const Field& fl : schema->fields) bump(fl, bump);
    for (const std::string& name : options_.dictionary_columns) {
      int col = schema->FieldIndex(name);
      if (col < 0)
        return InvalidArgumentError(fmt::format("no column '{}' to dictionary-encode", name));
      Field& top = schema->fields[static_cast<size_t>(col)];
      bool is_list = top.type.id == TypeId::kList && top.children[0].type.id == TypeId::kUtf8 &&
                     !top.children[0].dictionary;
      if (!(top.type.id == TypeId::kUtf8 && !top.dictionary) && !is_list) {
        return InvalidArgumentError(fmt::format(
            "column '{}' is {}; only utf8 and list<utf8> columns can be dictionary-encoded", name,
            FieldTypeToString(top)));
      }
      Field& target = is_list ? top.children[0] : top;
      // Collect distinct values in first-seen order.
      std::unordered_map<std::string, int32_t> index;
      std::vector<std::string> values;
      std::vector<std::vector<int32_t>> indices;
      for (const RecordBatch& batch : table.batches) {
        const Array& col_array = *batch.columns[static_cast<size_t>(col)];
        const Array& strings = is_list ? *col_array.children[0] : col_array;
        std::vector<int32_t> idx(static_cast<size_t>(strings.length), 0);
        for (int64_t i = 0; i < strings.length; ++i) {
          if (!strings.IsValid(i)) continue;
          std::string s(BytesAt(target.type, strings, i));
          auto [it, inserted] = index.emplace(s, static_cast<int32_t>(values.size()));
          if (inserted) values.push_back(s);
          idx[static_cast<size_t>(i)] = it->second;
        }
        indices.push_back(std::move(idx));
      }
      auto dict = std::make_shared<Dictionary>();
      Column dict_values = Utf8Column("values", values);
      dict->chunks.push_back(dict_values.array);
      dict->length = static_cast<int64_t>(values.size());
      target.dictionary = DictionaryEncoding{next_id++, TypeId::kInt32, false};
      for (size_t b = 0; b < table.batches.size(); ++b) {
        RecordBatch& batch = table.batches[b];
        const Array& col_array = *batch.columns[static_cast<size_t>(col)];
        const Array& strings = is_list ? *col_array.children[0] : col_array;
        auto encoded = std::make_shared<Array>();
        encoded->length = strings.length;
        encoded->null_count = strings.null_count;
        encoded->validity = strings.validity;
        encoded->values = VectorBuffer(indices[b]);
        encoded->dictionary = dict;
        if (is_list) {
          auto list = std::make_shared<Array>(col_array);
          list->children[0] = std::move(encoded);
          batch.columns[static_cast<size_t>(col)] = std::move(list);
        } else {
          batch.columns[static_cast<size_t>(col)] = std::move(encoded);
        }
      }
    }
    return table;
  }

  const WriterOptions& options_;
  internal::Codec codec_ = internal::Codec::kNone;
  std::string out_;
  std::vector<Block> dict_blocks_;
  std::vector<Block> batch_blocks_;
  std::map<int64_t, const Dictionary*> written_;
};

}  // namespace

Result<std::string> WriteIpc(const Table& table, const WriterOptions& options) {
  IpcWriter writer(options);
  return writer.Write(table);
}

Status WriteIpcFile(FileSystem& fs, const std::string& path, const Table& table,
                    const WriterOptions& options) {
  DOLPHIN_ASSIGN_OR_RETURN(std::string bytes, WriteIpc(table, options));
  return fs.WriteAtomically(path, bytes, {.sync = false, .mode = 0644});
}

}  // namespace dolphin::arrow
