// `dolphin serve SERVICE`: one service in its own process, on a shared bus.
#include <fmt/format.h>

#include "../cli.h"
#include "../wiring.h"

namespace dolphin::cli {

void AddServeCommand(CLI::App& root, CliContext& ctx) {
  auto service = std::make_shared<std::string>();
  CLI::App* cmd = root.add_subcommand(
      "serve", "Run one service (bridge, trader, health, scheduler) as its own process on a shared bus");
  AddCommonOptions(cmd, ctx);
  cmd->add_option("SERVICE", *service, "bridge | trader | health | scheduler")->required();
  cmd->callback([&ctx, service] {
    ctx.action = [&ctx, service] {
      int code = kExitOk;
      auto config = LoadOrReport(ctx, &code);
      if (!config) return code;
      if (config->bus.backend == "memory") {
        PrintError(fmt::format(
            "serve {}: the memory bus lives inside one process; set [bus] backend = "
            "\"hazelcast\" to run services as separate processes, or use `dolphin run`",
            *service));
        return kExitUsage;
      }
      PrintError(fmt::format("serve {}: not built yet", *service));
      return kExitNotBuilt;
    };
  });
}

}  // namespace dolphin::cli
