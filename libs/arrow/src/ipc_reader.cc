#include "dolphin/arrow/ipc_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compression.h"
#include "flatbuf.h"
#include "format.h"

namespace dolphin::arrow {

using internal::Codec;
namespace f = format;

namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

// Counts bytes decoded (decompressed buffers, buffers referenced, decoded objects) against a cap.
class Budget {
 public:
  explicit Budget(int64_t limit) : limit_(limit) {}
  // `what` is a callable returning the description, evaluated only on failure (hot path).
  template <typename F>
  Status Take(int64_t n, F&& what) {
    if (n < 0 || n > limit_ - used_) {
      return InvalidArgumentError(
          fmt::format("{} would exceed the decoded-size limit of {} bytes ({} already used)",
                      what(), limit_, used_));
    }
    used_ += n;
    return Status::Ok();
  }

 private:
  int64_t limit_;
  int64_t used_ = 0;
};

std::string Join(const std::string& path, std::string_view name) {
  if (path.empty()) return std::string(name);
  return path + "." + std::string(name);
}

Result<Metadata> ParseMetadata(const fb::VectorView& v, Budget& budget) {
  Metadata md;
  for (uint32_t i = 0; i < v.size(); ++i) {
    DOLPHIN_ASSIGN_OR_RETURN(fb::TableView kv, v.TableAt(i));
    DOLPHIN_ASSIGN_OR_RETURN(auto key, kv.String(f::kKey));
    DOLPHIN_ASSIGN_OR_RETURN(auto value, kv.String(f::kValue));
    std::string_view k = key.value_or(std::string_view());
    std::string_view val = value.value_or(std::string_view());
    DOLPHIN_RETURN_IF_ERROR(
        budget.Take(static_cast<int64_t>(64 + k.size() + val.size()), [] { return "metadata"; }));
    md.emplace_back(std::string(k), std::string(val));
  }
  return md;
}

Result<TimeUnit> ParseUnit(int16_t v, const std::string& path) {
  if (v < 0 || v > 3) {
    return InvalidArgumentError(fmt::format("field '{}': invalid time unit {}", path, v));
  }
  return static_cast<TimeUnit>(v);
}

Result<TypeId> ParseIntType(const fb::TableView& t, const std::string& path) {
  DOLPHIN_ASSIGN_OR_RETURN(int32_t bits, t.Scalar<int32_t>(f::kIntBitWidth, 0));
  DOLPHIN_ASSIGN_OR_RETURN(uint8_t is_signed, t.Scalar<uint8_t>(f::kIntIsSigned, 0));
  switch (bits) {
    case 8: return is_signed ? TypeId::kInt8 : TypeId::kUInt8;
    case 16: return is_signed ? TypeId::kInt16 : TypeId::kUInt16;
    case 32: return is_signed ? TypeId::kInt32 : TypeId::kUInt32;
    case 64: return is_signed ? TypeId::kInt64 : TypeId::kUInt64;
    default: break;
  }
  return InvalidArgumentError(fmt::format("field '{}': invalid integer bit width {}", path, bits));
}

const char* UnsupportedTypeName(uint8_t tag) {
  switch (tag) {
    case f::kTypeDecimal: return "decimal";
    case f::kTypeInterval: return "interval";
    case f::kTypeUnion: return "union";
    case f::kTypeRunEndEncoded: return "run_end_encoded";
    case f::kTypeBinaryView: return "binary_view";
    case f::kTypeUtf8View: return "utf8_view";
    case f::kTypeListView: return "list_view";
    case f::kTypeLargeListView: return "large_list_view";
    default: return nullptr;
  }
}

// "decimal128(10, 2)", "interval[month_day_nano]", "dense union", ... for error messages;
// falls back to the bare name when the parameters do not parse.
std::string DescribeUnsupported(uint8_t tag, const char* name, const fb::TableView& field_table) {
  auto params = field_table.Table(f::kFieldType);
  if (!params.ok() || !params->has_value()) return name;
  const fb::TableView& p = **params;
  if (tag == f::kTypeDecimal) {
    auto precision = p.Scalar<int32_t>(0, 0);
    auto scale = p.Scalar<int32_t>(1, 0);
    auto bits = p.Scalar<int32_t>(2, 128);
    if (precision.ok() && scale.ok() && bits.ok()) {
      return fmt::format("decimal{}({}, {})", *bits, *precision, *scale);
    }
  } else if (tag == f::kTypeInterval) {
    auto unit = p.Scalar<int16_t>(0, 0);
    static constexpr const char* kUnits[] = {"year_month", "day_time", "month_day_nano"};
    if (unit.ok() && *unit >= 0 && *unit <= 2) return fmt::format("interval[{}]", kUnits[*unit]);
  } else if (tag == f::kTypeUnion) {
    auto mode = p.Scalar<int16_t>(0, 0);
    if (mode.ok()) return *mode == 1 ? "dense union" : "sparse union";
  }
  return name;
}

struct SchemaParser {
  const ReaderOptions& options;
  Budget& budget;

