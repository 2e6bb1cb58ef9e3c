// The seams through which the health service sees and acts on the system. Health defines them;
// whoever runs the services implements them in the wiring (the Runner of `dolphin run`, the
// built-in supervisor, systemd through configurable commands), so health never links the
// supervisor or the scheduler. Fakes for tests implement them too.
// Thread-safety: the health service calls them from its one cycle thread; implementations
// synchronise with whatever they wrap.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/contract/meta_health.h"
#include "dolphin/core/status.h"
#include "dolphin/core/time.h"
#include "dolphin/health/assessment.h"

namespace dolphin::health {

// M1: the state of each critical service as its runner sees it.
class ProcessProbe {
 public:
  virtual ~ProcessProbe() = default;
  ProcessProbe(const ProcessProbe&) = delete;
  ProcessProbe& operator=(const ProcessProbe&) = delete;

  // One entry per name in `services` (a service its runner does not know is not present).
  virtual std::map<std::string, ProcessState> Probe(const std::vector<std::string>& services) = 0;
  // What the services' supervisor (`dolphin up`) reported at the last Probe(): the limits it
  // cannot enforce and the services in `failed (start limit)` (the record's `supervisor` part).
  // nullopt when no supervisor runs the services.
  virtual std::optional<contract::SupervisorHealth> Supervision() { return std::nullopt; }
  // The scheduler's work pools by name (the record's subsystem_health.pools; a NOT_READY pool
  // is named in reasons["pools"]); empty when this process sees no scheduler.
  virtual std::map<std::string, contract::PoolHealth> ProbePools() { return {}; }

 protected:
  ProcessProbe() = default;
};

// M4: whether host:port accepts a TCP connection within `timeout`.
class PortProbe {
 public:
  virtual ~PortProbe() = default;
  PortProbe(const PortProbe&) = delete;
  PortProbe& operator=(const PortProbe&) = delete;

  // OK when a connection was accepted (and closed again); otherwise the reason
  // ("connection refused", "no answer within 1s").
  virtual Status Check(const std::string& host, uint16_t port, Duration timeout) = 0;

 protected:
  PortProbe() = default;
};

// The real PortProbe: a non-blocking connect() on loopback or any host, bounded by `timeout`.
std::unique_ptr<PortProbe> NewTcpPortProbe();

// What health may do about what it finds. Each call is one action; its Status is the action's
// result as recorded in the health record ("ok" or the error's message).
class RecoveryActions {
 public:
  virtual ~RecoveryActions() = default;
  RecoveryActions(const RecoveryActions&) = delete;
  RecoveryActions& operator=(const RecoveryActions&) = delete;

  // Restarts one service whose runner will not (ProcessState::restartable).
  virtual Status RestartService(const std::string& service) = 0;
  // Whether the control plane (the bus members) is dolphin's to restart: managed by dolphin
  // ([services.hazelcast]) or `[health] control_plane_restart` configured. A shared cluster is
  // never restarted behind its other clients' backs.
  virtual bool CanRestartControlPlane() const = 0;
  virtual Status RestartControlPlane() = 0;
  // Whether any deployment is marked `on_recovery = true`, and triggering a run of each.
  virtual bool HasRecoveryRuns() const { return false; }
  virtual Status TriggerRecoveryRuns() { return UnimplementedError("no scheduler"); }

 protected:
  RecoveryActions() = default;
};

}  // namespace dolphin::health
