// The scheduler's store (docs/scheduler.md "Store"): pools, deployments, flow runs with the whole
// history of their state transitions, the leased concurrency slots, tag concurrency limits and
// workers with their last heartbeat. Everything the engine knows lives here, so a restart of
// the scheduler loses nothing (Prefect keeps leases in memory by default and loses them).
//
// One implementation: SQLite through dolphin::sqlite (`<state_dir>/scheduler.sqlite`, WAL,
// synchronous FULL, a single-writer lock), also in memory for unit tests. The interface is what
// a PostgreSQL store would implement later (DESIGN §6).
//
// Atomicity: Atomically(fn) runs fn inside one write transaction (BEGIN IMMEDIATE); every
// method called inside it joins that transaction. UpdateRun is a compare-and-set on the run's
// state, so even outside a transaction two callers can never both move a run out of one state:
// the second gets FailedPrecondition. A claim (engine.h) is one Atomically: two workers never
// claim one run.
//
// Thread-safety: NOT thread-safe; the engine serialises calls. Ownership: the factory returns
// the store; it closes the database on destruction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"
#include "dolphin/scheduler/run_state.h"
#include "dolphin/scheduler/scheduler_options.h"

namespace dolphin::scheduler {

struct PoolRecord {
  std::string name;
  int concurrency_limit = 1;
  bool paused = false;
  std::string description;
};

struct DeploymentRecord {
  DeploymentOptions options;  // options.paused is the current paused state
  // "config" (from the configuration file, refreshed at every start) or "api" (created
  // through the control API; kept until deleted).
  std::string source = "config";
  Timestamp updated_at;
};

struct FlowRun {
  int64_t id = 0;
  std::string deployment;  // "<flow>/<name>"
  std::string flow;
  std::string pool;
  Json parameters = Json::object();
  std::vector<std::string> tags;
  RunState state;
  std::string state_message;
  Timestamp state_ts;                   // when the current state was entered
  Timestamp expected_start;             // the schedule's time (or when it was asked for)
  Timestamp due_at;                     // when it may start: expected_start, or a retry's time
  std::optional<Timestamp> start_time;  // first RUNNING
  std::optional<Timestamp> end_time;    // terminal state
  int run_count = 0;                    // attempts handed to a worker
  std::string worker;                   // the worker that holds (or last held) it
  std::optional<int> exit_code;
  bool auto_scheduled = false;  // created from the schedule (not by `deployment run`)
  // "<deployment>@<expected_start ns>" for auto-scheduled runs, so a schedule never creates
  // one time twice; empty otherwise.
  std::string idempotency_key;
  Timestamp created_at;
};

struct StateChange {
  int64_t id = 0;
  int64_t run_id = 0;
  std::optional<RunState> from;  // nullopt for the first state
  RunState to;
  std::string message;
  Timestamp ts;
};

// One concurrency slot held by a run. scope: "pool", "deployment" or "tag".
struct Lease {
  int64_t run_id = 0;
  std::string scope;
  std::string key;
  std::string worker;
  Timestamp acquired_at;
  Timestamp renewed_at;
};

struct WorkerRecord {
  std::string name;
  std::vector<std::string> pools;
  Timestamp first_seen;
  Timestamp last_heartbeat;
};

struct TagLimit {
  std::string tag;
  int concurrency_limit = 1;
};

struct RunFilter {
  std::vector<StateType> types;         // empty = any
  std::string deployment;               // empty = any
  std::string pool;                     // empty = any
  std::string worker;                   // empty = any
  std::optional<Timestamp> due_before;  // due_at <= this
  bool auto_scheduled_only = false;
  bool newest_first = false;  // by id; else oldest due first (due_at, id)
  size_t limit = 0;           // 0 = no limit
};

class Store {
 public:
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `fn` in one write transaction; commits when it returns OK, else rolls back and
  // returns its Status. Nested calls run inside the outer transaction.
  virtual Status Atomically(const std::function<Status()>& fn) = 0;

  virtual Status UpsertPool(const PoolRecord& pool) = 0;
  virtual Result<std::vector<PoolRecord>> ListPools() = 0;
  // NotFound "unknown pool \"x\"" when missing.
  virtual Result<PoolRecord> GetPool(const std::string& name) = 0;
  virtual Status DeletePool(const std::string& name) = 0;