  Status ParseType(const fb::TableView& field_table, const std::string& path, DataType* type) {
    DOLPHIN_ASSIGN_OR_RETURN(uint8_t tag, field_table.Scalar<uint8_t>(f::kFieldTypeType, 0));
    if (const char* name = UnsupportedTypeName(tag)) {
      return UnimplementedError(fmt::format("field '{}': unsupported type {}", path,
                                            DescribeUnsupported(tag, name, field_table)));
    }
    if (tag == f::kTypeNone || tag > f::kTypeLargeListView) {
      return InvalidArgumentError(fmt::format("field '{}': unknown type tag {}", path, tag));
    }
    DOLPHIN_ASSIGN_OR_RETURN(auto params_opt, field_table.Table(f::kFieldType));
    if (!params_opt) {
      return InvalidArgumentError(fmt::format("field '{}': type parameters missing", path));
    }
    const fb::TableView& p = *params_opt;
    switch (tag) {
      case f::kTypeNull: type->id = TypeId::kNull; break;
      case f::kTypeBool: type->id = TypeId::kBool; break;
      case f::kTypeInt: {
        DOLPHIN_ASSIGN_OR_RETURN(type->id, ParseIntType(p, path));
        break;
      }
      case f::kTypeFloatingPoint: {
        DOLPHIN_ASSIGN_OR_RETURN(int16_t prec, p.Scalar<int16_t>(f::kFloatPrecision, 0));
        if (prec == 0) type->id = TypeId::kFloat16;
        else if (prec == 1) type->id = TypeId::kFloat32;
        else if (prec == 2) type->id = TypeId::kFloat64;
        else
          return InvalidArgumentError(
              fmt::format("field '{}': invalid float precision {}", path, prec));
        break;
      }
      case f::kTypeBinary: type->id = TypeId::kBinary; break;
      case f::kTypeUtf8: type->id = TypeId::kUtf8; break;
      case f::kTypeLargeBinary: type->id = TypeId::kLargeBinary; break;
      case f::kTypeLargeUtf8: type->id = TypeId::kLargeUtf8; break;
      case f::kTypeFixedSizeBinary: {
        type->id = TypeId::kFixedSizeBinary;
        DOLPHIN_ASSIGN_OR_RETURN(type->width, p.Scalar<int32_t>(f::kFixedSizeBinaryWidth, 0));
        if (type->width < 0) {
          return InvalidArgumentError(
              fmt::format("field '{}': negative byte width {}", path, type->width));
        }
        break;
      }
      case f::kTypeDate: {
        DOLPHIN_ASSIGN_OR_RETURN(int16_t unit, p.Scalar<int16_t>(f::kDateUnit, 1));
        if (unit == 0) type->id = TypeId::kDate32;
        else if (unit == 1) type->id = TypeId::kDate64;
        else
          return InvalidArgumentError(fmt::format("field '{}': invalid date unit {}", path, unit));
        break;
      }
      case f::kTypeTime: {
        DOLPHIN_ASSIGN_OR_RETURN(int16_t unit, p.Scalar<int16_t>(f::kTimeUnit, 1));
        DOLPHIN_ASSIGN_OR_RETURN(int32_t bits, p.Scalar<int32_t>(f::kTimeBitWidth, 32));
        DOLPHIN_ASSIGN_OR_RETURN(type->unit, ParseUnit(unit, path));
        bool small = type->unit == TimeUnit::kSecond || type->unit == TimeUnit::kMilli;
        if (bits != (small ? 32 : 64)) {
          return InvalidArgumentError(fmt::format("field '{}': time[{}] cannot have bit width {}",
                                                  path, TimeUnitName(type->unit), bits));
        }
        type->id = small ? TypeId::kTime32 : TypeId::kTime64;
        break;
      }
      case f::kTypeTimestamp: {
        type->id = TypeId::kTimestamp;
        DOLPHIN_ASSIGN_OR_RETURN(int16_t unit, p.Scalar<int16_t>(f::kTimestampUnit, 0));
        DOLPHIN_ASSIGN_OR_RETURN(type->unit, ParseUnit(unit, path));
        DOLPHIN_ASSIGN_OR_RETURN(auto tz, p.String(f::kTimestampTimezone));
        if (tz) type->timezone = std::string(*tz);
        break;
      }
      case f::kTypeDuration: {
        type->id = TypeId::kDuration;
        DOLPHIN_ASSIGN_OR_RETURN(int16_t unit, p.Scalar<int16_t>(f::kDurationUnit, 1));
        DOLPHIN_ASSIGN_OR_RETURN(type->unit, ParseUnit(unit, path));
        break;
      }
      case f::kTypeList: type->id = TypeId::kList; break;
      case f::kTypeLargeList: type->id = TypeId::kLargeList; break;
      case f::kTypeFixedSizeList: {
        type->id = TypeId::kFixedSizeList;
        DOLPHIN_ASSIGN_OR_RETURN(type->width, p.Scalar<int32_t>(f::kFixedSizeListSize, 0));
        if (type->width < 0) {
          return InvalidArgumentError(
              fmt::format("field '{}': negative list size {}", path, type->width));
        }
        break;
      }
      case f::kTypeStruct: type->id = TypeId::kStruct; break;
      case f::kTypeMap: {
        type->id = TypeId::kMap;
        DOLPHIN_ASSIGN_OR_RETURN(uint8_t sorted, p.Scalar<uint8_t>(f::kMapKeysSorted, 0));
        type->keys_sorted = sorted != 0;
        break;
      }
      default:
        return InvalidArgumentError(fmt::format("field '{}': unknown type tag {}", path, tag));
    }
    return Status::Ok();
  }

