#include "dolphin/supervisor/supervisor.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <sstream>

namespace dolphin::supervisor {

namespace {

constexpr std::string_view kComponent = "supervisor";
constexpr Duration kStopPoll = std::chrono::milliseconds(20);

}  // namespace

std::string DescribeLimits(const ServiceOptions& o) {
  return fmt::format("memory {} (swap {}), cpu {}, tasks {}", FormatByteSize(o.memory_max),
                     FormatByteSize(o.memory_swap_max), FormatCpuQuota(o.cpu_quota_percent),
                     o.tasks_max ? std::to_string(*o.tasks_max) : "infinity");
}

Supervisor::Supervisor(std::vector<ChildSpec> children, ProcessOps& ops, CgroupTree* cgroups,
                       Clock& clock, FileSystem& fs, Logger& logger, SupervisorOptions options)
    : ops_(ops),
      cgroups_(cgroups),
      clock_(clock),
      fs_(fs),
      logger_(logger),
      options_(std::move(options)) {
  for (ChildSpec& spec : children) {
    Child c;
    c.machine = std::make_unique<RestartMachine>(spec.options, clock_);
    c.spec = std::move(spec);
    children_.push_back(std::move(c));
  }
}

Supervisor::~Supervisor() {
  for (Child& c : children_) {
    if (c.output_fd >= 0) ::close(c.output_fd);
    if (c.log) c.log->Close().IgnoreError();
  }
}

Supervisor::Child* Supervisor::FindLocked(const std::string& name) {
  for (Child& c : children_) {
    if (c.spec.name == name) return &c;
  }
  return nullptr;
}

void Supervisor::WritePidFileLocked() {
  if (options_.pid_file.empty()) return;
  std::string text = fmt::format("supervisor {}\n", options_.self_pid);
  for (const Child& c : children_) {
    if (c.pid > 0) text += fmt::format("{} {}\n", c.spec.name, c.pid);
  }
  Status st = fs_.WriteAtomically(options_.pid_file, text);
  if (!st.ok()) logger_.Warn(kComponent, "cannot write the pid file", {{"error", st.ToString()}});
}

Status Supervisor::StopPrevious() {
  if (!options_.pid_file.empty()) {
    auto text = fs_.ReadFile(options_.pid_file);
    if (text.ok()) {
      std::istringstream in(*text);
      std::string name;
      long pid = 0;
      std::vector<std::pair<std::string, pid_t>> groups;
      while (in >> name >> pid) {
        if (pid <= 1) continue;
        if (name == "supervisor") {
          auto alive = ops_.Signal(static_cast<pid_t>(pid), 0);
          if (alive.ok() && pid != options_.self_pid) {
            return FailedPreconditionError(
                fmt::format("another supervisor (pid {}) is running: {} names it", pid,
                            options_.pid_file.string()));
          }
          continue;
        }
        groups.emplace_back(name, static_cast<pid_t>(pid));
      }
      // Its children outlived it: group SIGTERM, then SIGKILL after the service's timeout.
      for (const auto& [service, pgid] : groups) {
        if (!ops_.SignalGroup(pgid, SIGTERM).ok()) continue;
        logger_.Warn(kComponent, "stopping a service a previous supervisor left running",
                     {{"service", service}, {"pid", static_cast<int64_t>(pgid)}});
        Child* c = FindLocked(service);
        const Duration timeout =
            c != nullptr ? c->spec.options.timeout_stop : ServiceOptions{}.timeout_stop;
        const MonoTime deadline = clock_.MonotonicNow() + timeout;
        CancelToken never;
        while (ops_.SignalGroup(pgid, 0).ok() && clock_.MonotonicNow() < deadline) {
          clock_.WaitFor(kStopPoll, never);
        }
        if (ops_.SignalGroup(pgid, SIGKILL).ok()) {
          logger_.Warn(kComponent, "killed the group after its stop timeout",
                       {{"service", service}, {"pid", static_cast<int64_t>(pgid)}});
        }
      }
    }
  }
  // Whatever is still in the group's cgroups (grandchildren included) goes too.
  if (cgroups_ != nullptr) {
    for (const std::string& name : cgroups_->ServiceNames()) {
      auto cg = cgroups_->Find(name);
      if (!cg.ok()) continue;
      auto pids = (*cg)->Pids();
      if (pids.ok() && !pids->empty()) {
        logger_.Warn(kComponent, "killing what a previous supervisor left in a cgroup",
                     {{"service", name}, {"processes", static_cast<int64_t>(pids->size())}});
      }
      DOLPHIN_RETURN_IF_ERROR((*cg)->Remove(std::chrono::seconds(10)));
    }
  }
  return Status::Ok();
}

Status Supervisor::StartAll() {
  std::lock_guard<std::mutex> lock(mu_);
  DOLPHIN_RETURN_IF_ERROR(StopPrevious());
  WritePidFileLocked();
  for (Child& c : children_) {
    if (!c.spec.options.enabled) continue;
    c.waiting = true;
    c.waiting_since = clock_.MonotonicNow();
    c.wait_reported = false;
    StartWhenReadyLocked(c);
  }
  return Status::Ok();
}

std::vector<std::string> Supervisor::NotReadyLocked(const Child& c) const {
  std::vector<std::string> out;
  for (const std::string& name : c.spec.after) {
    for (const Child& d : children_) {
      if (d.spec.name != name || !d.spec.options.enabled) continue;
      if (d.machine->state() != ServiceState::kRunning) out.push_back(name);
    }
  }
  return out;
}

void Supervisor::StartWhenReadyLocked(Child& c) {
  if (!c.waiting || stopping_all_) return;
  const std::vector<std::string> missing = NotReadyLocked(c);
  if (missing.empty()) {
    c.waiting = false;
    ActLocked(c, c.machine->Start());
    return;
  }
  const Duration waited = clock_.MonotonicNow() - c.waiting_since;
  if (!c.wait_reported && waited >= c.spec.options.ready_timeout) {
    c.wait_reported =
        true;  // once per wait; it goes on waiting (the dependency restarts by its policy)
    logger_.Error(
        kComponent,
        fmt::format("{} not started: {} not ready after {:.0f} s", c.spec.name,
                    fmt::join(missing, ", "), std::chrono::duration<double>(waited).count()),
        {{"service", c.spec.name}});
  }
}

std::vector<Supervisor::ProbeTarget> Supervisor::DueProbesLocked() {
  std::vector<ProbeTarget> out;
  if (options_.probe == nullptr) return out;
  const MonoTime now = clock_.MonotonicNow();
  for (Child& c : children_) {
    if (!c.spec.probe || c.pid <= 0 || now < c.next_probe) continue;
    const ServiceState st = c.machine->state();
    if (st != ServiceState::kStarting && st != ServiceState::kRunning) continue;
    if (!c.kill_cause.empty()) continue;  // killed, its exit is due
    c.next_probe = now + (st == ServiceState::kStarting ? options_.probe_interval / 4
                                                        : options_.probe_interval);
    out.push_back({c.spec.name, c.pid});
  }
  return out;
}

void Supervisor::KillOnItsOwnLocked(Child& c, std::string cause) {
  logger_.Error(kComponent, fmt::format("{} {}: killing its group", c.spec.name, cause),
                {{"service", c.spec.name}, {"pid", static_cast<int64_t>(c.pid)}});
  c.kill_cause = std::move(cause);
  ActLocked(c, RestartMachine::Action::kKill);
}

void Supervisor::ApplyProbeLocked(const ProbeTarget& t, const Status& answer) {
  Child* c = FindLocked(t.name);
  if (c == nullptr || c->pid != t.pid || !c->kill_cause.empty()) return;  // a later run, or killed
  const MonoTime now = clock_.MonotonicNow();
  const ServiceState st = c->machine->state();
  if (answer.ok()) {
    c->last_answer = now;
    c->probe_error.clear();
    if (st == ServiceState::kStarting) {
      c->machine->OnReady();
      c->ready_at = clock_.Now();
      logger_.Info(kComponent, "ready",
                   {{"service", c->spec.name},
                    {"pid", static_cast<int64_t>(c->pid)},
                    {"after_s", std::chrono::duration<double>(now - c->spawned_at).count()}});
      for (Child& other : children_) StartWhenReadyLocked(other);
    } else if (c->unresponsive) {
      c->unresponsive = false;
      logger_.Info(kComponent, "answering again", {{"service", c->spec.name}});
    }
    return;
  }
  c->probe_error = std::string(answer.message());
  if (st == ServiceState::kStarting) {
    if (now - c->spawned_at >= c->spec.options.ready_timeout) {
      KillOnItsOwnLocked(
          *c, fmt::format("not ready within {:.0f} s ({})",
                          std::chrono::duration<double>(c->spec.options.ready_timeout).count(),
                          c->probe_error));
    }
    return;
  }
  if (st != ServiceState::kRunning) return;
  const MonoTime since = c->last_answer.value_or(c->spawned_at);
  const Duration silent = now - since;
  if (c->spec.options.watchdog > Duration::zero() && silent >= c->spec.options.watchdog) {
    KillOnItsOwnLocked(*c,
                       fmt::format("unresponsive for {:.1f} s ({})",
                                   std::chrono::duration<double>(silent).count(), c->probe_error));
    return;
  }
  if (!c->unresponsive) {
    c->unresponsive = true;
    logger_.Warn(kComponent, "not answering its health check",
                 {{"service", c->spec.name}, {"error", c->probe_error}});
  }
}

void Supervisor::SpawnLocked(Child& c) {
  if (cgroups_ != nullptr && !c.cgroup) {
    auto cg = cgroups_->Create(c.spec.name, c.spec.options);
    if (!cg.ok()) {
      logger_.Error(kComponent, "cannot create the service's cgroup",
                    {{"service", c.spec.name}, {"error", cg.status().ToString()}});
      c.machine->OnSpawnFailed(cg.status().message());
      return;
    }
    c.cgroup = std::move(*cg);
  }
  c.oom_before = 0;
  if (c.cgroup) {
    auto oom = c.cgroup->OomKills();
    if (oom.ok() && oom->has_value()) c.oom_before = **oom;
  }
  SpawnSpec spec;
  spec.argv = c.spec.argv;
  spec.env = c.spec.options.env;
  spec.working_dir = c.spec.options.working_dir;
  if (!c.spec.output_file.empty()) {
    spec.output = c.spec.drain_output ? OutputMode::kPipe : OutputMode::kFile;
    spec.output_file = c.spec.output_file;
  }
  ServiceCgroup* cg = c.cgroup.get();
  if (cg != nullptr) spec.place = [cg](pid_t pid) { return cg->AddProcess(pid); };
  auto child = ops_.Spawn(spec);
  if (!child.ok()) {
    logger_.Error(kComponent, "cannot start the service",
                  {{"service", c.spec.name}, {"error", child.status().ToString()}});
    c.machine->OnSpawnFailed(child.status().message());
    return;
  }
  c.pid = child->pid;
  if (child->output_fd >= 0) {
    if (c.output_fd >= 0) ::close(c.output_fd);  // a previous run's pipe, drained at EOF
    c.output_fd = child->output_fd;
    ::fcntl(c.output_fd, F_SETFL, ::fcntl(c.output_fd, F_GETFL) | O_NONBLOCK);
    if (!c.log) {
      auto size = fs_.FileSize(c.spec.output_file);
      c.log_bytes = size.ok() ? static_cast<int64_t>(*size) : 0;
      auto log = fs_.NewAppendableFile(c.spec.output_file, 0640);
      if (log.ok()) {
        c.log = std::move(*log);
      } else {
        logger_.Warn(kComponent, "cannot open the service's log; its output is dropped",
                     {{"service", c.spec.name}, {"error", log.status().ToString()}});
      }
    }
  }
  c.machine->OnSpawned();
  c.spawned_at = clock_.MonotonicNow();
  c.started_at = clock_.Now();
  c.ready_at.reset();
  c.last_answer.reset();
  c.next_probe = c.spawned_at;
  c.probe_error.clear();
  c.unresponsive = false;
  c.kill_cause.clear();
  // Without a readiness check the process itself is the readiness.
  if (!c.spec.probe || options_.probe == nullptr) {
    c.machine->OnReady();
    c.ready_at = c.started_at;
  }
  logger_.Info(kComponent, "started",
               {{"service", c.spec.name},
                {"pid", static_cast<int64_t>(c.pid)},
                {"restarts", c.machine->restarts()}});
  WritePidFileLocked();
}

void Supervisor::ActLocked(Child& c, RestartMachine::Action action) {
  switch (action) {
    case RestartMachine::Action::kNone:
      if (c.machine->state() == ServiceState::kFailedStartLimit) {
        logger_.Error(kComponent,
                      "failed (start limit): not restarted until `dolphin service start`",
                      {{"service", c.spec.name}, {"last_exit", c.machine->last_exit()}});
      }
      return;
    case RestartMachine::Action::kSpawn: SpawnLocked(c); return;
    case RestartMachine::Action::kTerminate:
    case RestartMachine::Action::kKill: {
      if (c.pid <= 0) return;
      const int sig = action == RestartMachine::Action::kTerminate ? SIGTERM : SIGKILL;
      auto r = ops_.SignalGroup(c.pid, sig);
      if (!r.ok() && r.errnum() != ESRCH) {
        logger_.Warn(kComponent, "cannot signal the service's group",
                     {{"service", c.spec.name}, {"error", r.status().ToString()}});
      }
      if (sig == SIGKILL && c.cgroup) {
        c.cgroup->KillAll(std::chrono::seconds(1)).IgnoreError();  // stragglers outside the group
      }
      return;
    }
  }
}

void Supervisor::RotateLocked(Child& c) {
  if (c.log) c.log->Close().IgnoreError();
  c.log.reset();
  const std::string base = c.spec.output_file.string();
  for (int i = options_.log_keep; i >= 1; --i) {
    const std::string from = i == 1 ? base : fmt::format("{}.{}", base, i - 1);
    const std::string to = fmt::format("{}.{}", base, i);
    auto exists = fs_.Exists(from);
    if (exists.ok() && *exists) fs_.Rename(from, to).IgnoreError();  // the oldest is replaced
  }
  if (options_.log_keep < 1) fs_.Remove(base).IgnoreError();
  auto log = fs_.NewAppendableFile(c.spec.output_file, 0640);
  if (log.ok()) c.log = std::move(*log);
  c.log_bytes = 0;
}

void Supervisor::DrainLocked(Child& c) {
  if (c.output_fd < 0) return;
  char buf[16 * 1024];
  // Bounded per call, so one chatty child cannot starve the others.
  for (int round = 0; round < 64; ++round) {
    ssize_t n = ::read(c.output_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: nothing more for now
    if (n == 0) {
      ::close(c.output_fd);
      c.output_fd = -1;
      return;
    }
    if (c.log_bytes + n > options_.log_max_bytes) RotateLocked(c);
    if (c.log) {
      if (c.log->Append(std::string_view(buf, static_cast<size_t>(n))).ok()) c.log_bytes += n;
    }
  }
}

void Supervisor::PollLocked() {
  for (Child& c : children_) {
    DrainLocked(c);
    if (c.pid > 0) {
      auto r = ops_.TryWait(c.pid);
      if (r.ok() && r->has_value()) {
        ExitInfo exit = **r;
        if (c.cgroup) {
          auto oom = c.cgroup->OomKills();
          exit.oom_killed = oom.ok() && oom->has_value() && **oom > c.oom_before;
        }
        const pid_t pid = c.pid;
        c.pid = 0;
        const bool planned = c.machine->state() == ServiceState::kStopping;
        RestartMachine::Action a = c.machine->OnExit(exit, c.kill_cause);
        c.kill_cause.clear();
        c.unresponsive = false;
        (planned ? logger_.Info(kComponent, "stopped",
                                {{"service", c.spec.name},
                                 {"pid", static_cast<int64_t>(pid)},
                                 {"exit", exit.Describe()}})
                 : logger_.Warn(kComponent, "exited",
                                {{"service", c.spec.name},
                                 {"pid", static_cast<int64_t>(pid)},
                                 {"exit", c.machine->last_exit()},
                                 {"next", c.machine->StateText()}}));
        WritePidFileLocked();
        ActLocked(c, a);
      } else if (!r.ok()) {
        logger_.Warn(kComponent, "waitpid failed",
                     {{"service", c.spec.name}, {"error", r.status().ToString()}});
      }
    }
    ActLocked(c, c.machine->Tick());
  }
  for (Child& c : children_) StartWhenReadyLocked(c);
}

void Supervisor::Poll() {
  std::vector<ProbeTarget> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    PollLocked();
    due = DueProbesLocked();
  }
  if (due.empty()) return;
  // Outside the lock: a probe takes up to its timeout, and the API reads the table meanwhile.
  std::vector<Status> answers;
  for (const ProbeTarget& t : due) answers.push_back(options_.probe->Check(t.name, t.pid));
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < due.size(); ++i) ApplyProbeLocked(due[i], answers[i]);
}