  virtual Status UpsertDeployment(const DeploymentRecord& deployment) = 0;
  virtual Result<std::vector<DeploymentRecord>> ListDeployments() = 0;
  // NotFound "unknown deployment \"x\"" when missing.
  virtual Result<DeploymentRecord> GetDeployment(const std::string& full_name) = 0;
  virtual Status DeleteDeployment(const std::string& full_name) = 0;

  // Inserts a run and its first state; returns its id. A duplicate idempotency key is not an
  // error: returns 0 and inserts nothing.
  virtual Result<int64_t> InsertRun(const FlowRun& run, std::string_view message) = 0;
  // NotFound "no flow run N" when missing.
  virtual Result<FlowRun> GetRun(int64_t id) = 0;
  virtual Result<std::vector<FlowRun>> ListRuns(const RunFilter& filter) = 0;
  // Writes every mutable field of `run` when its stored state is still `expected`, and
  // appends one history row when the state changed (expected -> run.state, `message`, ts =
  // run.state_ts). FailedPrecondition "flow run N is no longer <expected> (now <state>)"
  // when another caller moved it first.
  virtual Status UpdateRun(const FlowRun& run, RunState expected, std::string_view message) = 0;
  // Deletes a run, its history and its leases (future auto-scheduled runs of a paused or
  // deleted deployment).
  virtual Status DeleteRun(int64_t id) = 0;
  // Oldest first.
  virtual Result<std::vector<StateChange>> History(int64_t run_id) = 0;
  // Runs per state type (for `pool ls`, metrics).
  virtual Result<int64_t> CountRuns(const RunFilter& filter) = 0;

  virtual Status AddLease(const Lease& lease) = 0;
  virtual Result<int64_t> CountLeases(const std::string& scope, const std::string& key) = 0;
  virtual Result<std::vector<Lease>> ListLeases() = 0;
  // Leases whose renewed_at <= `before` (expired), oldest first.
  virtual Result<std::vector<Lease>> ExpiredLeases(Timestamp before) = 0;
  virtual Status DeleteLeases(int64_t run_id) = 0;
  // Sets renewed_at = now on every lease held by `worker`; returns how many.
  virtual Result<int64_t> RenewLeases(const std::string& worker, Timestamp now) = 0;
  // Sets renewed_at = now on the leases of one run.
  virtual Status RenewRunLeases(int64_t run_id, Timestamp now) = 0;

  virtual Status UpsertWorker(const WorkerRecord& worker) = 0;
  virtual Result<std::vector<WorkerRecord>> ListWorkers() = 0;
  // nullopt when the worker never heartbeat.
  virtual Result<std::optional<WorkerRecord>> GetWorker(const std::string& name) = 0;

  virtual Status SetTagLimit(const TagLimit& limit) = 0;
  // NotFound "no concurrency limit for tag \"x\"" when missing.
  virtual Status DeleteTagLimit(const std::string& tag) = 0;
  virtual Result<std::vector<TagLimit>> ListTagLimits() = 0;

  // Small integers the engine keeps (the time of its last tick).
  virtual Status SetMeta(const std::string& key, int64_t value) = 0;
  virtual Result<std::optional<int64_t>> GetMeta(const std::string& key) = 0;

 protected:
  Store() = default;
};

// Opens (or creates, with its folder) the SQLite store at `path`: WAL, synchronous per `sync`,
// the single-writer lock "<path>-lock" (a second scheduler on one store is refused). Errors are one
// line "scheduler store <path>: <problem>" (not a scheduler store, newer schema, locked, ...).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& path,
                                               StoreSync sync = StoreSync::kFull);
// The same store in memory (tests, benchmarks of the engine alone).
Result<std::unique_ptr<Store>> OpenInMemoryStore();

// JSON of a deployment's options as the API and the store show them (fields named as the
// config keys: pool, interval_s | cron, parameters, tags, ...), and back.
Json DeploymentToJson(const DeploymentOptions& d);
Result<DeploymentOptions> DeploymentFromJson(const Json& j);

}  // namespace dolphin::scheduler
