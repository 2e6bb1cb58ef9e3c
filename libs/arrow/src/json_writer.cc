#include "dolphin/arrow/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "dolphin/core/json.h"

namespace dolphin::arrow {

namespace {

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void AppendUInt(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// The shortest text that round-trips (docs/architecture.md §3); NaN and infinities as null.
template <typename T>
void AppendShortest(std::string& out, T v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[40];
  char* end = fmt::format_to(buf, FMT_COMPILE("{}"), v);  // at most 25 chars
  out.append(buf, end);
}

void AppendDouble(std::string& out, double v) { AppendShortest(out, v); }
void AppendFloat(std::string& out, float v) { AppendShortest(out, v); }

void AppendHex(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  out.push_back('"');
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void AppendPadded(std::string& out, uint64_t v, int width) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  for (int k = static_cast<int>(r.ptr - buf); k < width; ++k) out.push_back('0');
  out.append(buf, r.ptr);
}

// Proleptic Gregorian date of a day count (H. Hinnant's algorithm), safe for any int64 day
// count that comes from an int64 of seconds or larger units.
void AppendDate(std::string& out, int64_t days) {
  // Callers pass at most int64 seconds / 86400 (about 1.1e14 days), so nothing overflows.
  int64_t z = static_cast<int64_t>(days) + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = static_cast<int64_t>(z - era * 146097);
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y += 1;
  if (y < 0) {
    out.push_back('-');
    AppendPadded(out, static_cast<uint64_t>(-y), 4);
  } else {
    AppendPadded(out, static_cast<uint64_t>(y), 4);
  }
  out.push_back('-');
  AppendPadded(out, static_cast<uint64_t>(m), 2);
  out.push_back('-');
  AppendPadded(out, static_cast<uint64_t>(d), 2);
}

int64_t PerSecond(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond: return 1;
    case TimeUnit::kMilli: return 1000;
    case TimeUnit::kMicro: return 1000000;
    case TimeUnit::kNano: return 1000000000;
  }
  return 1;
}

int FractionDigits(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond: return 0;
    case TimeUnit::kMilli: return 3;
    case TimeUnit::kMicro: return 6;
    case TimeUnit::kNano: return 9;
  }
  return 0;
}

// HH:MM:SS[.frac] for a second-of-day (hours may exceed 23 for out-of-range times).
void AppendClock(std::string& out, uint64_t secs, uint64_t frac, TimeUnit unit) {
  AppendPadded(out, secs / 3600, 2);
  out.push_back(':');
  AppendPadded(out, secs / 60 % 60, 2);
  out.push_back(':');
  AppendPadded(out, secs % 60, 2);
  if (int digits = FractionDigits(unit); digits > 0) {
    out.push_back('.');
    AppendPadded(out, frac, digits);
  }
}

void AppendTime(std::string& out, int64_t v, TimeUnit unit) {
  const auto per = static_cast<uint64_t>(PerSecond(unit));
  uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  out.push_back('"');
  if (v < 0) out.push_back('-');
  AppendClock(out, mag / per, mag % per, unit);
  out.push_back('"');
}

// Floor quotient and non-negative remainder, without overflow for any int64 `a` (b > 0).
std::pair<int64_t, int64_t> FloorDivMod(int64_t a, int64_t b) {
  int64_t q = a / b;
  int64_t r = a % b;
  if (r < 0) {
    q -= 1;
    r += b;
  }
  return {q, r};
}

void AppendTimestamp(std::string& out, int64_t v, TimeUnit unit, bool utc) {
  auto [secs, frac_s] = FloorDivMod(v, PerSecond(unit));
  auto [days, sod_s] = FloorDivMod(secs, 86400);
  auto frac = static_cast<uint64_t>(frac_s);
  auto sod = static_cast<uint64_t>(sod_s);
  out.push_back('"');
  AppendDate(out, days);
  out.push_back('T');
  AppendClock(out, sod, frac, unit);
  if (utc) out.push_back('Z');
  out.push_back('"');
}

void EncodeResolved(const Field& field, const Array& a, int64_t i, std::string& out) {
  const DataType& t = field.type;
  switch (t.id) {
    case TypeId::kNull: out += "null"; return;
    case TypeId::kBool: out += a.values.Bit(i) ? "true" : "false"; return;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kDuration: AppendInt(out, IntegerAt(t.id, a, i)); return;
    case TypeId::kUInt64: AppendUInt(out, a.values.Get<uint64_t>(i)); return;
    case TypeId::kFloat16: AppendFloat(out, HalfToFloat(a.values.Get<uint16_t>(i))); return;
    case TypeId::kFloat32: AppendFloat(out, a.values.Get<float>(i)); return;
    case TypeId::kFloat64: AppendDouble(out, a.values.Get<double>(i)); return;
    case TypeId::kUtf8:
    case TypeId::kLargeUtf8: AppendJsonString(out, BytesAt(t, a, i)); return;
    case TypeId::kBinary:
    case TypeId::kLargeBinary:
    case TypeId::kFixedSizeBinary: AppendHex(out, BytesAt(t, a, i)); return;
    case TypeId::kDate32:
      out.push_back('"');
      AppendDate(out, a.values.Get<int32_t>(i));
      out.push_back('"');
      return;
    case TypeId::kDate64:
      out.push_back('"');
      AppendDate(out, FloorDiv(a.values.Get<int64_t>(i), 86400000));
      out.push_back('"');
      return;
    case TypeId::kTime32:
    case TypeId::kTime64: AppendTime(out, IntegerAt(t.id, a, i), t.unit); return;
    case TypeId::kTimestamp:
      AppendTimestamp(out, a.values.Get<int64_t>(i), t.unit, !t.timezone.empty());
      return;
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList: {
      auto [begin, end] = ListRangeAt(t, a, i);
      const Field& item = field.children[0];
      const Array& items = *a.children[0];
      out.push_back('[');
      if (!item.dictionary && items.validity.size == 0 && item.type.id == TypeId::kFloat64) {
        // Fast path of the scan files' price and eigenvalue lists.
        for (int64_t k = begin; k < end; ++k) {
          if (k > begin) out.push_back(',');
          AppendDouble(out, items.values.Get<double>(k));
        }
      } else if (!item.dictionary && items.validity.size == 0 && item.type.id == TypeId::kUtf8) {
        for (int64_t k = begin; k < end; ++k) {
          if (k > begin) out.push_back(',');
          AppendJsonString(out, BytesAt(item.type, items, k));
        }
      } else {
        for (int64_t k = begin; k < end; ++k) {
          if (k > begin) out.push_back(',');
          EncodeValueJson(item, items, k, out);
        }
      }
      out.push_back(']');
      return;
    }
    case TypeId::kMap: {
      auto [begin, end] = ListRangeAt(t, a, i);
      const Field& entries = field.children[0];
      const Array& ea = *a.children[0];
      out.push_back('[');
      for (int64_t k = begin; k < end; ++k) {
        if (k > begin) out.push_back(',');
        if (!ea.IsValid(k)) {
          out += "null";
          continue;
        }
        out += "{\"key\":";
        EncodeValueJson(entries.children[0], *ea.children[0], k, out);
        out += ",\"value\":";
        EncodeValueJson(entries.children[1], *ea.children[1], k, out);
        out.push_back('}');
      }
      out.push_back(']');
      return;
    }
    case TypeId::kStruct: {
      out.push_back('{');
      for (size_t c = 0; c < field.children.size(); ++c) {
        if (c > 0) out.push_back(',');
        AppendJsonString(out, field.children[c].name);
        out.push_back(':');
        EncodeValueJson(field.children[c], *a.children[c], i, out);
      }
      out.push_back('}');
      return;
    }
  }
  out += "null";
}

}  // namespace