void Supervisor::Run(const CancelToken& stop, Duration interval) {
  while (!stop.cancelled()) {
    Poll();
    std::vector<pollfd> fds;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const Child& c : children_) {
        if (c.output_fd >= 0) fds.push_back({c.output_fd, POLLIN, 0});
      }
    }
    if (fds.empty()) {
      if (!clock_.WaitFor(interval, stop)) break;
      continue;
    }
    // determinism-ok: a kernel wait on the children's output pipes, at most one interval
    ::poll(
        fds.data(), fds.size(),
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(interval).count()));
  }
}

Status Supervisor::StopAll() {
  std::unique_lock<std::mutex> lock(mu_);
  stopping_all_ = true;
  for (Child& c : children_) c.waiting = false;
  Status first = Status::Ok();
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    Child& c = *it;
    ActLocked(c, c.machine->Stop());
    const MonoTime deadline = clock_.MonotonicNow() + c.spec.options.timeout_stop;
    CancelToken never;
    // The machine's Tick() sends the SIGKILL at the stop timeout (its NextDeadline() is empty
    // from then on); sending one here is only the fallback. Survival is measured from the
    // SIGKILL, and a killed child is reaped before the clock is read again.
    std::optional<MonoTime> killed_at;
    while (c.pid > 0) {
      PollLocked();
      if (c.pid <= 0) break;
      const MonoTime now = clock_.MonotonicNow();
      if (!killed_at && !c.machine->NextDeadline()) {
        killed_at = now;
        continue;
      }
      if (!killed_at && now >= deadline + std::chrono::seconds(2)) {
        ActLocked(c, RestartMachine::Action::kKill);
        killed_at = now;
        continue;
      }
      if (killed_at && now >= *killed_at + std::chrono::seconds(5)) {
        first =
            DeadlineExceededError(fmt::format("{} (pid {}) survived SIGKILL", c.spec.name, c.pid));
        break;
      }
      lock.unlock();
      clock_.WaitFor(kStopPoll, never);
      lock.lock();
    }
    if (c.cgroup) {
      Status st = c.cgroup->Remove(std::chrono::seconds(10));
      if (!st.ok()) {
        logger_.Warn(kComponent, "cannot remove the service's cgroup",
                     {{"service", c.spec.name}, {"error", st.ToString()}});
        if (first.ok()) first = st;
      } else {
        c.cgroup.reset();
      }
    }
  }
  if (!options_.pid_file.empty() && first.ok()) fs_.Remove(options_.pid_file).IgnoreError();
  return first;
}

