#include "dolphin/indicators/esof.h"

#include <algorithm>
#include <cmath>

namespace dolphin::indicators {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kRad = kPi / 180.0;
// TT - UT around 2026 (seconds); the theory runs on TT.
constexpr double kDeltaT = 69.0;

double Norm360(double d) {
  d = std::fmod(d, 360.0);
  return d < 0 ? d + 360.0 : d;
}

// Julian centuries of TT since J2000.0.
double Centuries(Timestamp t) {
  const double jd = t.UnixSecondsF() / 86400.0 + 2440587.5 + kDeltaT / 86400.0;
  return (jd - 2451545.0) / 36525.0;
}

struct Term {
  int d, m, mp, f;
  double coef;  // 1e-6 degree
};

// Meeus table 47.A, longitude terms larger than 0.002 degree.
constexpr Term kLongitude[] = {
    {0, 0, 1, 0, 6288774}, {2, 0, -1, 0, 1274027}, {2, 0, 0, 0, 658314},  {0, 0, 2, 0, 213618},
    {0, 1, 0, 0, -185116}, {0, 0, 0, 2, -114332},  {2, 0, -2, 0, 58793},  {2, -1, -1, 0, 57066},
    {2, 0, 1, 0, 53322},   {2, -1, 0, 0, 45758},   {0, 1, -1, 0, -40923}, {1, 0, 0, 0, -34720},
    {0, 1, 1, 0, -30383},  {2, 0, 0, -2, 15327},   {0, 0, 1, 2, -12528},  {0, 0, 1, -2, 10980},
    {4, 0, -1, 0, 10675},  {0, 0, 3, 0, 10034},    {4, 0, -2, 0, 8548},   {2, 1, -1, 0, -7888},
    {2, 1, 0, 0, -6766},   {1, 0, -1, 0, -5163},   {1, 1, 0, 0, 4987},    {2, -1, 1, 0, 4036},
    {2, 0, 2, 0, 3994},    {4, 0, 0, 0, 3861},     {2, 0, -3, 0, 3665},   {0, 1, -2, 0, -2689},
    {2, 0, -1, 2, -2602},  {2, -1, -2, 0, 2390},   {1, 0, 1, 0, -2348},   {2, -2, 0, 0, 2236},
    {0, 1, 2, 0, -2120},   {0, 2, 0, 0, -2069},
};

// Meeus table 47.B, the largest latitude terms.
constexpr Term kLatitude[] = {
    {0, 0, 0, 1, 5128122}, {0, 0, 1, 1, 280602},  {0, 0, 1, -1, 277693}, {2, 0, 0, -1, 173237},
    {2, 0, -1, 1, 55413},  {2, 0, -1, -1, 46271}, {2, 0, 0, 1, 32573},   {0, 0, 2, 1, 17198},
    {2, 0, 1, -1, 9266},   {0, 0, 2, -1, 8822},   {2, -1, 0, -1, 8216},  {2, 0, -2, -1, 4324},
    {2, 0, 1, 1, 4200},
};

struct MoonSun {
  double elongation_lon;  // moon longitude - sun longitude, degrees [0, 360)
  double moon_lat;        // degrees
};

MoonSun Compute(Timestamp t) {
  const double T = Centuries(t);
  const double T2 = T * T, T3 = T2 * T, T4 = T3 * T;
  const double Lp =
      218.3164477 + 481267.88123421 * T - 0.0015786 * T2 + T3 / 538841 - T4 / 65194000;
  const double D = 297.8501921 + 445267.1114034 * T - 0.0018819 * T2 + T3 / 545868 - T4 / 113065000;
  const double M = 357.5291092 + 35999.0502909 * T - 0.0001536 * T2 + T3 / 24490000;
  const double Mp = 134.9633964 + 477198.8675055 * T + 0.0087414 * T2 + T3 / 69699 - T4 / 14712000;
  const double F = 93.2720950 + 483202.0175233 * T - 0.0036539 * T2 - T3 / 3526000 + T4 / 863310000;
  const double A1 = 119.75 + 131.849 * T;
  const double A2 = 53.09 + 479264.290 * T;
  const double A3 = 313.45 + 481266.484 * T;
  const double E = 1 - 0.002516 * T - 0.0000074 * T2;
  auto sum = [&](const auto& terms) {
    double s = 0;
    for (const Term& k : terms) {
      double c = k.coef;
      if (k.m == 1 || k.m == -1) c *= E;
      if (k.m == 2 || k.m == -2) c *= E * E;
      s += c * std::sin((k.d * D + k.m * M + k.mp * Mp + k.f * F) * kRad);
    }
    return s;
  };
  double sl = sum(kLongitude);
  sl += 3958 * std::sin(A1 * kRad) + 1962 * std::sin((Lp - F) * kRad) + 318 * std::sin(A2 * kRad);
  double sb = sum(kLatitude);
  sb += -2235 * std::sin(Lp * kRad) + 382 * std::sin(A3 * kRad) + 175 * std::sin((A1 - F) * kRad) +
        175 * std::sin((A1 + F) * kRad) + 127 * std::sin((Lp - Mp) * kRad) -
        115 * std::sin((Lp + Mp) * kRad);
  const double moon_lon = Lp + sl / 1e6;  // nutation in longitude is common to both bodies
  // The Sun (Meeus ch. 25, low precision), with aberration.
  const double L0 = 280.46646 + 36000.76983 * T + 0.0003032 * T2;
  const double Ms = 357.52911 + 35999.05029 * T - 0.0001537 * T2;
  const double C = (1.914602 - 0.004817 * T - 0.000014 * T2) * std::sin(Ms * kRad) +
                   (0.019993 - 0.000101 * T) * std::sin(2 * Ms * kRad) +
                   0.000289 * std::sin(3 * Ms * kRad);
  const double sun_lon = L0 + C - 0.00569;
  return {Norm360(moon_lon - sun_lon), sb / 1e6};
}

Timestamp FromDays(int64_t days, int hour, int minute = 0) {
  return Timestamp::FromUnixSeconds(days * 86400 + hour * 3600 + minute * 60);
}

int64_t DayOf(Timestamp t) {
  const int64_t s = t.UnixSeconds();
  return s >= 0 ? s / 86400 : (s - 86399) / 86400;
}

// 0 = Monday (1970-01-01 was a Thursday).
int Weekday(int64_t days) { return static_cast<int>(((days % 7) + 7 + 3) % 7); }

Timestamp LastFriday0800(int64_t year, unsigned month) {
  const int64_t next_first =
      month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, month + 1, 1);
  int64_t d = next_first - 1;
  while (Weekday(d) != 4) --d;
  return FromDays(d, 8);
}

}  // namespace

