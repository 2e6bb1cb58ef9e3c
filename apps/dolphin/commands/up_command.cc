// `dolphin up`: the built-in supervisor (docs/supervisor.md). Runs every enabled service of
// [services.<name>] as a child in its own process group and cgroup under its limits, with its
// restart policy: the services `dolphin run` would run (each as `dolphin serve NAME`, which
// needs the shared Hazelcast bus) and every service with `exec`. Serves /api/services and the
// commands service.start|stop|restart on its own control API (address in
// <state_dir>/api.up.addr). SIGINT/SIGTERM stop everything in reverse order.
//
// `dolphin service ls|start|stop|restart NAME` talks to that API.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "../cli.h"
#include "../health_wiring.h"
#include "../metrics_wiring.h"
#include "../signals.h"
#include "../wiring.h"
#include "dolphin/api/api_client.h"
#include "dolphin/api/control_api.h"
#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/heartbeat.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/host_port.h"
#include "dolphin/health/probes.h"
#include "dolphin/supervisor/cgroup.h"
#include "dolphin/supervisor/supervisor.h"
#include "dolphin/systemd_units/unit_files.h"
#include "host.h"
#include "member.h"

namespace dolphin::cli {

namespace {

// This binary, for the `dolphin serve NAME` children.
std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("dolphin");
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// What `up` runs and how it checks each child.
struct UpPlan {
  std::vector<supervisor::ChildSpec> children;  // in start order
  // The member `up` runs itself (service hazelcast), when it does: its host:port.
  std::optional<HostPort> member;
  // The member's config, written to <state_dir>/hazelcast/hazelcast.yaml before the start.
  std::string member_yaml;
};

// The member `up` runs itself: [bus] backend = "hazelcast" with one member on a loopback host,
// and [services.hazelcast] neither disabled nor given an exec (then it is an exec service).
std::optional<HostPort> OwnMember(const AppConfig& config) {
  if (config.bus.backend != "hazelcast" || config.bus.members.size() != 1) return std::nullopt;
  const supervisor::ServiceOptions hz = MemberServiceOptions(config.services);
  if (!hz.enabled || !hz.exec.empty()) return std::nullopt;
  auto hp = ParseHostPort(config.bus.members.front(), 5701);
  if (!hp.ok() || !IsLoopback(hp->host) || hp->port == 0) return std::nullopt;
  return *hp;
}

// The children of `up`, in start order (docs/supervisor.md, "Start order"): the Hazelcast member
// `up` runs itself, every `exec` service, the services `dolphin run` would run, ordered by
// their `after` lists. Disabled ones stay in the table (shown as "disabled").
Result<UpPlan> PlanFor(const AppConfig& config) {
  UpPlan plan;
  std::vector<supervisor::ChildSpec> out;
  const std::filesystem::path logs = config.process.state_dir / "run_logs";
  plan.member = OwnMember(config);
  if (plan.member) {
    const std::filesystem::path java = FindOnPath("java");
    if (java.empty()) {
      return FailedPreconditionError(
          "up: the Hazelcast member (service hazelcast) needs java, not found on PATH (install "
          "openjdk-17-jre-headless, set [services.hazelcast] exec, or enabled = false for an external member)");
    }
    const std::filesystem::path state_dir =
        std::filesystem::absolute(config.process.state_dir).lexically_normal();
    const std::filesystem::path jar = MemberJar("", state_dir);
    if (!std::filesystem::exists(jar)) {
      return FailedPreconditionError(fmt::format(
          "up: the Hazelcast member jar {} does not exist (set HAZELCAST_JAR, or run scripts/setup.d/30-hazelcast.sh)",
          jar.string()));
    }
    supervisor::ChildSpec c;
    c.name = "hazelcast";
    c.options = MemberServiceOptions(config.services);
    c.argv = systemd_units::HazelcastMemberCommand(
        java, jar, state_dir / "hazelcast" / "hazelcast.yaml", c.options);
    c.output_file = logs / "hazelcast.log";
    c.drain_output = true;
    // Ready, and alive, while its port accepts connections. It does not speak sd_notify, so its
    // liveness timeout is its ready timeout.
    c.options.watchdog = c.options.ready_timeout;
    c.probe = true;
    plan.member_yaml = systemd_units::HazelcastMemberConfig(config.bus.cluster_name,
                                                            plan.member->host, plan.member->port);
    out.push_back(std::move(c));
  }
  for (const auto& [name, options] : config.services) {
    if (supervisor::IsDolphinService(name)) continue;
    if (name == "hazelcast" && plan.member) continue;
    if (options.exec.empty()) {
      if (name == "hazelcast" && !options.enabled) continue;  // an external member
      return InvalidArgumentError(fmt::format(
          "up: [services.{}] has no exec: `up` runs the Hazelcast member itself only with [bus] "
          "backend = \"hazelcast\" and one loopback member; give its command as exec = [...] or set "
          "enabled = false",
          name));
    }
    supervisor::ChildSpec c;
    c.name = name;
    c.argv = options.exec;
    c.options = options;
    c.options.watchdog = Duration::zero();  // exec children do not speak sd_notify
    c.output_file = logs / (name + ".log");
    c.drain_output = true;  // a bounded, rotated file (docs/supervisor.md)
    out.push_back(std::move(c));
  }
  std::vector<std::string> dolphin_names;
  std::string api_host = "127.0.0.1";
  if (auto hp = api::ParseHostPort(config.api.listen); hp.ok()) api_host = hp->first;
  const std::string child_listen = api_host.find(':') != std::string::npos
                                       ? fmt::format("[{}]:0", api_host)
                                       : fmt::format("{}:0", api_host);
  for (const std::string& name : DefaultServiceNames(config)) {
    supervisor::ServiceOptions options = supervisor::EffectiveServiceOptions(config.services, name);
    if (options.enabled) dolphin_names.push_back(name);
    supervisor::ChildSpec c;
    c.name = name;
    const size_t dot = name.find('.');
    c.argv = {SelfExe(), "serve", name.substr(0, dot)};
    if (dot != std::string::npos) c.argv.insert(c.argv.end(), {"--color", name.substr(dot + 1)});
    if (config.file.has_file()) {
      c.argv.insert(
          c.argv.end(),
          {"-c", std::filesystem::absolute(config.file.file()).lexically_normal().string()});
    }
    // A control API of its own on a free port (api.<name>.addr), never [api] listen's.
    c.argv.insert(c.argv.end(), {"--api-listen", child_listen});
    c.options = options;
    // Health under `up` sees the services through it (docs/health.md, processes = "supervisor").
    c.options.env.emplace(kSupervisedByEnv, "up");
    c.output_file = logs / (name + ".log");
    c.probe = true;  // ready once its /api/health answers; alive while it goes on answering
    out.push_back(std::move(c));
  }
  if (!dolphin_names.empty() && config.bus.backend == "memory") {
    return InvalidArgumentError(fmt::format(
        "up: {} run as separate processes and need the shared bus: set [bus] backend = "
        "\"hazelcast\", disable them with [services.<name>] enabled = false, or use `dolphin run`",
        fmt::join(dolphin_names, ", ")));
  }
  // Dependencies: "trader" names every colour; names `up` does not run are not waited for.
  std::vector<std::string> names;
  for (const auto& c : out) names.push_back(c.name);
  std::map<std::string, std::vector<std::string>> after;
  for (auto& c : out) {
    for (const std::string& w : supervisor::AfterOf(c.name, c.options)) {
      for (const std::string& n : names) {
        if (n == c.name) continue;
        if (n == w || (w == "trader" && n.rfind("trader.", 0) == 0)) c.after.push_back(n);
      }
    }
    after[c.name] = c.after;
  }
  auto order = supervisor::OrderByDependencies(names, after);
  if (!order.ok())
    return InvalidArgumentError(fmt::format("up: [services] after: {}", order.status().message()));
  for (const std::string& n : *order) {
    for (auto& c : out) {
      if (c.name == n) plan.children.push_back(std::move(c));
    }
  }
  return plan;
}

// Readiness and liveness of `up`'s children: a dolphin service's /api/health (at the address
// its api.<name>.addr names, written by that very process), the member's port.
class UpProbe final : public supervisor::ChildProbe {
 public:
  // A child's own heartbeat (`serve.<name>` in DOLPHIN_HEARTBEAT) older than `heartbeat_stale`
  // counts as not answering, and so does one that says `stalled`.
  UpProbe(std::filesystem::path state_dir, std::optional<HostPort> member, const Clock& clock,
          Duration heartbeat_stale)
      : state_dir_(std::move(state_dir)),
        member_(std::move(member)),
        clock_(clock),
        heartbeat_stale_(heartbeat_stale),
        ports_(health::NewTcpPortProbe()) {}

