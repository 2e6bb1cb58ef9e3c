#include "dolphin/scheduler/schedule.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>

#include "dolphin/core/status.h"

namespace dolphin::scheduler {

namespace {

constexpr int64_t kNanosPerMinute = int64_t{60} * 1000000000;
constexpr int64_t kMinutesPerDay = 24 * 60;
// A valid expression fires at least once in 8 years (Feb 29 skips 2100); nine is the window.
constexpr int64_t kSearchDays = 9 * 366;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const std::array<std::string_view, 12>* names;  // names[i] means min + i (or null)
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI",
                                                        "SAT", "",    "",    "",    "",    ""};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, nullptr},
    {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr},
    {"month", 1, 12, &kMonthNames},
    {"day-of-week", 0, 7, &kDayNames},
}};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Result<int> ParseValue(std::string_view text, const FieldSpec& f) {
  if (text.empty()) return InvalidArgumentError("expected a number, got nothing");
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    if (v < f.min || v > f.max) {
      return InvalidArgumentError(fmt::format("{} is out of range {}-{}", text, f.min, f.max));
    }
    return v;
  }
  if (f.names != nullptr) {
    const std::string up = Upper(text);
    for (size_t i = 0; i < f.names->size(); ++i) {
      if (!(*f.names)[i].empty() && (*f.names)[i] == up) return f.min + static_cast<int>(i);
    }
    return InvalidArgumentError(fmt::format("\"{}\" is not a number or a {} name", text,
                                            f.names == &kMonthNames ? "month" : "day"));
  }
  return InvalidArgumentError(fmt::format("\"{}\" is not a number", text));
}

// Parses one field into a bit per value (bit index = value); `star` is set when it starts with '*'.
Result<std::bitset<64>> ParseField(std::string_view field, const FieldSpec& f, bool* star) {
  std::bitset<64> bits;
  *star = !field.empty() && field.front() == '*';
  size_t start = 0;
  while (true) {
    const size_t comma = field.find(',', start);
    std::string_view item = field.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) {
      return InvalidArgumentError(fmt::format("empty item in list \"{}\"", field));
    }
    int step = 1;
    bool has_step = false;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      std::string_view step_text = item.substr(slash + 1);
      auto [ptr, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || ptr != step_text.data() + step_text.size() ||
          step < 1) {
        return InvalidArgumentError(
            fmt::format("step \"{}\" in \"{}\" is not a whole number >= 1", step_text, item));
      }
      if (step > f.max) {
        return InvalidArgumentError(fmt::format(
            "step {} in \"{}\" is larger than the field's maximum {}", step, item, f.max));
      }
      has_step = true;
      item = item.substr(0, slash);
    }
    int lo = f.min;
    int hi = f.max;
    if (item == "*") {
      // the whole range
    } else if (const size_t dash = item.find('-'); dash != std::string_view::npos && dash > 0) {
      DOLPHIN_ASSIGN_OR_RETURN(lo, ParseValue(item.substr(0, dash), f));
      DOLPHIN_ASSIGN_OR_RETURN(hi, ParseValue(item.substr(dash + 1), f));
      if (hi < lo) {
        return InvalidArgumentError(fmt::format("range {} goes backwards", item));
      }
    } else {
      DOLPHIN_ASSIGN_OR_RETURN(lo, ParseValue(item, f));
      hi = has_step ? f.max : lo;
    }
    for (int v = lo; v <= hi; v += step) bits.set(static_cast<size_t>(v));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return bits;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