  Status ParseField(const fb::TableView& t, const std::string& parent, int depth, Field* out) {
    DOLPHIN_ASSIGN_OR_RETURN(auto name, t.String(f::kFieldName));
    out->name = std::string(name.value_or(std::string_view()));
    std::string path = Join(parent, out->name);
    if (depth > options.max_nesting_depth) {
      return InvalidArgumentError(
          fmt::format("field '{}': nesting depth exceeds {}", path, options.max_nesting_depth));
    }
    DOLPHIN_RETURN_IF_ERROR(budget.Take(static_cast<int64_t>(sizeof(Field) + out->name.size()),
                                        [] { return "schema fields"; }));
    DOLPHIN_ASSIGN_OR_RETURN(uint8_t nullable, t.Scalar<uint8_t>(f::kFieldNullable, 0));
    out->nullable = nullable != 0;
    DOLPHIN_RETURN_IF_ERROR(ParseType(t, path, &out->type));
    DOLPHIN_ASSIGN_OR_RETURN(auto dict, t.Table(f::kFieldDictionary));
    if (dict) {
      DictionaryEncoding enc;
      DOLPHIN_ASSIGN_OR_RETURN(enc.id, dict->Scalar<int64_t>(f::kDictId, 0));
      DOLPHIN_ASSIGN_OR_RETURN(uint8_t ordered, dict->Scalar<uint8_t>(f::kDictIsOrdered, 0));
      enc.ordered = ordered != 0;
      DOLPHIN_ASSIGN_OR_RETURN(auto index_type, dict->Table(f::kDictIndexType));
      if (index_type) {
        DOLPHIN_ASSIGN_OR_RETURN(enc.index_type, ParseIntType(*index_type, path));
      }
      out->dictionary = enc;
    }
    DOLPHIN_ASSIGN_OR_RETURN(auto children, t.Vector(f::kFieldChildren, 4));
    out->children.reserve(std::min<uint32_t>(children.size(), 1024));
    for (uint32_t i = 0; i < children.size(); ++i) {
      DOLPHIN_ASSIGN_OR_RETURN(fb::TableView child, children.TableAt(i));
      out->children.emplace_back();
      DOLPHIN_RETURN_IF_ERROR(ParseField(child, path, depth + 1, &out->children.back()));
    }
    DOLPHIN_ASSIGN_OR_RETURN(auto md, t.Vector(f::kFieldCustomMetadata, 4));
    DOLPHIN_ASSIGN_OR_RETURN(out->metadata, ParseMetadata(md, budget));
    return CheckChildren(*out, path);
  }

  static Status CheckChildren(const Field& field, const std::string& path) {
    size_t n = field.children.size();
    switch (field.type.id) {
      case TypeId::kList:
      case TypeId::kLargeList:
      case TypeId::kFixedSizeList:
        if (n != 1) {
          return InvalidArgumentError(fmt::format("field '{}': {} needs exactly one child, has {}",
                                                  path, TypeIdName(field.type.id), n));
        }
        break;
      case TypeId::kMap: {
        const Field* entries = n == 1 ? &field.children[0] : nullptr;
        if (entries == nullptr || entries->type.id != TypeId::kStruct ||
            entries->children.size() != 2 || entries->dictionary) {
          return InvalidArgumentError(fmt::format(
              "field '{}': map needs one struct child with two fields (key, value)", path));
        }
        break;
      }
      case TypeId::kStruct: break;
      default:
        if (n != 0) {
          return InvalidArgumentError(fmt::format("field '{}': type {} cannot have children", path,
                                                  TypeIdName(field.type.id)));
        }
    }
    return Status::Ok();
  }

  Result<std::shared_ptr<Schema>> Parse(const fb::TableView& t) {
    DOLPHIN_ASSIGN_OR_RETURN(int16_t endianness, t.Scalar<int16_t>(f::kSchemaEndianness, 0));
    if (endianness != 0) return UnimplementedError("big-endian Arrow data is not supported");
    auto schema = std::make_shared<Schema>();
    DOLPHIN_ASSIGN_OR_RETURN(auto fields, t.Vector(f::kSchemaFields, 4));
    for (uint32_t i = 0; i < fields.size(); ++i) {
      DOLPHIN_ASSIGN_OR_RETURN(fb::TableView ft, fields.TableAt(i));
      schema->fields.emplace_back();
      DOLPHIN_RETURN_IF_ERROR(ParseField(ft, "", 1, &schema->fields.back()));
    }
    DOLPHIN_ASSIGN_OR_RETURN(auto md, t.Vector(f::kSchemaCustomMetadata, 4));
    DOLPHIN_ASSIGN_OR_RETURN(schema->metadata, ParseMetadata(md, budget));
    return schema;
  }
};

struct MessageView {
  int16_t version = 0;
  uint8_t header_type = 0;
  fb::TableView header;
  uint64_t body_offset = 0;  // absolute in the input
  int64_t body_length = 0;
  uint64_t position = 0;  // of the message, for errors
};

Status CheckVersion(int16_t v, uint64_t pos) {
  if (v == f::kVersionV4 || v == f::kVersionV5) return Status::Ok();
  return UnimplementedError(fmt::format(
      "message at offset {}: metadata version V{} is not supported (only V4 and V5)", pos, v + 1));
}

int64_t BitmapBytes(int64_t length) { return length / 8 + (length % 8 != 0 ? 1 : 0); }

class Reader {
 public:
  Reader(std::shared_ptr<const std::vector<uint8_t>> bytes, const ReaderOptions& options)
      : bytes_(std::move(bytes)),
        data_(bytes_->data()),
        size_(bytes_->size()),
        options_(options),
        budget_(std::min<int64_t>(
            options.max_decoded_bytes,
            static_cast<int64_t>(std::min<uint64_t>(size_, uint64_t{1} << 40)) * 255 + kMiB)) {}

  Result<Table> Read() {
    if (size_ >= 6 && std::memcmp(data_, "ARROW1", 6) == 0) return ReadFile();
    return ReadStream();
  }

