#include "health_wiring.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "dolphin/api/api_client.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/host_port.h"
#include "dolphin/scheduler/scheduler_service.h"

extern char** environ;

namespace dolphin::cli {

HostSeams::HostSeams(const AppConfig& config, Env env)
    : control_plane_restart_(config.health.control_plane_restart),
      state_dir_(config.process.state_dir),
      env_(env),
      ports_(health::NewTcpPortProbe()) {
  const std::string processes = EffectiveHealthProcesses(config);
  if (processes == "systemd") systemd_ = std::make_unique<SystemdSeams>(config, env);
  if (processes == "supervisor") supervisor_ = std::make_unique<SupervisorSeams>(config, env);
  for (const auto& [name, d] : config.scheduler.deployments) {
    if (d.on_recovery) recovery_deployments_.push_back(name);
  }
}

std::optional<contract::SupervisorHealth> HostSeams::Supervision() {
  return supervisor_ ? supervisor_->Supervision() : std::nullopt;
}

HostSeams::~HostSeams() = default;

void HostSeams::AttachRunner(runtime::Runner* runner) { runner_ = runner; }

std::map<std::string, health::ProcessState> HostSeams::Probe(
    const std::vector<std::string>& services) {
  if (systemd_) return systemd_->Probe(services);
  if (supervisor_) return supervisor_->Probe(services);
  std::map<std::string, health::ProcessState> out;
  std::vector<runtime::RunnerServiceState> states;
  if (runner_ != nullptr) states = runner_->States();
  const int64_t pid = static_cast<int64_t>(::getpid());
  for (const auto& name : services) {
    health::ProcessState p;
    const runtime::RunnerServiceState* st = nullptr;
    for (const auto& s : states) {
      if (s.name == name) st = &s;
    }
    if (st == nullptr) {
      p.detail = "not run by this process";
    } else {
      p.restarts = st->restarts;
      if (!st->started) {
        p.detail = st->restarts > 0 ? "restart failed" : "not started";
        p.restartable = st->restarts > 0;
      } else if (!st->liveness.running) {
        p.detail = st->liveness.detail.empty() ? "run loop returned" : st->liveness.detail;
        p.restartable = true;
      } else {
        // Running. A stalled one (a thread hung in a read) still answers and its loop goes on:
        // present, with the stall in its detail and heartbeat, and never "restarted".
        p.present = true;
        p.pid = pid;
        p.detail = st->health.status == contract::HeartbeatStatus::kStalled
                       ? "stalled: " + st->health.detail
                       : "running";
      }
    }
    out[name] = std::move(p);
  }
  return out;
}

Status HostSeams::RestartService(const std::string& service) {
  if (systemd_) return systemd_->RestartService(service);
  if (supervisor_) return supervisor_->RestartService(service);
  // The health service restarting itself would join its own thread.
  if (service == "health") return FailedPreconditionError("health never restarts itself");
  if (runner_ == nullptr) return FailedPreconditionError("no runner");
  return runner_->RestartService(service);
}

bool HostSeams::CanRestartControlPlane() const {
  if (supervisor_) return supervisor_->CanRestartControlPlane();
  return !control_plane_restart_.empty();
}

scheduler::Engine* HostSeams::InProcessEngine() const {
  if (runner_ == nullptr) return nullptr;
  for (const auto& s : runner_->services()) {
    if (auto* svc = dynamic_cast<scheduler::SchedulerService*>(s.get())) return svc->engine();
  }
  return nullptr;
}

std::map<std::string, contract::PoolHealth> HostSeams::ProbePools() {
  std::map<std::string, contract::PoolHealth> out;
  if (scheduler::Engine* engine = InProcessEngine(); engine != nullptr) {
    auto pools = engine->PoolStatuses(env_.clock.Now());
    if (!pools.ok()) return out;
    for (const auto& p : *pools) out[p.pool.name] = {p.status, p.scheduled, p.late, p.workers};
    return out;
  }
  auto client = api::ApiClient::FromStateDirAny(state_dir_, {"api.scheduler.addr", "api.addr"});
  if (!client.ok()) return out;
  auto r = client->Get("/api/pools");
  if (!r.ok() || r->status != 200) return out;
  auto j = ParseJson(r->body);
  if (!j.ok() || !j->is_array()) return out;
  for (const auto& p : *j) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) continue;
    contract::PoolHealth ph;
    ph.status = p.value("status", "");
    ph.scheduled = p.value("scheduled", int64_t{0});
    ph.late = p.value("late", int64_t{0});
    if (p.contains("workers") && p["workers"].is_array()) {
      for (const auto& w : p["workers"]) {
        if (w.is_string()) ph.workers.push_back(w.get<std::string>());
      }
    }
    out[p["name"].get<std::string>()] = std::move(ph);
  }
  return out;
}

