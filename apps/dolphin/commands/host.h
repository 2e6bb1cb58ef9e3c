// The process host shared by `dolphin run` and `dolphin serve`: config, logger, signals, bus,
// the Runner with the chosen services, and the control API.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../cli.h"
#include "../wiring.h"

namespace dolphin::cli {

using ServiceFactory = std::function<Result<std::vector<std::unique_ptr<runtime::Service>>>(
    const AppConfig& config, bus::KvBus& bus, Env env, HostSeams& seams)>;

// Runs the services `make_services` builds until SIGINT/SIGTERM (or `duration_s` > 0 passes).
// `embedded_ok` = false refuses the memory bus (exit 2). `api_listen`, when set, replaces
// [api] listen (`dolphin up` gives each child "127.0.0.1:0": a port of its own). Returns the
// exit code.
int HostServices(const CliContext& ctx, const std::string& process_name, bool embedded_ok,
                 const ServiceFactory& make_services, double duration_s,
                 const std::string& api_listen = "");

// The file under state_dir where a process writes its API address: api.addr for `run`,
// api.<process>.addr for `serve` processes (so several can share one state_dir).
std::string ApiAddrFile(const std::string& process_name);

}  // namespace dolphin::cli