 private:
  // Parses a message whose encapsulation prefix starts at `pos`; `limit` bounds the metadata.
  // Sets *next to the position after the body.
  Result<std::optional<MessageView>> ReadMessage(uint64_t pos, uint64_t limit, uint64_t* next) {
    if (pos + 4 > limit) {
      return CorruptionError(fmt::format("message at offset {}: truncated length prefix", pos));
    }
    uint64_t at = pos;
    uint32_t word = fb::Load<uint32_t>(data_ + at);
    at += 4;
    if (word == f::kContinuation) {
      if (at + 4 > limit) {
        return CorruptionError(fmt::format("message at offset {}: truncated length prefix", pos));
      }
      word = fb::Load<uint32_t>(data_ + at);
      at += 4;
    }
    int32_t meta_len = static_cast<int32_t>(word);
    if (meta_len == 0) return std::optional<MessageView>();  // end of stream
    if (meta_len < 0 || at + static_cast<uint64_t>(meta_len) > limit) {
      return CorruptionError(
          fmt::format("message at offset {}: metadata length {} exceeds the {} bytes available",
                      pos, meta_len, limit - std::min(limit, at)));
    }
    auto msg_r = fb::TableView::Root(data_ + at, static_cast<size_t>(meta_len));
    if (!msg_r.ok()) return msg_r.status().WithPrefix(fmt::format("message at offset {}", pos));
    const fb::TableView msg = *msg_r;
    MessageView m;
    m.position = pos;
    DOLPHIN_ASSIGN_OR_RETURN(m.version, msg.Scalar<int16_t>(f::kMessageVersion, 0));
    DOLPHIN_RETURN_IF_ERROR(CheckVersion(m.version, pos));
    DOLPHIN_ASSIGN_OR_RETURN(m.header_type, msg.Scalar<uint8_t>(f::kMessageHeaderType, 0));
    auto header = msg.Table(f::kMessageHeader);
    if (!header.ok()) return header.status().WithPrefix(fmt::format("message at offset {}", pos));
    if (!header->has_value()) {
      return CorruptionError(fmt::format("message at offset {}: no header", pos));
    }
    m.header = **header;
    DOLPHIN_ASSIGN_OR_RETURN(m.body_length, msg.Scalar<int64_t>(f::kMessageBodyLength, 0));
    m.body_offset = at + static_cast<uint64_t>(meta_len);
    if (m.body_length < 0 || static_cast<uint64_t>(m.body_length) > size_ - m.body_offset) {
      return CorruptionError(
          fmt::format("message at offset {}: body length {} exceeds the {} bytes left", pos,
                      m.body_length, size_ - m.body_offset));
    }
    *next = m.body_offset + static_cast<uint64_t>(m.body_length);
    return std::optional<MessageView>(m);
  }

  Status SetSchema(const fb::TableView& schema_table) {
    SchemaParser parser{options_, budget_};
    auto schema = parser.Parse(schema_table);
    if (!schema.ok()) return schema.status();
    schema_ = std::move(*schema);
    for (const Field& field : schema_->fields) DOLPHIN_RETURN_IF_ERROR(CollectDictionaries(field));
    return Status::Ok();
  }

  Status CollectDictionaries(const Field& field) {
    if (field.dictionary) {
      auto [it, inserted] = dict_fields_.emplace(field.dictionary->id, &field);
      if (!inserted && FieldTypeToString(*it->second) != FieldTypeToString(field)) {
        return InvalidArgumentError(fmt::format(
            "field '{}': dictionary id {} is already used by field '{}' with another type",
            field.name, field.dictionary->id, it->second->name));
      }
    }
    for (const Field& child : field.children) DOLPHIN_RETURN_IF_ERROR(CollectDictionaries(child));
    return Status::Ok();
  }

  // ---- Body decoding ----

  struct Body {
    uint64_t offset = 0;  // absolute
    int64_t length = 0;
    fb::VectorView nodes;
    fb::VectorView buffers;
    uint32_t node_i = 0;
    uint32_t buffer_i = 0;
    Codec codec = Codec::kNone;
    std::string what;  // "record batch 3" / "dictionary 0"
  };

  Result<Body> OpenBody(const MessageView& m, const fb::TableView& batch, std::string what) {
    Body b;
    b.offset = m.body_offset;
    b.length = m.body_length;
    b.what = std::move(what);
    DOLPHIN_ASSIGN_OR_RETURN(b.nodes, batch.Vector(f::kBatchNodes, f::kFieldNodeSize));
    DOLPHIN_ASSIGN_OR_RETURN(b.buffers, batch.Vector(f::kBatchBuffers, f::kBufferSize));
    DOLPHIN_ASSIGN_OR_RETURN(auto comp, batch.Table(f::kBatchCompression));
    if (comp) {
      DOLPHIN_ASSIGN_OR_RETURN(int8_t codec, comp->Scalar<int8_t>(f::kCompressionCodec, 0));
      DOLPHIN_ASSIGN_OR_RETURN(int8_t method, comp->Scalar<int8_t>(f::kCompressionMethod, 0));
      if (codec != 0 && codec != 1) {
        return UnimplementedError(fmt::format("{}: unknown compression codec {}", b.what, codec));
      }
      if (method != 0) {
        return UnimplementedError(fmt::format("{}: unknown compression method {}", b.what, method));
      }
      b.codec = static_cast<Codec>(codec);
    }
    return b;
  }

