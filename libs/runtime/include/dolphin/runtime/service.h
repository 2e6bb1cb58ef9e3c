// Service: one long-running component of dolphin (bridge, trader, health, ...), run either
// inside `dolphin run` (all in one process) or alone by `dolphin serve NAME`.
//
// The Runner owns services: it starts them in order, publishes their heartbeats to
// DOLPHIN_HEARTBEAT[<name>] every heartbeat interval, exposes their status on the control
// API, and stops them in reverse order. Thread-safety: Start/Stop are called from the
// Runner's thread; Health/StatusJson from any thread (implementations synchronise).
#pragma once

#include <string>

#include "dolphin/contract/enums.h"
#include "dolphin/core/json.h"
#include "dolphin/core/result.h"

namespace dolphin::runtime {

struct ServiceHealth {
  // DOLPHIN_HEARTBEAT's status (docs/architecture.md §3), ordered by severity: ok < degraded <
  // stalled.
  contract::HeartbeatStatus status = contract::HeartbeatStatus::kOk;
  // One short human line ("scan 1234 published 0.4s ago").
  std::string detail;
};

// Whether a service's own loop still runs. A service whose loop returned (an error it could not
// handle) is not running: its Runner restarts it when asked (the health service decides), never
// by itself. A service whose thread is hung in a call is still running: it says so in Health()
// (`stalled`) and cannot be restarted from outside.
struct ServiceLiveness {
  bool running = true;
  // Why not ("run loop returned: inotify read failed"); empty while running.
  std::string detail;
};

class Service {
 public:
  virtual ~Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The heartbeat key: "bridge", "trader.BLUE", ...
  virtual std::string name() const = 0;
  // Starts the service's own threads and returns. An error aborts `dolphin run`.
  virtual Status Start() = 0;
  // Stops and joins everything the service started. Idempotent; must return promptly.
  virtual void Stop() = 0;
  virtual ServiceHealth Health() const = 0;
  // Thread-safe. Default: always running (services without a loop of their own).
  virtual ServiceLiveness Liveness() const { return {}; }
  // The service's section of GET /api/status.
  virtual Json StatusJson() const = 0;
  // Called by the Runner on its own thread once per heartbeat interval, after the heartbeats
  // were published, for every started service (without the Runner's lock: it may race with a
  // RestartService() of the same service, so implementations synchronise). Default: nothing. (The
  // trader republishes its state here when no scan came since the last call: a quiet market is not
  // a dead trader.)
  virtual void OnHeartbeat() {}

 protected:
  Service() = default;
};

}  // namespace dolphin::runtime
