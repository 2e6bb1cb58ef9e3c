// The worker (DESIGN §6, docs/scheduler.md "Worker"): the `worker` service of `dolphin run`,
// `dolphin up` and `dolphin serve worker --pool P`. It polls the scheduler for due runs of its
// pools (a claim, atomic in the scheduler's store: two workers never get one run), runs each
// flow as a child process in its own process group (supervisor::ProcessOps) with its output
// appended to <state_dir>/run_logs/flow_runs/<id>.log, heartbeats (renewing the leases of every
// run it holds, for as long as the run lasts), kills the process group of a run the scheduler
// answers to kill (cancel, TimedOut, or a run it no longer holds), and reports each end with
// the exit code and the last non-empty output line.
//
// The flow process contract (docs/scheduler.md "Flow process contract"): command[0] ==
// "dolphin" is the worker's own executable; the child gets DOLPHIN_FLOW_RUN_ID,
// DOLPHIN_DEPLOYMENT, DOLPHIN_STATE_DIR, DOLPHIN_CONFIG and DOLPHIN_PARAMETERS (a JSON object);
// exit 0 = COMPLETED.
//
// The worker reaches the scheduler through a PoolClient: in-process (the engine of the same
// process, NewEnginePoolClient) or over the control API's HTTP pool API (the wiring's).
//
// Thread-safety: Start/Stop from the Runner's thread; Step from the service's own thread (or a
// test, when not started); Health/StatusJson from any thread.
// Ownership: the worker owns its PoolClient; the ProcessOps and the Env must outlive it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/config.h"
#include "dolphin/core/env.h"
#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/runtime/service.h"
#include "dolphin/scheduler/engine.h"
#include "dolphin/supervisor/process_ops.h"

namespace dolphin::scheduler {

// [worker] of the config file.
struct WorkerOptions {
  // `dolphin run` runs a worker (and `dolphin up` runs service `worker`) when the scheduler
  // is enabled. Default: true.
  bool enabled = true;
  // The pools it serves; empty = every configured pool. `--pool` replaces it.
  std::vector<std::string> pools;
  // Its name in the scheduler; empty = "<hostname>-<pid>". `--name` replaces it.
  std::string name;
  // Runs it holds at once (the pool, deployment and tag limits are the scheduler's). Default: 10.
  int max_runs = 10;
  // host:port of the scheduler's control API; empty = from the state_dir's api.addr or
  // api.scheduler.addr. `--api` replaces it.
  std::string api;
  // After SIGTERM to a run's process group, this long before SIGKILL. Default: 5 s.
  Duration kill_grace = std::chrono::seconds(5);
};

Result<WorkerOptions> ParseWorkerOptions(ConfigSection section);
void WriteWorkerOptions(const WorkerOptions& options, ConfigWriter& out);

// A run handed to this worker, with what it needs to start it.
struct WorkItem {
  int64_t id = 0;
  std::string deployment;  // "<flow>/<name>"
  Json parameters = Json::object();
  std::vector<std::string> command;
  int attempt = 1;
};

// The claim answer of the pool API (an array of runs, each with its deployment_spec).
Result<std::vector<WorkItem>> WorkItemsFromJson(const Json& claimed);

// The worker's side of the pool API.
class PoolClient {
 public:
  virtual ~PoolClient() = default;
  PoolClient(const PoolClient&) = delete;
  PoolClient& operator=(const PoolClient&) = delete;

  virtual Result<std::vector<WorkItem>> Claim(const std::string& worker,
                                              const std::vector<std::string>& pools,
                                              size_t max_runs) = 0;
  // The ids among `holding` to kill.
  virtual Result<std::vector<int64_t>> Heartbeat(const std::string& worker,
                                                 const std::vector<std::string>& pools,
                                                 const std::vector<int64_t>& holding) = 0;
  virtual Status Started(int64_t id, const std::string& worker) = 0;
  virtual Status Finished(int64_t id, const std::string& worker, int exit_code,
                          const std::string& output) = 0;
  virtual Status StartFailed(int64_t id, const std::string& worker, const std::string& why) = 0;

 protected:
  PoolClient() = default;
};

// Calls `engine()` (null until the scheduler started: Unavailable) with the clock's time.
std::unique_ptr<PoolClient> NewEnginePoolClient(std::function<Engine*()> engine,
                                                const Clock& clock);

struct WorkerSetup {
  std::string name;                // the worker's name (never empty)
  std::vector<std::string> pools;  // never empty
  size_t max_runs = 10;
  Duration poll_interval = std::chrono::seconds(1);
  Duration heartbeat_interval = std::chrono::seconds(10);
  Duration kill_grace = std::chrono::seconds(5);
  std::filesystem::path state_dir;
  std::filesystem::path config_file;  // empty: no config file
  // What "dolphin" in command[0] runs: the worker's own executable (/proc/self/exe).
  std::filesystem::path self_exe;
  // [services.worker] env and working_dir for the flows.
  std::map<std::string, std::string> env;
  std::filesystem::path working_dir;
};

// <state_dir>/run_logs/flow_runs/<id>.log
std::filesystem::path FlowRunLogPath(const std::filesystem::path& state_dir, int64_t id);
// The last non-empty line of `text` (trimmed, at most 300 bytes), "" when none.
std::string LastOutputLine(std::string_view text);

class WorkerService final : public runtime::Service {
 public:
  WorkerService(WorkerSetup setup, std::unique_ptr<PoolClient> client, supervisor::ProcessOps& ops,
                Env env);
  ~WorkerService() override;

  std::string name() const override { return "worker"; }
  Status Start() override;
  // Ends every run it holds (SIGTERM to each group, SIGKILL after kill_grace) and reports them.
  void Stop() override;
  runtime::ServiceHealth Health() const override;
  Json StatusJson() const override;

  // One pass: reap ended runs and report them, kill what must die, heartbeat when due, claim
  // and start runs when a poll is due (or a run just ended).
  void Step();
  // Runs held now.
  size_t running() const;

 private:
  struct Child {
    WorkItem item;
    pid_t pid = -1;
    std::filesystem::path log;
    uint64_t log_offset = 0;          // where this attempt's output starts
    std::optional<MonoTime> kill_at;  // SIGKILL due (after SIGTERM)
    std::string kill_reason;
  };
  struct Report {
    int64_t id = 0;
    int exit_code = 0;
    std::string output;
  };
  void Reap();
  void Heartbeat();
  void Claim();
  void StartRun(const WorkItem& item);
  void BeginKill(Child& c, const std::string& why);
  void SendReports();
  void Loop();

  const WorkerSetup setup_;
  std::unique_ptr<PoolClient> client_;
  supervisor::ProcessOps& ops_;
  Env env_;
  std::unique_ptr<CancelToken> cancel_;
  std::unique_ptr<ThreadHandle> thread_;

  mutable std::mutex mu_;              // guards the members below
  std::map<int64_t, Child> children_;  // by run id
  std::vector<Report> unreported_;     // ends the scheduler has not taken yet
  std::optional<MonoTime> next_poll_;
  std::optional<MonoTime> next_heartbeat_;
  bool claim_now_ = false;
  int64_t started_total_ = 0;
  int64_t finished_total_ = 0;
  int64_t killed_total_ = 0;
  std::string last_error_;
};

}  // namespace dolphin::scheduler
