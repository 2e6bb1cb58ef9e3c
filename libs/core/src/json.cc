#include "dolphin/core/json.h"

#include <fmt/format.h>

#include <cmath>

namespace dolphin {

Result<Json> ParseJson(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's text starts with "[json.exception.parse_error.101] parse error at ...".
    std::string why = e.what();
    if (auto pos = why.find("] "); pos != std::string::npos) why = why.substr(pos + 2);
    return InvalidArgumentError(fmt::format("{} is not valid JSON: {}", what, why));
  }
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatDouble(double v) {
  if (!std::isfinite(v)) return "null";
  // fmt's "{}" is the shortest representation that round-trips.
  std::string s = fmt::format("{}", v);
  return s;
}

namespace {

struct Utf8Sequence {
  size_t length;  // bytes consumed: the whole sequence, or its maximal ill-formed subpart
  bool valid;
};

// The UTF-8 sequence that starts at s[0] (s[0] >= 0x80, n >= 1 bytes available). The second
// byte's range excludes overlong forms (E0, F0), surrogates (ED) and code points above
// U+10FFFF (F4); later bytes are plain continuation bytes 80..BF.
Utf8Sequence ScanSequence(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  size_t need = 0;  // continuation bytes after the lead byte
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return {1, false};  // a continuation byte, C0/C1 (always overlong) or F5..FF
  }
  size_t k = 1;
  if (k < n && s[k] >= lo && s[k] <= hi) {
    ++k;
    while (k <= need && k < n && (s[k] & 0xC0) == 0x80) ++k;
  }
  return {k, k == need + 1};
}

}  // namespace

bool IsValidUtf8(std::string_view sv) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const size_t n = sv.size();
  size_t i = 0;
  while (i < n) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    Utf8Sequence seq = ScanSequence(s + i, n - i);
    if (!seq.valid) return false;
    i += seq.length;
  }
  return true;
}

void AppendJsonString(std::string& out, std::string_view sv) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const size_t n = sv.size();
  out.push_back('"');
  // Bytes that need nothing are copied in runs: the bridge writes hundreds of symbols per scan.
  size_t run = 0;  // start of the pending verbatim run
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      Utf8Sequence seq = ScanSequence(s + i, n - i);
      if (!seq.valid) {
        out.append(sv.data() + run, i - run);
        out += "\xEF\xBF\xBD";  // U+FFFD
        run = i + seq.length;
      }
      i += seq.length;
      continue;
    }
    out.append(sv.data() + run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    ++i;
    run = i;
  }
  out.append(sv.data() + run, n - run);
  out.push_back('"');
}

}  // namespace dolphin
