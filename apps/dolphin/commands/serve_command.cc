// `dolphin serve SERVICE`: one service in its own process, on a shared bus.
//
// Needs `[bus] backend = "hazelcast"` (the memory bus lives inside one process: refused with
// exit 2). Each serve process has its own control API and writes its address to
// <state_dir>/api.<SERVICE>.addr (api.trader.<COLOR>.addr with --color), so several processes
// can share one state_dir; `dolphin trader ...` finds the trader's. `--api-listen HOST:PORT`
// replaces [api] listen (`dolphin up` passes "<host>:0", so each child binds a port of its own).
#include <fmt/format.h>

#include "../cli.h"
#include "../wiring.h"
#include "host.h"

namespace dolphin::cli {

namespace {

struct ServeFlags {
  std::string service;
  std::string color;
  double duration_s = 0;
  std::string api_listen;
};

}  // namespace

void AddServeCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = root.add_subcommand(
      "serve", "Run one service (bridge, trader, sim; health, scheduler later) as its own process on a shared bus");
  AddCommonOptions(cmd, ctx);
  cmd->add_option("SERVICE", flags->service, "bridge | trader | sim | health | scheduler")->required();
  cmd->add_option("--color", flags->color, "trader: only this colour (default: every configured colour)");
  cmd->add_option("--duration", flags->duration_s, "Stop after this many seconds (default: run until a signal)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--api-listen", flags->api_listen,
                  "host:port of this process's control API, replacing [api] listen (port 0: any free port)")
      ->check([](const std::string& v) {
        auto hp = api::ParseHostPort(v);
        return hp.ok() ? std::string() : std::string(hp.status().message());
      });
  cmd->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      std::string process = flags->service;
      if (flags->service == "trader" && !flags->color.empty()) process += "." + flags->color;
      return HostServices(
          ctx, process, /*embedded_ok=*/false,
          [flags](const AppConfig& config, bus::KvBus& bus, Env env, HostSeams& seams) {
            return MakeServeServices(config, flags->service, flags->color, bus, env, seams);
          },
          flags->duration_s, flags->api_listen);
    };
  });
}

}  // namespace dolphin::cli
