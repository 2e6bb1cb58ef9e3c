// The health service's seams in a dolphin process (docs/health.md): M1 from the Runner's own
// service table, restarts through it, the control-plane restart command, and the options
// derived from the whole configuration (critical set, data sources, ports).
// Thread-safety: HostSeams is called by the health service's cycle thread; AttachRunner()
// before the Runner runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dolphin/api/control_api.h"
#include "dolphin/health/health_service.h"
#include "dolphin/runtime/runner.h"
#include "dolphin/scheduler/engine.h"
#include "wiring.h"

namespace dolphin::cli {

// Health's seams when systemd runs the services ([health] processes = "systemd"): each
// critical service's unit through `systemd_probe` (ActiveState, MainPID), restarts through
// `systemd_restart`. Tests use a stand-in command, never the real systemctl.
class SystemdSeams final : public health::ProcessProbe, public health::RecoveryActions {
 public:
  SystemdSeams(const AppConfig& config, Env env);
  health::PortProbe& ports() { return *ports_; }
  // active with a MainPID: present; activating/deactivating: systemd's own restart (no action);
  // failed/inactive: restartable; anything else (or a failing probe): missing, not restartable.
  std::map<std::string, health::ProcessState> Probe(
      const std::vector<std::string>& services) override;
  Status RestartService(const std::string& service) override;
  bool CanRestartControlPlane() const override;
  Status RestartControlPlane() override;

 private:
  const health::HealthOptions options_;
  Env env_;
  std::unique_ptr<health::PortProbe> ports_;
};

// The file under state_dir where `dolphin up` writes its API address.
inline constexpr const char* kUpAddrFile = "api.up.addr";
// Set to "up" in the environment of every dolphin service `dolphin up` runs.
inline constexpr const char* kSupervisedByEnv = "DOLPHIN_SUPERVISED_BY";

// [health] processes as it applies to this process: "supervisor" under `dolphin up` when the
// configuration leaves the default "runner" (a `serve health` child sees no Runner of the
// others), else the configured value.
std::string EffectiveHealthProcesses(const AppConfig& config);

// Health's seams when `dolphin up` runs the services ([health] processes = "supervisor"): M1
// from up's child table (GET /api/services at <state_dir>/api.up.addr), restarts through it
// (POST /api/command/service.restart), the member's restart too when up runs it; the unenforced
// line and the services in `failed (start limit)` for the record (Supervision()).
class SupervisorSeams final : public health::ProcessProbe, public health::RecoveryActions {
 public:
  SupervisorSeams(const AppConfig& config, Env env);
  // ready: present; starting, unresponsive or restarting: up's own business (no action);
  // stopped or failed: restartable; failed (start limit): missing, the operator's to clear;
  // up unreachable: missing, not restartable.
  std::map<std::string, health::ProcessState> Probe(
      const std::vector<std::string>& services) override;
  std::optional<contract::SupervisorHealth> Supervision() override;
  Status RestartService(const std::string& service) override;
  bool CanRestartControlPlane() const override;
  Status RestartControlPlane() override;

 private:
  Result<Json> Table();
  const std::filesystem::path state_dir_;
  const std::vector<std::string> control_plane_restart_;
  Env env_;
  std::optional<contract::SupervisorHealth> last_;
  bool member_supervised_ = false;  // up runs service hazelcast (seen in its table)
};

// Health's ProcessProbe and RecoveryActions for services hosted by one Runner (or, with
// [health] processes = "systemd" or "supervisor", the SystemdSeams or SupervisorSeams it then
// delegates to).
class HostSeams final : public health::ProcessProbe, public health::RecoveryActions {
 public:
  HostSeams(const AppConfig& config, Env env);
  ~HostSeams() override;

  // REQUIRES: before runner.Run(); the runner outlives every call.
  void AttachRunner(runtime::Runner* runner);
  health::PortProbe& ports() { return *ports_; }

  // ProcessProbe: present = started, loop running and not stalled. A loop that returned (or a
  // failed restart) may be restarted by health; a stalled service (a thread hung in a call)
  // cannot; a service this process does not host is reported as such.
  std::map<std::string, health::ProcessState> Probe(
      const std::vector<std::string>& services) override;
  std::optional<contract::SupervisorHealth> Supervision() override;

  // The scheduler's pools: this process's scheduler service, else the pool API of the
  // state_dir's scheduler (api.scheduler.addr or api.addr); empty when neither answers.
  std::map<std::string, contract::PoolHealth> ProbePools() override;

  // RecoveryActions.
  Status RestartService(const std::string& service) override;
  bool CanRestartControlPlane() const override;
  Status RestartControlPlane() override;
  // Step 3: a run of every `on_recovery = true` deployment, through this process's scheduler
  // (Engine::RunDeployment) or the pool API (POST /api/deployments/{flow}/{name}/run).
  bool HasRecoveryRuns() const override;
  Status TriggerRecoveryRuns() override;

 private:
  scheduler::Engine* InProcessEngine() const;

  const std::vector<std::string> control_plane_restart_;
  const std::filesystem::path state_dir_;
  std::vector<std::string> recovery_deployments_;  // configured on_recovery deployments
  Env env_;
  std::unique_ptr<health::PortProbe> ports_;
  std::unique_ptr<SystemdSeams> systemd_;
  std::unique_ptr<SupervisorSeams> supervisor_;
  runtime::Runner* runner_ = nullptr;
};

// The health service's options from the configuration: critical set (default: bridge and
// trader.<COLOR> per enabled colour), sources (default: scan, and state.<COLOR> per colour),
// run_logs under state_dir. Ports come later (HealthPorts), once the API has its address.
health::HealthServiceOptions HealthServiceOptionsFor(const AppConfig& config);

// M4's ports: each bus member (hazelcast backend) and this process's control API.
std::vector<health::PortSpec> HealthPorts(const AppConfig& config, const std::string& api_address);

// POST /api/command/health.reset {"target": T} for the health service among `services`.
void RegisterHealthCommands(api::ControlApi& api,
                            const std::vector<std::unique_ptr<runtime::Service>>& services);

// Runs `argv` to completion, at most `timeout` (then SIGKILLed): OK for exit status 0, else
// the exit status or signal. Its stdout goes to this process's stderr; it starts with no signal
// blocked (the CLI blocks SIGINT/SIGTERM in its own threads).
Status RunCommand(const std::vector<std::string>& argv, Duration timeout, Clock& clock);
// The same, returning what the command printed on stdout.
Result<std::string> RunCommandOutput(const std::vector<std::string>& argv, Duration timeout,
                                     Clock& clock);

}  // namespace dolphin::cli