Status Supervisor::Start(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Child* c = FindLocked(name);
  if (c == nullptr) return NotFoundError(fmt::format("no service {} here", name));
  c->waiting = false;  // an operator start does not wait for the start order
  ActLocked(*c, c->machine->Start());
  return Status::Ok();
}

Status Supervisor::Stop(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Child* c = FindLocked(name);
  if (c == nullptr) return NotFoundError(fmt::format("no service {} here", name));
  c->waiting = false;
  ActLocked(*c, c->machine->Stop());
  return Status::Ok();
}

Status Supervisor::Restart(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Child* c = FindLocked(name);
  if (c == nullptr) return NotFoundError(fmt::format("no service {} here", name));
  ActLocked(*c, c->machine->Restart());
  return Status::Ok();
}

ChildStatus Supervisor::StatusLocked(const Child& c) const {
  ChildStatus s;
  s.name = c.spec.name;
  s.pid = c.pid;
  s.state = c.machine->state();
  s.state_text = c.spec.options.enabled || s.state != ServiceState::kStopped
                     ? c.machine->StateText()
                     : "disabled";
  s.restarts = c.machine->restarts();
  s.oom_kills = c.machine->oom_kills();
  s.last_exit = c.machine->last_exit();
  s.limits = DescribeLimits(c.spec.options);
  if (c.cgroup) {
    auto stats = c.cgroup->Stats();
    if (stats.ok()) s.cgroup = *stats;
  }
  s.after = c.spec.after;
  s.started_at = c.started_at;
  s.ready_at = c.ready_at;
  if (c.waiting) {
    const std::vector<std::string> missing = NotReadyLocked(c);
    s.readiness = fmt::format("waiting for {}", fmt::join(missing, ", "));
    if (s.state == ServiceState::kStopped) s.state_text = s.readiness;
  } else if (c.pid > 0 && s.state == ServiceState::kStarting) {
    s.readiness = "starting";
  } else if (c.pid > 0 && s.state == ServiceState::kRunning) {
    s.readiness =
        c.unresponsive
            ? fmt::format("unresponsive {:.1f} s",
                          std::chrono::duration<double>(clock_.MonotonicNow() -
                                                        c.last_answer.value_or(c.spawned_at))
                              .count())
            : "ready";
  }
  return s;
}

