#include "wiring.h"

#include <pthread.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "dolphin/bridge/bridge.h"
#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/bus/metered_bus.h"
#include "dolphin/bus_hazelcast/hazelcast_bus.h"
#include "dolphin/health/scoring.h"
#include "dolphin/metrics/prometheus_metrics.h"
#include "dolphin/safety/safety_service.h"
#include "dolphin/scheduler/pool_api.h"
#include "dolphin/scheduler/schedule.h"
#include "dolphin/scheduler/scheduler_service.h"
#include "dolphin/sim/simulator.h"
#include "dolphin/trader/trader_service.h"
#include "health_wiring.h"
#include "worker_wiring.h"

namespace dolphin::cli {

namespace {

// Test-only hooks from the environment (never config keys): DOLPHIN_TEST_BRIDGE_LOOP_EXIT_AFTER=N
// makes the bridge's event loop return after N scans, as a loop that met an error it cannot
// handle would (the health service's restart test).
bridge::BridgeOptions TestHooks(bridge::BridgeOptions o) {
  if (const char* v = std::getenv("DOLPHIN_TEST_BRIDGE_LOOP_EXIT_AFTER"); v != nullptr) {
    o.exit_loop_after_for_test = std::strtoull(v, nullptr, 10);
  }
  return o;
}

// The scheduler's defaults plus one deployment per enabled indicator flow (docs/indicators.md
// "Deployments"): "<flow>/default" in its pool, the flow process `dolphin indicators run <flow>`,
// at most one run at a time (a new one while it runs is cancelled: no pile-up behind a slow
// API), no catch-up beyond one interval. obf's run is long-running: its schedule only starts a
// new one when the last one ended.
scheduler::SchedulerSetup IndicatorDeployments(const indicators::IndicatorsOptions& options) {
  scheduler::SchedulerSetup setup = scheduler::DefaultSchedulerSetup();
  for (const std::string& flow : indicators::FlowNames()) {
    const indicators::FlowOptions& f = options.flow(flow);
    if (!f.enabled) continue;
    scheduler::DeploymentOptions d;
    d.flow = flow;
    d.name = "default";
    d.pool = indicators::PoolOf(flow);
    d.schedule = scheduler::Schedule::Every(f.schedule);
    d.command = {"dolphin", "indicators", "run", flow};
    d.tags = {"indicators"};
    d.concurrency_limit = 1;
    d.collision_strategy = scheduler::CollisionStrategy::kCancelNew;
    d.max_lateness = f.schedule;
    if (flow != indicators::kFlowObf) d.timeout = std::chrono::minutes(5);
    setup.deployments[d.full_name()] = std::move(d);
  }
  return setup;
}

// The daily batch (docs/batch.md): daily-backtest/daily and housekeeping/daily in pool dolphin,
// one run at a time, each a `dolphin batch ...` flow process; a run missed while dolphin was down
// still runs within the day (max_lateness 23 h).
scheduler::SchedulerSetup BatchDeployments(scheduler::SchedulerSetup setup,
                                           const report::BatchOptions& batch) {
  const std::pair<bool, std::pair<const char*, const std::string*>> flows[] = {
      {batch.daily_backtest, {"daily-backtest", &batch.daily_backtest_cron}},
      {batch.housekeeping, {"housekeeping", &batch.housekeeping_cron}}};
  for (const auto& [enabled, flow] : flows) {
    if (!enabled) continue;
    auto cron = scheduler::CronExpr::Parse(*flow.second);
    if (!cron.ok()) continue;  // reported by ParseBatchOptions
    scheduler::DeploymentOptions d;
    d.flow = flow.first;
    d.name = "daily";
    d.pool = "dolphin";
    d.schedule = scheduler::Schedule::Cron(*cron);
    d.command = {"dolphin", "batch", flow.first};
    d.tags = {"batch"};
    d.concurrency_limit = 1;
    d.collision_strategy = scheduler::CollisionStrategy::kEnqueue;
    d.max_lateness = std::chrono::hours(23);
    d.timeout = std::chrono::hours(2);
    setup.deployments[d.full_name()] = std::move(d);
  }
  return setup;
}

ProcessOptions ParseProcessOptions(ConfigSection& root) {
  ProcessOptions o;
  o.state_dir = "var";
  root.ReadPath("state_dir", &o.state_dir);
  root.Read("heartbeat_interval_s", &o.heartbeat_interval_s, 0.05, 3600);
  ConfigSection log = root.Sub("log");
  log.ReadEnum("level", &o.log_level, {"debug", "info", "warn", "error"});
  log.ReadEnum("format", &o.log_format, {"human", "json"});
  log.RejectUnknownKeys();
  return o;
}

// The simulator as a service of `dolphin run`: its own thread runs Simulator::Run.
class SimService final : public runtime::Service {
 public:
  SimService(sim::SimOptions options, Env env) : options_(std::move(options)), env_(env) {}
  ~SimService() override { Stop(); }
  std::string name() const override { return "sim"; }
  Status Start() override {
    // The simulator waits on the injected clock inside this thread.
    thread_ = std::thread([this] {  // determinism-ok: the service thread
      ::pthread_setname_np(::pthread_self(), "sim");
      auto sim = sim::Simulator::Create(options_, env_);
      if (!sim.ok()) {
        env_.logger.Error("sim", "cannot start the simulator",
                          {{"error", sim.status().ToString()}});
        failed_ = true;
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        sim_ = std::move(*sim);
      }
      Status st = sim_->Run(cancel_);
      if (!st.ok()) env_.logger.Error("sim", "simulator stopped", {{"error", st.ToString()}});
      finished_ = true;
    });
    return Status::Ok();
  }
  void Stop() override {
    cancel_.Cancel();
    if (thread_.joinable()) thread_.join();
  }
  runtime::ServiceHealth Health() const override {
    runtime::ServiceHealth h;
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_) {
      h.status = contract::HeartbeatStatus::kDegraded;
      h.detail = "the simulator failed to start";
    } else if (!sim_) {
      h.detail = "warming up";
    } else {
      auto s = sim_->stats();
      h.detail = fmt::format("{} scans written, last {}{}", s.scans_written, s.last_scan_number,
                             finished_ ? " (finished)" : "");
      if (s.write_failures > 0) {
        h.status = contract::HeartbeatStatus::kDegraded;
        h.detail += fmt::format(", {} write failures", s.write_failures);
      }
    }
    return h;
  }
  Json StatusJson() const override {
    Json j;
    j["scan_dir"] = options_.scan_dir.string();
    j["assets"] = options_.assets;
    j["seed"] = options_.seed;
    std::lock_guard<std::mutex> lock(mu_);
    if (sim_) {
      auto s = sim_->stats();
      j["scans_written"] = s.scans_written;
      j["write_failures"] = s.write_failures;
      j["last_scan_number"] = s.last_scan_number;
    }
    return j;
  }

