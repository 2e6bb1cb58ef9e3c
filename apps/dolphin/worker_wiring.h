// The worker in a dolphin process (docs/scheduler.md "Worker"): its setup from the
// configuration, and its PoolClient: the engine of this process (`dolphin run`), or the pool
// API over HTTP (`dolphin serve worker`, anywhere that reaches the scheduler's control API).
// Thread-safety: the HTTP client is used by the worker's one thread.
#pragma once

#include <memory>

#include "dolphin/runtime/service.h"
#include "dolphin/scheduler/scheduler_service.h"
#include "dolphin/scheduler/worker.h"
#include "wiring.h"

namespace dolphin::cli {

// The pool API over HTTP: `options.api` when set (with the state_dir's token), else the
// address in <state_dir>/api.addr or api.scheduler.addr, read again after a failed call (a
// restarted scheduler listens elsewhere).
std::unique_ptr<scheduler::PoolClient> NewHttpPoolClient(const AppConfig& config);

// The worker service. `in_process`: the scheduler service of this process (its engine is
// used directly), or null (HTTP). InvalidArgument (one line) for a pool that is not configured.
Result<std::unique_ptr<runtime::Service>> MakeWorkerService(
    const AppConfig& config, Env env, scheduler::SchedulerService* in_process);

}  // namespace dolphin::cli
