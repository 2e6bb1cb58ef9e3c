#include "dolphin/scheduler/worker.h"

#include <signal.h>

#include <fmt/format.h>

#include <fstream>
#include <system_error>

#include "dolphin/scheduler/store.h"

namespace dolphin::scheduler {

namespace {

constexpr const char* kComponent = "worker";
constexpr size_t kTailBytes = 64 * 1024;
constexpr size_t kMaxLine = 300;

// The engine of this process, called with the clock's time.
class EnginePoolClient final : public PoolClient {
 public:
  EnginePoolClient(std::function<Engine*()> engine, const Clock& clock)
      : engine_(std::move(engine)), clock_(clock) {}

  Result<std::vector<WorkItem>> Claim(const std::string& worker,
                                      const std::vector<std::string>& pools,
                                      size_t max_runs) override {
    DOLPHIN_ASSIGN_OR_RETURN(Engine * e, Get());
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<ClaimedRun> runs,
                             e->Claim(worker, pools, clock_.Now(), max_runs));
    std::vector<WorkItem> out;
    for (const ClaimedRun& c : runs) {
      out.push_back({c.run.id, c.run.deployment, c.run.parameters, c.deployment.command,
                     static_cast<int>(c.run.run_count)});
    }
    return out;
  }
  Result<std::vector<int64_t>> Heartbeat(const std::string& worker,
                                         const std::vector<std::string>& pools,
                                         const std::vector<int64_t>& holding) override {
    DOLPHIN_ASSIGN_OR_RETURN(Engine * e, Get());
    return e->Heartbeat(worker, pools, holding, clock_.Now());
  }
  Status Started(int64_t id, const std::string& worker) override {
    DOLPHIN_ASSIGN_OR_RETURN(Engine * e, Get());
    return e->Started(id, worker, clock_.Now());
  }
  Status Finished(int64_t id, const std::string& worker, int exit_code,
                  const std::string& output) override {
    DOLPHIN_ASSIGN_OR_RETURN(Engine * e, Get());
    return e->Finished(id, worker, exit_code, clock_.Now(), output);
  }
  Status StartFailed(int64_t id, const std::string& worker, const std::string& why) override {
    DOLPHIN_ASSIGN_OR_RETURN(Engine * e, Get());
    return e->StartFailed(id, worker, why, clock_.Now());
  }

