// The composition root: the only place that reads the config file as a whole, picks clocks,
// loggers and bus backends, and builds services. Every verb goes through here.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "cli.h"
#include "dolphin/api/control_api.h"
#include "dolphin/bridge/bridge_options.h"
#include "dolphin/bus/bus_options.h"
#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/config.h"
#include "dolphin/core/env.h"
#include "dolphin/core/logging.h"
#include "dolphin/health/health_options.h"
#include "dolphin/indicators/indicators_options.h"
#include "dolphin/report/batch_options.h"
#include "dolphin/runtime/runner.h"
#include "dolphin/runtime/service.h"
#include "dolphin/safety/safety_options.h"
#include "dolphin/safety/safety_service.h"
#include "dolphin/scheduler/scheduler_options.h"
#include "dolphin/scheduler/worker.h"
#include "dolphin/sim/sim_options.h"
#include "dolphin/supervisor/service_options.h"
#include "dolphin/trader/trader_options.h"

namespace dolphin::cli {

// Top-level keys and the [log] section.
struct ProcessOptions {
  // Journals, run history, run_logs, api.addr/api.token. Default: ./var (resolved against the
  // config file's folder, or the working directory without a file).
  std::filesystem::path state_dir;
  // Every service's DOLPHIN_HEARTBEAT period, seconds. Default: RunnerOptions' (5 s), the one
  // place that default is written.
  double heartbeat_interval_s = SecondsOf(runtime::RunnerOptions{}.heartbeat_interval);
  // [log] level: debug | info | warn | error. Default: info.
  std::string log_level = "info";
  // [log] format: human | json. Default: human.
  std::string log_format = "human";
};

struct AppConfig {
  Config file;
  ProcessOptions process;
  api::ApiOptions api;
  bus::BusOptions bus;
  sim::SimOptions sim;
  bridge::BridgeOptions bridge;
  trader::TraderSetup trader;
  health::HealthOptions health;
  safety::SafetyOptions safety;
  // [services.<name>]: only the configured tables; EffectiveServiceOptions gives any name's.
  supervisor::ServicesOptions services;
  // [scheduler], [pools.<name>], [deployments."<flow>/<name>"] (docs/scheduler.md).
  scheduler::SchedulerSetup scheduler = scheduler::DefaultSchedulerSetup();
  // [indicators.<flow>] (docs/indicators.md); each enabled flow adds its deployment to `scheduler`.
  indicators::IndicatorsOptions indicators = indicators::DefaultIndicatorsOptions();
  // [worker]: the worker of `dolphin run` (with the scheduler) and `dolphin serve worker`.
  scheduler::WorkerOptions worker;
  // [batch], [housekeeping] (docs/batch.md); their deployments are in `scheduler`.
  report::BatchOptions batch;
};

class HostSeams;  // health_wiring.h

// Loads and validates the whole configuration. Every problem goes to `diag` (errors make the
// result an error); an unknown section or key is an error.
Result<AppConfig> LoadAppConfig(const CliContext& ctx, ConfigDiagnostics& diag);

// Loads the configuration or prints every problem and returns the exit code (2) to use.
// Prints warnings either way.
std::optional<AppConfig> LoadOrReport(const CliContext& ctx, int* exit_code);

// The effective configuration as TOML (`dolphin config show`).
std::string ShowAppConfig(const AppConfig& config);

// The supervised names of the services `dolphin run` runs, in start order: "trader.<COLOR>" per
// colour (unless [trader] enabled = false), "bridge", "sim" when [sim] enabled, "health" when
// [health] enabled, "safety", "scheduler" and "worker" (with the scheduler, [worker] enabled).
// `dolphin up` runs these by default, each as `dolphin serve NAME`.
std::vector<std::string> DefaultServiceNames(const AppConfig& config);

// A logger writing to stderr as configured.
std::unique_ptr<Logger> MakeLogger(const AppConfig& config, const Clock& clock);

// The services of `dolphin run`, in start order: the traders (one per colour, unless
// [trader] enabled = false), the bridge, the simulator when [sim] enabled (the default
// without a config file), health, safety, the scheduler and its worker (each when enabled).
// Stopped in reverse order.
std::vector<std::unique_ptr<runtime::Service>> MakeRunServices(const AppConfig& config,
                                                               bus::KvBus& bus, Env env,
                                                               HostSeams& seams);

// The services of `dolphin serve SERVICE`: "bridge", "trader" (every colour, or only `color`
// when not empty), "sim", "health", "safety", "scheduler", "worker" (config.worker's pools,
// name and api). InvalidArgument for an unknown name.
Result<std::vector<std::unique_ptr<runtime::Service>>> MakeServeServices(const AppConfig& config,
                                                                         const std::string& service,
                                                                         const std::string& color,
                                                                         bus::KvBus& bus, Env env,
                                                                         HostSeams& seams);

// The safety service's options: [safety] and every enabled trader colour.
safety::SafetyServiceOptions SafetyServiceOptionsFor(const AppConfig& config);

// Serves POST /api/command/trader.{halt,resume,flatten} with body {"color": "BLUE"} for the
// trader services among `services`. REQUIRES: before api.Start().
void RegisterTraderCommands(api::ControlApi& api,
                            const std::vector<std::unique_ptr<runtime::Service>>& services);

// Serves the pool API (docs/scheduler.md "API": /api/pools, /api/deployments, /api/flow_runs,
// /api/concurrency_limits, /api/workers) for the scheduler service among `services`; answers
// 503 until that service has started. REQUIRES: before api.Start().
void RegisterSchedulerRoutes(api::ControlApi& api,
                             const std::vector<std::unique_ptr<runtime::Service>>& services,
                             const Clock& clock);

// The scheduler's store: <state_dir>/scheduler.sqlite.
std::filesystem::path SchedulerStorePath(const AppConfig& config);

// The trader options of one colour, or an error listing the configured colours.
Result<trader::TraderOptions> TraderOptionsFor(const AppConfig& config, const std::string& color);

// LoadOrReport, then the colour's trader options (an unknown colour: one line, exit 2).
struct TraderConfig {
  AppConfig app;
  trader::TraderOptions trader;
};
std::optional<TraderConfig> LoadTraderConfigOrReport(const CliContext& ctx,
                                                     const std::string& color, int* exit_code);

// The process's Env (core/env.h): the given clock and logger, FileSystem::Default(),
// ThreadFactory::Default() and a Random seeded from the operating system (the seed is logged
// at debug level). With a `metrics_process` name ("run", "up", "serve.bridge") env().metrics is
// the process's prometheus-cpp registry (libs/metrics, served at GET /metrics); without one,
// NullMetrics(). The clock and logger must outlive it; components keep copies of env().
class ProcessEnv {
 public:
  ProcessEnv(Clock& clock, Logger& logger, std::string metrics_process = "");
  ProcessEnv(const ProcessEnv&) = delete;
  ProcessEnv& operator=(const ProcessEnv&) = delete;
  const Env& env() const { return env_; }

 private:
  Random random_;
  std::unique_ptr<Metrics> metrics_;  // nullptr: NullMetrics()
  Env env_;
};

// The configured bus backend: `memory` (in-process) or `hazelcast` (connects to [bus] members
// with our own client; fails when no member answers or the cluster refuses us).
Result<std::unique_ptr<bus::KvBus>> MakeBus(const AppConfig& config, Env env);

}  // namespace dolphin::cli