void EncodeValueJson(const Field& field, const Array& array, int64_t i, std::string& out) {
  if (field.type.id == TypeId::kNull || !array.IsValid(i)) {
    out += "null";
    return;
  }
  if (field.dictionary && array.dictionary) {
    auto [values, j] = array.dictionary->Locate(IntegerAt(field.dictionary->index_type, array, i));
    if (values == nullptr || !values->IsValid(j)) {
      out += "null";
      return;
    }
    EncodeResolved(field, *values, j, out);
    return;
  }
  EncodeResolved(field, array, i, out);
}

void EncodeCellJson(const Table& table, size_t batch, int column, int64_t row, std::string& out) {
  const auto c = static_cast<size_t>(column);
  EncodeValueJson(table.schema->fields[c], *table.batches[batch].columns[c], row, out);
}

void EncodeRowJson(const Table& table, size_t batch, int64_t row, std::string& out) {
  const auto& fields = table.schema->fields;
  const auto& columns = table.batches[batch].columns;
  out.push_back('{');
  for (size_t c = 0; c < fields.size(); ++c) {
    if (c > 0) out.push_back(',');
    AppendJsonString(out, fields[c].name);
    out.push_back(':');
    EncodeValueJson(fields[c], *columns[c], row, out);
  }
  out.push_back('}');
}

