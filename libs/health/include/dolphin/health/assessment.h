// Assessment: one health cycle's five sensors, computed from what the cycle observed.
//
// The health service gathers an Observation (bus values, process states, port checks) with
// its I/O seams, then Assess() scores it. Assess() is a pure function of the observation, the
// options and the coherence memory (the last scan number seen per epoch), so every threshold
// and every M5 check is tested without a bus, a process or a socket.
// Thread-safety: pure functions; CoherenceMemory is owned by one health cycle.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/contract/meta_health.h"
#include "dolphin/core/time.h"
#include "dolphin/health/scoring.h"

namespace dolphin::health {

// One critical service as whoever runs it reports it (the Runner inside `dolphin run`, the
// supervisor's child table, systemd).
struct ProcessState {
  bool present = false;  // running and answering
  std::optional<int64_t> pid;
  int64_t restarts = 0;
  // Its runner is restarting it (back-off): missing for M1, but no action from health.
  bool in_runner_backoff = false;
  // Its runner will not restart it (a `dolphin run` service whose loop returned; a supervisor
  // or systemd service shown failed/stopped, but never a start-limit failure): health may.
  bool restartable = false;
  // One short line: "run loop returned: ...", "systemd: failed", "thread alive".
  std::string detail;
};

// One data source (docs/health.md): its bus value, or nullopt when missing.
struct SourceValue {
  std::string name;  // "scan", "obf", "extf", "esof", "safety", "state.BLUE"
  std::string map;
  std::string key;
  std::string freshness_field;
  std::optional<std::string> json;
  // A missing value is not expected yet (the safety record, which safety holds back until
  // health's start-up grace is over): state "pending", left out of M3's mean.
  bool pending_ok = false;
};

struct PortCheck {
  std::string what;  // "bus 127.0.0.1:5701", "api 127.0.0.1:4200"
  bool accepts = false;
  std::string error;           // why not
  bool control_plane = false;  // a bus member (RecoveryActions::RestartControlPlane brings it back)
};

struct Observation {
  Timestamp now;
  // False when the bus could not be read this cycle: M2, M3 and M5 are then 0.0 with the
  // reason "bus unreachable", never the last values seen.
  bool bus_readable = true;
  std::string bus_error;
  // Critical services, by name.
  std::map<std::string, ProcessState> processes;
  // Heartbeat JSON of each critical service (nullopt: missing).
  std::map<std::string, std::optional<std::string>> heartbeats;
  std::vector<SourceValue> sources;
  std::vector<PortCheck> ports;
};

// The last scan number seen per epoch, so M5 can check that scan_number never decreases
// within an epoch across cycles.
struct CoherenceMemory {
  std::optional<int64_t> epoch;
  std::optional<int64_t> scan_number;
};

struct Assessment {
  SensorValues sensors;
  double rm_meta = 0;
  contract::HealthStatus raw_status = contract::HealthStatus::kDead;
  // What made each sensor less than 1 ("m1: bridge missing (run loop returned)", ...).
  std::map<std::string, std::vector<std::string>> reasons;  // "m1".."m5"
  std::map<std::string, contract::ProcessHealth> processes;
  std::map<std::string, contract::DataSourceHealth> data_sources;
  std::vector<std::string> failed_checks;  // M5, each named
  int checks_run = 0;
  // A bus member refused connections (only then may the control plane be restarted).
  bool control_plane_down = false;
};

struct AssessOptions {
  FreshnessThresholds freshness;
  // A timestamp further ahead of `now` than this fails M5. Default: 5 s.
  Duration max_future = std::chrono::seconds(5);
};

Assessment Assess(const Observation& observation, const AssessOptions& options,
                  CoherenceMemory& memory);

}  // namespace dolphin::health