bool HostSeams::HasRecoveryRuns() const {
  if (scheduler::Engine* engine = InProcessEngine(); engine != nullptr) {
    auto all = engine->WithStore([](scheduler::Store& s) { return s.ListDeployments(); });
    if (all.ok()) {
      return std::any_of(all->begin(), all->end(), [](const scheduler::DeploymentRecord& d) {
        return d.options.on_recovery;
      });
    }
  }
  return !recovery_deployments_.empty();
}

Status HostSeams::TriggerRecoveryRuns() {
  std::vector<std::string> names;
  scheduler::Engine* engine = InProcessEngine();
  if (engine != nullptr) {
    DOLPHIN_ASSIGN_OR_RETURN(
        auto all, engine->WithStore([](scheduler::Store& s) { return s.ListDeployments(); }));
    for (const auto& d : all) {
      if (d.options.on_recovery) names.push_back(d.options.full_name());
    }
  } else {
    names = recovery_deployments_;
  }
  std::string failed;
  for (const std::string& name : names) {
    Status st = Status::Ok();
    if (engine != nullptr) {
      auto run = engine->RunDeployment(name, Json::object(), env_.clock.Now());
      st = run.status();
      if (run.ok())
        env_.logger.Info("health", "on_recovery run created",
                         {{"deployment", name}, {"run", run->id}});
    } else {
      auto client = api::ApiClient::FromStateDirAny(state_dir_, {"api.scheduler.addr", "api.addr"});
      st = client.status();
      if (client.ok()) {
        const size_t slash = name.find('/');
        st = client
                 ->Post(fmt::format("/api/deployments/{}/{}/run",
                                    api::ApiClient::Escape(name.substr(0, slash)),
                                    api::ApiClient::Escape(name.substr(slash + 1))),
                        "{}")
                 .status();
      }
    }
    if (!st.ok()) failed += fmt::format("{}{}: {}", failed.empty() ? "" : "; ", name, st.message());
  }
  if (!failed.empty())
    return UnavailableError(fmt::format("on_recovery runs not created: {}", failed));
  return Status::Ok();
}

Status HostSeams::RestartControlPlane() {
  if (supervisor_) return supervisor_->RestartControlPlane();
  env_.logger.Warn("health", "restarting the control plane",
                   {{"command", fmt::format("{}", fmt::join(control_plane_restart_, " "))}});
  return RunCommand(control_plane_restart_, std::chrono::seconds(120), env_.clock);
}

