// The scheduling engine (docs/scheduler.md "Engine"): every rule of DESIGN §6 over a Store,
// driven by explicit times, so a SimulatedClock test (or the scheduler service's loop on the
// real Clock) decides when things happen.
//
//   Tick(now)   look-ahead runs from schedules; zombies (leases not renewed for zombie_after)
//               -> CRASHED and their slots return; RUNNING past timeout_s -> CANCELLING/TimedOut;
//               Scheduled past late_after -> Late (logged once); the no-herd rule.
//   Claim       a worker takes due runs of its pools in one transaction, each taking a lease
//               per limit (pool, deployment, every tag); a full limit -> AwaitingConcurrencySlot,
//               or CANCELLED for a CANCEL_NEW deployment whose own limit is full.
//   Heartbeat   renews the worker's leases; answers the runs the worker must kill.
//   Started / Finished / Cancel / RunDeployment / pause and resume / Recover (at start).
//
// No herd: whenever due SCHEDULED runs of a deployment wait, every one later than the
// deployment's max_lateness is CANCELLED with that reason, except the newest (the one
// catch-up). Pausing a deployment deletes its future auto-scheduled runs; a paused pool still
// gets scheduled runs, which the rule keeps to at most one catch-up plus those within
// max_lateness.
//
// Thread-safety: every public method is thread-safe (one mutex; the store is used under it).
// Ownership: the engine refers to the store and the Env's logger, which must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/env.h"
#include "dolphin/core/json.h"
#include "dolphin/core/random.h"
#include "dolphin/core/result.h"
#include "dolphin/scheduler/scheduler_options.h"
#include "dolphin/scheduler/store.h"

namespace dolphin::scheduler {

struct TickReport {
  int created = 0;    // scheduled runs created from schedules
  int late = 0;       // runs renamed Late
  int cancelled = 0;  // runs CANCELLED by the no-herd rule
  int crashed = 0;    // zombies: runs CRASHED, their slots returned
  int timed_out = 0;  // runs moved to CANCELLING/TimedOut
};

struct RecoverReport {
  int kept = 0;     // worker heartbeat fresh
  int grace = 0;    // the worker was alive when the scheduler stopped: zombie_after to heartbeat
  int crashed = 0;  // the worker was gone already
};

// A run handed to a worker, with what it needs to run it.
struct ClaimedRun {
  FlowRun run;
  DeploymentOptions deployment;
};

// Pool status as Prefect names it: READY (a worker heartbeat within zombie_after), NOT_READY
// (none), PAUSED.
struct PoolStatus {
  PoolRecord pool;
  std::string status;
  int64_t slots_used = 0;
  int64_t scheduled = 0;             // SCHEDULED runs, any name
  int64_t late = 0;                  // SCHEDULED/Late
  int64_t running = 0;               // PENDING + RUNNING + CANCELLING + PAUSED
  std::vector<std::string> workers;  // online ones
};

class Engine {
 public:
  // `env.random` seeds the retry jitter when options.seed is 0 (drawn once, here).
  Engine(SchedulerOptions options, Store& store, Env env);

  // Brings the configured pools and deployments into the store. A pool or deployment paused
  // in the store stays paused; config-sourced deployments no longer configured are deleted
  // (their history stays), API-created ones are kept.
  Status Sync(const SchedulerSetup& setup, Timestamp now);
  // At scheduler start: reconciles runs that hold slots (heartbeat fresh -> kept; the worker
  // was alive when the scheduler stopped -> zombie_after from now to heartbeat; else CRASHED).
  Result<RecoverReport> Recover(Timestamp now);
  Result<TickReport> Tick(Timestamp now);