  Status Check(const std::string& name, pid_t pid) override {
    if (name == "hazelcast" && member_) {
      return ports_->Check(member_->host, member_->port, std::chrono::seconds(1));
    }
    const std::string file = ApiAddrFile(name);
    auto addr = api::ReadApiAddrFile(state_dir_, file);
    if (!addr.ok()) return UnavailableError(fmt::format("no {} yet", file));
    if (!addr->pid || *addr->pid != pid) {
      return UnavailableError(fmt::format("{} names another process (pid {}), not pid {}", file,
                                          addr->pid.value_or(0), pid));
    }
    api::ApiClient client(addr->address, "");
    client.set_timeout(std::chrono::seconds(1));
    auto r = client.Get("/api/health");
    if (!r.ok()) return r.status();
    auto j = ParseJson(r->body, "/api/health");
    if (!j.ok()) return j.status();
    if (!j->is_object() || j->value("status", "") != "ok") {
      return UnavailableError(fmt::format("/api/health: {}", r->body));
    }
    return CheckHeartbeat(client, name);
  }

 private:
  // Liveness by heartbeat: an API whose HTTP threads still answer while the service loops hang
  // is caught here. The key is read through the child's own API (its bus). No key yet (a child
  // that has not beaten once) is left to the readiness timeout.
  Status CheckHeartbeat(api::ApiClient& client, const std::string& name) {
    const std::string key = "serve." + name;
    auto r = client.Get(
        fmt::format("/api/bus/{}/{}", contract::kHeartbeatMap, api::ApiClient::Escape(key)));
    if (!r.ok()) return r.status();
    if (r->status == 404) return Status::Ok();
    if (r->status != 200) {
      return UnavailableError(fmt::format("heartbeat {}: HTTP {}", key, r->status));
    }
    auto beat = contract::DecodeHeartbeat(r->body);
    if (!beat.ok())
      return UnavailableError(fmt::format("heartbeat {}: {}", key, beat.status().message()));
    if (beat->status == contract::HeartbeatStatus::kStalled) {
      return UnavailableError(fmt::format("heartbeat {}: stalled: {}", key, beat->detail));
    }
    const Duration age = clock_.Now() - beat->ts;
    if (age > heartbeat_stale_) {
      return UnavailableError(fmt::format("heartbeat {} is {:.1f} s old (more than {:.1f} s)", key,
                                          SecondsOf(age), SecondsOf(heartbeat_stale_)));
    }
    return Status::Ok();
  }