  Result<Buffer> NextBuffer(Body& b, const std::string& path) {
    if (b.buffer_i >= b.buffers.size()) {
      return CorruptionError(fmt::format("{}: field '{}': buffer {} missing ({} in message)",
                                         b.what, path, b.buffer_i, b.buffers.size()));
    }
    uint32_t index = b.buffer_i++;
    const uint8_t* p = b.buffers.ElementPtr(index);
    int64_t off = fb::Load<int64_t>(p);
    int64_t len = fb::Load<int64_t>(p + 8);
    if (off < 0 || len < 0 || off > b.length || len > b.length - off) {
      return CorruptionError(fmt::format(
          "{}: field '{}': buffer {} (offset {}, length {}) is outside the body of {} bytes",
          b.what, path, index, off, len, b.length));
    }
    Buffer buf;
    if (len == 0) return buf;
    const uint8_t* src = data_ + b.offset + off;
    if (b.codec == Codec::kNone) {
      DOLPHIN_RETURN_IF_ERROR(
          budget_.Take(len, [&] { return fmt::format("{}: field '{}'", b.what, path); }));
      buf.owner = bytes_;
      buf.data = src;
      buf.size = len;
      return buf;
    }
    if (len < 8) {
      return CorruptionError(
          fmt::format("{}: field '{}': compressed buffer {} of {} bytes lacks its length prefix",
                      b.what, path, index, len));
    }
    int64_t raw_len = fb::Load<int64_t>(src);
    if (raw_len == -1) {
      DOLPHIN_RETURN_IF_ERROR(
          budget_.Take(len - 8, [&] { return fmt::format("{}: field '{}'", b.what, path); }));
      buf.owner = bytes_;
      buf.data = src + 8;
      buf.size = len - 8;
      return buf;
    }
    if (raw_len < 0) {
      return CorruptionError(
          fmt::format("{}: field '{}': buffer {} declares {} bytes", b.what, path, index, raw_len));
    }
    DOLPHIN_RETURN_IF_ERROR(budget_.Take(raw_len, [&] {
      return fmt::format("{}: field '{}': decompressing buffer {}", b.what, path, index);
    }));
    auto out = internal::Decompress(b.codec, src + 8, static_cast<size_t>(len - 8),
                                    static_cast<size_t>(raw_len));
    if (!out.ok()) {
      return out.status().WithPrefix(fmt::format("{}: field '{}': buffer {}", b.what, path, index));
    }
    return MakeBuffer(std::move(*out));
  }

  Status CheckBufferless(int64_t length, const std::string& path, const Body& b) {
    if (length > options_.max_rows_bufferless) {
      return InvalidArgumentError(
          fmt::format("{}: field '{}': {} rows without data exceed the limit of {}", b.what, path,
                      length, options_.max_rows_bufferless));
    }
    return Status::Ok();
  }

  template <typename O>
  Status CheckOffsets(const Array& a, int64_t data_size, const std::string& path, const Body& b,
                      int64_t* last) {
    *last = 0;
    if (a.length == 0) return Status::Ok();
    if (a.offsets.size / static_cast<int64_t>(sizeof(O)) < a.length + 1) {
      return CorruptionError(
          fmt::format("{}: field '{}': offsets buffer of {} bytes is too short for {} rows", b.what,
                      path, a.offsets.size, a.length));
    }
    O prev = a.offsets.Get<O>(0);
    if (prev < 0) {
      return CorruptionError(fmt::format("{}: field '{}': negative first offset {}", b.what, path,
                                         static_cast<int64_t>(prev)));
    }
    for (int64_t i = 1; i <= a.length; ++i) {
      O cur = a.offsets.Get<O>(i);
      if (cur < prev) {
        return CorruptionError(
            fmt::format("{}: field '{}': offsets decrease at row {}", b.what, path, i - 1));
      }
      prev = cur;
    }
    if (static_cast<int64_t>(prev) > data_size) {
      return CorruptionError(
          fmt::format("{}: field '{}': last offset {} exceeds the {} values available", b.what,
                      path, static_cast<int64_t>(prev), data_size));
    }
    *last = static_cast<int64_t>(prev);
    return Status::Ok();
  }

