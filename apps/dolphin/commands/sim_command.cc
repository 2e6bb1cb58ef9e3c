// `dolphin sim`: the market simulator. Writes one Arrow scan file per interval into
// <scan_dir>/YYYY-MM-DD/ (docs/architecture.md §8) until --count scans, the end of --prices, or
// SIGINT/SIGTERM. Flags override the [sim] section of the config file.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "../cli.h"
#include "../signals.h"
#include "../wiring.h"
#include "dolphin/core/clock.h"
#include "dolphin/sim/sim_options.h"
#include "dolphin/sim/simulator.h"

namespace dolphin::cli {

namespace {

struct SimFlags {
  std::string out;
  int64_t count = 0;
  int64_t interval_ms = 0;
  int64_t assets = 0;
  int64_t seed = 0;
  int64_t start_scan = 0;
  std::string prices;
  CLI::Option* out_opt = nullptr;
  CLI::Option* count_opt = nullptr;
  CLI::Option* interval_opt = nullptr;
  CLI::Option* assets_opt = nullptr;
  CLI::Option* seed_opt = nullptr;
  CLI::Option* start_opt = nullptr;
  CLI::Option* prices_opt = nullptr;
};

int Sim(const CliContext& ctx, const SimFlags& flags) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  ConfigDiagnostics diag;
  auto parsed = sim::ParseSimOptions(config->file.Root(&diag).Sub("sim"), config->process.state_dir,
                                     /*enabled_by_default=*/true);
  if (!parsed.ok()) {
    for (const auto& e : diag.errors()) PrintError(e);
    return kExitUsage;
  }
  sim::SimOptions options = *parsed;
  if (flags.out_opt->count() > 0) options.scan_dir = flags.out;
  if (flags.count_opt->count() > 0) options.count = flags.count;
  if (flags.interval_opt->count() > 0) {
    options.interval = std::chrono::milliseconds(flags.interval_ms);
  }
  if (flags.assets_opt->count() > 0) options.assets = flags.assets;
  if (flags.seed_opt->count() > 0) options.seed = flags.seed;
  if (flags.start_opt->count() > 0) options.start_scan = flags.start_scan;
  if (flags.prices_opt->count() > 0) options.prices = flags.prices;

  SystemClock clock;
  auto logger = MakeLogger(*config, clock);
  CancelToken cancel;
  SignalCanceller signals(cancel, *logger, "sim");
  ProcessEnv process_env(clock, *logger);
  auto simulator = sim::Simulator::Create(options, process_env.env());
  if (!simulator.ok()) {
    PrintError(simulator.status().message());
    return simulator.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  Status st = (*simulator)->Run(cancel);
  if (!st.ok()) {
    PrintError(st.message());
    return kExitFailure;
  }
  // Failed writes were logged one by one; any of them makes the run a runtime failure.
  return (*simulator)->stats().write_failures > 0 ? kExitFailure : kExitOk;
}

}  // namespace

void AddSimCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<SimFlags>();
  CLI::App* cmd = root.add_subcommand(
      "sim", "Write synthetic NG6 scan files (Arrow, one per scan) into <scan_dir>/YYYY-MM-DD/");
  AddCommonOptions(cmd, ctx);
  const sim::SimOptions defaults;  // the help texts show the options' own defaults
  flags->out_opt = cmd->add_option("--out", flags->out,
                                   "Scan folder (default: [sim] scan_dir, <state_dir>/scans)");
  flags->count_opt =
      cmd->add_option("--count", flags->count, "Stop after N scans (0 = run until a signal)")
          ->check(CLI::NonNegativeNumber);
  flags->interval_opt =
      cmd->add_option(
             "--interval-ms", flags->interval_ms,
             fmt::format(
                 "Milliseconds between scans, 0 = as fast as possible (default {})",
                 std::chrono::duration_cast<std::chrono::milliseconds>(defaults.interval).count()))
          ->check(CLI::NonNegativeNumber);
  flags->assets_opt =
      cmd->add_option("--assets", flags->assets,
                      fmt::format("Number of synthetic assets (default {})", defaults.assets))
          ->check(CLI::Range(int64_t{2}, int64_t{20000}));
  flags->seed_opt =
      cmd->add_option("--seed", flags->seed,
                      fmt::format("Seed of the synthetic market (default {})", defaults.seed))
          ->check(CLI::NonNegativeNumber);
  flags->start_opt =
      cmd->add_option(
             "--start-scan", flags->start_scan,
             fmt::format(
                 "Number of the first scan (lower than before = upstream restart; default {})",
                 defaults.start_scan))
          ->check(CLI::NonNegativeNumber);
  flags->prices_opt =
      cmd->add_option("--prices", flags->prices,
                      "Replay a CSV of timestamp,symbol,close rows instead of the synthetic market")
          ->check(CLI::ExistingFile);
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Sim(ctx, *flags); }; });
}

}  // namespace dolphin::cli