 private:
  const sim::SimOptions options_;
  Env env_;
  CancelToken cancel_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::unique_ptr<sim::Simulator> sim_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace

std::vector<std::unique_ptr<runtime::Service>> MakeRunServices(const AppConfig& config,
                                                               bus::KvBus& bus, Env env,
                                                               HostSeams& seams) {
  std::vector<std::unique_ptr<runtime::Service>> services;
  if (config.trader.enabled) {
    for (const trader::TraderOptions& t : config.trader.traders) {
      services.push_back(trader::NewTraderService(t, bus, env));
    }
  }
  bridge::BridgeOptions bridge_options = TestHooks(config.bridge);
  // With a trader in this process its line (signal, position, latency) is the per-scan line.
  if (config.trader.enabled && !config.trader.traders.empty()) bridge_options.log_each_scan = false;
  services.push_back(bridge::NewBridge(bridge_options, bus, env));
  if (config.sim.enabled) services.push_back(std::make_unique<SimService>(config.sim, env));
  if (config.health.enabled) {
    services.push_back(std::make_unique<health::HealthService>(
        env, bus, HealthServiceOptionsFor(config), seams, seams.ports(), seams));
  }
  scheduler::SchedulerService* scheduler_service = nullptr;
  if (config.scheduler.scheduler.enabled) {
    auto svc = std::make_unique<scheduler::SchedulerService>(config.scheduler,
                                                             SchedulerStorePath(config), env);
    scheduler_service = svc.get();
    services.push_back(std::move(svc));
  }
  // The worker polls the engine of this process, so flows run out of the box.
  if (scheduler_service != nullptr && config.worker.enabled) {
    auto worker = MakeWorkerService(config, env, scheduler_service);
    if (worker.ok()) {
      services.push_back(std::move(*worker));
    } else {
      env.logger.Error("worker", "no worker", {{"error", worker.status().ToString()}});
    }
  }
  if (config.safety.enabled) {
    services.push_back(
        std::make_unique<safety::SafetyService>(env, bus, SafetyServiceOptionsFor(config)));
  }
  return services;
}

safety::SafetyServiceOptions SafetyServiceOptionsFor(const AppConfig& config) {
  safety::SafetyServiceOptions o;
  o.safety = config.safety;
  if (config.trader.enabled) {
    for (const auto& t : config.trader.traders) o.colors.push_back(t.engine.color);
  }
  return o;
}

std::filesystem::path SchedulerStorePath(const AppConfig& config) {
  return config.process.state_dir / "scheduler.sqlite";
}

void RegisterSchedulerRoutes(api::ControlApi& api,
                             const std::vector<std::unique_ptr<runtime::Service>>& services,
                             const Clock& clock) {
  scheduler::SchedulerService* svc = nullptr;
  for (const auto& s : services) {
    if (auto* p = dynamic_cast<scheduler::SchedulerService*>(s.get())) svc = p;
  }
  if (svc == nullptr) return;
  for (const std::string& prefix : scheduler::PoolApiPrefixes()) {
    api.RegisterRoutes(prefix, [svc, &clock](const api::RouteRequest& r) -> Result<Json> {
      scheduler::Engine* engine = svc->engine();
      if (engine == nullptr) return UnavailableError("the scheduler has not started yet");
      return scheduler::HandlePoolApi(*engine, {r.method, r.path, r.query, r.body}, clock.Now());
    });
  }
}

Result<AppConfig> LoadAppConfig(const CliContext& ctx, ConfigDiagnostics& diag) {
  AppConfig app;
  if (ctx.config_path.empty()) {
    app.file = Config::Empty();
  } else {
    auto loaded = Config::LoadFile(ctx.config_path);
    if (!loaded.ok()) {
      diag.Error(loaded.status().message());
      return loaded.status();
    }
    app.file = std::move(*loaded);
  }
  ConfigSection root = app.file.Root(&diag);
  app.process = ParseProcessOptions(root);
  // Relative state_dir resolves against the config file's folder (cwd without a file).
  if (app.process.state_dir.is_relative()) {
    app.process.state_dir = (app.file.base_dir() / app.process.state_dir).lexically_normal();
  }
  if (!ctx.log_level.empty()) {
    if (auto l = ParseLogLevel(ctx.log_level); l.ok()) {
      app.process.log_level = ctx.log_level;
    } else {
      diag.Error(fmt::format("--log-level: {}", l.status().message()));
    }
  }
  if (!ctx.log_format.empty()) {
    if (auto f = ParseLogFormat(ctx.log_format); f.ok()) {
      app.process.log_format = ctx.log_format == "text" ? "human" : ctx.log_format;
    } else {
      diag.Error(fmt::format("--log-format: {}", f.status().message()));
    }
  }
  if (auto api = api::ParseApiOptions(root.Sub("api")); api.ok()) app.api = *api;
  if (auto b = bus::ParseBusOptions(root.Sub("bus")); b.ok()) app.bus = *b;
  // The simulator runs by default only when no config file is given (docs/architecture.md §11).
  if (auto s = sim::ParseSimOptions(root.Sub("sim"), app.process.state_dir, !app.file.has_file());
      s.ok()) {
    app.sim = *s;
  }
  if (auto b = bridge::ParseBridgeOptions(root.Sub("bridge"), app.process.state_dir); b.ok()) {
    app.bridge = *b;
  }
  // Safety runs by default only without a config file (docs/architecture.md §11); a trader's
  // posture defaults to "bus" exactly when it runs, else TURTLE.
  if (auto sf = safety::ParseSafetyOptions(root.Sub("safety"), !app.file.has_file()); sf.ok()) {
    app.safety = *sf;
  }
  const auto default_posture = app.safety.enabled
                                   ? trader::PostureSetting::Bus()
                                   : trader::PostureSetting::Fixed(contract::Posture::kTurtle);
  if (auto t = trader::ParseTraderSetup(root.Sub("trader"), app.process.state_dir, default_posture);
      t.ok()) {
    app.trader = *t;
  }
  if (auto h = health::ParseHealthOptions(root.Sub("health")); h.ok()) app.health = *h;
  if (auto s = supervisor::ParseServicesOptions(root.Sub("services")); s.ok()) {
    app.services = std::move(*s);
  }
  // Cadences that would make the posture flap: a quiet trader's state must be fresher than
  // safety's input limit, and safety must publish faster than the traders' posture limit.
  if (app.safety.enabled &&
      app.process.heartbeat_interval_s >= SecondsOf(app.safety.posture_max_age)) {
    diag.Error(fmt::format(
        "{}: heartbeat_interval_s ({}) must be below [safety] posture_max_age_s ({}): a trader "
        "without scans would look stale to safety (HIBERNATE)",
        app.file.has_file() ? app.file.file() : "configuration", app.process.heartbeat_interval_s,
        SecondsOf(app.safety.posture_max_age)));
  }
  if (app.safety.enabled) {
    const double interval = SecondsOf(app.safety.interval);
    for (const trader::TraderOptions& t : app.trader.traders) {
      if (t.posture.from_bus && interval >= t.posture_max_age_s) {
        diag.Error(fmt::format(
            "{}: [safety] interval_s ({}) must be below [trader.{}] posture_max_age_s ({}): the "
            "trader would find the posture stale between two decisions",
            app.file.has_file() ? app.file.file() : "configuration", interval, t.engine.color,
            t.posture_max_age_s));
      }
    }
  }
  if (app.safety.enabled && !app.health.enabled) {
    diag.Error(fmt::format(
        "{}: [safety] enabled = true needs [health] enabled: the posture is decided from the "
        "health record (enable [health], or set [safety] enabled = false)",
        app.file.has_file() ? app.file.file() : "configuration"));
  }
  // esof runs by default only without a config file (DESIGN §9), like safety.
  app.indicators = indicators::DefaultIndicatorsOptions(!app.file.has_file());
  if (auto ind = indicators::ParseIndicatorsOptions(root.Sub("indicators"), !app.file.has_file());
      ind.ok()) {
    app.indicators = std::move(*ind);
  }
  auto check_cron = [](std::string_view cron) { return scheduler::CronExpr::Parse(cron).status(); };
  if (auto b = report::ParseBatchOptions(root.Sub("batch"), root.Sub("housekeeping"), check_cron);
      b.ok()) {
    app.batch = *b;
  }
  if (auto sch = scheduler::ParseSchedulerSetup(
          BatchDeployments(IndicatorDeployments(app.indicators), app.batch), root.Sub("scheduler"),
          root.Sub("pools"), root.Sub("deployments"));
      sch.ok()) {
    app.scheduler = std::move(*sch);
  }
  if (auto w = scheduler::ParseWorkerOptions(root.Sub("worker")); w.ok()) {
    app.worker = std::move(*w);
    for (const std::string& p : app.worker.pools) {
      if (app.scheduler.pools.count(p) == 0) {
        diag.Error(fmt::format("{}: [worker] pools: unknown pool \"{}\"",
                               app.file.has_file() ? app.file.file() : "configuration", p));
      }
    }
  }
  // A gate on a flow that does not run holds back every entry (or, with "allow", nothing): legal,
  // but almost surely not what was meant. Said once, at load.
  for (const trader::TraderOptions& t : app.trader.traders) {
    const trader::VelDivOptions& v = t.vel_div;
    auto check = [&](bool gated, const char* flow, const char* keys) {
      if (!gated || !app.trader.enabled) return;
      const indicators::FlowOptions& f = app.indicators.flow(flow);
      std::string problem;
      if (!f.enabled) {
        problem = fmt::format("[indicators.{}] is not enabled", flow);
      } else if (!app.scheduler.scheduler.enabled) {
        problem = "[scheduler] is not enabled (the flows run as its deployments)";
      } else if (std::find(f.symbols.begin(), f.symbols.end(), v.asset) == f.symbols.end()) {
        problem = fmt::format("[indicators.{}] symbols do not include {}", flow, v.asset);
      }
      if (problem.empty()) return;
      diag.Warn(fmt::format(
          "{}: [trader.{}] {} gate on {} values, but {}: {}",
          app.file.has_file() ? app.file.file() : "configuration", t.engine.color, keys, flow,
          problem,
          v.block_on_missing ? "every entry will be held back" : "the gate will never act"));
    };
    check(v.max_spread_bps > 0 || v.min_depth_10bps > 0, indicators::kFlowObf,
          "max_spread_bps / min_depth_10bps");
    check(v.max_adverse_funding > 0, indicators::kFlowExtfFunding, "max_adverse_funding");
  }
  root.RejectUnknownKeys();
  if (!diag.ok()) return InvalidArgumentError("invalid configuration");
  return app;
}

std::optional<AppConfig> LoadOrReport(const CliContext& ctx, int* exit_code) {
  ConfigDiagnostics diag;
  auto app = LoadAppConfig(ctx, diag);
  for (const auto& w : diag.warnings()) std::fprintf(stderr, "dolphin: warning: %s\n", w.c_str());
  for (const auto& e : diag.errors()) std::fprintf(stderr, "dolphin: %s\n", e.c_str());
  if (!app.ok()) {
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  return std::move(*app);
}

std::string ShowAppConfig(const AppConfig& c) {
  ConfigWriter w;
  w.Comment(c.file.has_file() ? fmt::format("effective configuration from {}", c.file.file())
                              : "effective configuration (no config file: all defaults)");
  w.Value("state_dir", c.process.state_dir.string());
  w.Value("heartbeat_interval_s", c.process.heartbeat_interval_s);
  w.Section("log");
  w.Value("level", c.process.log_level);
  w.Value("format", c.process.log_format);
  api::WriteApiOptions(c.api, w);
  bus::WriteBusOptions(c.bus, w);
  sim::WriteSimOptions(c.sim, w);
  bridge::WriteBridgeOptions(c.bridge, w);
  trader::WriteTraderSetup(c.trader, w);
  health::WriteHealthOptions(c.health, w);
  indicators::WriteIndicatorsOptions(c.indicators, w);
  scheduler::WriteSchedulerSetup(c.scheduler, w);
  scheduler::WriteWorkerOptions(c.worker, w);
  safety::WriteSafetyOptions(c.safety, w);
  report::WriteBatchOptions(c.batch, w);
  // Every configured service and every service `dolphin up` runs by default, with its
  // effective options (the defaults written out), so the output reads back the same.
  supervisor::ServicesOptions shown = c.services;
  for (const std::string& name : DefaultServiceNames(c)) {
    shown.emplace(name, supervisor::EffectiveServiceOptions(c.services, name));
  }
  supervisor::WriteServicesOptions(shown, w);
  return w.text();
}

std::vector<std::string> DefaultServiceNames(const AppConfig& c) {
  std::vector<std::string> names;
  if (c.trader.enabled) {
    for (const trader::TraderOptions& t : c.trader.traders)
      names.push_back("trader." + t.engine.color);
  }
  names.push_back("bridge");
  if (c.sim.enabled) names.push_back("sim");
  if (c.health.enabled) names.push_back("health");
  if (c.safety.enabled) names.push_back("safety");
  if (c.scheduler.scheduler.enabled) names.push_back("scheduler");
  if (c.scheduler.scheduler.enabled && c.worker.enabled) names.push_back("worker");
  return names;
}

namespace {

uint64_t OsSeed(const Clock& clock) {
  const std::string hex = SecureRandomHex(8);
  if (hex.empty()) return static_cast<uint64_t>(clock.Now().UnixNanos());
  return std::stoull(hex, nullptr, 16);
}

}  // namespace

ProcessEnv::ProcessEnv(Clock& clock, Logger& logger, std::string metrics_process)
    : random_(OsSeed(clock)),
      metrics_(metrics_process.empty() ? nullptr
                                       : metrics::NewPrometheusMetrics({.process = metrics_process,
                                                                        .version = DOLPHIN_VERSION,
                                                                        .start_time = clock.Now()},
                                                                       logger)),
      env_{clock,
           logger,
           FileSystem::Default(),
           random_,
           ThreadFactory::Default(),
           metrics_ ? *metrics_ : NullMetrics()} {
  logger.Debug("dolphin", "random source seeded", {{"seed", random_.seed()}});
}

std::unique_ptr<Logger> MakeLogger(const AppConfig& c, const Clock& clock) {
  LogLevel level = ParseLogLevel(c.process.log_level).value_or(LogLevel::kInfo);
  LogFormat format = ParseLogFormat(c.process.log_format).value_or(LogFormat::kHuman);
  return std::make_unique<StreamLogger>(clock, stderr, format, level);
}

Result<std::vector<std::unique_ptr<runtime::Service>>> MakeServeServices(const AppConfig& config,
                                                                         const std::string& service,
                                                                         const std::string& color,
                                                                         bus::KvBus& bus, Env env,
                                                                         HostSeams& seams) {
  std::vector<std::unique_ptr<runtime::Service>> services;
  if (service == "bridge") {
    services.push_back(bridge::NewBridge(TestHooks(config.bridge), bus, env));
  } else if (service == "trader") {
    for (const trader::TraderOptions& t : config.trader.traders) {
      if (color.empty() || t.engine.color == color)
        services.push_back(trader::NewTraderService(t, bus, env));
    }
    if (services.empty()) return TraderOptionsFor(config, color).status();
  } else if (service == "sim") {
    services.push_back(std::make_unique<SimService>(config.sim, env));
  } else if (service == "health") {
    if (EffectiveHealthProcesses(config) == "runner") {
      return InvalidArgumentError(
          "serve health: [health] processes = \"runner\" sees only the services of its own process; "
          "set processes = \"systemd\" for services run by systemd, run it under `dolphin up` (processes "
          "= \"supervisor\"), or run health inside `dolphin run`");
    }
    services.push_back(std::make_unique<health::HealthService>(
        env, bus, HealthServiceOptionsFor(config), seams, seams.ports(), seams));
  } else if (service == "safety") {
    if (!config.safety.enabled) {
      return InvalidArgumentError("serve safety: [safety] enabled = false in the configuration");
    }
    services.push_back(
        std::make_unique<safety::SafetyService>(env, bus, SafetyServiceOptionsFor(config)));
  } else if (service == "scheduler") {
    services.push_back(std::make_unique<scheduler::SchedulerService>(
        config.scheduler, SchedulerStorePath(config), env));
  } else if (service == "worker") {
    DOLPHIN_ASSIGN_OR_RETURN(auto worker, MakeWorkerService(config, env, nullptr));
    services.push_back(std::move(worker));
  } else {
    return InvalidArgumentError(fmt::format(
        "serve {}: unknown service (expected bridge, trader, sim, health, safety, scheduler or worker)",
        service));
  }
  return services;
}

void RegisterTraderCommands(api::ControlApi& api,
                            const std::vector<std::unique_ptr<runtime::Service>>& services) {
  std::map<std::string, trader::TraderService*> traders;
  for (const auto& s : services) {
    if (auto* t = dynamic_cast<trader::TraderService*>(s.get())) traders[t->color()] = t;
  }
  if (traders.empty()) return;
  using Action = Result<Json> (trader::TraderService::*)();
  for (auto [name, action] :
       {std::pair<const char*, Action>{"halt", &trader::TraderService::Halt},
        std::pair<const char*, Action>{"resume", &trader::TraderService::Resume},
        std::pair<const char*, Action>{"flatten", &trader::TraderService::Flatten}}) {
    api.RegisterCommand(
        fmt::format("trader.{}", name), [traders, action](const Json& body) -> Result<Json> {
          std::string color = "BLUE";
          if (auto it = body.find("color"); it != body.end()) {
            if (!it->is_string())
              return InvalidArgumentError("color: expected a string such as \"BLUE\"");
            color = it->get<std::string>();
          }
          auto t = traders.find(color);
          if (t == traders.end()) {
            std::string known;
            for (const auto& [c, unused] : traders) known += (known.empty() ? "" : ", ") + c;
            return NotFoundError(fmt::format("no trader {} here (running: {})", color, known));
          }
          return (t->second->*action)();
        });
  }
}

Result<trader::TraderOptions> TraderOptionsFor(const AppConfig& config, const std::string& color) {
  std::string known;
  for (const trader::TraderOptions& t : config.trader.traders) {
    if (t.engine.color == color) return t;
    known += (known.empty() ? "" : ", ") + t.engine.color;
  }
  return NotFoundError(fmt::format(
      "--color {}: no such trader in the configuration (configured: {})", color, known));
}

std::optional<TraderConfig> LoadTraderConfigOrReport(const CliContext& ctx,
                                                     const std::string& color, int* exit_code) {
  auto config = LoadOrReport(ctx, exit_code);
  if (!config) return std::nullopt;
  auto options = TraderOptionsFor(*config, color);
  if (!options.ok()) {
    std::fprintf(stderr, "dolphin: %s\n", options.status().message().c_str());
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  return TraderConfig{std::move(*config), std::move(*options)};
}

Result<std::unique_ptr<bus::KvBus>> MakeBus(const AppConfig& c, Env env) {
  // Every backend behind the metered decorator (GET /metrics; discards with NullMetrics()).
  if (c.bus.backend == "memory") {
    return bus::NewMeteredBus(
        bus::NewInMemoryBus(static_cast<size_t>(c.bus.listener_queue_capacity)), env);
  }
  if (c.bus.backend == "hazelcast") {
    DOLPHIN_ASSIGN_OR_RETURN(std::unique_ptr<bus::KvBus> hz, bus::NewHazelcastBus(c.bus, env));
    return bus::NewMeteredBus(std::move(hz), env);
  }
  return UnimplementedError(fmt::format("[bus] backend = \"{}\" is not built yet", c.bus.backend));
}

}  // namespace dolphin::cli
