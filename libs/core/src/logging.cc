#include "dolphin/core/logging.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "dolphin/core/json.h"

namespace dolphin {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  return InvalidArgumentError(
      fmt::format("unknown log level \"{}\", expected debug, info, warn or error", text));
}

Result<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "human" || text == "text") return LogFormat::kHuman;
  if (text == "json") return LogFormat::kJson;
  return InvalidArgumentError(
      fmt::format("unknown log format \"{}\", expected human or json", text));
}

LogField::LogField(std::string_view k, double v)
    : key(k), text(FormatDouble(v)), kind(Kind::kDouble) {}

namespace {

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  return std::any_of(v.begin(), v.end(), [](char c) { return c == ' ' || c == '"' || c == '='; });
}

}  // namespace

std::string FormatLogLine(LogFormat format, Timestamp ts, LogLevel level,
                          std::string_view component, std::string_view message,
                          std::initializer_list<LogField> fields) {
  if (format == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = FormatRfc3339(ts);
    j["level"] = LogLevelName(level);
    j["component"] = component;
    j["msg"] = message;
    for (const LogField& f : fields) {
      switch (f.kind) {
        case LogField::Kind::kString: j[f.key] = f.text; break;
        case LogField::Kind::kBool: j[f.key] = f.text == "true"; break;
        case LogField::Kind::kInt:
        case LogField::Kind::kDouble:
          j[f.key] = nlohmann::ordered_json::parse(f.text, nullptr, false);
          break;
      }
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string ts_text = FormatRfc3339(ts);
  ts_text.replace(ts_text.size() - 6, 6, "Z");
  std::string level_text(LogLevelName(level));
  std::transform(level_text.begin(), level_text.end(), level_text.begin(), ::toupper);
  std::string line = fmt::format("{} {:<5} {:<8} {}", ts_text, level_text, component, message);
  for (const LogField& f : fields) {
    if (f.kind == LogField::Kind::kString && NeedsQuotes(f.text)) {
      line += fmt::format(
          " {}={}", f.key,
          nlohmann::json(f.text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      line += fmt::format(" {}={}", f.key, f.text);
    }
  }
  return line;
}

StreamLogger::StreamLogger(const Clock& clock, std::FILE* out, LogFormat format, LogLevel min_level)
    : clock_(clock), out_(out), format_(format), min_level_(min_level) {}

void StreamLogger::Log(LogLevel level, std::string_view component, std::string_view message,
                       std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  std::string line = FormatLogLine(format_, clock_.Now(), level, component, message, fields);
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void CapturingLogger::Log(LogLevel level, std::string_view component, std::string_view message,
                          std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  std::string line =
      FormatLogLine(LogFormat::kHuman, clock_.Now(), level, component, message, fields);
  std::lock_guard<std::mutex> lock(mu_);
  lines_.push_back(std::move(line));
}

std::vector<std::string> CapturingLogger::Lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

bool CapturingLogger::Contains(std::string_view needle) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::any_of(lines_.begin(), lines_.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

}  // namespace dolphin
