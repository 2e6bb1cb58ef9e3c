// `dolphin indicators run FLOW` and `dolphin indicators ls` (docs/indicators.md): one run of an
// indicator flow as the scheduler's worker starts it (the flow process contract: env
// DOLPHIN_FLOW_RUN_ID, DOLPHIN_DEPLOYMENT, DOLPHIN_STATE_DIR, DOLPHIN_CONFIG,
// DOLPHIN_PARAMETERS; stdout/stderr are the run's log; exit 0 = COMPLETED, non-zero = FAILED
// with the last line as the reason). obf runs until SIGTERM/SIGINT and then exits 0.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "../cli.h"
#include "../signals.h"
#include "../wiring.h"
#include "direct_bus.h"
#include "dolphin/api/api_client.h"
#include "dolphin/indicators/flows.h"

namespace dolphin::cli {
namespace {

struct RunFlags {
  std::string flow;
  std::string flow_run_id;
};

int Run(CliContext& ctx, const RunFlags& flags) {
  if (std::find(indicators::FlowNames().begin(), indicators::FlowNames().end(), flags.flow) ==
      indicators::FlowNames().end()) {
    PrintError(fmt::format("indicators run: unknown flow \"{}\" (expected one of {})", flags.flow,
                           fmt::join(indicators::FlowNames(), ", ")));
    return kExitUsage;
  }
  int code = kExitOk;
  auto flow = LoadFlowInvocation(ctx, "indicators run " + flags.flow, &code);
  if (!flow) return code;
  const AppConfig* config = &flow->config;
  SystemClock clock;
  auto logger = MakeLogger(*config, clock);
  ProcessEnv process_env(clock, *logger);
  CancelToken cancel;
  SignalCanceller signals(cancel, *logger, "indicators");
  auto sink = OpenFlowSink(*config, process_env.env());
  if (!sink.ok()) {
    PrintError(fmt::format("indicators run {}: {}", flags.flow, sink.status().message()));
    return kExitFailure;
  }
  const std::string run_id =
      !flags.flow_run_id.empty()
          ? flags.flow_run_id
          : (!flow->run_id.empty() ? flow->run_id : "manual-" + FormatRfc3339(clock.Now()));
  indicators::FlowContext fc{process_env.env(),
                             *sink->sink,
                             indicators::CurlHttpClientFactory(clock),
                             config->indicators,
                             run_id,
                             DOLPHIN_VERSION,
                             cancel};
  logger->Info(
      "indicators", "flow run starting",
      {{"flow", flags.flow},
       {"flow_run_id", run_id},
       {"deployment",
        !flow->deployment.empty() ? flow->deployment : indicators::DeploymentName(flags.flow)}});
  auto r = indicators::RunFlow(flags.flow, fc);
  std::fflush(stderr);
  if (!r.ok()) {
    std::fprintf(stderr, "FAILED: %s\n", r.status().message().c_str());
    return kExitFailure;
  }
  std::printf("%s\n", r->line.c_str());
  return kExitOk;
}

int List(CliContext& ctx) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  std::printf("%-16s %-8s %-24s %-10s %s\n", "FLOW", "ENABLED", "POOL", "SCHEDULE", "SOURCE");
  for (const std::string& name : indicators::FlowNames()) {
    const indicators::FlowOptions& f = config->indicators.flow(name);
    std::printf("%-16s %-8s %-24s %-10s %s\n", name.c_str(), f.enabled ? "yes" : "no",
                indicators::PoolOf(name).c_str(), FormatDuration(f.schedule).c_str(),
                f.base_url.empty() ? "(local)" : f.base_url.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddIndicatorsCommand(CLI::App& root, CliContext& ctx) {
  CLI::App* cmd =
      root.add_subcommand("indicators", "The layer-3 indicator flows (docs/indicators.md)");
  cmd->require_subcommand(1);
  AddCommonOptions(cmd, ctx);
  auto flags = std::make_shared<RunFlags>();
  CLI::App* run = cmd->add_subcommand(
      "run",
      "Run one indicator flow once (obf: until stopped) and publish into DOLPHIN_FEATURES; exit 1 with "
      "the reason as the last line when the fetch or its check fails");
  AddCommonOptions(run, ctx);
  run->add_option("FLOW", flags->flow, "extf-funding, extf-dvol, extf-fear-greed, obf or esof")
      ->required();
  run->add_option("--flow-run-id", flags->flow_run_id,
                  "The _flow_run_id to publish (default $DOLPHIN_FLOW_RUN_ID)");
  run->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Run(ctx, *flags); }; });
  CLI::App* ls = cmd->add_subcommand("ls", "List the indicator flows with their configuration");
  AddCommonOptions(ls, ctx);
  ls->callback([&ctx] { ctx.action = [&ctx] { return List(ctx); }; });
}

}  // namespace dolphin::cli