  Result<std::shared_ptr<const Array>> LoadArray(Body& b, const Field& field, bool dict_values,
                                                 const std::string& parent, int depth) {
    std::string path = Join(parent, field.name);
    if (depth > options_.max_nesting_depth) {
      return InvalidArgumentError(fmt::format("{}: field '{}': nesting depth exceeds {}", b.what,
                                              path, options_.max_nesting_depth));
    }
    if (b.node_i >= b.nodes.size()) {
      return CorruptionError(fmt::format("{}: field '{}': field node {} missing ({} in message)",
                                         b.what, path, b.node_i, b.nodes.size()));
    }
    const uint8_t* node = b.nodes.ElementPtr(b.node_i++);
    DOLPHIN_RETURN_IF_ERROR(budget_.Take(sizeof(Array) + 64, [&] { return b.what + ": arrays"; }));
    auto a = std::make_shared<Array>();
    a->length = fb::Load<int64_t>(node);
    a->null_count = fb::Load<int64_t>(node + 8);
    if (a->length < 0 || a->null_count < 0 || a->null_count > a->length) {
      return CorruptionError(fmt::format("{}: field '{}': invalid length {} / null count {}",
                                         b.what, path, a->length, a->null_count));
    }
    const bool dict = field.dictionary.has_value() && !dict_values;
    const TypeId id = dict ? field.dictionary->index_type : field.type.id;
    if (id == TypeId::kNull) {
      DOLPHIN_RETURN_IF_ERROR(CheckBufferless(a->length, path, b));
      a->null_count = a->length;
      return std::shared_ptr<const Array>(std::move(a));
    }
    DOLPHIN_ASSIGN_OR_RETURN(a->validity, NextBuffer(b, path));
    if (a->null_count == 0) {
      a->validity = Buffer();
    } else if (a->validity.size < BitmapBytes(a->length)) {
      return CorruptionError(fmt::format(
          "{}: field '{}': validity bitmap of {} bytes is too short for {} rows ({} nulls)", b.what,
          path, a->validity.size, a->length, a->null_count));
    }
    const int64_t len = a->length;
    if (int width = FixedWidth(id); width > 0) {
      DOLPHIN_ASSIGN_OR_RETURN(a->values, NextBuffer(b, path));
      if (a->values.size / width < len) {
        return CorruptionError(
            fmt::format("{}: field '{}': values buffer of {} bytes is too short for {} rows of {}",
                        b.what, path, a->values.size, len, TypeIdName(id)));
      }
      if (dict) DOLPHIN_RETURN_IF_ERROR(AttachDictionary(b, field, *a, path));
      return std::shared_ptr<const Array>(std::move(a));
    }
    switch (id) {
      case TypeId::kBool: {
        DOLPHIN_ASSIGN_OR_RETURN(a->values, NextBuffer(b, path));
        if (a->values.size < BitmapBytes(len)) {
          return CorruptionError(
              fmt::format("{}: field '{}': bool buffer of {} bytes is too short for {} rows",
                          b.what, path, a->values.size, len));
        }
        break;
      }
      case TypeId::kFixedSizeBinary: {
        DOLPHIN_ASSIGN_OR_RETURN(a->values, NextBuffer(b, path));
        int64_t w = field.type.width;
        if (w == 0) {
          if (a->validity.size == 0) DOLPHIN_RETURN_IF_ERROR(CheckBufferless(len, path, b));
        } else if (a->values.size / w < len) {
          return CorruptionError(fmt::format(
              "{}: field '{}': values buffer of {} bytes is too short for {} rows of {} bytes",
              b.what, path, a->values.size, len, w));
        }
        break;
      }
      case TypeId::kUtf8:
      case TypeId::kBinary:
      case TypeId::kLargeUtf8:
      case TypeId::kLargeBinary: {
        DOLPHIN_ASSIGN_OR_RETURN(a->offsets, NextBuffer(b, path));
        DOLPHIN_ASSIGN_OR_RETURN(a->values, NextBuffer(b, path));
        int64_t last = 0;
        if (id == TypeId::kUtf8 || id == TypeId::kBinary) {
          DOLPHIN_RETURN_IF_ERROR(CheckOffsets<int32_t>(*a, a->values.size, path, b, &last));
        } else {
          DOLPHIN_RETURN_IF_ERROR(CheckOffsets<int64_t>(*a, a->values.size, path, b, &last));
        }
        break;
      }
      case TypeId::kList:
      case TypeId::kLargeList:
      case TypeId::kMap: {
        DOLPHIN_ASSIGN_OR_RETURN(a->offsets, NextBuffer(b, path));
        DOLPHIN_ASSIGN_OR_RETURN(auto child,
                                 LoadArray(b, field.children[0], false, path, depth + 1));
        int64_t last = 0;
        if (id == TypeId::kLargeList) {
          DOLPHIN_RETURN_IF_ERROR(CheckOffsets<int64_t>(*a, child->length, path, b, &last));
        } else {
          DOLPHIN_RETURN_IF_ERROR(CheckOffsets<int32_t>(*a, child->length, path, b, &last));
        }
        a->children.push_back(std::move(child));
        break;
      }
      case TypeId::kFixedSizeList: {
        DOLPHIN_ASSIGN_OR_RETURN(auto child,
                                 LoadArray(b, field.children[0], false, path, depth + 1));
        int64_t w = field.type.width;
        if (w == 0) {
          if (a->validity.size == 0) DOLPHIN_RETURN_IF_ERROR(CheckBufferless(len, path, b));
        } else if (child->length / w < len) {
          return CorruptionError(
              fmt::format("{}: field '{}': child of {} values is too short for {} lists of {}",
                          b.what, path, child->length, len, w));
        }
        a->children.push_back(std::move(child));
        break;
      }
      case TypeId::kStruct: {
        if (field.children.empty() && a->validity.size == 0) {
          DOLPHIN_RETURN_IF_ERROR(CheckBufferless(len, path, b));
        }
        for (const Field& cf : field.children) {
          DOLPHIN_ASSIGN_OR_RETURN(auto child, LoadArray(b, cf, false, path, depth + 1));
          if (child->length < len) {
            return CorruptionError(
                fmt::format("{}: field '{}': child '{}' has {} rows, the struct {}", b.what, path,
                            cf.name, child->length, len));
          }
          a->children.push_back(std::move(child));
        }
        break;
      }
      default:
        return InternalError(fmt::format("field '{}': unhandled type {}", path, TypeIdName(id)));
    }
    return std::shared_ptr<const Array>(std::move(a));
  }

  Status AttachDictionary(const Body& b, const Field& field, Array& a, const std::string& path) {
    auto it = dicts_.find(field.dictionary->id);
    if (it == dicts_.end()) {
      if (a.length == a.null_count) {
        // Every slot is null: nothing refers to a dictionary, so an empty one will do.
        a.dictionary = std::make_shared<Dictionary>();
        return Status::Ok();
      }
      return CorruptionError(fmt::format("{}: field '{}': dictionary id {} was never sent", b.what,
                                         path, field.dictionary->id));
    }
    a.dictionary = it->second;
    const int64_t n = a.dictionary->length;
    const TypeId index_type = field.dictionary->index_type;
    for (int64_t i = 0; i < a.length; ++i) {
      if (!a.IsValid(i)) continue;
      int64_t index = IntegerAt(index_type, a, i);
      if (index < 0 || index >= n) {
        return CorruptionError(fmt::format(
            "{}: field '{}': dictionary index {} at row {} is outside the dictionary of {} values",
            b.what, path, static_cast<uint64_t>(index), i, n));
      }
    }
    return Status::Ok();
  }

