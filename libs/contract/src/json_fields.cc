#include "dolphin/contract/json_fields.h"

#include <fmt/format.h>

#include <limits>

namespace dolphin::contract {

namespace {

Status TypeError(std::string_view what, std::string_view field, std::string_view expected,
                 const Json& got) {
  return InvalidArgumentError(
      fmt::format("{}: {}: expected {}, got {}", what, field, expected, JsonTypeName(got)));
}

Status MissingError(std::string_view what, std::string_view field) {
  return InvalidArgumentError(fmt::format("{}: {}: missing", what, field));
}

bool Absent(const Json* v) { return v == nullptr || v->is_null(); }

}  // namespace

Result<Json> ParseObject(std::string_view text, std::string_view what) {
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseJson(text, what));
  if (!j.is_object()) {
    return InvalidArgumentError(
        fmt::format("{}: expected a JSON object, got {}", what, JsonTypeName(j)));
  }
  return j;
}

const Json* FindField(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  if (it == object.end()) return nullptr;
  return &*it;
}

std::string_view JsonTypeName(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "binary";
}

Result<std::string> AsString(const Json& v, std::string_view field, std::string_view what) {
  if (!v.is_string()) return TypeError(what, field, "a string", v);
  return v.get<std::string>();
}

Result<int64_t> AsInt64(const Json& v, std::string_view field, std::string_view what) {
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return InvalidArgumentError(fmt::format("{}: {}: {} is out of range", what, field, u));
    }
    return static_cast<int64_t>(u);
  }
  if (!v.is_number_integer()) return TypeError(what, field, "an integer", v);
  return v.get<int64_t>();
}

Result<double> AsDouble(const Json& v, std::string_view field, std::string_view what) {
  if (!v.is_number()) return TypeError(what, field, "a number", v);
  return v.get<double>();
}

Result<std::string> GetString(const Json& o, std::string_view key, std::string_view what) {
  const Json* v = FindField(o, key);
  if (v == nullptr) return MissingError(what, key);
  return AsString(*v, key, what);
}

Result<int64_t> GetInt64(const Json& o, std::string_view key, std::string_view what) {
  const Json* v = FindField(o, key);
  if (v == nullptr) return MissingError(what, key);
  return AsInt64(*v, key, what);
}

Result<double> GetDouble(const Json& o, std::string_view key, std::string_view what) {
  const Json* v = FindField(o, key);
  if (v == nullptr) return MissingError(what, key);
  return AsDouble(*v, key, what);
}

Result<bool> GetBool(const Json& o, std::string_view key, std::string_view what) {
  const Json* v = FindField(o, key);
  if (v == nullptr) return MissingError(what, key);
  if (!v->is_boolean()) return TypeError(what, key, "a boolean", *v);
  return v->get<bool>();
}

Result<Timestamp> GetTimestamp(const Json& o, std::string_view key, std::string_view what) {
  const Json* v = FindField(o, key);
  if (v == nullptr) return MissingError(what, key);
  if (!v->is_string()) return TypeError(what, key, "an RFC 3339 string", *v);
  auto ts = ParseRfc3339(v->get<std::string>());
  if (!ts.ok())
    return InvalidArgumentError(fmt::format("{}: {}: {}", what, key, ts.status().message()));
  return *ts;
}

Result<Json> GetObject(const Json& o, std::string_view key, std::string_view what) {
  const Json* v = FindField(o, key);
  if (v == nullptr) return MissingError(what, key);
  if (!v->is_object()) return TypeError(what, key, "an object", *v);
  return *v;
}

Result<Json> GetArray(const Json& o, std::string_view key, std::string_view what) {
  const Json* v = FindField(o, key);
  if (v == nullptr) return MissingError(what, key);
  if (!v->is_array()) return TypeError(what, key, "an array", *v);
  return *v;
}

Result<std::string> GetStringOr(const Json& o, std::string_view key, std::string fallback,
                                std::string_view what) {
  const Json* v = FindField(o, key);
  if (Absent(v)) return fallback;
  return AsString(*v, key, what);
}

Result<int64_t> GetInt64Or(const Json& o, std::string_view key, int64_t fallback,
                           std::string_view what) {
  const Json* v = FindField(o, key);
  if (Absent(v)) return fallback;
  return AsInt64(*v, key, what);
}

Result<double> GetDoubleOr(const Json& o, std::string_view key, double fallback,
                           std::string_view what) {
  const Json* v = FindField(o, key);
  if (Absent(v)) return fallback;
  return AsDouble(*v, key, what);
}

Result<bool> GetBoolOr(const Json& o, std::string_view key, bool fallback, std::string_view what) {
  const Json* v = FindField(o, key);
  if (Absent(v)) return fallback;
  if (!v->is_boolean()) return TypeError(what, key, "a boolean", *v);
  return v->get<bool>();
}

}  // namespace dolphin::contract
