// [health] section of the config file: the meta-health service's thresholds, hold times and
// recovery limits (docs/health.md). Thread-safety: a plain value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/config.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::health {

// The data sources health can watch (docs/health.md): scan, obf, extf, esof, safety, state.
const std::vector<std::string>& KnownSources();

struct HealthOptions {
  // Run the health service. Default: true.
  bool enabled = true;
  // One cycle (five sensors, record, recovery) every interval. Default: 5 s.
  Duration interval = std::chrono::seconds(5);
  // Services whose absence makes M1 0 and whose heartbeats M2 reads. nullopt: the wiring
  // derives them (bridge, trader.<COLOR> per enabled colour, the scheduler when enabled).
  std::optional<std::vector<std::string>> critical;
  // Data sources M3 reads. nullopt: every source whose writer is enabled.
  std::optional<std::vector<std::string>> sources;
  // Data fresh while age <= fresh, stale while <= dead, dead beyond. Defaults: 30 s, 120 s.
  Duration fresh = std::chrono::seconds(30);
  Duration dead = std::chrono::seconds(120);
  // Hold times of the published status. Defaults: 10 s to worsen, 30 s to recover.
  Duration worsen_after = std::chrono::seconds(10);
  Duration recover_after = std::chrono::seconds(30);
  // No recovery action this long after start. Default: 30 s.
  Duration startup_grace = std::chrono::seconds(30);
  // First wait after an action on a target (doubling per consecutive action, up to 15 min).
  // Default: 60 s.
  Duration recovery_cooldown = std::chrono::seconds(60);
  // Actions per target in any sliding hour before it is marked gave_up. Default: 6.
  int max_restarts_per_hour = 6;
  // Command that restarts the control plane (the Hazelcast member) when dolphin does not
  // manage it. Empty: health never restarts a control plane it does not manage. Default: [].
  std::vector<std::string> control_plane_restart;
  // Who says whether a critical service is present (M1): "runner" (the services of this
  // process: `dolphin run`), "systemd" (each service's unit, through the two commands below) or
  // "supervisor" (`dolphin up`'s child table, through its API; a `serve health` child of `up`
  // uses it also when this is left at "runner"). Default: "runner".
  std::string processes = "runner";
  // With processes = "systemd": the probe prints ActiveState and MainPID, one per line;
  // "{unit}" is replaced by the service's unit (docs/health.md). Defaults: systemctl's.
  std::vector<std::string> systemd_probe = {"systemctl",           "show",    "-p",
                                            "ActiveState,MainPID", "--value", "{unit}"};
  std::vector<std::string> systemd_restart = {"systemctl", "restart", "{unit}"};
};

// The systemd unit of a dolphin service (the original system's unit names): bridge ->
// dolphin-scan-bridge.service, trader.<COLOR> -> dolphin-nautilus-trader@<COLOR>.service,
// health -> meta_health_daemon.service, worker -> dolphin-prefect-worker.service, else
// dolphin-<name>.service.
std::string SystemdUnitFor(const std::string& service);

// Reads [health]; every problem goes to the section's diagnostics.
Result<HealthOptions> ParseHealthOptions(ConfigSection section);
void WriteHealthOptions(const HealthOptions& options, ConfigWriter& out);

}  // namespace dolphin::health
