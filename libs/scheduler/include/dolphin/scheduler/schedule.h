// Schedules of deployments (DESIGN §6, docs/scheduler.md "Schedules"): a fixed interval, or a
// 5-field cron expression, both in UTC (the market runs 24/7 in UTC, so there is no DST).
//
// Cron fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC),
// day of week (0-7, 0 and 7 = Sunday, or SUN-SAT). Each field is a comma list of items; an item
// is `*`, `N`, `A-B`, `*/S`, `A-B/S` or `N/S` (N to the field's maximum, step S). Names are
// case-insensitive. Day of month and day of week follow Vixie cron: when both are restricted
// (neither starts with `*`), a day matches if EITHER matches; otherwise both must.
// An expression that can never fire (`0 0 30 2 *`) is refused at parse time.
//
// Thread-safety: immutable values after construction; every method is const.
#pragma once

#include <bitset>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::scheduler {

class CronExpr {
 public:
  // Parses `text`. InvalidArgument with one line naming the field, e.g.
  // "cron \"61 * * * *\": minute: 61 is out of range 0-59".
  static Result<CronExpr> Parse(std::string_view text);

  // The first fire time strictly after `after` (whole minutes, UTC); nullopt when none within
  // the search window (about nine years, the longest gap a valid expression can have).
  std::optional<Timestamp> Next(Timestamp after) const;

  const std::string& text() const { return text_; }

 private:
  CronExpr() = default;
  bool DayMatches(int64_t days_since_epoch, unsigned dom, unsigned month) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool dom_star_ = false;
  bool dow_star_ = false;
};

// A deployment's schedule: every `interval` (fire times are the multiples of the interval since
// the Unix epoch plus `anchor`'s offset, so they survive restarts), or a cron expression.
class Schedule {
 public:
  // REQUIRES: interval > 0.
  static Schedule Every(Duration interval, Timestamp anchor = Timestamp());
  static Schedule Cron(CronExpr cron);

  // The first fire time strictly after `after`.
  std::optional<Timestamp> Next(Timestamp after) const;
  // Fire times in (after, until], at most `max` of them, oldest first (the bounded look-ahead).
  std::vector<Timestamp> Upcoming(Timestamp after, Timestamp until, size_t max) const;

  bool is_cron() const { return cron_.has_value(); }
  Duration interval() const { return interval_; }
  // "every 60s" or "cron 0 3 * * *".
  std::string ToString() const;

 private:
  Schedule() = default;
  Duration interval_{0};
  Timestamp anchor_;
  std::optional<CronExpr> cron_;
};

}  // namespace dolphin::scheduler
