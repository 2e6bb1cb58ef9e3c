// `dolphin config show`: the effective configuration, every default filled in.
#include <cstdio>

#include "../cli.h"
#include "../wiring.h"

namespace dolphin::cli {

void AddConfigCommand(CLI::App& root, CliContext& ctx) {
  CLI::App* cmd = root.add_subcommand("config", "Inspect the configuration");
  cmd->require_subcommand(1);
  CLI::App* show = cmd->add_subcommand(
      "show", "Print the effective configuration as TOML (validates it: exit 2 on any problem)");
  AddCommonOptions(cmd, ctx);
  AddCommonOptions(show, ctx);
  show->callback([&ctx] {
    ctx.action = [&ctx] {
      int code = kExitOk;
      auto config = LoadOrReport(ctx, &code);
      if (!config) return code;
      std::printf("%s", ShowAppConfig(*config).c_str());
      return kExitOk;
    };
  });
}

}  // namespace dolphin::cli
