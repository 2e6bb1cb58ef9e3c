// The pool API (DESIGN §6 and §7, docs/scheduler.md "API") as one function over the engine,
// so it is tested without HTTP; the wiring serves it on the control API (RegisterRoutes).
//
//   GET    /api/pools                                  every pool with status and counts
//   GET    /api/pools/{name}
//   POST   /api/pools/{name}/pause | /resume
//   GET    /api/deployments                            every deployment
//   POST   /api/deployments                            body: a deployment (store.h's JSON)
//   GET    /api/deployments/{flow}/{name}
//   DELETE /api/deployments/{flow}/{name}
//   POST   /api/deployments/{flow}/{name}/run          body: {"parameters": {...}} (optional)
//   POST   /api/deployments/{flow}/{name}/pause | /resume
//   GET    /api/flow_runs?state=S&deployment=D&limit=N newest first (state: a type or a name)
//   GET    /api/flow_runs/{id}                         the run and its state history
//   POST   /api/flow_runs/{id}/cancel
//   GET    /api/concurrency_limits                     tag limits with their active slots
//   POST   /api/concurrency_limits                     body: {"tag": T, "concurrency_limit": N}
//   DELETE /api/concurrency_limits/{tag}
//   POST   /api/workers/{name}/claim                   body: {"pools": [...], "max": N}
//   POST   /api/workers/{name}/heartbeat               body: {"pools": [...], "holding": [ids]}
//   POST   /api/flow_runs/{id}/started                 body: {"worker": W}
//   POST   /api/flow_runs/{id}/finished                body: {"worker": W, "exit_code": N,
//                                                            "output": last output line}
//   POST   /api/flow_runs/{id}/start_failed            body: {"worker": W, "message": why}
//
// Errors are Status values the control API maps to HTTP: a bad body or parameter ->
// InvalidArgument (400) with the reason, unknown names -> NotFound (404), a state that does not
// allow it -> FailedPrecondition (409).
// Thread-safety: as the engine's methods (thread-safe).
#pragma once

#include <map>
#include <string>

#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/scheduler/engine.h"

namespace dolphin::scheduler {

struct PoolApiRequest {
  std::string method;  // GET, POST, PUT, DELETE
  std::string path;    // "/api/pools/dolphin/pause"
  std::map<std::string, std::string> query;
  Json body = Json::object();
};

// The path prefixes the API serves.
const std::vector<std::string>& PoolApiPrefixes();

Result<Json> HandlePoolApi(Engine& engine, const PoolApiRequest& request, Timestamp now);

// JSON of one flow run as the API shows it: id, deployment, flow, pool, state_type,
// state_name, state_message, state_timestamp, expected_start_time, due_at, start_time,
// end_time, duration_s, lateness_s, run_count, worker, exit_code, parameters, tags,
// auto_scheduled, created_at (times RFC 3339; absent ones null).
Json FlowRunToJson(const FlowRun& run, Timestamp now);
Json PoolStatusToJson(const PoolStatus& pool);

}  // namespace dolphin::scheduler
