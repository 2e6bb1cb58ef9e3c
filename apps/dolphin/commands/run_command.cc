// `dolphin run`: every configured service in one process on the embedded bus.
#include <pthread.h>
#include <signal.h>

#include <fmt/format.h>

#include <thread>

#include "../cli.h"
#include "../signals.h"
#include "../wiring.h"
#include "dolphin/core/clock.h"
#include "dolphin/runtime/runner.h"

namespace dolphin::cli {

namespace {

struct RunFlags {
  double duration_s = 0;
};

int Run(const CliContext& ctx, const RunFlags& flags) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  SystemClock clock;
  auto logger = MakeLogger(*config, clock);
  CancelToken cancel;
  SignalCanceller signals(cancel, *logger, "run");
  Env env{clock, *logger};

  auto bus = MakeBus(*config, env);
  if (!bus.ok()) {
    PrintError(bus.status().message());
    return bus.status().code() == StatusCode::kUnimplemented ? kExitNotBuilt : kExitFailure;
  }
  runtime::RunnerOptions ro;
  ro.process_name = "run";
  ro.heartbeat_interval = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(config->process.heartbeat_interval_s));
  if (flags.duration_s > 0) {
    ro.duration = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(flags.duration_s));
  }
  runtime::Runner runner(env, **bus, ro);
  for (auto& service : MakeRunServices(*config, **bus, env)) runner.Add(std::move(service));

  auto api = api::NewControlApi(config->api, **bus, env, config->process.state_dir, "run");
  api->RegisterStatus("run", [&] {
    Json j;
    j["state_dir"] = config->process.state_dir.string();
    j["config"] = config->file.has_file() ? config->file.file() : "(defaults)";
    j["services"] = Json::array();
    for (const auto& s : runner.services()) j["services"].push_back(s->name());
    return j;
  });
  for (const auto& s : runner.services()) {
    runtime::Service* svc = s.get();
    api->RegisterStatus(svc->name(), [svc] { return svc->StatusJson(); });
  }
  if (Status st = api->Start(); !st.ok()) {
    PrintError(st.message());
    return kExitFailure;
  }
  logger->Info("run", "dolphin started",
               {{"version", DOLPHIN_VERSION},
                {"bus", (*bus)->Describe()},
                {"api", api->address()},
                {"state_dir", config->process.state_dir.string()}});
  Status st = runner.Run(cancel);
  api->Stop();
  if (!st.ok()) {
    PrintError(st.message());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = root.add_subcommand(
      "run", "Run every configured service in one process on the embedded bus, until SIGINT/SIGTERM");
  AddCommonOptions(cmd, ctx);
  cmd->add_option("--duration", flags->duration_s, "Stop after this many seconds (default: run until a signal)")
      ->check(CLI::PositiveNumber);
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Run(ctx, *flags); }; });
}

}  // namespace dolphin::cli