  const std::filesystem::path state_dir_;
  const std::optional<HostPort> member_;
  const Clock& clock_;
  const Duration heartbeat_stale_;
  std::unique_ptr<health::PortProbe> ports_;
};

Json ChildJson(const supervisor::ChildStatus& s) {
  Json j;
  j["name"] = s.name;
  j["pid"] = s.pid;
  j["state"] = std::string(supervisor::ServiceStateName(s.state));
  j["state_text"] = s.state_text;
  j["ready"] = s.readiness;
  j["after"] = s.after;
  j["started_at"] = s.started_at ? Json(FormatRfc3339(*s.started_at)) : Json();
  j["ready_at"] = s.ready_at ? Json(FormatRfc3339(*s.ready_at)) : Json();
  j["restarts"] = s.restarts;
  j["oom_kills"] = s.oom_kills;
  j["last_exit"] = s.last_exit;
  j["limits"] = s.limits;
  if (s.cgroup) {
    Json cg = Json::object();
    if (s.cgroup->tasks) cg["tasks"] = *s.cgroup->tasks;
    if (s.cgroup->tasks_refused) cg["tasks_refused"] = *s.cgroup->tasks_refused;
    if (s.cgroup->memory_bytes) cg["memory_bytes"] = *s.cgroup->memory_bytes;
    if (s.cgroup->nr_throttled) cg["nr_throttled"] = *s.cgroup->nr_throttled;
    j["cgroup"] = cg;
  }
  return j;
}

int RunUp(const CliContext& ctx) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  auto plan = PlanFor(*config);
  if (!plan.ok()) {
    PrintError(plan.status().message());
    return plan.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  SystemClock clock;
  auto logger = MakeLogger(*config, clock);
  CancelToken cancel;
  SignalCanceller signals(cancel, *logger, "up");
  ProcessEnv process_env(clock, *logger, "up");
  const Env& env = process_env.env();
  if (Status st = env.fs.CreateDirs(config->process.state_dir / "run_logs"); !st.ok()) {
    PrintError(st.message());
    return kExitFailure;
  }

  auto ops = supervisor::NewProcessOps();
  supervisor::CgroupTreeOptions cg_options;
  cg_options.self_pid = ::getpid();
  // Test hook (never a config key): a group of its own per test.
  if (const char* g = std::getenv("DOLPHIN_TEST_CGROUP_GROUP"); g != nullptr && *g != '\0') {
    cg_options.group = g;
  }
  auto tree = supervisor::CgroupTree::Open(env.fs, *ops, clock, cg_options);
  if (!tree.ok()) {
    PrintError(fmt::format("up: cannot read the cgroups: {}", tree.status().message()));
    return kExitFailure;
  }
  const std::string unenforced = (*tree)->UnenforcedSummary();
  if (!unenforced.empty()) logger->Warn("up", unenforced);
  for (const std::string& line : (*tree)->Describe())
    logger->Info("up", "cgroup", {{"controller", line}});

  if (plan->member) {
    const std::filesystem::path yaml = config->process.state_dir / "hazelcast" / "hazelcast.yaml";
    Status st = env.fs.CreateDirs(yaml.parent_path());
    if (st.ok()) st = env.fs.WriteAtomically(yaml, plan->member_yaml);
    if (!st.ok()) {
      PrintError(fmt::format("up: the member's config: {}", st.message()));
      return kExitFailure;
    }
  }
  std::vector<std::string> order;
  for (const auto& c : plan->children) {
    order.push_back(
        c.after.empty() ? c.name : fmt::format("{} (after {})", c.name, fmt::join(c.after, ", ")));
  }
  logger->Info("up", fmt::format("start order: {}", fmt::join(order, "; ")));

  // Three heartbeat periods without a beat: two missed beats are not yet a hung service.
  UpProbe probe(config->process.state_dir, plan->member, clock,
                3 * DurationOfSeconds(config->process.heartbeat_interval_s));
  supervisor::SupervisorOptions so;
  so.pid_file = config->process.state_dir / "up.pid";
  so.self_pid = ::getpid();
  so.probe = &probe;
  supervisor::Supervisor sup(std::move(plan->children), *ops, tree->get(), clock, env.fs, *logger,
                             so);
  SupervisorMetrics sup_metrics(env.metrics,
                                sup);  // GET /metrics: children, restarts, start limits

  auto bus = bus::NewInMemoryBus(16);  // `up` has no bus of its own; the API needs one
  api::ApiOptions api_options = config->api;
  // The children serve [api] listen; `up` picks its own port on the same host.
  if (auto hp = api::ParseHostPort(api_options.listen); hp.ok()) {
    api_options.listen = fmt::format("{}:0", hp->first);
  }
  api_options.addr_file = kUpAddrFile;
  auto api = api::NewControlApi(api_options, *bus, env, config->process.state_dir, "up");
  auto table = [&sup, unenforced] {
    Json j;
    j["services"] = Json::array();
    for (const auto& s : sup.Table()) j["services"].push_back(ChildJson(s));
    j["unenforced"] = unenforced;
    return j;
  };
  api->RegisterRoutes("/api/services", [table](const api::RouteRequest& req) -> Result<Json> {
    if (req.method != "GET" || req.path != "/api/services") {
      return NotFoundError(fmt::format("{} {}: only GET /api/services", req.method, req.path));
    }
    return table();
  });
  api->RegisterStatus("supervisor", table);
  using Command = Status (supervisor::Supervisor::*)(const std::string&);
  for (auto [verb, method] :
       {std::pair<const char*, Command>{"start", &supervisor::Supervisor::Start},
        std::pair<const char*, Command>{"stop", &supervisor::Supervisor::Stop},
        std::pair<const char*, Command>{"restart", &supervisor::Supervisor::Restart}}) {
    api->RegisterCommand(
        fmt::format("service.{}", verb), [&sup, method](const Json& body) -> Result<Json> {
          auto it = body.find("name");
          if (it == body.end() || !it->is_string()) {
            return InvalidArgumentError("name: expected the service's name as a string");
          }
          DOLPHIN_RETURN_IF_ERROR((sup.*method)(it->get<std::string>()));
          auto row = sup.Find(it->get<std::string>());
          return row ? ChildJson(*row) : Json::object();
        });
  }
  if (Status st = sup.StartAll(); !st.ok()) {
    PrintError(fmt::format("up: {}", st.message()));
    return kExitFailure;
  }
  if (Status st = api->Start(); !st.ok()) {
    PrintError(st.message());
    sup.StopAll().IgnoreError();
    return kExitFailure;
  }
  logger->Info("up", "dolphin up started",
               {{"version", DOLPHIN_VERSION},
                {"api", api->address()},
                {"services", static_cast<int64_t>(sup.Table().size())},
                {"state_dir", config->process.state_dir.string()}});
  sup.Run(cancel);
  // No operator command may start a child while everything stops.
  api->Stop();
  Status stopped = sup.StopAll();
  if (Status st = (*tree)->RemoveGroup(); !st.ok()) {
    logger->Warn("up", "cannot remove the cgroup group", {{"error", st.ToString()}});
  }
  if (!stopped.ok()) {
    PrintError(stopped.message());
    return kExitFailure;
  }
  return kExitOk;
}

struct ServiceFlags {
  std::string verb;
  std::string name;
  bool json = false;
};

int RunService(const CliContext& ctx, const ServiceFlags& flags) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  auto client = api::ApiClient::FromStateDir(config->process.state_dir, kUpAddrFile);
  if (!client.ok()) {
    PrintError(fmt::format("no running `dolphin up` found ({}/{}): {}",
                           config->process.state_dir.string(), kUpAddrFile,
                           client.status().message()));
    return kExitFailure;
  }
  if (flags.verb == "ls") {
    auto r = client->Get("/api/services");
    if (!r.ok()) {
      PrintError(r.status().message());
      return kExitFailure;
    }
    auto j = ParseJson(r->body, "/api/services");
    if (!j.ok()) {
      PrintError(j.status().message());
      return kExitFailure;
    }
    if (flags.json) {
      std::printf("%s\n", j->dump().c_str());
      return kExitOk;
    }
    std::printf("%-16s %-8s %-26s %-18s %8s %4s  %s\n", "SERVICE", "PID", "STATE", "READY",
                "RESTARTS", "OOM", "LAST EXIT");
    for (const Json& s : (*j)["services"]) {
      const std::string ready =
          s.contains("ready") && s["ready"].is_string() ? s["ready"].get<std::string>() : "";
      std::printf("%-16s %-8s %-26s %-18s %8lld %4lld  %s\n", s.value("name", "").c_str(),
                  s.value("pid", 0) > 0 ? std::to_string(s.value("pid", 0)).c_str() : "-",
                  s.value("state_text", "").c_str(), ready.empty() ? "-" : ready.c_str(),
                  static_cast<long long>(s.value("restarts", 0)),
                  static_cast<long long>(s.value("oom_kills", 0)),
                  s.value("last_exit", "").c_str());
    }
    const std::string unenforced = j->value("unenforced", "");
    if (!unenforced.empty()) std::printf("%s\n", unenforced.c_str());
    return kExitOk;
  }
  if (flags.name.empty()) {
    PrintError(fmt::format("service {}: expected a service name", flags.verb));
    return kExitUsage;
  }
  Json body;
  body["name"] = flags.name;
  auto r = client->Post(fmt::format("/api/command/service.{}", flags.verb), body.dump());
  if (!r.ok()) {
    PrintError(r.status().message());
    return r.status().code() == StatusCode::kNotFound ? kExitUsage : kExitFailure;
  }
  auto j = ParseJson(r->body, "reply");
  std::printf("%s: %s\n", flags.name.c_str(),
              j.ok() ? j->value("state_text", "").c_str() : r->body.c_str());
  return kExitOk;
}

}  // namespace

void AddUpCommand(CLI::App& root, CliContext& ctx) {
  CLI::App* cmd = root.add_subcommand(
      "up",
      "Run every enabled [services.<name>] as a supervised child under its limits, until SIGINT/SIGTERM");
  AddCommonOptions(cmd, ctx);
  cmd->callback([&ctx] { ctx.action = [&ctx] { return RunUp(ctx); }; });

  auto flags = std::make_shared<ServiceFlags>();
  CLI::App* svc = root.add_subcommand(
      "service", "The services of a running `dolphin up`: ls | start | stop | restart NAME");
  AddCommonOptions(svc, ctx);
  svc->add_option("VERB", flags->verb, "ls | start | stop | restart")
      ->required()
      ->check(CLI::IsMember({"ls", "start", "stop", "restart"}));
  svc->add_option("NAME", flags->name, "the service (start, stop, restart)");
  svc->add_flag("--json", flags->json, "ls: the /api/services document");
  svc->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunService(ctx, *flags); }; });
}

}  // namespace dolphin::cli
