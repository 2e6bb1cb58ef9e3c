// Pure scoring of the meta-health sensors (docs/health.md): the thresholds that turn an age
// into a sensor value, the product rm_meta and its status. No clock, no I/O: every function
// is a pure function of its arguments. Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "dolphin/contract/enums.h"
#include "dolphin/core/time.h"

namespace dolphin::health {

// Durations in seconds: dolphin::SecondsOf (dolphin/core/time.h).

// M2: a heartbeat older than 60 s scores 0.0, older than 30 s 0.5, else 1.0. A missing
// heartbeat (nullopt) scores 0.0. An age exactly 30 s (or 60 s) is still the better value.
// A negative age (a heartbeat stamped in the future) counts as 0.
double HeartbeatScore(std::optional<Duration> age);

// The state of one data source by the age of its freshness field.
enum class Freshness { kFresh, kStale, kDead };
std::string_view FreshnessName(Freshness f);  // "fresh" | "stale" | "dead"

struct FreshnessThresholds {
  // Fresh while age <= fresh. Default: 30 s ([health] fresh_s).
  Duration fresh = std::chrono::seconds(30);
  // Stale while fresh < age <= dead; dead beyond. Default: 120 s ([health] dead_s).
  Duration dead = std::chrono::seconds(120);
};

// age <= fresh: kFresh; age <= dead: kStale; older or missing (nullopt): kDead. A negative age
// counts as 0 (fresh).
Freshness ClassifyAge(std::optional<Duration> age, const FreshnessThresholds& thresholds);
// kFresh 1.0, kStale 0.5, kDead 0.0.
double FreshnessScore(Freshness f);

// The five sensor values, each in [0, 1].
struct SensorValues {
  double m1_proc = 0;
  double m2_heartbeat = 0;
  double m3_data_freshness = 0;
  double m4_control_plane = 0;
  double m5_coherence = 0;
};

// rm_meta = M1 * M2 * M3 * M4 * M5, each first clamped into [0, 1] (NaN counts as 0).
double RmMeta(const SensorValues& v);

// The status of an rm_meta value is contract::StatusForRm (dolphin/contract/meta_health.h).

// Severity order of the statuses: GREEN 0 < DEGRADED 1 < CRITICAL 2 < DEAD 3.
constexpr int Severity(contract::HealthStatus s) { return static_cast<int>(s); }

}  // namespace dolphin::health
