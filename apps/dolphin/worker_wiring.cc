#include "worker_wiring.h"

#include <unistd.h>

#include <fmt/format.h>

#include <mutex>
#include <optional>

#include "dolphin/api/api_client.h"
#include "dolphin/api/control_api.h"
#include "dolphin/supervisor/process_ops.h"

namespace dolphin::cli {

namespace {

class HttpPoolClient final : public scheduler::PoolClient {
 public:
  explicit HttpPoolClient(const AppConfig& config)
      : state_dir_(config.process.state_dir), api_(config.worker.api) {}

  Result<std::vector<scheduler::WorkItem>> Claim(const std::string& worker,
                                                 const std::vector<std::string>& pools,
                                                 size_t max_runs) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Json j, Post(fmt::format("/api/workers/{}/claim", api::ApiClient::Escape(worker)),
                     Json{{"pools", pools}, {"max", max_runs}}));
    return scheduler::WorkItemsFromJson(j);
  }
  Result<std::vector<int64_t>> Heartbeat(const std::string& worker,
                                         const std::vector<std::string>& pools,
                                         const std::vector<int64_t>& holding) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Json j, Post(fmt::format("/api/workers/{}/heartbeat", api::ApiClient::Escape(worker)),
                     Json{{"pools", pools}, {"holding", holding}}));
    std::vector<int64_t> kill;
    if (j.is_object() && j.contains("kill") && j["kill"].is_array()) {
      for (const auto& e : j["kill"]) {
        if (e.is_number_integer()) kill.push_back(e.get<int64_t>());
      }
    }
    return kill;
  }
  Status Started(int64_t id, const std::string& worker) override {
    return Post(fmt::format("/api/flow_runs/{}/started", id), Json{{"worker", worker}}).status();
  }
  Status Finished(int64_t id, const std::string& worker, int exit_code,
                  const std::string& output) override {
    return Post(fmt::format("/api/flow_runs/{}/finished", id),
                Json{{"worker", worker}, {"exit_code", exit_code}, {"output", output}})
        .status();
  }
  Status StartFailed(int64_t id, const std::string& worker, const std::string& why) override {
    return Post(fmt::format("/api/flow_runs/{}/start_failed", id),
                Json{{"worker", worker}, {"message", why}})
        .status();
  }

 private:
  Result<Json> Post(const std::string& path, const Json& body) {
    if (!client_) {
      if (!api_.empty()) {
        auto token = api::ReadApiToken(state_dir_);
        client_.emplace(api_, token.ok() ? *token : "");
      } else {
        auto c = api::ApiClient::FromStateDirAny(state_dir_, {"api.addr", "api.scheduler.addr"});
        if (!c.ok()) {
          return UnavailableError(fmt::format("no scheduler to poll in {}: {}", state_dir_.string(),
                                              c.status().message()));
        }
        client_.emplace(std::move(*c));
      }
    }
    auto r = client_->Post(path, DumpJson(body));
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kUnavailable) client_.reset();
      return r.status();
    }
    return ParseJson(r->body, "the scheduler's answer");
  }

  const std::filesystem::path state_dir_;
  const std::string api_;
  std::optional<api::ApiClient> client_;
};

std::string DefaultWorkerName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return fmt::format("{}-{}", host[0] != '\0' ? host : "worker", ::getpid());
}

}  // namespace

std::unique_ptr<scheduler::PoolClient> NewHttpPoolClient(const AppConfig& config) {
  return std::make_unique<HttpPoolClient>(config);
}

Result<std::unique_ptr<runtime::Service>> MakeWorkerService(
    const AppConfig& config, Env env, scheduler::SchedulerService* in_process) {
  // The real ProcessOps holds no state: one for every worker of the process.
  static const std::unique_ptr<supervisor::ProcessOps> ops = supervisor::NewProcessOps();
  scheduler::WorkerSetup w;
  const scheduler::SchedulerSetup& sch = config.scheduler;
  w.name = config.worker.name.empty() ? DefaultWorkerName() : config.worker.name;
  w.pools = config.worker.pools;
  if (w.pools.empty()) {
    for (const auto& [name, pool] : sch.pools) w.pools.push_back(name);
  }
  for (const std::string& p : w.pools) {
    if (sch.pools.count(p) == 0) {
      std::string known;
      for (const auto& [name, pool] : sch.pools) known += (known.empty() ? "" : ", ") + name;
      return InvalidArgumentError(
          fmt::format("worker: --pool {}: unknown pool (configured: {})", p, known));
    }
  }
  w.max_runs = static_cast<size_t>(config.worker.max_runs);
  w.poll_interval = sch.scheduler.worker_poll_interval;
  w.heartbeat_interval = sch.scheduler.worker_heartbeat_interval;
  w.kill_grace = config.worker.kill_grace;
  w.state_dir = config.process.state_dir;
  if (config.file.has_file()) w.config_file = std::filesystem::absolute(config.file.file());
  std::error_code ec;
  w.self_exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) w.self_exe = "dolphin";
  const supervisor::ServiceOptions limits =
      supervisor::EffectiveServiceOptions(config.services, "worker");
  w.env = limits.env;
  w.working_dir = limits.working_dir;
  std::unique_ptr<scheduler::PoolClient> client;
  if (in_process != nullptr) {
    client =
        scheduler::NewEnginePoolClient([in_process] { return in_process->engine(); }, env.clock);
  } else {
    client = NewHttpPoolClient(config);
  }
  return std::unique_ptr<runtime::Service>(
      std::make_unique<scheduler::WorkerService>(std::move(w), std::move(client), *ops, env));
}

}  // namespace dolphin::cli
