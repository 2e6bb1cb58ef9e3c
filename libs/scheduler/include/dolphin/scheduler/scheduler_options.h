// Options of the scheduler (DESIGN §6 and §9, docs/scheduler.md "Configuration"): the
// [scheduler] section, the work pools ([pools.<name>]) and the deployments
// ([deployments."<flow>/<name>"]).
//
// The original system's pools are always present: dolphin, dolphin-scan,
// dolphin-extf-indicators, dolphin-obf, each with concurrency_limit 1 (a [pools.<name>] table
// changes them). The deployment scan-bridge-flow/scan-bridge in pool dolphin-scan is always
// present too: it stands for the long-running bridge service (service = "bridge"), so running
// it answers where the bridge runs instead of starting a batch flow.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/config.h"
#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"
#include "dolphin/scheduler/schedule.h"

namespace dolphin::scheduler {

// PRAGMA synchronous of the store: kFull makes every commit durable when it returns (one fsync
// per commit); kNormal may lose the last commits on a power loss, never on a process crash.
enum class StoreSync { kFull, kNormal };

struct SchedulerOptions {
  // Run the scheduler service. Default: true.
  bool enabled = true;
  // A SCHEDULED run not started this long after its start time is renamed Late (Prefect's
  // PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS). Default: 15 s.
  Duration late_after = std::chrono::seconds(15);
  // A run whose leases were not renewed (its worker's heartbeat) for this long is CRASHED and
  // its concurrency slots return. Default: 60 s.
  Duration zombie_after = std::chrono::seconds(60);
  // How far ahead scheduled runs are created. Default: 1 h.
  Duration lookahead = std::chrono::hours(1);
  // At most this many future scheduled runs per deployment. Default: 10.
  int max_scheduled_runs = 10;
  // The engine's tick (Late, zombies, timeouts, no-herd, look-ahead). Default: 1 s.
  Duration tick_interval = std::chrono::seconds(1);
  // How often a worker asks for due runs. Default: 1 s (Prefect polls every 10 s).
  Duration worker_poll_interval = std::chrono::seconds(1);
  // How often a worker heartbeats (renewing its runs' leases); at most zombie_after / 2.
  // Default: 10 s.
  Duration worker_heartbeat_interval = std::chrono::seconds(10);
  // Seed of the retry jitter; 0 = drawn from the process's random source. Default: 0.
  int64_t seed = 0;
  // store_sync = "full" | "normal" (the store's commits; see StoreSync). Default: full.
  StoreSync store_sync = StoreSync::kFull;
};

struct PoolOptions {
  std::string name;
  // Runs of this pool that may hold a slot at once (PENDING, RUNNING, CANCELLING, PAUSED).
  // Always bounded. Default: 1.
  int concurrency_limit = 1;
  // A paused pool hands out no runs; its schedules keep running, bounded by the no-herd rule.
  // Default: false.
  bool paused = false;
  // Free text shown by `dolphin pool inspect`. Default: empty.
  std::string description;
};

enum class CollisionStrategy { kEnqueue, kCancelNew };
std::string_view CollisionStrategyText(CollisionStrategy s);  // "ENQUEUE", "CANCEL_NEW"

struct DeploymentOptions {
  // "<flow>/<name>", e.g. "daily-backtest/daily".
  std::string flow;
  std::string name;
  std::string full_name() const { return flow + "/" + name; }
  // The work pool (one of the pools). Default: "dolphin".
  std::string pool = "dolphin";
  // interval_s or cron (not both); neither = runs only when asked (`deployment run`).
  std::optional<Schedule> schedule;
  // Passed to the flow (a JSON object; `deployment run --param k=v` overrides keys).
  Json parameters = Json::object();
  // Tags; each tag with a concurrency limit (`concurrency-limit create TAG N`) bounds the runs
  // carrying it.
  std::vector<std::string> tags;
  // Runs of this deployment holding a slot at once; nullopt = only the pool's limit.
  std::optional<int> concurrency_limit;
  // When this deployment's limit is full: ENQUEUE waits (AwaitingConcurrencySlot), CANCEL_NEW
  // cancels the new run. Default: ENQUEUE.
  CollisionStrategy collision_strategy = CollisionStrategy::kEnqueue;
  // Attempts after the first failure. Default: 0.
  int retries = 0;
  // Delay before a retry. Default: 10 s.
  Duration retry_delay = std::chrono::seconds(10);
  // The delay is drawn uniformly from delay * [1 - jitter, 1 + jitter]; in [0, 1]. Default: 0.
  double retry_jitter = 0;
  // A RUNNING run older than this becomes CANCELLING/TimedOut (its worker kills it);
  // nullopt = no limit. Default: none.
  std::optional<Duration> timeout;
  // A due run not started within this is CANCELLED (except the newest due run of the
  // deployment, the one catch-up). Default: 300 s.
  Duration max_lateness = std::chrono::seconds(300);
  // Triggered by health's recovery step 3. Default: false.
  bool on_recovery = false;
  // An external flow: the command to run (argv); empty = the built-in flow named `flow`.
  std::vector<std::string> command;
  // A marker for a long-running dolphin service (e.g. "bridge"), not a batch flow: running it
  // says where the service runs. Default: empty.
  std::string service;
  // Paused deployments create no runs. Default: false.
  bool paused = false;
  // false: the deployment is not loaded at all. Default: true.
  bool enabled = true;
};

struct SchedulerSetup {
  SchedulerOptions scheduler;
  std::map<std::string, PoolOptions> pools;              // by name, the seed pools included
  std::map<std::string, DeploymentOptions> deployments;  // by full name, enabled ones only
};

// The seed pools, in order: dolphin, dolphin-scan, dolphin-extf-indicators, dolphin-obf.
const std::vector<std::string>& SeedPoolNames();
// The setup with no configuration: the seed pools and the scan-bridge marker deployment.
SchedulerSetup DefaultSchedulerSetup();

// Parses [scheduler], [pools.*] and [deployments.*] (any may be absent). Every bad value is
// one error in the sections' diagnostics (unknown pool of a deployment, both interval_s and
// cron, a malformed cron naming its field, ...); InvalidArgument when there was any.
Result<SchedulerSetup> ParseSchedulerSetup(ConfigSection scheduler, ConfigSection pools,
                                           ConfigSection deployments);
// The same over `base` instead of DefaultSchedulerSetup(): the wiring adds the deployments of
// other components' defaults (the indicator flows, docs/indicators.md) so that a
// [deployments."<flow>/<name>"] table changes or disables them key by key.
Result<SchedulerSetup> ParseSchedulerSetup(SchedulerSetup base, ConfigSection scheduler,
                                           ConfigSection pools, ConfigSection deployments);
// Splits "<flow>/<name>"; InvalidArgument when it is not two non-empty parts.
Result<std::pair<std::string, std::string>> SplitDeploymentName(std::string_view full_name);
// Writes the three kinds of section (`dolphin config show`).
void WriteSchedulerSetup(const SchedulerSetup& setup, ConfigWriter& out);

}  // namespace dolphin::scheduler