health::HealthServiceOptions HealthServiceOptionsFor(const AppConfig& config) {
  health::HealthServiceOptions o;
  o.health = config.health;
  std::vector<std::string> colors;
  if (config.trader.enabled) {
    for (const auto& t : config.trader.traders) colors.push_back(t.engine.color);
  }
  if (config.health.critical) {
    o.critical = *config.health.critical;
  } else {
    o.critical.push_back("bridge");
    for (const auto& c : colors) o.critical.push_back(contract::TraderServiceName(c));
    // A trader on posture "bus" trades by what safety publishes: safety is critical then.
    const bool any_bus =
        config.trader.enabled &&
        std::any_of(config.trader.traders.begin(), config.trader.traders.end(),
                    [](const trader::TraderOptions& t) { return t.posture.from_bus; });
    if (config.safety.enabled && any_bus) o.critical.push_back("safety");
  }
  std::vector<std::string> sources;
  if (config.health.sources) {
    sources = *config.health.sources;
  } else {
    sources.push_back("scan");
    if (!colors.empty()) sources.push_back("state");
    if (config.safety.enabled) sources.push_back("safety");
    // The indicator flows' keys (docs/indicators.md "Health"): one source per key whose flow
    // runs (a deployment of the scheduler).
    if (config.scheduler.scheduler.enabled) {
      for (const std::string& flow : indicators::FlowNames()) {
        const std::string source = indicators::HealthSourceOf(flow);
        if (config.indicators.enabled(flow) &&
            config.scheduler.deployments.count(indicators::DeploymentName(flow)) &&
            std::find(sources.begin(), sources.end(), source) == sources.end()) {
          sources.push_back(source);
        }
      }
    }
  }
  o.sources = health::SourceSpecs(sources, colors);
  // An indicator key appears after its flow's first run: pending until one schedule interval
  // (plus the start-up grace and a health cycle) has passed.
  for (auto& spec : o.sources) {
    Duration first_run = Duration::zero();
    for (const std::string& flow : indicators::FlowNames()) {
      if (indicators::HealthSourceOf(flow) == spec.name && config.indicators.enabled(flow)) {
        first_run = std::max(first_run, config.indicators.flow(flow).schedule);
      }
    }
    if (first_run > Duration::zero()) {
      spec.missing_ok_for = config.health.startup_grace + config.health.interval + first_run;
    }
  }
  // Safety publishes nothing until health's first record after its start-up grace (its next
  // cycle after that): its record is not missing before then, only pending.
  for (auto& spec : o.sources) {
    if (spec.name == "safety") {
      spec.missing_ok_for =
          config.health.startup_grace + config.health.interval + 2 * config.safety.interval;
    }
  }
  o.run_logs_dir = config.process.state_dir / "run_logs";
  if (config.trader.enabled && config.batch.daily_backtest) {
    for (const trader::TraderOptions& t : config.trader.traders)
      o.parity_colors.push_back(t.engine.color);
  }
  return o;
}

std::vector<health::PortSpec> HealthPorts(const AppConfig& config, const std::string& api_address) {
  std::vector<health::PortSpec> ports;
  if (config.bus.backend == "hazelcast") {
    for (const auto& m : config.bus.members) {
      auto hp = ParseHostPort(m, 5701);
      if (hp.ok()) ports.push_back({"bus " + hp->ToString(), hp->host, hp->port, true});
    }
  }
  if (auto hp = ParseHostPort(api_address); hp.ok()) {
    ports.push_back({"api " + hp->ToString(), hp->host, hp->port, false});
  }
  return ports;
}

void RegisterHealthCommands(api::ControlApi& api,
                            const std::vector<std::unique_ptr<runtime::Service>>& services) {
  health::HealthService* health = nullptr;
  for (const auto& s : services) {
    if (auto* h = dynamic_cast<health::HealthService*>(s.get())) health = h;
  }
  if (health == nullptr) return;
  api.RegisterCommand("health.reset", [health](const Json& body) -> Result<Json> {
    auto it = body.find("target");
    if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) {
      return InvalidArgumentError("target: expected a string such as \"bridge\"");
    }
    const std::string target = it->get<std::string>();
    DOLPHIN_RETURN_IF_ERROR(health->ResetTarget(target));
    return Json{{"target", target}, {"reset", true}};
  });
}

