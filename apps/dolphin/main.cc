// dolphin: the single binary. main() only parses arguments and dispatches to a verb.
#include <cstdio>

#include "cli.h"

int main(int argc, char** argv) {
  using namespace dolphin::cli;
  CLI::App app{
      "dolphin: DOLPHIN multi-speed, event-driven trading infrastructure.\n"
      "Scan files -> feature bus -> trader, with health, limits and scheduled work.\n"
      "Exit codes: 0 ok, 1 runtime failure, 2 usage/config error, 3 not built yet.",
      "dolphin"};
  app.set_version_flag("--version", "dolphin " DOLPHIN_VERSION);
  app.require_subcommand(1, 1);
  app.set_help_all_flag("--help-all", "Show help for every verb");
  CliContext ctx;
  AddRunCommand(app, ctx);
  AddServeCommand(app, ctx);
  AddBusCommand(app, ctx);
  AddStatusCommand(app, ctx);
  AddConfigCommand(app, ctx);
  AddSimCommand(app, ctx);
  AddArrowCommand(app, ctx);
  AddTraderCommand(app, ctx);
  AddHealthCommand(app, ctx);
  AddSystemdCommand(app, ctx);
  AddBacktestCommand(app, ctx);
  AddUpCommand(app, ctx);
  AddSchedulerCommands(app, ctx);
  AddIndicatorsCommand(app, ctx);
  AddReportCommand(app, ctx);
  AddBatchCommand(app, ctx);
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known = known || sub->get_name() == argv[1];
    if (!known) {
      std::fprintf(stderr, "dolphin: unknown verb \"%s\" (see dolphin --help)\n", argv[1]);
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::printf("%s", app.help().c_str());
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::printf("%s", app.help("", CLI::AppFormatMode::All).c_str());
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    std::printf("dolphin %s\n", DOLPHIN_VERSION);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // One line naming what was wrong; help is one flag away.
    std::fprintf(stderr, "dolphin: %s (see dolphin --help)\n", e.what());
    return kExitUsage;
  }
  if (!ctx.action) {
    std::fprintf(stderr, "dolphin: no verb given (see dolphin --help)\n");
    return kExitUsage;
  }
  return ctx.action();
}
