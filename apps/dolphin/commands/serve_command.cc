// `dolphin serve SERVICE`: one service in its own process, on a shared bus.
//
// Needs `[bus] backend = "hazelcast"` (the memory bus lives inside one process: refused with
// exit 2), except `serve worker`, which talks to the scheduler's control API only (--pool P,
// repeatable; --name; --api host:port). Each serve process has its own control API and writes its
// address to <state_dir>/api.<SERVICE>.addr (api.trader.<COLOR>.addr with --color), so several
// processes can share one state_dir; `dolphin trader ...` finds the trader's. `--api-listen
// HOST:PORT` replaces [api] listen (`dolphin up` passes "<host>:0", so each child binds a port of
// its own).
#include <fmt/format.h>

#include "../cli.h"
#include "../wiring.h"
#include "host.h"

namespace dolphin::cli {

namespace {

struct ServeFlags {
  std::string service;
  std::string color;
  std::vector<std::string> pools;
  std::string worker_name;
  std::string api;
  double duration_s = 0;
  std::string api_listen;
};

}  // namespace

void AddServeCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = root.add_subcommand(
      "serve",
      "Run one service (bridge, trader, sim, health, safety, scheduler, worker) as its own process");
  AddCommonOptions(cmd, ctx);
  cmd->add_option("SERVICE", flags->service,
                  "bridge | trader | sim | health | safety | scheduler | worker")
      ->required();
  cmd->add_option("--color", flags->color,
                  "trader: only this colour (default: every configured colour)");
  cmd->add_option("--pool", flags->pools,
                  "worker: serve this pool (repeatable; default: every configured pool)");
  cmd->add_option("--name", flags->worker_name, "worker: its name (default: <hostname>-<pid>)");
  cmd->add_option(
      "--api", flags->api,
      "worker: the scheduler's control API host:port (default: from the state_dir's api.addr "
      "or api.scheduler.addr)");
  cmd->add_option("--duration", flags->duration_s,
                  "Stop after this many seconds (default: run until a signal)")
      ->check(CLI::PositiveNumber);
  cmd->add_option(
         "--api-listen", flags->api_listen,
         "host:port of this process's control API, replacing [api] listen (port 0: any free port)")
      ->check([](const std::string& v) {
        auto hp = api::ParseHostPort(v);
        return hp.ok() ? std::string() : std::string(hp.status().message());
      });
  cmd->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      std::string process = flags->service;
      if (flags->service == "trader" && !flags->color.empty()) process += "." + flags->color;
      if (flags->service == "worker" && !flags->worker_name.empty())
        process += "." + flags->worker_name;
      // A worker talks to the scheduler over HTTP only: the bus is its own.
      const bool embedded_ok = flags->service == "worker";
      return HostServices(
          ctx, process, embedded_ok,
          [flags](const AppConfig& config, bus::KvBus& bus, Env env, HostSeams& seams) {
            if (flags->service != "worker") {
              return MakeServeServices(config, flags->service, flags->color, bus, env, seams);
            }
            AppConfig c = config;
            if (!flags->pools.empty()) c.worker.pools = flags->pools;
            if (!flags->worker_name.empty()) c.worker.name = flags->worker_name;
            if (!flags->api.empty()) c.worker.api = flags->api;
            return MakeServeServices(c, flags->service, flags->color, bus, env, seams);
          },
          flags->duration_s, flags->api_listen);
    };
  });
}

}  // namespace dolphin::cli