 private:
  Result<Engine*> Get() {
    Engine* e = engine_();
    if (e == nullptr) return UnavailableError("the scheduler has not started yet");
    return e;
  }
  std::function<Engine*()> engine_;
  const Clock& clock_;
};

int ExitCodeOf(const supervisor::ExitInfo& e) {
  if (e.exit_code) return *e.exit_code;
  return e.signal ? -*e.signal : -SIGKILL;
}

// The bytes of `path` from `offset` on, at most the last kTailBytes of them.
std::string ReadTail(const std::filesystem::path& path, uint64_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const auto end = static_cast<uint64_t>(in.tellg());
  if (end <= offset) return "";
  const uint64_t from = std::max<uint64_t>(offset, end > kTailBytes ? end - kTailBytes : 0);
  in.seekg(static_cast<std::streamoff>(from));
  std::string out(end - from, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

uint64_t FileSize(const std::filesystem::path& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

}  // namespace

Result<WorkerOptions> ParseWorkerOptions(ConfigSection s) {
  WorkerOptions o;
  const int errors_before = s.error_count();
  s.Read("enabled", &o.enabled);
  s.Read("pools", &o.pools);
  s.Read("name", &o.name);
  s.Read("max_runs", &o.max_runs, 1, 10000);
  s.Read("api", &o.api);
  s.ReadSeconds("kill_grace_s", &o.kill_grace, 0, 3600);
  s.RejectUnknownKeys();
  if (s.error_count() > errors_before) return InvalidArgumentError("invalid [worker] section");
  return o;
}

void WriteWorkerOptions(const WorkerOptions& o, ConfigWriter& out) {
  out.Section("worker", "the worker: runs the flow runs of its pools (docs/scheduler.md)");
  out.Value("enabled", o.enabled);
  out.Value("pools", o.pools);
  out.Value("name", o.name);
  out.Value("max_runs", o.max_runs);
  out.Value("api", o.api);
  out.Value("kill_grace_s", SecondsOf(o.kill_grace));
}

Result<std::vector<WorkItem>> WorkItemsFromJson(const Json& claimed) {
  if (!claimed.is_array())
    return InvalidArgumentError("claim answer: expected an array of flow runs");
  std::vector<WorkItem> out;
  for (const Json& j : claimed) {
    if (!j.is_object() || !j.contains("id") || !j["id"].is_number_integer() ||
        !j.contains("deployment") || !j["deployment"].is_string() ||
        !j.contains("deployment_spec")) {
      return InvalidArgumentError(
          "claim answer: a flow run without id, deployment or deployment_spec");
    }
    WorkItem w;
    w.id = j["id"].get<int64_t>();
    w.deployment = j["deployment"].get<std::string>();
    if (j.contains("parameters") && j["parameters"].is_object()) w.parameters = j["parameters"];
    if (j.contains("run_count") && j["run_count"].is_number_integer())
      w.attempt = j["run_count"].get<int>();
    DOLPHIN_ASSIGN_OR_RETURN(DeploymentOptions d, DeploymentFromJson(j["deployment_spec"]));
    w.command = d.command;
    out.push_back(std::move(w));
  }
  return out;
}

std::unique_ptr<PoolClient> NewEnginePoolClient(std::function<Engine*()> engine,
                                                const Clock& clock) {
  return std::make_unique<EnginePoolClient>(std::move(engine), clock);
}

std::filesystem::path FlowRunLogPath(const std::filesystem::path& state_dir, int64_t id) {
  return state_dir / "run_logs" / "flow_runs" / fmt::format("{}.log", id);
}

std::string LastOutputLine(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t end = text.size();
  while (end > 0) {
    while (end > 0 && blank(text[end - 1])) --end;
    if (end == 0) return "";
    size_t begin = text.rfind('\n', end - 1);
    begin = begin == std::string_view::npos ? 0 : begin + 1;
    while (begin < end && blank(text[begin])) ++begin;
    if (begin < end) return std::string(text.substr(begin, std::min(end - begin, kMaxLine)));
    end = begin;
  }
  return "";
}

WorkerService::WorkerService(WorkerSetup setup, std::unique_ptr<PoolClient> client,
                             supervisor::ProcessOps& ops, Env env)
    : setup_(std::move(setup)), client_(std::move(client)), ops_(ops), env_(env) {}

WorkerService::~WorkerService() { Stop(); }

Status WorkerService::Start() {
  std::error_code ec;
  std::filesystem::create_directories(setup_.state_dir / "run_logs" / "flow_runs", ec);
  if (ec) {
    return IoError(fmt::format("worker: cannot create {}: {}",
                               (setup_.state_dir / "run_logs" / "flow_runs").string(),
                               ec.message()));
  }
  env_.logger.Info(kComponent, "polling",
                   {{"worker", setup_.name},
                    {"pools", fmt::format("{}", fmt::join(setup_.pools, ","))},
                    {"poll", FormatDuration(setup_.poll_interval)},
                    {"heartbeat", FormatDuration(setup_.heartbeat_interval)}});
  cancel_ = std::make_unique<CancelToken>();
  auto thread = env_.threads.Start("worker", [this] { Loop(); });
  if (!thread.ok()) return thread.status();
  thread_ = std::move(*thread);
  return Status::Ok();
}

void WorkerService::Stop() {
  if (cancel_) cancel_->Cancel();
  if (thread_ && thread_->joinable()) thread_->Join();
  thread_.reset();
  // The runs this worker holds end with it: SIGTERM, SIGKILL after kill_grace, reported.
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (children_.empty() && unreported_.empty()) return;
    for (auto& [id, c] : children_) {
      if (!c.kill_at) BeginKill(c, "the worker is stopping");
    }
  }
  const MonoTime give_up = env_.clock.MonotonicNow() + setup_.kill_grace + std::chrono::seconds(5);
  CancelToken never;
  while (running() > 0 && env_.clock.MonotonicNow() < give_up) {
    Reap();
    env_.clock.WaitUntil(env_.clock.MonotonicNow() + std::chrono::milliseconds(20), never);
  }
  Reap();
  std::lock_guard<std::mutex> lock(mu_);
  SendReports();
}

size_t WorkerService::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return children_.size();
}

void WorkerService::Loop() {
  while (!cancel_->cancelled()) {
    Step();
    // Ends are looked for every 50 ms (at most the poll interval); claims wait for the poll.
    const Duration pause = std::min<Duration>(setup_.poll_interval, std::chrono::milliseconds(50));
    if (!env_.clock.WaitUntil(env_.clock.MonotonicNow() + pause, *cancel_)) break;
  }
}

void WorkerService::Step() {
  Reap();
  std::lock_guard<std::mutex> lock(mu_);
  SendReports();
  const MonoTime now = env_.clock.MonotonicNow();
  for (auto& [id, c] : children_) {
    if (c.kill_at && now >= *c.kill_at) {
      (void)ops_.SignalGroup(c.pid, SIGKILL);
      c.kill_at = now + setup_.kill_grace;  // again later if still there
    }
  }
  if (!children_.empty() && (!next_heartbeat_ || now >= *next_heartbeat_)) {
    next_heartbeat_ = now + setup_.heartbeat_interval;
    Heartbeat();
  }
  if (claim_now_ || !next_poll_ || now >= *next_poll_) {
    claim_now_ = false;
    next_poll_ = now + setup_.poll_interval;
    Claim();
  }
}

void WorkerService::Reap() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = children_.begin(); it != children_.end();) {
    Child& c = it->second;
    auto w = ops_.TryWait(c.pid);
    if (w.ok() && !w->has_value()) {
      ++it;
      continue;
    }
    int code = -SIGKILL;
    if (w.ok()) code = ExitCodeOf(**w);
    // What the run left in its group ends with it (a grandchild that ignored SIGTERM).
    (void)ops_.SignalGroup(c.pid, SIGKILL);
    std::string output = LastOutputLine(ReadTail(c.log, c.log_offset));
    if (!w.ok()) output = w.status().message();
    if (!c.kill_reason.empty())
      output = output.empty() ? c.kill_reason : c.kill_reason + "; " + output;
    env_.logger.Info(kComponent, "flow run ended",
                     {{"run", c.item.id}, {"deployment", c.item.deployment}, {"exit_code", code}});
    unreported_.push_back({c.item.id, code, output});
    ++finished_total_;
    claim_now_ = true;
    it = children_.erase(it);
  }
}

