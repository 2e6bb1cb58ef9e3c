// Logging: one line per event, human-readable by default, JSON lines on request.
//
// Human:  2026-03-25T10:30:01.123456Z INFO  bridge  published scan  scan=42 latency=85us
// JSON:   {"ts":"2026-03-25T10:30:01.123456+00:00","level":"info","component":"bridge",
//          "msg":"published scan","scan":42,"latency":"85us"}
// Thread-safety: Logger implementations are thread-safe; lines never interleave.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/core/clock.h"
#include "dolphin/core/result.h"

namespace dolphin {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kHuman, kJson };

std::string_view LogLevelName(LogLevel level);
Result<LogLevel> ParseLogLevel(std::string_view text);
Result<LogFormat> ParseLogFormat(std::string_view text);

// A key=value pair attached to a log line. Numbers and bools stay unquoted in JSON.
struct LogField {
  enum class Kind { kString, kInt, kDouble, kBool };
  LogField(std::string_view k, std::string_view v) : key(k), text(v), kind(Kind::kString) {}
  LogField(std::string_view k, const char* v) : key(k), text(v), kind(Kind::kString) {}
  LogField(std::string_view k, const std::string& v) : key(k), text(v), kind(Kind::kString) {}
  LogField(std::string_view k, bool v) : key(k), text(v ? "true" : "false"), kind(Kind::kBool) {}
  LogField(std::string_view k, double v);
  template <typename I,
            typename = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
  LogField(std::string_view k, I v) : key(k), text(std::to_string(v)), kind(Kind::kInt) {}

  std::string key;
  std::string text;
  Kind kind;
};

class Logger {
 public:
  virtual ~Logger() = default;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  virtual void Log(LogLevel level, std::string_view component, std::string_view message,
                   std::initializer_list<LogField> fields) = 0;
  virtual bool Enabled(LogLevel level) const = 0;

  void Debug(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    if (Enabled(LogLevel::kDebug)) Log(LogLevel::kDebug, c, m, f);
  }
  void Info(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kInfo, c, m, f);
  }
  void Warn(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kWarn, c, m, f);
  }
  void Error(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kError, c, m, f);
  }

 protected:
  Logger() = default;
};

// Renders one line (without the trailing newline) in the given format.
std::string FormatLogLine(LogFormat format, Timestamp ts, LogLevel level,
                          std::string_view component, std::string_view message,
                          std::initializer_list<LogField> fields);

// Writes lines to a FILE* (stderr by default), stamped by `clock`.
class StreamLogger final : public Logger {
 public:
  StreamLogger(const Clock& clock, std::FILE* out, LogFormat format, LogLevel min_level);
  void Log(LogLevel level, std::string_view component, std::string_view message,
           std::initializer_list<LogField> fields) override;
  bool Enabled(LogLevel level) const override { return level >= min_level_; }

 private:
  const Clock& clock_;
  std::FILE* const out_;
  const LogFormat format_;
  const LogLevel min_level_;
  std::mutex mu_;
};

// Keeps the lines in memory; for tests.
class CapturingLogger final : public Logger {
 public:
  explicit CapturingLogger(const Clock& clock, LogLevel min_level = LogLevel::kDebug)
      : clock_(clock), min_level_(min_level) {}
  void Log(LogLevel level, std::string_view component, std::string_view message,
           std::initializer_list<LogField> fields) override;
  bool Enabled(LogLevel level) const override { return level >= min_level_; }
  std::vector<std::string> Lines() const;
  // True if any captured line contains `needle`.
  bool Contains(std::string_view needle) const;

 private:
  const Clock& clock_;
  const LogLevel min_level_;
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

// Discards everything.
class NullLogger final : public Logger {
 public:
  NullLogger() = default;
  void Log(LogLevel, std::string_view, std::string_view, std::initializer_list<LogField>) override {
  }
  bool Enabled(LogLevel) const override { return false; }
};

}  // namespace dolphin
