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
#include "dolphin/core/logging.h"
#include "dolphin/runtime/service.h"
#include "dolphin/sim/sim_options.h"

namespace dolphin::cli {

// Top-level keys and the [log] section.
struct ProcessOptions {
  // Journals, run history, run_logs, api.addr/api.token. Default: ./var (resolved against the
  // config file's folder, or the working directory without a file).
  std::filesystem::path state_dir;
  // Every service's DOLPHIN_HEARTBEAT period, seconds. Default: 5.
  double heartbeat_interval_s = 5.0;
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
};

// Loads and validates the whole configuration. Every problem goes to `diag` (errors make the
// result an error). Sections of DESIGN section 9 whose library is not built yet are accepted
// with a warning; anything else unknown is an error.
Result<AppConfig> LoadAppConfig(const CliContext& ctx, ConfigDiagnostics& diag);

// Loads the configuration or prints every problem and returns the exit code (2) to use.
// Prints warnings either way.
std::optional<AppConfig> LoadOrReport(const CliContext& ctx, int* exit_code);

// The effective configuration as TOML (`dolphin config show`).
std::string ShowAppConfig(const AppConfig& config);

// A logger writing to stderr as configured.
std::unique_ptr<Logger> MakeLogger(const AppConfig& config, const Clock& clock);

// The services of `dolphin run`, in start order: the bridge, then the simulator when
// [sim] enabled (the default without a config file).
std::vector<std::unique_ptr<runtime::Service>> MakeRunServices(const AppConfig& config,
                                                               bus::KvBus& bus, Env env);

// The configured bus backend: `memory` (in-process) or `hazelcast` (connects to [bus] members
// with our own client; fails when no member answers or the cluster refuses us).
Result<std::unique_ptr<bus::KvBus>> MakeBus(const AppConfig& config, Env env);

}  // namespace dolphin::cli
