// The esoteric factors (DESIGN §10 `esof_latest`), computed locally from the time alone:
// the Moon's phase and illuminated fraction (low-precision lunar and solar theory after
// J. Meeus, "Astronomical Algorithms", ch. 25, 47 and 48: the main periodic terms, good to
// well under 0.1 degree of elongation, i.e. new and full moons within minutes), the UTC day of
// the week, the trading session, minutes to the next funding time (00/08/16 UTC) and days to
// the monthly expiry (the month's last Friday, 08:00 UTC).
// Checked against PyPI `ephem` fixtures (tests/data/indicators/esof_2026.json).
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "dolphin/core/json.h"
#include "dolphin/core/time.h"

namespace dolphin::indicators {

// The Moon's geocentric apparent elongation from the Sun in ecliptic longitude, degrees in
// [0, 360): 0 = new moon, 180 = full moon.
double MoonElongationDeg(Timestamp t);
// The illuminated fraction of the Moon's disk, [0, 1].
double MoonIllumination(Timestamp t);
// The next instant strictly after `t` at which the elongation is `target_deg` (0 = new,
// 180 = full), to about a second.
Timestamp NextMoonPhase(Timestamp t, double target_deg);

// ASIA [00:00, 08:00), EUROPE [08:00, 13:30), US [13:30, 24:00) UTC.
std::string TradingSession(Timestamp t);
// The next funding time strictly after `t` (00:00, 08:00, 16:00 UTC).
Timestamp NextFundingTime(Timestamp t);
// The last Friday of `t`'s month at 08:00 UTC, or the next month's when that has passed.
Timestamp NextMonthlyExpiry(Timestamp t);

struct Esof {
  double moon_phase = 0;         // elongation / 360, [0, 1): 0 new, 0.5 full
  std::string moon_phase_name;   // New Moon, Waxing Crescent, First Quarter, ...
  double moon_illumination = 0;  // [0, 1]
  int day_of_week = 0;           // 0 = Monday .. 6 = Sunday (UTC)
  std::string day_name;          // Monday .. Sunday
  std::string session;
  double minutes_to_funding = 0;
  Timestamp next_funding_time;
  double days_to_monthly_expiry = 0;
  Timestamp monthly_expiry;
  Timestamp next_new_moon, next_full_moon;
};
Esof ComputeEsof(Timestamp t);
// The published fields (without the _pushed_at/_source_ts/_flow_run_id envelope).
Json EsofJson(const Esof& e);

}  // namespace dolphin::indicators
