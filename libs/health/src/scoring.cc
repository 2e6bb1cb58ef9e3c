#include "dolphin/health/scoring.h"

#include <cmath>

namespace dolphin::health {

namespace {

using std::chrono::seconds;

double Clamp01(double v) {
  if (std::isnan(v) || v <= 0) return 0;
  return v >= 1 ? 1 : v;
}

}  // namespace

double HeartbeatScore(std::optional<Duration> age) {
  if (!age) return 0.0;
  if (*age > seconds(60)) return 0.0;
  if (*age > seconds(30)) return 0.5;
  return 1.0;
}

std::string_view FreshnessName(Freshness f) {
  switch (f) {
    case Freshness::kFresh: return "fresh";
    case Freshness::kStale: return "stale";
    case Freshness::kDead: return "dead";
  }
  return "dead";
}

Freshness ClassifyAge(std::optional<Duration> age, const FreshnessThresholds& t) {
  if (!age) return Freshness::kDead;
  const Duration a = *age < Duration::zero() ? Duration::zero() : *age;
  if (a <= t.fresh) return Freshness::kFresh;
  if (a <= t.dead) return Freshness::kStale;
  return Freshness::kDead;
}

double FreshnessScore(Freshness f) {
  switch (f) {
    case Freshness::kFresh: return 1.0;
    case Freshness::kStale: return 0.5;
    case Freshness::kDead: return 0.0;
  }
  return 0.0;
}

double RmMeta(const SensorValues& v) {
  return Clamp01(v.m1_proc) * Clamp01(v.m2_heartbeat) * Clamp01(v.m3_data_freshness) *
         Clamp01(v.m4_control_plane) * Clamp01(v.m5_coherence);
}

}  // namespace dolphin::health