std::vector<ChildStatus> Supervisor::Table() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ChildStatus> out;
  for (const Child& c : children_) out.push_back(StatusLocked(c));
  return out;
}

std::optional<ChildStatus> Supervisor::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Child& c : children_) {
    if (c.spec.name == name) return StatusLocked(c);
  }
  return std::nullopt;
}

Result<std::vector<std::string>> OrderByDependencies(
    const std::vector<std::string>& names,
    const std::map<std::string, std::vector<std::string>>& after) {
  std::vector<std::string> out;
  std::map<std::string, int> mark;  // 0 unvisited, 1 on the path, 2 done
  std::vector<std::string> path;
  auto known = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  std::function<Status(const std::string&)> visit = [&](const std::string& n) -> Status {
    if (mark[n] == 2) return Status::Ok();
    if (mark[n] == 1) {
      auto from = std::find(path.begin(), path.end(), n);
      std::vector<std::string> cycle(from, path.end());
      cycle.push_back(n);
      return InvalidArgumentError(fmt::format("dependency cycle: {}", fmt::join(cycle, " -> ")));
    }
    mark[n] = 1;
    path.push_back(n);
    if (auto it = after.find(n); it != after.end()) {
      for (const std::string& d : it->second) {
        if (known(d)) DOLPHIN_RETURN_IF_ERROR(visit(d));
      }
    }
    path.pop_back();
    mark[n] = 2;
    out.push_back(n);
    return Status::Ok();
  };
  for (const std::string& n : names) DOLPHIN_RETURN_IF_ERROR(visit(n));
  return out;
}

}  // namespace dolphin::supervisor
