#include <cstdio>

#include "../cli.h"

namespace dolphin::cli {

void AddCommonOptions(CLI::App* cmd, CliContext& ctx) {
  cmd->add_option("-c,--config", ctx.config_path,
                  "TOML config file (default: none, every default applies)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--log-level", ctx.log_level, "debug | info | warn | error (overrides [log])");
  cmd->add_option("--log-format", ctx.log_format, "human | json (overrides [log])");
}

void PrintError(const std::string& message) {
  std::fprintf(stderr, "dolphin: %s\n", message.c_str());
}

}  // namespace dolphin::cli
