// `dolphin run`: every configured service in one process on the embedded bus.
#include <pthread.h>
#include <signal.h>

#include <fmt/format.h>

#include <thread>

#include "../cli.h"
#include "../health_wiring.h"
#include "../metrics_wiring.h"
#include "../sd_notifier.h"
#include "../signals.h"
#include "../wiring.h"
#include "dolphin/core/clock.h"
#include "dolphin/runtime/runner.h"
#include "host.h"

namespace dolphin::cli {

namespace {

struct RunFlags {
  double duration_s = 0;
};

}  // namespace

int HostServices(const CliContext& ctx, const std::string& process_name, bool embedded_ok,
                 const ServiceFactory& make_services, double duration_s,
                 const std::string& api_listen) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (!embedded_ok && config->bus.backend == "memory") {
    PrintError(fmt::format(
        "{}: the memory bus lives inside one process; set [bus] backend = \"hazelcast\" to run "
        "services as separate processes, or use `dolphin run`",
        process_name));
    return kExitUsage;
  }
  SystemClock clock;
  auto logger = MakeLogger(*config, clock);
  CancelToken cancel;
  SignalCanceller signals(cancel, *logger, process_name);
  // Metrics under the process's heartbeat name: "run", "serve.bridge", ...
  ProcessEnv process_env(clock, *logger,
                         process_name == "run" ? process_name : "serve." + process_name);
  const Env& env = process_env.env();

  auto bus = MakeBus(*config, env);
  if (!bus.ok()) {
    PrintError(bus.status().message());
    return bus.status().code() == StatusCode::kUnimplemented ? kExitNotBuilt : kExitFailure;
  }
  HostSeams seams(*config, env);
  auto services = make_services(*config, **bus, env, seams);
  if (!services.ok()) {
    PrintError(services.status().message());
    return services.status().code() == StatusCode::kUnimplemented ? kExitNotBuilt : kExitUsage;
  }
  runtime::RunnerOptions ro;
  // The process's own heartbeat key: "run", or "serve.<service>" (never the key of the service
  // it runs: `serve trader --color BLUE` runs service trader.BLUE).
  ro.process_name = process_name == "run" ? process_name : "serve." + process_name;
  ro.heartbeat_interval = DurationOfSeconds(config->process.heartbeat_interval_s);
  if (duration_s > 0) {
    ro.duration = DurationOfSeconds(duration_s);
  }
  // systemd (Type=notify): READY/STATUS/WATCHDOG/STOPPING from the Runner; nothing without
  // NOTIFY_SOCKET.
  SystemdNotifier notifier;
  runtime::Runner runner(env, **bus, ro, &notifier);
  for (auto& service : *services) runner.Add(std::move(service));
  seams.AttachRunner(&runner);
  RunnerMetrics runner_metrics(env.metrics, runner);  // GET /metrics: the services' up/status

  api::ApiOptions api_options = config->api;
  if (!api_listen.empty()) api_options.listen = api_listen;
  api_options.addr_file = ApiAddrFile(process_name);
  auto api = api::NewControlApi(api_options, **bus, env, config->process.state_dir, process_name);
  // Under the process's heartbeat name ("run", "serve.bridge"): never the key of a service.
  api->RegisterStatus(ro.process_name, [&] {
    Json j;
    j["state_dir"] = config->process.state_dir.string();
    j["config"] = config->file.has_file() ? config->file.file() : "(defaults)";
    j["services"] = Json::array();
    for (const auto& s : runner.services()) j["services"].push_back(s->name());
    // What the Runner knows of each (M1 and `dolphin status`): up, restarts, heartbeat status.
    Json states = Json::array();
    for (const runtime::RunnerServiceState& st : runner.States()) {
      states.push_back({{"name", st.name},
                        {"up", st.started && st.liveness.running},
                        {"restarts", st.restarts},
                        {"status", contract::HeartbeatStatusName(st.health.status)},
                        {"detail", st.liveness.running ? st.health.detail : st.liveness.detail}});
    }
    j["service_states"] = std::move(states);
    // Resource limits are enforced by `dolphin up` or systemd, never inside one process.
    j["limits"] = "none: services run as threads of this process";
    return j;
  });
  RegisterTraderCommands(*api, runner.services());
  RegisterHealthCommands(*api, runner.services());
  RegisterSchedulerRoutes(*api, runner.services(), env.clock);
  for (const auto& s : runner.services()) {
    runtime::Service* svc = s.get();
    api->RegisterStatus(svc->name(), [svc] { return svc->StatusJson(); });
  }
  if (Status st = api->Start(); !st.ok()) {
    PrintError(st.message());
    return kExitFailure;
  }
  // M4 checks this process's own API port too: known only now (port 0 picks one).
  for (const auto& s : runner.services()) {
    if (auto* h = dynamic_cast<health::HealthService*>(s.get()))
      h->SetPorts(HealthPorts(*config, api->address()));
  }
  logger->Info(process_name, "dolphin started",
               {{"version", DOLPHIN_VERSION},
                {"bus", (*bus)->Describe()},
                {"api", api->address()},
                {"state_dir", config->process.state_dir.string()},
                {"service_manager", notifier.Describe()}});
  Status st = runner.Run(cancel);
  api->Stop();
  if (!st.ok()) {
    PrintError(st.message());
    return kExitFailure;
  }
  return kExitOk;
}

std::string ApiAddrFile(const std::string& process_name) {
  return process_name == "run" ? "api.addr" : fmt::format("api.{}.addr", process_name);
}

void AddRunCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = root.add_subcommand(
      "run",
      "Run every configured service in one process on the embedded bus, until SIGINT/SIGTERM");
  AddCommonOptions(cmd, ctx);
  cmd->add_option("--duration", flags->duration_s,
                  "Stop after this many seconds (default: run until a signal)")
      ->check(CLI::PositiveNumber);
  cmd->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      return HostServices(
          ctx, "run", /*embedded_ok=*/true,
          [](const AppConfig& config, bus::KvBus& bus, Env env,
             HostSeams& seams) -> Result<std::vector<std::unique_ptr<runtime::Service>>> {
            return MakeRunServices(config, bus, env, seams);
          },
          flags->duration_s);
    };
  });
}

}  // namespace dolphin::cli
