// [safety] section of the config file: the safety posture's rule thresholds (docs/safety.md).
// Thread-safety: a plain value.
#pragma once

#include "dolphin/contract/enums.h"
#include "dolphin/core/config.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::safety {

using contract::HealthStatus;
using contract::Posture;

struct SafetyOptions {
  // Run the safety service. The default is the wiring's: true only without a config file
  // (docs/architecture.md §11); ParseSafetyOptions takes it as an argument.
  bool enabled = true;
  // The posture is never above this (APEX > STALKER > TURTLE > HIBERNATE). Default: STALKER.
  Posture max_posture = Posture::kStalker;
  // One decision every interval. Default: 5 s.
  Duration interval = std::chrono::seconds(5);
  // An input (health record, a trader's state or PnL) older than this counts as missing:
  // HIBERNATE. Default: 60 s (the traders' posture_max_age_s).
  Duration posture_max_age = std::chrono::seconds(60);
  // The posture each published health status allows at most. GREEN allows APEX.
  // Defaults: DEGRADED STALKER, CRITICAL TURTLE, DEAD HIBERNATE.
  Posture on_degraded = Posture::kStalker;
  Posture on_critical = Posture::kTurtle;
  Posture on_dead = Posture::kHibernate;
  // A trader's fall from its day's peak equity, in percent of the peak, at or beyond which
  // the posture is at most STALKER / TURTLE / HIBERNATE. Defaults: 1, 2, 4 (ascending).
  double drawdown_stalker_pct = 1.0;
  double drawdown_turtle_pct = 2.0;
  double drawdown_hibernate_pct = 4.0;
  // A scan older than this (by bridge_ts), or no scan at all, allows at most TURTLE (never
  // HIBERNATE: without scans a trader sends nothing, and the first scans after an outage must
  // not close positions). Default: 30 s (health's fresh_s).
  Duration scan_stale = std::chrono::seconds(30);
  // The posture worsens at once and improves only after the rules have allowed the better one
  // for this long without a break. Default: 60 s.
  Duration recover_after = std::chrono::seconds(60);
};

// The posture a published health status allows at most.
Posture PostureForHealth(HealthStatus status, const SafetyOptions& options);

// Reads [safety]; every problem goes to the section's diagnostics. `default_enabled` is the
// value of `enabled` when the key is absent.
Result<SafetyOptions> ParseSafetyOptions(ConfigSection section, bool default_enabled);
void WriteSafetyOptions(const SafetyOptions& options, ConfigWriter& out);

}  // namespace dolphin::safety