namespace {

// Runs argv; with `capture` its stdout comes back, else it goes to our stderr.
Result<std::string> Spawn(const std::vector<std::string>& argv, Duration timeout, Clock& clock,
                          bool capture) {
  if (argv.empty() || argv[0].empty()) return InvalidArgumentError("empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, capture ? fds[1] : STDERR_FILENO, STDOUT_FILENO);
  // The CLI blocks SIGINT/SIGTERM in every thread (a sigwait thread takes them): the child
  // starts with none blocked, so it (and what it starts) can be stopped as usual.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return ErrnoError(fmt::format("cannot run {}", argv[0]), rc);
  }
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  std::string out;
  auto drain = [&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  };
  const MonoTime deadline = clock.MonotonicNow() + timeout;
  CancelToken never;
  int status = 0;
  while (true) {
    drain();
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      ::close(fds[0]);
      return ErrnoError(fmt::format("waitpid {}", argv[0]), errno);
    }
    if (clock.MonotonicNow() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ::close(fds[0]);
      return DeadlineExceededError(
          fmt::format("{} did not finish within {}", argv[0], FormatDuration(timeout)));
    }
    clock.WaitFor(std::chrono::milliseconds(20), never);
  }
  drain();
  ::close(fds[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return out;
  if (WIFEXITED(status))
    return UnavailableError(fmt::format("{} exited with status {}", argv[0], WEXITSTATUS(status)));
  if (WIFSIGNALED(status))
    return UnavailableError(fmt::format("{} killed by signal {}", argv[0], WTERMSIG(status)));
  return UnavailableError(fmt::format("{} ended abnormally", argv[0]));
}

}  // namespace

Result<std::string> RunCommandOutput(const std::vector<std::string>& argv, Duration timeout,
                                     Clock& clock) {
  return Spawn(argv, timeout, clock, /*capture=*/true);
}

Status RunCommand(const std::vector<std::string>& argv, Duration timeout, Clock& clock) {
  return Spawn(argv, timeout, clock, /*capture=*/false).status();
}

namespace {

std::vector<std::string> WithUnit(const std::vector<std::string>& argv, const std::string& unit) {
  std::vector<std::string> out;
  for (std::string a : argv) {
    for (size_t at = a.find("{unit}"); at != std::string::npos;
         at = a.find("{unit}", at + unit.size())) {
      a.replace(at, 6, unit);
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

SystemdSeams::SystemdSeams(const AppConfig& config, Env env)
    : options_(config.health), env_(env), ports_(health::NewTcpPortProbe()) {}

std::map<std::string, health::ProcessState> SystemdSeams::Probe(
    const std::vector<std::string>& services) {
  std::map<std::string, health::ProcessState> out;
  for (const auto& name : services) {
    health::ProcessState p;
    const std::string unit = health::SystemdUnitFor(name);
    auto text = RunCommandOutput(WithUnit(options_.systemd_probe, unit), std::chrono::seconds(10),
                                 env_.clock);
    if (!text.ok()) {
      p.detail = fmt::format("{}: probe failed: {}", unit, text.status().message());
      out[name] = std::move(p);
      continue;
    }
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text->size()) {
      size_t nl = text->find('\n', start);
      if (nl == std::string::npos) nl = text->size();
      lines.push_back(text->substr(start, nl - start));
      start = nl + 1;
    }
    const std::string state = lines.size() > 0 ? lines[0] : "";
    const int64_t pid = lines.size() > 1 ? std::strtoll(lines[1].c_str(), nullptr, 10) : 0;
    p.detail = fmt::format("{}: {}", unit, state.empty() ? "no state" : state);
    if (state == "active" && pid > 0) {
      p.present = true;
      p.pid = pid;
    } else if (state == "activating" || state == "deactivating" || state == "reloading") {
      p.in_runner_backoff = true;  // systemd is (re)starting it: its business
    } else if (lines.size() > 2 && lines[2] == "start-limit-hit") {
      // A probe that also asks for Result (-p ActiveState,MainPID,Result): a start-limit
      // failure is the operator's to clear (reset-failed), never health's.
      p.detail += " (start limit hit)";
    } else if (state == "failed" || state == "inactive") {
      // Shown failed/stopped: systemd will not restart it. (A start-limit failure also stays
      // failed: `systemctl restart` refuses it until an operator's reset-failed.)
      p.restartable = true;
    }
    out[name] = std::move(p);
  }
  return out;
}

Status SystemdSeams::RestartService(const std::string& service) {
  return RunCommand(WithUnit(options_.systemd_restart, health::SystemdUnitFor(service)),
                    std::chrono::seconds(60), env_.clock);
}

bool SystemdSeams::CanRestartControlPlane() const {
  return !options_.control_plane_restart.empty();
}

Status SystemdSeams::RestartControlPlane() {
  return RunCommand(options_.control_plane_restart, std::chrono::seconds(120), env_.clock);
}

std::string EffectiveHealthProcesses(const AppConfig& config) {
  const char* by = std::getenv(kSupervisedByEnv);
  if (config.health.processes == "runner" && by != nullptr && std::string_view(by) == "up")
    return "supervisor";
  return config.health.processes;
}

SupervisorSeams::SupervisorSeams(const AppConfig& config, Env env)
    : state_dir_(config.process.state_dir),
      control_plane_restart_(config.health.control_plane_restart),
      env_(env) {}

Result<Json> SupervisorSeams::Table() {
  DOLPHIN_ASSIGN_OR_RETURN(api::ApiClient client,
                           api::ApiClient::FromStateDir(state_dir_, kUpAddrFile));
  client.set_timeout(std::chrono::seconds(2));
  DOLPHIN_ASSIGN_OR_RETURN(api::ApiResponse r, client.Get("/api/services"));
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseJson(r.body, "up's /api/services"));
  if (!j.is_object() || !j.contains("services") || !j["services"].is_array()) {
    return InvalidArgumentError("up's /api/services: expected {\"services\": [...]}");
  }
  return j;
}

std::map<std::string, health::ProcessState> SupervisorSeams::Probe(
    const std::vector<std::string>& services) {
  std::map<std::string, health::ProcessState> out;
  auto table = Table();
  if (!table.ok()) {
    last_.reset();
    for (const auto& name : services) {
      health::ProcessState p;
      p.detail = fmt::format("up: not reachable: {}", table.status().message());
      out[name] = std::move(p);
    }
    return out;
  }
  contract::SupervisorHealth report;
  report.unenforced = table->value("unenforced", "");
  member_supervised_ = false;
  std::map<std::string, Json> rows;
  for (const Json& row : (*table)["services"]) {
    const std::string name = row.value("name", "");
    if (name == "hazelcast") member_supervised_ = true;
    if (row.value("state", "") == "failed (start limit)") report.failed_start_limit.push_back(name);
    rows[name] = row;
  }
  last_ = std::move(report);
  for (const auto& name : services) {
    health::ProcessState p;
    auto it = rows.find(name);
    if (it == rows.end()) {
      p.detail = "not supervised by up";
      out[name] = std::move(p);
      continue;
    }
    const Json& row = it->second;
    const std::string state = row.value("state", "");
    const std::string ready =
        row.contains("ready") && row["ready"].is_string() ? row["ready"].get<std::string>() : "";
    p.restarts = row.value("restarts", int64_t{0});
    p.detail = fmt::format(
        "up: {}", ready.empty() || state != "running" ? row.value("state_text", state) : ready);
    if (state == "running" && ready == "ready") {
      p.present = true;
      p.pid = row.value("pid", int64_t{0});
      p.detail = "up: ready";
    } else if (state == "starting" || state == "running" || state == "restarting" ||
               state == "stopping") {
      p.in_runner_backoff = true;  // up is starting, checking or restarting it: its business
    } else if (state == "failed (start limit)") {
      // The operator's to clear (`dolphin service start`), never health's.
    } else {
      p.restartable = true;  // stopped or failed: up will not restart it
    }
    out[name] = std::move(p);
  }
  return out;
}

std::optional<contract::SupervisorHealth> SupervisorSeams::Supervision() { return last_; }

Status SupervisorSeams::RestartService(const std::string& service) {
  if (service == "health") return FailedPreconditionError("health never restarts itself");
  DOLPHIN_ASSIGN_OR_RETURN(api::ApiClient client,
                           api::ApiClient::FromStateDir(state_dir_, kUpAddrFile));
  client.set_timeout(std::chrono::seconds(5));
  Json body;
  body["name"] = service;
  return client.Post("/api/command/service.restart", body.dump()).status();
}

bool SupervisorSeams::CanRestartControlPlane() const {
  return member_supervised_ || !control_plane_restart_.empty();
}

Status SupervisorSeams::RestartControlPlane() {
  if (member_supervised_) return RestartService("hazelcast");
  env_.logger.Warn("health", "restarting the control plane",
                   {{"command", fmt::format("{}", fmt::join(control_plane_restart_, " "))}});
  return RunCommand(control_plane_restart_, std::chrono::seconds(120), env_.clock);
}

}  // namespace dolphin::cli
