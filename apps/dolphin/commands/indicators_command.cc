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

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0' ? std::string(v) : fallback;
}

// The running dolphin's embedded bus through its control API.
class ApiSink final : public indicators::FeatureSink {
 public:
  explicit ApiSink(api::ApiClient client) : client_(std::move(client)) {}
  Result<std::optional<std::string>> Get(const std::string& map, const std::string& key) override {
    DOLPHIN_ASSIGN_OR_RETURN(api::ApiResponse r, client_.Get(BusApiPath("/api/bus/", map, key)));
    if (r.status == 404) return std::optional<std::string>();
    return std::optional<std::string>(std::move(r.body));
  }
  Status Put(const std::string& map, const std::string& key, const std::string& value) override {
    return client_.Put(BusApiPath("/api/bus/", map, key), value).status();
  }

 private:
  api::ApiClient client_;
};

struct RunFlags {
  std::string flow;
  std::string flow_run_id;
};

int Run(CliContext& ctx, const RunFlags& flags) {
  if (ctx.config_path.empty()) ctx.config_path = EnvOr("DOLPHIN_CONFIG", "");
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (std::find(indicators::FlowNames().begin(), indicators::FlowNames().end(), flags.flow) ==
      indicators::FlowNames().end()) {
    PrintError(fmt::format("indicators run: unknown flow \"{}\" (expected one of {})", flags.flow,
                           fmt::join(indicators::FlowNames(), ", ")));
    return kExitUsage;
  }
  if (const char* dir = std::getenv("DOLPHIN_STATE_DIR"); dir != nullptr && dir[0] != '\0') {
    config->process.state_dir = dir;
  }
  const std::string params = EnvOr("DOLPHIN_PARAMETERS", "{}");
  if (auto p = ParseJson(params, "DOLPHIN_PARAMETERS"); !p.ok() || !p->is_object()) {
    PrintError(fmt::format("indicators run {}: DOLPHIN_PARAMETERS: expected a JSON object, got {}",
                           flags.flow, params.substr(0, 80)));
    return kExitUsage;
  }
  SystemClock clock;
  auto logger = MakeLogger(*config, clock);
  ProcessEnv process_env(clock, *logger);
  CancelToken cancel;
  SignalCanceller signals(cancel, *logger, "indicators");
  std::unique_ptr<indicators::FeatureSink> sink;
  std::unique_ptr<bus::KvBus> bus;
  if (BusThroughApi(*config)) {
    auto client = api::ApiClient::FromStateDir(config->process.state_dir);
    if (!client.ok()) {
      PrintError(fmt::format("indicators run {}: no running dolphin to publish to: {}", flags.flow,
                             client.status().message()));
      return kExitFailure;
    }
    sink = std::make_unique<ApiSink>(std::move(*client));
  } else {
    auto b = MakeBus(*config, process_env.env());
    if (!b.ok()) {
      PrintError(fmt::format("indicators run {}: {}", flags.flow, b.status().message()));
      return kExitFailure;
    }
    bus = std::move(*b);
    sink = indicators::NewBusFeatureSink(*bus);
  }
  const std::string run_id =
      !flags.flow_run_id.empty()
          ? flags.flow_run_id
          : EnvOr("DOLPHIN_FLOW_RUN_ID", "manual-" + FormatRfc3339(clock.Now()));
  indicators::FlowContext fc{process_env.env(),
                             *sink,
                             indicators::CurlHttpClientFactory(clock),
                             config->indicators,
                             run_id,
                             DOLPHIN_VERSION,
                             cancel};
  logger->Info(
      "indicators", "flow run starting",
      {{"flow", flags.flow},
       {"flow_run_id", run_id},
       {"deployment", EnvOr("DOLPHIN_DEPLOYMENT", indicators::DeploymentName(flags.flow))}});
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
