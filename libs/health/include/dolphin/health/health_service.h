// HealthService: the meta-health watchdog (MHS v2, layer 4; docs/health.md).
//
// Every `interval` it gathers an Observation (critical services through the ProcessProbe,
// heartbeats and data sources from the bus, control-plane ports through the PortProbe), scores
// it (Assess), holds the published status (StatusHold), and, when the published status is DEAD
// and the start-up grace is over, acts through RecoveryActions in the original system's order:
// control plane, then missing services, then on-recovery runs, each target rate-limited by the
// RecoveryPolicy. It publishes DOLPHIN_META_HEALTH["latest"], replaces
// <run_logs_dir>/meta_health.json atomically, and appends to meta_health.log (status changes,
// actions, one line a minute; rotated). Stale data alone never triggers an action.
// Thread-safety: Start/Stop from the Runner's thread; RunCycle from the service's own thread
// (or a test, when not started); Health/StatusJson/last/ResetTarget from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/contract/meta_health.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/env.h"
#include "dolphin/core/thread_factory.h"
#include "dolphin/health/assessment.h"
#include "dolphin/health/health_options.h"
#include "dolphin/health/probes.h"
#include "dolphin/health/recovery_policy.h"
#include "dolphin/health/status_hold.h"
#include "dolphin/runtime/service.h"

namespace dolphin::health {

// One data source health watches (the wiring resolves `[health] sources`).
struct SourceSpec {
  std::string name;  // "scan", "obf", "extf", "esof", "safety", "state.BLUE"
  std::string map;
  std::string key;
  std::string freshness_field;
  // A missing value counts as "pending" (not in M3) this long after health starts. Default: 0.
  Duration missing_ok_for = Duration::zero();
};

// The standard specs of the known sources; "state" expands to one per trader colour.
std::vector<SourceSpec> SourceSpecs(const std::vector<std::string>& names,
                                    const std::vector<std::string>& colors);

// One port M4 checks.
struct PortSpec {
  std::string what;  // "bus 127.0.0.1:5701", "api 127.0.0.1:4200"
  std::string host;
  uint16_t port = 0;
  bool control_plane = false;  // a bus member: RestartControlPlane() brings it back
};

struct HealthServiceOptions {
  HealthOptions health;
  // Resolved critical services (never empty in `dolphin run`).
  std::vector<std::string> critical;
  std::vector<SourceSpec> sources;
  std::vector<PortSpec> ports;
  // Where meta_health.json and meta_health.log go; empty: neither is written.
  std::filesystem::path run_logs_dir;
  // Recovery actions kept in the record. Default: 20.
  size_t recovery_history = 20;
  // meta_health.log rotation. Defaults: 10 MiB, 5 files.
  uint64_t log_rotate_bytes = 10ull << 20;
  int log_files = 5;
  // Trader colours whose daily parity (DOLPHIN_PNL_<COLOR>[day] "parity", written by the daily
  // batch) health reports: a failed one is named in reasons["m5"] without lowering rm_meta.
  std::vector<std::string> parity_colors;
  // Timeout of one port check. Default: 1 s.
  Duration port_timeout = std::chrono::seconds(1);
};

class HealthService final : public runtime::Service {
 public:
  HealthService(Env env, bus::KvBus& bus, HealthServiceOptions options, ProcessProbe& processes,
                PortProbe& ports, RecoveryActions& actions);
  ~HealthService() override;

  std::string name() const override { return "health"; }
  Status Start() override;
  void Stop() override;
  runtime::ServiceHealth Health() const override;
  Json StatusJson() const override;

  // One cycle now: observe, score, hold, recover, publish. Returns the record. The service's
  // thread calls it every interval; tests call it directly (without Start) between clock steps.
  contract::MetaHealth RunCycle();

  // Replaces the ports M4 checks (the wiring knows the control API's port only once it
  // listens). REQUIRES: before Start().
  void SetPorts(std::vector<PortSpec> ports) { port_specs_ = std::move(ports); }

  // `dolphin health reset TARGET`: clears the target's gave_up state, back-off and hourly
  // count. NotFound for a target health never acted on.
  Status ResetTarget(const std::string& target);

  // The last record published; nullopt before the first cycle.
  std::optional<contract::MetaHealth> last() const;
  // Recovery actions run since start (every kind), and cycles run.
  uint64_t actions_run() const { return actions_run_.load(); }
  uint64_t cycles() const { return cycles_.load(); }

 private:
  Observation Observe();
  void Recover(const Observation& o, const Assessment& a, const contract::MetaHealth& record,
               MonoTime now);
  // Runs `action` on `target` if the policy allows; records it.
  void Attempt(const std::string& target, const std::string& what, const std::string& why,
               const std::function<Status()>& action, MonoTime now);
  void Publish(const contract::MetaHealth& record, const Assessment& a, bool bus_readable);
  void AppendLog(const std::string& line);
  void CheckDailyParity(const Observation& o, contract::MetaHealth& record);
  // <run_logs_dir>/health_history/<UTC day>.jsonl: the day's timeline for `dolphin report`.
  void AppendHistory(const contract::MetaHealth& record);
  void Loop();

  Env env_;
  bus::KvBus& bus_;
  const HealthServiceOptions options_;
  ProcessProbe& processes_;
  PortProbe& ports_;
  RecoveryActions& actions_;

  std::vector<PortSpec> port_specs_;
  MonoTime started_;
  Timestamp started_wall_;
  bool started_set_ = false;
  bool run_logs_ready_ = false;
  StatusHold hold_;
  RecoveryPolicy policy_;
  CoherenceMemory coherence_;
  std::optional<MonoTime> last_minute_line_;
  std::optional<contract::HealthStatus> last_published_status_;
  std::map<std::string, MonoTime> last_gave_up_line_;  // per target: once a minute

  mutable std::mutex mu_;  // guards the members below and the policy for ResetTarget
  std::deque<contract::RecoveryAction> recovery_;
  std::optional<contract::MetaHealth> last_;
  std::map<std::string, std::vector<std::string>> last_reasons_;
  std::string last_error_;

  std::atomic<uint64_t> actions_run_{0};
  std::atomic<uint64_t> cycles_{0};
  std::unique_ptr<CancelToken> cancel_;  // a fresh one per Start()
  std::atomic<bool> bus_disconnected_{false};
  std::optional<bus::ListenerId> connection_listener_;
  std::unique_ptr<ThreadHandle> thread_;
  bool log_error_reported_ = false;
  bool history_error_reported_ = false;
};

}  // namespace dolphin::health
