// JSON helpers around nlohmann::json (core is the adapter for it).
//
// Bus values are JSON text. dolphin writes floats as the shortest text that round-trips
// and NaN/Inf as null (DESIGN section 3). Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "dolphin/core/result.h"

namespace dolphin {

using Json = nlohmann::ordered_json;

// Parses JSON text; the error names `what` (e.g. "request body") and the parser's position.
Result<Json> ParseJson(std::string_view text, std::string_view what = "JSON");

// Compact JSON text; invalid UTF-8 is replaced rather than thrown.
std::string DumpJson(const Json& j);

// Shortest decimal text that parses back to the same double; "null" for NaN/Inf.
std::string FormatDouble(double v);

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace dolphin
