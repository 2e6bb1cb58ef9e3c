// The `dolphin` command line: shared flags and the verb registry.
//
// Each verb lives in commands/<verb>_command.cc and exposes one Add<Verb>Command(root, ctx)
// that adds its CLI11 subcommand and, when the subcommand is chosen, sets ctx.action. main()
// parses, then runs ctx.action and returns its exit code (docs/architecture.md §9):
//   0 ok · 1 runtime failure · 2 usage or configuration error · 3 not built yet.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace dolphin::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotBuilt = 3;

struct CliContext {
  std::string config_path;  // -c/--config; empty = defaults, no file
  std::string log_level;    // --log-level override; empty = config
  std::string log_format;   // --log-format override; empty = config
  std::function<int()> action;
};

// Adds -c/--config, --log-level and --log-format to a verb.
void AddCommonOptions(CLI::App* cmd, CliContext& ctx);

// Prints "dolphin: <message>" to stderr (one line).
void PrintError(const std::string& message);

void AddRunCommand(CLI::App& root, CliContext& ctx);
void AddServeCommand(CLI::App& root, CliContext& ctx);
void AddBusCommand(CLI::App& root, CliContext& ctx);
void AddStatusCommand(CLI::App& root, CliContext& ctx);
void AddConfigCommand(CLI::App& root, CliContext& ctx);
void AddSimCommand(CLI::App& root, CliContext& ctx);
void AddArrowCommand(CLI::App& root, CliContext& ctx);
void AddTraderCommand(CLI::App& root, CliContext& ctx);
void AddBacktestCommand(CLI::App& root, CliContext& ctx);
void AddHealthCommand(CLI::App& root, CliContext& ctx);
// `up` (the supervisor) and `service ls|start|stop|restart NAME`.
void AddUpCommand(CLI::App& root, CliContext& ctx);
void AddSystemdCommand(CLI::App& root, CliContext& ctx);
// pool, deployment, flow-run, concurrency-limit (commands/scheduler_command.cc).
void AddSchedulerCommands(CLI::App& root, CliContext& ctx);
// indicators run FLOW | ls (commands/indicators_command.cc).
void AddIndicatorsCommand(CLI::App& root, CliContext& ctx);
// report --day D (commands/report_command.cc).
void AddReportCommand(CLI::App& root, CliContext& ctx);
// batch daily-backtest | housekeeping: the daily batch's flows (commands/batch_command.cc).
void AddBatchCommand(CLI::App& root, CliContext& ctx);

}  // namespace dolphin::cli
