#include "dolphin/core/time.h"

#include <fmt/format.h>

#include <cstdlib>
#include <limits>

namespace dolphin {

// Howard Hinnant's public-domain civil-date algorithms (days since 1970-01-01).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{y + (m <= 2), m, d};
}

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kSecondsPerDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at text[pos..]; advances pos.
bool ReadDigits(std::string_view text, size_t& pos, size_t n, int64_t& out) {
  if (pos + n > text.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += n;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string FormatRfc3339(Timestamp ts) {
  const int64_t nanos = ts.UnixNanos();
  const int64_t secs = FloorDiv(nanos, kNanosPerSecond);
  const int64_t micros = (nanos - secs * kNanosPerSecond) / 1000;
  const int64_t days = FloorDiv(secs, kSecondsPerDay);
  const int64_t sod = secs - days * kSecondsPerDay;
  const CivilDate cd = CivilFromDays(days);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:06d}+00:00", cd.year, cd.month,
                     cd.day, sod / 3600, (sod / 60) % 60, sod % 60, micros);
}

std::string FormatUtcDate(Timestamp ts) {
  const int64_t days = FloorDiv(ts.UnixSeconds(), kSecondsPerDay);
  const CivilDate cd = CivilFromDays(days);
  return fmt::format("{:04d}-{:02d}-{:02d}", cd.year, cd.month, cd.day);
}

Result<Timestamp> ParseRfc3339(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("bad RFC 3339 timestamp \"{}\": {}", text, why));
  };
  size_t pos = 0;
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day)) {
    return bad("expected YYYY-MM-DD");
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return bad("expected 'T' after the date");
  }
  ++pos;
  if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, second)) {
    return bad("expected HH:MM:SS");
  }
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > DaysInMonth(year, static_cast<unsigned>(month))) {
    return bad("day out of range");
  }
  if (hour > 23 || minute > 59 || second > 60) return bad("time of day out of range");
  if (second == 60) second = 59;  // Leap second: clamp, as most systems do.
  int64_t frac_nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    int64_t scale = 100000000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits >= 9) return bad("more than 9 fraction digits");
      frac_nanos += (text[pos] - '0') * scale;
      scale /= 10;
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("expected digits after '.'");
  }
  int64_t offset_seconds = 0;
  if (pos >= text.size()) return bad("missing time zone ('Z' or +HH:MM)");
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int64_t sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh, om;
    if (!ReadDigits(text, pos, 2, oh) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, om) ||
        oh > 23 || om > 59) {
      return bad("bad offset, expected +HH:MM");
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return bad("expected 'Z' or +HH:MM after the time");
  }
  if (pos != text.size()) return bad("trailing characters");
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset_seconds;
  return Timestamp::FromUnixNanos(secs * kNanosPerSecond + frac_nanos);
}

std::string FormatDuration(Duration d) {
  const int64_t ns = d.count();
  const int64_t abs_ns = ns < 0 ? -ns : ns;
  const char* sign = ns < 0 ? "-" : "";
  if (abs_ns < 1000) return fmt::format("{}{}ns", sign, abs_ns);
  if (abs_ns < 1000000) return fmt::format("{}{}us", sign, abs_ns / 1000);
  if (abs_ns < 1000000000) return fmt::format("{}{:.2f}ms", sign, abs_ns / 1e6);
  if (abs_ns < 60 * kNanosPerSecond) return fmt::format("{}{:.2f}s", sign, abs_ns / 1e9);
  const int64_t s = abs_ns / kNanosPerSecond;
  if (s < 3600) return fmt::format("{}{}m{:02d}s", sign, s / 60, s % 60);
  return fmt::format("{}{}h{:02d}m", sign, s / 3600, (s / 60) % 60);
}

}  // namespace dolphin