Result<CronExpr> CronExpr::Parse(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) fields.push_back(text.substr(i, j - i));
    i = j;
  }
  auto error = [&](std::string_view what) {
    return InvalidArgumentError(fmt::format("cron \"{}\": {}", text, what));
  };
  if (fields.size() != 5) {
    return error(fmt::format(
        "expected 5 fields (minute hour day-of-month month day-of-week), got {}", fields.size()));
  }
  CronExpr e;
  e.text_ = std::string(text);
  std::array<std::bitset<64>, 5> bits;
  std::array<bool, 5> stars{};
  for (size_t k = 0; k < 5; ++k) {
    auto r = ParseField(fields[k], kFields[k], &stars[k]);
    if (!r.ok()) return error(fmt::format("{}: {}", kFields[k].name, r.status().message()));
    bits[k] = *r;
  }
  for (size_t v = 0; v < 60; ++v) e.minutes_[v] = bits[0][v];
  for (size_t v = 0; v < 24; ++v) e.hours_[v] = bits[1][v];
  for (size_t v = 1; v <= 31; ++v) e.days_of_month_[v] = bits[2][v];
  for (size_t v = 1; v <= 12; ++v) e.months_[v] = bits[3][v];
  for (size_t v = 0; v < 7; ++v) e.days_of_week_[v] = bits[4][v];
  if (bits[4][7]) e.days_of_week_[0] = true;  // 7 is Sunday too
  e.dom_star_ = stars[2];
  e.dow_star_ = stars[4];
  if (!e.Next(Timestamp::FromUnixSeconds(946684800)).has_value()) {  // from 2000-01-01
    return error("never fires (no month has that day of the month)");
  }
  return e;
}

bool CronExpr::DayMatches(int64_t days, unsigned dom, unsigned month) const {
  if (!months_[month]) return false;
  const bool dom_ok = days_of_month_[dom];
  const int64_t wd = ((days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday (4)
  const bool dow_ok = days_of_week_[static_cast<size_t>(wd)];
  if (dom_star_ || dow_star_) return dom_ok && dow_ok;
  return dom_ok || dow_ok;  // Vixie: both restricted -> either
}

std::optional<Timestamp> CronExpr::Next(Timestamp after) const {
  const int64_t minute = FloorDiv(after.UnixNanos(), kNanosPerMinute) + 1;
  const int64_t first_day = FloorDiv(minute, kMinutesPerDay);
  const int64_t first_minute_of_day = minute - first_day * kMinutesPerDay;
  for (int64_t d = first_day; d < first_day + kSearchDays; ++d) {
    const CivilDate c = CivilFromDays(d);
    if (!DayMatches(d, c.day, c.month)) continue;
    const int64_t from = d == first_day ? first_minute_of_day : 0;
    for (int64_t h = from / 60; h < 24; ++h) {
      if (!hours_[static_cast<size_t>(h)]) continue;
      const int64_t m0 = h == from / 60 ? from % 60 : 0;
      for (int64_t m = m0; m < 60; ++m) {
        if (minutes_[static_cast<size_t>(m)]) {
          return Timestamp::FromUnixNanos((d * kMinutesPerDay + h * 60 + m) * kNanosPerMinute);
        }
      }
    }
  }
  return std::nullopt;
}

Schedule Schedule::Every(Duration interval, Timestamp anchor) {
  Schedule s;
  s.interval_ = interval;
  s.anchor_ = anchor;
  return s;
}

Schedule Schedule::Cron(CronExpr cron) {
  Schedule s;
  s.cron_ = std::move(cron);
  return s;
}

std::optional<Timestamp> Schedule::Next(Timestamp after) const {
  if (cron_) return cron_->Next(after);
  if (interval_.count() <= 0) return std::nullopt;
  const int64_t step = interval_.count();
  const int64_t offset = after.UnixNanos() - anchor_.UnixNanos();
  const int64_t k = FloorDiv(offset, step) + 1;
  return Timestamp::FromUnixNanos(anchor_.UnixNanos() + k * step);
}

std::vector<Timestamp> Schedule::Upcoming(Timestamp after, Timestamp until, size_t max) const {
  std::vector<Timestamp> out;
  Timestamp t = after;
  while (out.size() < max) {
    std::optional<Timestamp> next = Next(t);
    if (!next || *next > until) break;
    out.push_back(*next);
    t = *next;
  }
  return out;
}

std::string Schedule::ToString() const {
  if (cron_) return fmt::format("cron {}", cron_->text());
  return fmt::format("every {}", FormatDuration(interval_));
}

}  // namespace dolphin::scheduler
