// Strong time types and RFC 3339 text.
//
//   Duration  - a signed span, std::chrono::nanoseconds.
//   Timestamp - an instant on the UTC wall clock, nanoseconds since the Unix epoch.
//   MonoTime  - a reading of a monotonic clock; only differences mean anything.
//
// RFC 3339 as docs/architecture.md §3 fixes it: dolphin writes UTC with six fraction digits and
// "+00:00" (2026-03-25T10:30:01.123456+00:00); the parser accepts 'Z' or any +-HH:MM offset
// and 0-9 fraction digits. Thread-safety: value types and pure functions.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "dolphin/core/result.h"

namespace dolphin {

using Duration = std::chrono::nanoseconds;

// A duration as (fractional) seconds, and back (rounded towards zero to whole nanoseconds): for
// the `_s` fields of config, JSON and log text, the parsing boundaries where seconds are numbers.
constexpr double SecondsOf(Duration d) { return std::chrono::duration<double>(d).count(); }
constexpr Duration DurationOfSeconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp FromUnixNanos(int64_t nanos) { return Timestamp(nanos); }
  static constexpr Timestamp FromUnixMicros(int64_t micros) { return Timestamp(micros * 1000); }
  static constexpr Timestamp FromUnixSeconds(int64_t s) { return Timestamp(s * 1000000000); }

  constexpr int64_t UnixNanos() const { return nanos_; }
  // Floor division, so instants before 1970 round towards the past.
  constexpr int64_t UnixMicros() const { return FloorDiv(nanos_, 1000); }
  constexpr int64_t UnixSeconds() const { return FloorDiv(nanos_, 1000000000); }
  constexpr double UnixSecondsF() const { return static_cast<double>(nanos_) / 1e9; }

  constexpr Timestamp operator+(Duration d) const { return Timestamp(nanos_ + d.count()); }
  constexpr Timestamp operator-(Duration d) const { return Timestamp(nanos_ - d.count()); }
  constexpr Duration operator-(Timestamp o) const { return Duration(nanos_ - o.nanos_); }
  constexpr auto operator<=>(const Timestamp&) const = default;

 private:
  constexpr explicit Timestamp(int64_t nanos) : nanos_(nanos) {}
  static constexpr int64_t FloorDiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
  }
  int64_t nanos_ = 0;
};

class MonoTime {
 public:
  constexpr MonoTime() = default;
  static constexpr MonoTime FromNanos(int64_t nanos) { return MonoTime(nanos); }
  constexpr int64_t Nanos() const { return nanos_; }
  constexpr MonoTime operator+(Duration d) const { return MonoTime(nanos_ + d.count()); }
  constexpr MonoTime operator-(Duration d) const { return MonoTime(nanos_ - d.count()); }
  constexpr Duration operator-(MonoTime o) const { return Duration(nanos_ - o.nanos_); }
  constexpr auto operator<=>(const MonoTime&) const = default;

 private:
  constexpr explicit MonoTime(int64_t nanos) : nanos_(nanos) {}
  int64_t nanos_ = 0;
};

// "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (microseconds, truncated towards the past).
std::string FormatRfc3339(Timestamp ts);
// "YYYY-MM-DD" of the UTC day containing `ts`.
std::string FormatUtcDate(Timestamp ts);
// Parses RFC 3339 with 'Z'/'z' or +-HH:MM, 'T'/'t'/' ' separator, 0-9 fraction digits.
// Errors name the offending text.
Result<Timestamp> ParseRfc3339(std::string_view text);

// Civil date helpers (proleptic Gregorian, UTC).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};
CivilDate CivilFromDays(int64_t days);

// Human-friendly duration: "850us", "12.3ms", "4.20s", "3m05s", "2h01m".
std::string FormatDuration(Duration d);

}  // namespace dolphin
