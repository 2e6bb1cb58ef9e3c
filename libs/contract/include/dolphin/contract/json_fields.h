// Non-throwing typed access to JSON that came from outside (disk, the bus, the network).
//
// nlohmann's `value()`, `get<T>()`, `at()` and `operator[]` on a const object throw on a missing
// key or a type mismatch; these return a Result instead, whose error names `what` (the file, the
// bus key, the endpoint) and the field: "bridge.state: epoch: expected an integer, got string".
// The *Or variants treat an absent (or null) field as `fallback` but a present field of the
// wrong type as an error. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::contract {

// Parses `text` and requires a JSON object. Errors: "<what>: not valid JSON (...)" or
// "<what>: expected a JSON object, got array".
Result<Json> ParseObject(std::string_view text, std::string_view what);

// The member `key` of `object`, or nullptr when `object` is not an object or lacks it.
const Json* FindField(const Json& object, std::string_view key);

// The JSON type's name as the errors spell it ("string", "integer", "number", ...).
std::string_view JsonTypeName(const Json& value);

Result<std::string> GetString(const Json& object, std::string_view key, std::string_view what);
Result<int64_t> GetInt64(const Json& object, std::string_view key, std::string_view what);
Result<double> GetDouble(const Json& object, std::string_view key, std::string_view what);
Result<bool> GetBool(const Json& object, std::string_view key, std::string_view what);
// An RFC 3339 string.
Result<Timestamp> GetTimestamp(const Json& object, std::string_view key, std::string_view what);
// An object or an array member (returned by copy).
Result<Json> GetObject(const Json& object, std::string_view key, std::string_view what);
Result<Json> GetArray(const Json& object, std::string_view key, std::string_view what);

Result<std::string> GetStringOr(const Json& object, std::string_view key, std::string fallback,
                                std::string_view what);
Result<int64_t> GetInt64Or(const Json& object, std::string_view key, int64_t fallback,
                           std::string_view what);
Result<double> GetDoubleOr(const Json& object, std::string_view key, double fallback,
                           std::string_view what);
Result<bool> GetBoolOr(const Json& object, std::string_view key, bool fallback,
                       std::string_view what);

// Conversions of a value already found (for array elements): same errors, `field` names it.
Result<std::string> AsString(const Json& value, std::string_view field, std::string_view what);
Result<int64_t> AsInt64(const Json& value, std::string_view field, std::string_view what);
Result<double> AsDouble(const Json& value, std::string_view field, std::string_view what);

}  // namespace dolphin::contract