void WorkerService::SendReports() {
  for (auto it = unreported_.begin(); it != unreported_.end();) {
    Status s = client_->Finished(it->id, setup_.name, it->exit_code, it->output);
    if (!s.ok() && s.code() == StatusCode::kUnavailable) {
      last_error_ = s.message();
      return;  // the scheduler is away: every report waits for it
    }
    if (!s.ok()) {
      env_.logger.Warn(kComponent, "end of flow run not taken",
                       {{"run", it->id}, {"error", s.ToString()}});
    }
    it = unreported_.erase(it);
  }
}

void WorkerService::Heartbeat() {
  std::vector<int64_t> holding;
  for (const auto& [id, c] : children_) holding.push_back(id);
  auto kill = client_->Heartbeat(setup_.name, setup_.pools, holding);
  if (!kill.ok()) {
    last_error_ = kill.status().message();
    env_.logger.Warn(kComponent, "heartbeat failed", {{"error", kill.status().ToString()}});
    return;
  }
  for (int64_t id : *kill) {
    auto it = children_.find(id);
    if (it != children_.end() && !it->second.kill_at) {
      BeginKill(it->second, "killed by the worker: the scheduler asked (cancelled or timed out)");
    }
  }
}

void WorkerService::BeginKill(Child& c, const std::string& why) {
  env_.logger.Warn(kComponent, "killing flow run",
                   {{"run", c.item.id}, {"pid", c.pid}, {"why", why}});
  (void)ops_.SignalGroup(c.pid, SIGTERM);
  c.kill_at = env_.clock.MonotonicNow() + setup_.kill_grace;
  c.kill_reason = why;
  ++killed_total_;
}

void WorkerService::Claim() {
  if (children_.size() >= setup_.max_runs) return;
  auto items = client_->Claim(setup_.name, setup_.pools, setup_.max_runs - children_.size());
  if (!items.ok()) {
    if (last_error_ != items.status().message()) {
      env_.logger.Warn(kComponent, "cannot claim", {{"error", items.status().ToString()}});
    }
    last_error_ = items.status().message();
    return;
  }
  last_error_.clear();
  for (const WorkItem& item : *items) StartRun(item);
}

