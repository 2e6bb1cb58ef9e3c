// JSON helpers around nlohmann::json (core is the adapter for it), and the project's one JSON
// string writer (used by core, arrow and bridge).
//
// Bus values are JSON text. dolphin writes floats as the shortest text that round-trips
// and NaN/Inf as null (docs/architecture.md §8). Strings are always written as valid JSON: invalid
// UTF-8 is replaced by U+FFFD, never passed through. Thread-safety: pure functions.
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

// True when `s` is well-formed UTF-8 (Unicode 3.9 / RFC 3629): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. The empty string is valid.
bool IsValidUtf8(std::string_view s);

// Appends `s` as a JSON string literal (with quotes) to `out`, so that the result is always
// valid JSON (and valid UTF-8):
//  - '"' and '\\' are escaped; control characters U+0000..U+001F become \b \f \n \r \t or
//    \u00xx (lowercase hex); everything else, DEL included, is copied as it is;
//  - well-formed UTF-8 is copied byte for byte;
//  - each maximal ill-formed subpart (Unicode 3.9, "U+FFFD substitution of maximal subparts",
//    as the WHATWG decoder and DumpJson do) becomes one U+FFFD: a lone or stray byte is one,
//    a truncated sequence ("\xE2\x82" before a non-continuation byte or the end) is one, an
//    overlong or surrogate form is one per byte.
// Callers for whom a replaced string would be wrong (a key that must stay distinct) check
// IsValidUtf8 first.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace dolphin