  Result<RecordBatch> LoadRecordBatch(const MessageView& m, size_t number) {
    if (m.header_type != f::kHeaderRecordBatch) {
      return CorruptionError(fmt::format(
          "message at offset {}: expected a record batch, got type {}", m.position, m.header_type));
    }
    DOLPHIN_ASSIGN_OR_RETURN(Body b, OpenBody(m, m.header, fmt::format("record batch {}", number)));
    RecordBatch batch;
    DOLPHIN_ASSIGN_OR_RETURN(batch.num_rows, m.header.Scalar<int64_t>(f::kBatchLength, 0));
    if (batch.num_rows < 0) {
      return CorruptionError(fmt::format("{}: negative length {}", b.what, batch.num_rows));
    }
    if (schema_->fields.empty()) DOLPHIN_RETURN_IF_ERROR(CheckBufferless(batch.num_rows, "", b));
    for (const Field& field : schema_->fields) {
      DOLPHIN_ASSIGN_OR_RETURN(auto column, LoadArray(b, field, false, "", 1));
      if (column->length != batch.num_rows) {
        return CorruptionError(fmt::format("{}: column '{}' has {} rows, the batch {}", b.what,
                                           field.name, column->length, batch.num_rows));
      }
      batch.columns.push_back(std::move(column));
    }
    return batch;
  }

  Status LoadDictionaryBatch(const MessageView& m) {
    DOLPHIN_ASSIGN_OR_RETURN(int64_t id, m.header.Scalar<int64_t>(f::kDictBatchId, 0));
    DOLPHIN_ASSIGN_OR_RETURN(uint8_t is_delta, m.header.Scalar<uint8_t>(f::kDictBatchIsDelta, 0));
    auto field_it = dict_fields_.find(id);
    if (field_it == dict_fields_.end()) {
      return CorruptionError(fmt::format(
          "dictionary batch at offset {}: id {} is not used by any field", m.position, id));
    }
    DOLPHIN_ASSIGN_OR_RETURN(auto data, m.header.Table(f::kDictBatchData));
    if (!data) {
      return CorruptionError(fmt::format("dictionary batch at offset {}: no data", m.position));
    }
    DOLPHIN_ASSIGN_OR_RETURN(Body b, OpenBody(m, *data, fmt::format("dictionary {}", id)));
    DOLPHIN_ASSIGN_OR_RETURN(int64_t length, data->Scalar<int64_t>(f::kBatchLength, 0));
    const Field& field = *field_it->second;
    DOLPHIN_ASSIGN_OR_RETURN(auto values, LoadArray(b, field, true, "", 1));
    if (values->length != length) {
      return CorruptionError(
          fmt::format("{}: values have {} rows, the batch {}", b.what, values->length, length));
    }
    auto dict = std::make_shared<Dictionary>();
    auto old = dicts_.find(id);
    if (is_delta && old != dicts_.end()) {
      dict->chunks = old->second->chunks;
      dict->length = old->second->length;
    }
    DOLPHIN_RETURN_IF_ERROR(
        budget_.Take(static_cast<int64_t>(sizeof(Dictionary) + 16 * (dict->chunks.size() + 1)),
                     [&] { return b.what; }));
    dict->length += values->length;
    dict->chunks.push_back(std::move(values));
    dicts_[id] = std::move(dict);
    return Status::Ok();
  }

  Status Dispatch(const MessageView& m, Table& table) {
    switch (m.header_type) {
      case f::kHeaderDictionaryBatch: return LoadDictionaryBatch(m);
      case f::kHeaderRecordBatch: {
        DOLPHIN_ASSIGN_OR_RETURN(RecordBatch batch, LoadRecordBatch(m, table.batches.size()));
        table.batches.push_back(std::move(batch));
        return Status::Ok();
      }
      case f::kHeaderSchema:
        return CorruptionError(fmt::format("message at offset {}: a second schema", m.position));
      default:
        return UnimplementedError(fmt::format("message at offset {}: unsupported message type {}",
                                              m.position, m.header_type));
    }
  }

  Result<Table> ReadStream() {
    Table table;
    table.format = IpcFormat::kStream;
    uint64_t pos = 0;
    if (size_ == 0) return CorruptionError("empty input: not an Arrow file or stream");
    uint64_t next = 0;
    DOLPHIN_ASSIGN_OR_RETURN(auto first, ReadMessage(pos, size_, &next));
    if (!first) return CorruptionError("stream ends before its schema");
    if (first->header_type != f::kHeaderSchema) {
      return CorruptionError(
          fmt::format("stream does not start with a schema (message type {})", first->header_type));
    }
    table.version = static_cast<MetadataVersion>(first->version);
    DOLPHIN_RETURN_IF_ERROR(SetSchema(first->header));
    pos = next;
    while (pos < size_) {
      DOLPHIN_ASSIGN_OR_RETURN(auto m, ReadMessage(pos, size_, &next));
      if (!m) break;
      DOLPHIN_RETURN_IF_ERROR(Dispatch(*m, table));
      pos = next;
    }
    table.schema = schema_;
    return table;
  }