double MoonElongationDeg(Timestamp t) { return Compute(t).elongation_lon; }

double MoonIllumination(Timestamp t) {
  const MoonSun ms = Compute(t);
  // Geocentric elongation psi (with the Moon's latitude), then the phase angle: the Sun is
  // ~390 times farther than the Moon, so i = 180 - psi - (moon dist / sun dist) sin psi.
  const double cos_psi = std::cos(ms.moon_lat * kRad) * std::cos(ms.elongation_lon * kRad);
  const double psi = std::acos(std::clamp(cos_psi, -1.0, 1.0));
  const double i = kPi - psi - (385000.0 / 149598000.0) * std::sin(psi);
  return std::clamp((1 + std::cos(i)) / 2, 0.0, 1.0);
}

Timestamp NextMoonPhase(Timestamp t, double target_deg) {
  // Signed distance to the target in (-180, 180]; it rises through 0 once per synodic month.
  auto diff = [&](Timestamp x) {
    double d = Norm360(MoonElongationDeg(x) - target_deg);
    return d > 180 ? d - 360 : d;
  };
  constexpr Duration kStep = std::chrono::hours(6);
  Timestamp a = t + std::chrono::seconds(1);
  double fa = diff(a);
  for (int i = 0; i < 4 * 40; ++i) {
    Timestamp b = a + kStep;
    const double fb = diff(b);
    if (fa < 0 && fb >= 0 && fb - fa < 90) {
      for (int k = 0; k < 40 && b - a > std::chrono::milliseconds(500); ++k) {
        Timestamp m = a + (b - a) / 2;
        if (diff(m) < 0) {
          a = m;
        } else {
          b = m;
        }
      }
      return b;
    }
    a = b;
    fa = fb;
  }
  return a;  // unreachable: a synodic month is under 30 days
}

std::string TradingSession(Timestamp t) {
  const int64_t sec = t.UnixSeconds() - DayOf(t) * 86400;
  if (sec < 8 * 3600) return "ASIA";
  if (sec < 13 * 3600 + 1800) return "EUROPE";
  return "US";
}

Timestamp NextFundingTime(Timestamp t) {
  const int64_t day = DayOf(t);
  for (int h : {0, 8, 16, 24}) {
    Timestamp f = FromDays(day, h);
    if (f > t) return f;
  }
  return FromDays(day + 1, 0);
}

Timestamp NextMonthlyExpiry(Timestamp t) {
  CivilDate c = CivilFromDays(DayOf(t));
  Timestamp e = LastFriday0800(c.year, c.month);
  if (e > t) return e;
  return c.month == 12 ? LastFriday0800(c.year + 1, 1) : LastFriday0800(c.year, c.month + 1);
}

Esof ComputeEsof(Timestamp t) {
  static const char* kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                "Friday", "Saturday", "Sunday"};
  Esof e;
  const double elong = MoonElongationDeg(t);
  e.moon_phase = elong / 360.0;
  static const char* kPhases[] = {"New Moon",       "Waxing Crescent", "First Quarter",
                                  "Waxing Gibbous", "Full Moon",       "Waning Gibbous",
                                  "Last Quarter",   "Waning Crescent"};
  e.moon_phase_name = kPhases[static_cast<int>(Norm360(elong + 22.5) / 45.0) % 8];
  e.moon_illumination = MoonIllumination(t);
  e.day_of_week = Weekday(DayOf(t));
  e.day_name = kDays[e.day_of_week];
  e.session = TradingSession(t);
  e.next_funding_time = NextFundingTime(t);
  e.minutes_to_funding = std::chrono::duration<double>(e.next_funding_time - t).count() / 60.0;
  e.monthly_expiry = NextMonthlyExpiry(t);
  e.days_to_monthly_expiry = std::chrono::duration<double>(e.monthly_expiry - t).count() / 86400.0;
  e.next_new_moon = NextMoonPhase(t, 0);
  e.next_full_moon = NextMoonPhase(t, 180);
  return e;
}

Json EsofJson(const Esof& e) {
  Json j;
  j["moon_phase"] = e.moon_phase;
  j["moon_phase_name"] = e.moon_phase_name;
  j["moon_illumination"] = e.moon_illumination;
  j["next_new_moon"] = FormatRfc3339(e.next_new_moon);
  j["next_full_moon"] = FormatRfc3339(e.next_full_moon);
  j["day_of_week"] = e.day_of_week;
  j["day_name"] = e.day_name;
  j["session"] = e.session;
  j["minutes_to_funding"] = e.minutes_to_funding;
  j["next_funding_time"] = FormatRfc3339(e.next_funding_time);
  j["days_to_monthly_expiry"] = e.days_to_monthly_expiry;
  j["monthly_expiry"] = FormatRfc3339(e.monthly_expiry);
  return j;
}

}  // namespace dolphin::indicators
