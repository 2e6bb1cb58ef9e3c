// DOLPHIN_META_HEALTH["latest"] (docs/architecture.md §3 and docs/health.md): the health service's
// record, also written to <state_dir>/run_logs/meta_health.json. Thread-safety: plain values; pure
// functions. Decoding never throws.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/contract/enums.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::contract {

// subsystem_health.processes[name]
struct ProcessHealth {
  bool present = false;
  std::optional<int64_t> pid;  // null when not running
  int64_t restarts = 0;
  bool gave_up = false;  // recovery past its cap: an operator must act
  std::string detail;  // what its runner says: "running", "run loop returned: ...", "stalled: ..."

  bool operator==(const ProcessHealth&) const = default;
};

// subsystem_health.data_sources[name]
struct DataSourceHealth {
  std::optional<double> age_s;  // null when the value is missing
  std::string state;            // "fresh" | "stale" | "dead"

  bool operator==(const DataSourceHealth&) const = default;
};

// subsystem_health.pools[name]: a work pool of the scheduler (docs/scheduler.md), when the
// health process sees one: READY (a worker heartbeat within zombie_after_s), NOT_READY (none:
// its runs wait, Late), PAUSED.
struct PoolHealth {
  std::string status;
  int64_t scheduled = 0;  // SCHEDULED runs, any name
  int64_t late = 0;       // SCHEDULED/Late
  std::vector<std::string> workers;

  bool operator==(const PoolHealth&) const = default;
};

// One entry of `recovery`.
struct RecoveryAction {
  std::string target;
  std::string action;
  Timestamp at;
  std::string result;

  bool operator==(const RecoveryAction&) const = default;
};

// `hold`: the published status is moving towards `towards` once the raw status has held it
// for `needed_s` (it has for `held_s`). Absent when raw == published.
struct StatusHoldInfo {
  HealthStatus towards = HealthStatus::kDead;
  double held_s = 0;
  double needed_s = 0;

  bool operator==(const StatusHoldInfo&) const = default;
};

// `supervisor`: what the supervisor of the services (`dolphin up`) reports beyond M1. Absent
// when no supervisor runs them (`dolphin run`, systemd).
struct SupervisorHealth {
  // The controllers it cannot enforce, in one line ("limits not enforced: memory (...)");
  // empty when every limit is enforced.
  std::string unenforced;
  // Services in `failed (start limit)`: not restarted until an operator's `dolphin service start`.
  std::vector<std::string> failed_start_limit;

  bool operator==(const SupervisorHealth&) const = default;
};

struct MetaHealth {
  double rm_meta = 0;                             // M1*M2*M3*M4*M5
  HealthStatus status = HealthStatus::kDead;      // published (after hold times)
  HealthStatus raw_status = HealthStatus::kDead;  // from rm_meta alone
  double m1_proc = 0, m2_heartbeat = 0, m3_data_freshness = 0, m4_control_plane = 0,
         m5_coherence = 0;
  std::map<std::string, ProcessHealth> processes;
  std::map<std::string, DataSourceHealth> data_sources;
  std::map<std::string, PoolHealth> pools;  // empty when no scheduler is seen
  std::vector<std::string> checks;          // failed M5 checks
  std::vector<RecoveryAction> recovery;
  // What made each sensor less than 1, by sensor ("m1".."m5"): "bridge missing (run loop
  // returned)", "scan stale (45.0s old)", "bus unreachable"; and "pools": each NOT_READY pool
  // (not a sensor: it does not change rm_meta).
  std::map<std::string, std::vector<std::string>> reasons;
  std::optional<StatusHoldInfo> hold;
  // subsystem_health.gave_up: recovery targets past their hourly cap, until an operator's
  // `dolphin health reset TARGET`.
  std::vector<std::string> gave_up;
  std::optional<SupervisorHealth> supervisor;
  // When this health service started, and whether this record falls in its start-up grace
  // (no recovery yet; the safety service publishes nothing until a record outside it:
  // docs/safety.md). A record without these fields (another writer) counts as outside it.
  std::optional<Timestamp> started_at;
  bool in_startup_grace = false;
  Timestamp timestamp;  // the freshness field

  bool operator==(const MetaHealth&) const = default;
};

// GREEN > 0.8, DEGRADED > 0.5, CRITICAL > 0.2, else DEAD.
HealthStatus StatusForRm(double rm_meta);

std::string EncodeMetaHealth(const MetaHealth& record);

// Required: rm_meta, status, m1_proc..m5_coherence (each a number in [0, 1]), timestamp.
// Optional: raw_status (default: status), subsystem_health{processes, data_sources, pools,
// checks, gave_up}, recovery, reasons {sensor: [text]}, hold {towards, held_s, needed_s},
// supervisor {unenforced, failed_start_limit}, started_at,
// in_startup_grace (default false). Errors name the field: "DOLPHIN_META_HEALTH[latest]:
// m2_heartbeat: missing".
Result<MetaHealth> DecodeMetaHealth(std::string_view json);

}  // namespace dolphin::contract