  Result<Table> ReadFile() {
    Table table;
    table.format = IpcFormat::kFile;
    if (size_ < 18 || std::memcmp(data_ + size_ - 6, "ARROW1", 6) != 0) {
      return CorruptionError("file starts with ARROW1 but does not end with it (truncated?)");
    }
    int32_t footer_len = fb::Load<int32_t>(data_ + size_ - 10);
    if (footer_len <= 0 || static_cast<uint64_t>(footer_len) > size_ - 18) {
      return CorruptionError(
          fmt::format("footer length {} is invalid for a file of {} bytes", footer_len, size_));
    }
    uint64_t footer_pos = size_ - 10 - static_cast<uint64_t>(footer_len);
    auto footer_r = fb::TableView::Root(data_ + footer_pos, static_cast<size_t>(footer_len));
    if (!footer_r.ok()) return footer_r.status().WithPrefix("footer");
    fb::TableView footer = *footer_r;
    DOLPHIN_ASSIGN_OR_RETURN(int16_t version, footer.Scalar<int16_t>(f::kFooterVersion, 0));
    if (version == f::kVersionV1) {
      // No version in the footer (an unset field reads as V1): some pre-0.15 writers left it
      // out, e.g. in arrow-testing's 0.14.1 files with no or only empty record batches. Decoding
      // depends on each message's own version (checked per message, as Arrow C++ does); the
      // file's version is that of the schema message the file format puts at offset 8.
      auto v = SchemaMessageVersion(footer_pos);
      if (!v.ok()) {
        return v.status().WithPrefix("footer has no metadata version, and its schema message");
      }
      version = *v;
    }
    DOLPHIN_RETURN_IF_ERROR(CheckVersion(version, footer_pos));
    table.version = static_cast<MetadataVersion>(version);
    DOLPHIN_ASSIGN_OR_RETURN(auto schema, footer.Table(f::kFooterSchema));
    if (!schema) return CorruptionError("footer has no schema");
    DOLPHIN_RETURN_IF_ERROR(SetSchema(*schema));
    DOLPHIN_ASSIGN_OR_RETURN(auto dicts, footer.Vector(f::kFooterDictionaries, f::kBlockSize));
    DOLPHIN_ASSIGN_OR_RETURN(auto batches, footer.Vector(f::kFooterRecordBatches, f::kBlockSize));
    for (uint32_t i = 0; i < dicts.size(); ++i) {
      DOLPHIN_ASSIGN_OR_RETURN(MessageView m, ReadBlock(dicts, i, footer_pos, "dictionary"));
      if (m.header_type != f::kHeaderDictionaryBatch) {
        return CorruptionError(fmt::format(
            "dictionary block {}: message type {} is not a dictionary", i, m.header_type));
      }
      DOLPHIN_RETURN_IF_ERROR(LoadDictionaryBatch(m));
    }
    for (uint32_t i = 0; i < batches.size(); ++i) {
      DOLPHIN_ASSIGN_OR_RETURN(MessageView m, ReadBlock(batches, i, footer_pos, "record batch"));
      DOLPHIN_ASSIGN_OR_RETURN(RecordBatch batch, LoadRecordBatch(m, i));
      table.batches.push_back(std::move(batch));
    }
    table.schema = schema_;
    return table;
  }

  // Version of the schema message that follows the file's 8-byte magic and padding.
  Result<int16_t> SchemaMessageVersion(uint64_t footer_pos) {
    uint64_t next = 0;
    DOLPHIN_ASSIGN_OR_RETURN(auto m, ReadMessage(8, footer_pos, &next));
    if (!m)
      return CorruptionError("message at offset 8: end-of-stream marker instead of the schema");
    if (m->header_type != f::kHeaderSchema) {
      return CorruptionError(
          fmt::format("message at offset 8: message type {} is not a schema", m->header_type));
    }
    return m->version;
  }

  Result<MessageView> ReadBlock(const fb::VectorView& blocks, uint32_t i, uint64_t limit,
                                const char* what) {
    const uint8_t* p = blocks.ElementPtr(i);
    int64_t offset = fb::Load<int64_t>(p);
    int32_t meta_len = fb::Load<int32_t>(p + 8);
    if (offset < 0 || meta_len < 0 || static_cast<uint64_t>(offset) >= limit ||
        static_cast<uint64_t>(meta_len) > limit - static_cast<uint64_t>(offset)) {
      return CorruptionError(fmt::format(
          "{} block {}: offset {} / metadata length {} out of bounds", what, i, offset, meta_len));
    }
    uint64_t next = 0;
    auto m = ReadMessage(static_cast<uint64_t>(offset),
                         static_cast<uint64_t>(offset) + static_cast<uint64_t>(meta_len), &next);
    if (!m.ok()) return m.status().WithPrefix(fmt::format("{} block {}", what, i));
    if (!m->has_value()) return CorruptionError(fmt::format("{} block {}: empty message", what, i));
    return **m;
  }

  std::shared_ptr<const std::vector<uint8_t>> bytes_;
  const uint8_t* data_;
  uint64_t size_;
  const ReaderOptions& options_;
  Budget budget_;
  std::shared_ptr<Schema> schema_;
  std::map<int64_t, const Field*> dict_fields_;
  std::map<int64_t, std::shared_ptr<const Dictionary>> dicts_;
};

}  // namespace

Result<Table> ReadIpc(std::shared_ptr<const std::vector<uint8_t>> bytes,
                      const ReaderOptions& options) {
  if (bytes == nullptr) return InvalidArgumentError("ReadIpc: null input");
  Reader reader(std::move(bytes), options);
  return reader.Read();
}

Result<Table> ReadIpc(std::span<const uint8_t> bytes, const ReaderOptions& options) {
  return ReadIpc(std::make_shared<const std::vector<uint8_t>>(bytes.begin(), bytes.end()), options);
}

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(path, err);
  }
  return ReadOpenFile(fd, st, path);
}

Result<std::vector<uint8_t>> ReadOpenFile(int fd, const struct stat& st, const std::string& path) {
  // One read of the size fstat gave (plus a byte to see the end) for a regular file; a file
  // that grows while read, or one without a size (a FIFO), grows the buffer.
  std::vector<uint8_t> out(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : 65536);
  size_t got = 0;
  while (true) {
    if (got == out.size()) out.resize(out.size() * 2);
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoError(path, err);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

Result<Table> ReadIpcFile(const std::string& path, const ReaderOptions& options) {
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  auto r = ReadIpc(std::make_shared<const std::vector<uint8_t>>(std::move(bytes)), options);
  if (!r.ok()) return r.status().WithPrefix(path);
  return r;
}

}  // namespace dolphin::arrow