void WorkerService::StartRun(const WorkItem& item) {
  if (item.command.empty()) {
    const std::string why = fmt::format(
        "deployment {} has no command (set [deployments.\"{}\"] command = [...]; there is no built-in flow of that name)",
        item.deployment, item.deployment);
    Status s = client_->StartFailed(item.id, setup_.name, why);
    if (!s.ok())
      env_.logger.Warn(kComponent, "report not taken", {{"run", item.id}, {"error", s.ToString()}});
    return;
  }
  supervisor::SpawnSpec spec;
  spec.argv = item.command;
  if (spec.argv[0] == "dolphin") spec.argv[0] = setup_.self_exe.string();
  spec.env = setup_.env;
  spec.env["DOLPHIN_FLOW_RUN_ID"] = std::to_string(item.id);
  spec.env["DOLPHIN_DEPLOYMENT"] = item.deployment;
  spec.env["DOLPHIN_STATE_DIR"] = setup_.state_dir.string();
  spec.env["DOLPHIN_CONFIG"] = setup_.config_file.string();
  spec.env["DOLPHIN_PARAMETERS"] = DumpJson(item.parameters);
  spec.working_dir = setup_.working_dir;
  spec.output = supervisor::OutputMode::kFile;
  spec.output_file = FlowRunLogPath(setup_.state_dir, item.id);
  {
    std::ofstream header(spec.output_file, std::ios::app);
    header << fmt::format("--- flow run {} ({}), attempt {}, worker {}, {}: {}\n", item.id,
                          item.deployment, item.attempt, setup_.name,
                          FormatRfc3339(env_.clock.Now()), fmt::join(item.command, " "));
  }
  Child c;
  c.item = item;
  c.log = spec.output_file;
  c.log_offset = FileSize(c.log);
  auto spawned = ops_.Spawn(spec);
  if (!spawned.ok()) {
    std::ofstream(spec.output_file, std::ios::app)
        << "--- could not start: " << spawned.status().message() << "\n";
    Status s = client_->StartFailed(item.id, setup_.name, spawned.status().message());
    if (!s.ok())
      env_.logger.Warn(kComponent, "report not taken", {{"run", item.id}, {"error", s.ToString()}});
    return;
  }
  c.pid = spawned->pid;
  ++started_total_;
  env_.logger.Info(kComponent, "flow run started",
                   {{"run", item.id},
                    {"deployment", item.deployment},
                    {"pid", c.pid},
                    {"attempt", item.attempt}});
  children_.emplace(item.id, std::move(c));
  if (Status s = client_->Started(item.id, setup_.name); !s.ok()) {
    // The run's end (reported later) still counts; a cancelled-meanwhile run is killed at the
    // next heartbeat.
    env_.logger.Warn(kComponent, "start not taken", {{"run", item.id}, {"error", s.ToString()}});
  }
  next_heartbeat_ = env_.clock.MonotonicNow() + setup_.heartbeat_interval;
}

runtime::ServiceHealth WorkerService::Health() const {
  runtime::ServiceHealth h;
  std::lock_guard<std::mutex> lock(mu_);
  h.detail = fmt::format("{} running, {} started, {} ended", children_.size(), started_total_,
                         finished_total_);
  if (!last_error_.empty()) {
    h.status = contract::HeartbeatStatus::kDegraded;
    h.detail += ", " + last_error_;
  }
  return h;
}

Json WorkerService::StatusJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  Json runs = Json::array();
  for (const auto& [id, c] : children_) {
    runs.push_back({{"id", id},
                    {"deployment", c.item.deployment},
                    {"pid", c.pid},
                    {"killing", c.kill_at.has_value()}});
  }
  return Json{{"name", setup_.name},
              {"pools", setup_.pools},
              {"max_runs", setup_.max_runs},
              {"running", runs},
              {"started", started_total_},
              {"ended", finished_total_},
              {"killed", killed_total_},
              {"unreported", unreported_.size()},
              {"last_error", last_error_},
              {"limits", "the worker's own cgroup (dolphin up / systemd: [services.worker])"}};
}

}  // namespace dolphin::scheduler