std::string EncodeJsonLines(const Table& table, size_t max_bytes) {
  std::string out;
  for (size_t b = 0; b < table.batches.size(); ++b) {
    for (int64_t r = 0; r < table.batches[b].num_rows && out.size() < max_bytes; ++r) {
      EncodeRowJson(table, b, r, out);
      out.push_back('\n');
    }
  }
  return out;
}

Status CatToJsonLines(const std::string& path, std::ostream& out, const ReaderOptions& options) {
  DOLPHIN_ASSIGN_OR_RETURN(Table table, ReadIpcFile(path, options));
  std::string text;
  for (size_t b = 0; b < table.batches.size(); ++b) {
    for (int64_t r = 0; r < table.batches[b].num_rows; ++r) {
      EncodeRowJson(table, b, r, text);
      text.push_back('\n');
      if (text.size() > (1u << 16)) {
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        text.clear();
      }
    }
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.flush();
  if (!out) return IoError("cannot write the output");
  return Status::Ok();
}

namespace {

void FormatMetadata(const Metadata& md, const std::string& indent, std::ostream& out) {
  for (const auto& [k, v] : md) {
    std::string key;
    std::string value;
    AppendJsonString(key, k);
    AppendJsonString(value, v);
    out << indent << key << ": " << value << "\n";
  }
}

void FormatField(const Field& field, const std::string& indent, std::ostream& out) {
  std::string name;
  AppendJsonString(name, field.name);
  out << indent << name << ": " << FieldTypeToString(field) << (field.nullable ? "" : " not null")
      << "\n";
  if (!field.metadata.empty()) {
    out << indent << "  metadata:\n";
    FormatMetadata(field.metadata, indent + "    ", out);
  }
  bool show_children = false;
  for (const Field& c : field.children) {
    if (!c.nullable || !c.metadata.empty() || c.dictionary || !c.children.empty())
      show_children = true;
  }
  if (show_children) {
    for (const Field& c : field.children) FormatField(c, indent + "  ", out);
  }
}

}  // namespace

void FormatSchema(const Table& table, std::ostream& out) {
  out << "format: " << (table.format == IpcFormat::kFile ? "file" : "stream")
      << ", metadata version " << (table.version == MetadataVersion::kV5 ? "V5" : "V4") << ", "
      << table.batches.size() << " record batch" << (table.batches.size() == 1 ? "" : "es") << ", "
      << table.num_rows() << " rows\n";
  out << "fields (" << table.schema->fields.size() << "):\n";
  for (const Field& field : table.schema->fields) FormatField(field, "  ", out);
  if (!table.schema->metadata.empty()) {
    out << "metadata:\n";
    FormatMetadata(table.schema->metadata, "  ", out);
  }
}

Status PrintSchema(const std::string& path, std::ostream& out, const ReaderOptions& options) {
  DOLPHIN_ASSIGN_OR_RETURN(Table table, ReadIpcFile(path, options));
  FormatSchema(table, out);
  out.flush();
  if (!out) return IoError("cannot write the output");
  return Status::Ok();
}

int RunArrowCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  static constexpr const char* kUsage =
      "usage: dolphin arrow cat FILE      print each row as one JSON object (JSON Lines)\n"
      "       dolphin arrow schema FILE   print the schema\n"
      "FILE may use the Arrow IPC file or stream format.\n";
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    }
  }
  if (args.size() != 2 || (args[0] != "cat" && args[0] != "schema")) {
    err << "dolphin arrow: expected 'cat FILE' or 'schema FILE'\n" << kUsage;
    return 2;
  }
  Status s = args[0] == "cat" ? CatToJsonLines(args[1], out) : PrintSchema(args[1], out);
  if (!s.ok()) {
    std::string msg = s.message();
    for (char& c : msg) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    err << "dolphin arrow " << args[0] << ": " << msg << "\n";
    return 1;
  }
  return 0;
}

}  // namespace dolphin::arrow