  // Up to `max_runs` due runs of `pools` (each pool must exist), oldest due first; also a
  // heartbeat of `worker`.
  Result<std::vector<ClaimedRun>> Claim(const std::string& worker,
                                        const std::vector<std::string>& pools, Timestamp now,
                                        size_t max_runs);
  // Records the heartbeat and renews the worker's leases. Returns the ids among `holding` the
  // worker must kill: runs CANCELLING, finished (a zombie already CRASHED) or held by another.
  Result<std::vector<int64_t>> Heartbeat(const std::string& worker,
                                         const std::vector<std::string>& pools,
                                         const std::vector<int64_t>& holding, Timestamp now);
  // PENDING -> RUNNING (the worker started the process).
  Status Started(int64_t run_id, const std::string& worker, Timestamp now);
  // The process ended: exit_code >= 0, or -signal. 0 -> COMPLETED; else FAILED (or
  // AwaitingRetry while retries remain); a CANCELLING run -> CANCELLED (TimedOut -> FAILED/
  // TimedOut or a retry). Slots return. `output`: the process's last non-empty output line,
  // named in the state message of a failure ("exit code 3: no such file").
  Status Finished(int64_t run_id, const std::string& worker, int exit_code, Timestamp now,
                  const std::string& output = "");
  // The worker could not start it (spawn failed): CRASHED with `message`. Slots return.
  Status StartFailed(int64_t run_id, const std::string& worker, const std::string& message,
                     Timestamp now);
  // SCHEDULED -> CANCELLED; held by a worker -> CANCELLING (the worker kills its process
  // group and reports); FailedPrecondition for a finished run.
  Result<FlowRun> Cancel(int64_t run_id, const std::string& reason, Timestamp now);
  // A run due now with the deployment's parameters and `overrides` (keys replaced). NotFound
  // for an unknown deployment; FailedPrecondition for a service marker (the bridge), saying
  // where that service runs.
  Result<FlowRun> RunDeployment(const std::string& full_name, const Json& overrides, Timestamp now);

  Status SetPoolPaused(const std::string& pool, bool paused, Timestamp now);
  Status SetDeploymentPaused(const std::string& full_name, bool paused, Timestamp now);
  // Creates or replaces an API deployment (its pool must exist).
  Status PutDeployment(const DeploymentOptions& deployment, Timestamp now);
  // Deletes a deployment and its future auto-scheduled runs (history of the others stays).
  Status DeleteDeployment(const std::string& full_name, Timestamp now);
  Status SetTagLimit(const std::string& tag, int limit);
  Status DeleteTagLimit(const std::string& tag);

  Result<std::vector<PoolStatus>> PoolStatuses(Timestamp now);
  // Late runs seen since start (each counted once).
  int64_t late_total() const;
  // Runs the worker should know: the store (for listings). REQUIRES: not concurrently with
  // other engine calls; for API reads use WithStore.
  template <typename F>
  auto WithStore(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(store_);
  }

  const SchedulerOptions& options() const { return options_; }

 private:
  Status Move(FlowRun& run, RunState to, const std::string& message, Timestamp now);
  Status ReleaseAndMove(FlowRun& run, RunState to, const std::string& message, Timestamp now);
  Status ScheduleDeployment(const DeploymentOptions& d, Timestamp now, TickReport& report);
  Status ApplyNoHerd(const std::map<std::string, DeploymentOptions>& deployments, Timestamp now,
                     TickReport& report);
  Result<std::map<std::string, DeploymentOptions>> Deployments();
  Result<bool> PoolHasWorker(const std::string& pool, Timestamp now);
  Status FinishLocked(FlowRun& run, int exit_code, const std::string& output, Timestamp now);
  // The run, if `worker` holds it (FailedPrecondition naming its holder otherwise).
  Result<FlowRun> HeldRun(int64_t run_id, const std::string& worker);
  // Records a worker's heartbeat and renews its leases.
  Status SeenWorker(const std::string& worker, const std::vector<std::string>& pools,
                    Timestamp now);
  // A SCHEDULED run of `d` due at `due`, not yet stored.
  static FlowRun NewRun(const DeploymentOptions& d, Timestamp due, Timestamp now);
  Duration RetryDelay(const DeploymentOptions& d);
  Status DeleteFutureRuns(const std::string& full_name, Timestamp now);

  const SchedulerOptions options_;
  Store& store_;
  Env env_;
  mutable std::mutex mu_;
  Random random_;
  int64_t late_total_ = 0;
};

}  // namespace dolphin::scheduler
