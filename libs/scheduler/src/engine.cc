#include "dolphin/scheduler/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace dolphin::scheduler {

namespace {

constexpr const char* kComponent = "scheduler";
constexpr const char* kScopePool = "pool";
constexpr const char* kScopeDeployment = "deployment";
constexpr const char* kScopeTag = "tag";

std::string SecondsText(Duration d) { return fmt::format("{} s", FormatDouble(SecondsOf(d))); }

std::string CursorKey(const std::string& deployment) { return "scheduled_until:" + deployment; }

uint64_t SeedOf(const SchedulerOptions& o, Env env) {
  return o.seed != 0 ? static_cast<uint64_t>(o.seed) : env.random.Next();
}

}  // namespace

Engine::Engine(SchedulerOptions options, Store& store, Env env)
    : options_(std::move(options)), store_(store), env_(env), random_(SeedOf(options_, env)) {
  env_.logger.Debug(kComponent, "retry jitter seeded", {{"seed", random_.seed()}});
}

int64_t Engine::late_total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return late_total_;
}

Status Engine::Move(FlowRun& run, RunState to, const std::string& message, Timestamp now) {
  const RunState from = run.state;
  if (Status s = CheckTransition(from, to); !s.ok()) {
    env_.logger.Warn(kComponent, "state change refused",
                     {{"run", run.id}, {"deployment", run.deployment}, {"error", s.message()}});
    return Status(s.code(), fmt::format("flow run {}: {}", run.id, s.message()));
  }
  run.state = to;
  run.state_message = message;
  run.state_ts = now;
  if (to.type == StateType::kRunning && !run.start_time) run.start_time = now;
  if (IsTerminal(to.type)) run.end_time = now;
  DOLPHIN_RETURN_IF_ERROR(store_.UpdateRun(run, from, message));
  // GET /metrics: every state a run enters, by state name (Late, Crashed, Completed, ...).
  env_.metrics
      .Counter("dolphin_scheduler_flow_run_transitions_total",
               "Flow runs entering a state, by state name",
               {{"state", std::string(StateNameText(to.name))}})
      .Increment();
  return Status::Ok();
}

Status Engine::ReleaseAndMove(FlowRun& run, RunState to, const std::string& message,
                              Timestamp now) {
  DOLPHIN_RETURN_IF_ERROR(Move(run, to, message, now));
  return store_.DeleteLeases(run.id);
}

Result<FlowRun> Engine::HeldRun(int64_t run_id, const std::string& worker) {
  DOLPHIN_ASSIGN_OR_RETURN(FlowRun r, store_.GetRun(run_id));
  if (r.worker != worker) {
    return FailedPreconditionError(
        fmt::format("flow run {} is held by worker {}, not {}", run_id, r.worker, worker));
  }
  return r;
}

Status Engine::SeenWorker(const std::string& worker, const std::vector<std::string>& pools,
                          Timestamp now) {
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<WorkerRecord> old, store_.GetWorker(worker));
  DOLPHIN_RETURN_IF_ERROR(store_.UpsertWorker({worker, pools, old ? old->first_seen : now, now}));
  return store_.RenewLeases(worker, now).status();
}

FlowRun Engine::NewRun(const DeploymentOptions& d, Timestamp due, Timestamp now) {
  FlowRun r;
  r.deployment = d.full_name();
  r.flow = d.flow;
  r.pool = d.pool;
  r.parameters = d.parameters;
  r.tags = d.tags;
  r.state = kScheduled;
  r.state_ts = now;
  r.expected_start = due;
  r.due_at = due;
  r.created_at = now;
  return r;
}

Result<std::map<std::string, DeploymentOptions>> Engine::Deployments() {
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<DeploymentRecord> all, store_.ListDeployments());
  std::map<std::string, DeploymentOptions> out;
  for (auto& d : all) out[d.options.full_name()] = std::move(d.options);
  return out;
}

Result<bool> Engine::PoolHasWorker(const std::string& pool, Timestamp now) {
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<WorkerRecord> workers, store_.ListWorkers());
  for (const auto& w : workers) {
    if (now - w.last_heartbeat < options_.zombie_after &&
        std::find(w.pools.begin(), w.pools.end(), pool) != w.pools.end()) {
      return true;
    }
  }
  return false;
}

// --- configuration

Status Engine::Sync(const SchedulerSetup& setup, Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Atomically([&]() -> Status {
    for (const auto& [name, p] : setup.pools) {
      PoolRecord rec{name, p.concurrency_limit, p.paused, p.description};
      if (auto old = store_.GetPool(name); old.ok()) rec.paused = rec.paused || old->paused;
      DOLPHIN_RETURN_IF_ERROR(store_.UpsertPool(rec));
    }
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<DeploymentRecord> stored, store_.ListDeployments());
    for (const auto& old : stored) {
      if (old.source == "config" && setup.deployments.count(old.options.full_name()) == 0) {
        DOLPHIN_RETURN_IF_ERROR(DeleteFutureRuns(old.options.full_name(), now));
        DOLPHIN_RETURN_IF_ERROR(store_.DeleteDeployment(old.options.full_name()));
        env_.logger.Info(kComponent, "deployment no longer configured: deleted",
                         {{"deployment", old.options.full_name()}});
      }
    }
    for (const auto& [name, d] : setup.deployments) {
      DeploymentRecord rec;
      rec.options = d;
      rec.updated_at = now;
      if (auto old = store_.GetDeployment(name); old.ok()) {
        rec.options.paused = d.paused || old->options.paused;
      }
      DOLPHIN_RETURN_IF_ERROR(store_.UpsertDeployment(rec));
    }
    return Status::Ok();
  });
}

Status Engine::PutDeployment(const DeploymentOptions& d, Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Atomically([&]() -> Status {
    DOLPHIN_RETURN_IF_ERROR(store_.GetPool(d.pool).status());
    DeploymentRecord rec;
    rec.options = d;
    rec.source = "api";
    rec.updated_at = now;
    DOLPHIN_RETURN_IF_ERROR(DeleteFutureRuns(d.full_name(), now));
    return store_.UpsertDeployment(rec);
  });
}

Status Engine::DeleteDeployment(const std::string& full_name, Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Atomically([&]() -> Status {
    DOLPHIN_RETURN_IF_ERROR(store_.GetDeployment(full_name).status());
    DOLPHIN_RETURN_IF_ERROR(DeleteFutureRuns(full_name, now));
    return store_.DeleteDeployment(full_name);
  });
}

Status Engine::DeleteFutureRuns(const std::string& full_name, Timestamp now) {
  RunFilter f;
  f.deployment = full_name;
  f.types = {StateType::kScheduled};
  f.auto_scheduled_only = true;
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> runs, store_.ListRuns(f));
  int64_t kept_until = 0;  // the look-ahead resumes after the runs that stay (past due ones)
  for (const auto& r : runs) {
    if (r.due_at > now && r.state == kScheduled) {
      DOLPHIN_RETURN_IF_ERROR(store_.DeleteRun(r.id));
    } else {
      kept_until = std::max(kept_until, r.expected_start.UnixNanos());
    }
  }
  return store_.SetMeta(CursorKey(full_name), kept_until);
}

Status Engine::SetPoolPaused(const std::string& pool, bool paused, Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Atomically([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(PoolRecord p, store_.GetPool(pool));
    p.paused = paused;
    DOLPHIN_RETURN_IF_ERROR(store_.UpsertPool(p));
    env_.logger.Info(kComponent, paused ? "pool paused" : "pool resumed", {{"pool", pool}});
    if (!paused) {
      // The backlog of the pause never runs as a herd.
      TickReport report;
      DOLPHIN_ASSIGN_OR_RETURN(auto deployments, Deployments());
      DOLPHIN_RETURN_IF_ERROR(ApplyNoHerd(deployments, now, report));
    }
    return Status::Ok();
  });
}

Status Engine::SetDeploymentPaused(const std::string& full_name, bool paused, Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Atomically([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(DeploymentRecord d, store_.GetDeployment(full_name));
    d.options.paused = paused;
    d.updated_at = now;
    DOLPHIN_RETURN_IF_ERROR(store_.UpsertDeployment(d));
    env_.logger.Info(kComponent, paused ? "deployment paused" : "deployment resumed",
                     {{"deployment", full_name}});
    if (paused) return DeleteFutureRuns(full_name, now);
    TickReport report;
    DOLPHIN_ASSIGN_OR_RETURN(auto deployments, Deployments());
    return ApplyNoHerd(deployments, now, report);
  });
}

Status Engine::SetTagLimit(const std::string& tag, int limit) {
  if (tag.empty()) return InvalidArgumentError("concurrency limit: expected a non-empty tag");
  if (limit < 0) {
    return InvalidArgumentError(
        fmt::format("concurrency limit for tag \"{}\": expected 0 or more, got {}", tag, limit));
  }
  std::lock_guard<std::mutex> lock(mu_);
  return store_.SetTagLimit({tag, limit});
}

Status Engine::DeleteTagLimit(const std::string& tag) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.DeleteTagLimit(tag);
}

// --- the tick

Status Engine::ScheduleDeployment(const DeploymentOptions& d, Timestamp now, TickReport& report) {
  if (!d.schedule || d.paused || !d.service.empty()) return Status::Ok();
  const std::string name = d.full_name();
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<int64_t> cursor_ns, store_.GetMeta(CursorKey(name)));
  // Never before now: times missed while the scheduler was down or the deployment paused are
  // not backfilled (the no-herd rule keeps one catch-up of runs that existed).
  Timestamp from = now - Duration(1);
  if (cursor_ns && Timestamp::FromUnixNanos(*cursor_ns) > from) {
    from = Timestamp::FromUnixNanos(*cursor_ns);
  }
  RunFilter future;
  future.deployment = name;
  future.types = {StateType::kScheduled};
  future.auto_scheduled_only = true;
  DOLPHIN_ASSIGN_OR_RETURN(int64_t pending, store_.CountRuns(future));
  const int64_t room = options_.max_scheduled_runs - pending;
  if (room <= 0) return Status::Ok();
  const std::vector<Timestamp> times =
      d.schedule->Upcoming(from, now + options_.lookahead, static_cast<size_t>(room));
  for (Timestamp t : times) {
    FlowRun r = NewRun(d, t, now);
    r.auto_scheduled = true;
    r.idempotency_key = fmt::format("{}@{}", name, t.UnixNanos());
    DOLPHIN_ASSIGN_OR_RETURN(int64_t id, store_.InsertRun(r, d.schedule->ToString()));
    if (id != 0) ++report.created;
  }
  if (!times.empty())
    DOLPHIN_RETURN_IF_ERROR(store_.SetMeta(CursorKey(name), times.back().UnixNanos()));
  return Status::Ok();
}

Status Engine::ApplyNoHerd(const std::map<std::string, DeploymentOptions>& deployments,
                           Timestamp now, TickReport& report) {
  RunFilter due;
  due.types = {StateType::kScheduled};
  due.due_before = now;
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> runs, store_.ListRuns(due));  // oldest due first
  std::map<std::string, Timestamp> newest;
  for (const auto& r : runs) newest[r.deployment] = std::max(newest[r.deployment], r.due_at);
  for (FlowRun& r : runs) {
    auto it = deployments.find(r.deployment);
    const Duration max_lateness =
        it != deployments.end() ? it->second.max_lateness : DeploymentOptions{}.max_lateness;
    if (r.due_at == newest[r.deployment] || now - r.due_at <= max_lateness) continue;
    DOLPHIN_RETURN_IF_ERROR(ReleaseAndMove(
        r, kCancelled,
        fmt::format("later than max_lateness_s ({}): due {}, a newer run of the deployment is kept",
                    SecondsText(max_lateness), FormatRfc3339(r.due_at)),
        now));
    ++report.cancelled;
  }
  if (report.cancelled > 0) {
    env_.logger.Warn(kComponent, "no herd: runs later than max_lateness_s cancelled",
                     {{"cancelled", report.cancelled}});
  }
  return Status::Ok();
}

Result<TickReport> Engine::Tick(Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  TickReport report;
  Status s = store_.Atomically([&]() -> Status {
    DOLPHIN_RETURN_IF_ERROR(store_.SetMeta("last_tick", now.UnixNanos()));
    DOLPHIN_ASSIGN_OR_RETURN(auto deployments, Deployments());

    // Zombies: leases not renewed for zombie_after.
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<Lease> expired,
                             store_.ExpiredLeases(now - options_.zombie_after));
    std::set<int64_t> zombie_runs;
    for (const auto& l : expired) zombie_runs.insert(l.run_id);
    for (int64_t id : zombie_runs) {
      DOLPHIN_ASSIGN_OR_RETURN(FlowRun r, store_.GetRun(id));
      if (!HoldsSlots(r.state.type)) {
        DOLPHIN_RETURN_IF_ERROR(store_.DeleteLeases(id));
        continue;
      }
      Timestamp renewed;
      for (const auto& l : expired) {
        if (l.run_id == id) renewed = std::max(renewed, l.renewed_at);
      }
      const std::string why = fmt::format(
          "worker {} stopped heartbeating: its leases were last renewed {} ({} ago, "
          "zombie_after_s {}); slots returned",
          r.worker, FormatRfc3339(renewed), FormatDuration(now - renewed),
          FormatDouble(SecondsOf(options_.zombie_after)));
      DOLPHIN_RETURN_IF_ERROR(ReleaseAndMove(r, kCrashed, why, now));
      env_.logger.Warn(kComponent, "zombie flow run crashed",
                       {{"run", id}, {"deployment", r.deployment}, {"worker", r.worker}});
      ++report.crashed;
    }

    // Timeouts.
    RunFilter running;
    running.types = {StateType::kRunning};
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> runs, store_.ListRuns(running));
    for (FlowRun& r : runs) {
      auto it = deployments.find(r.deployment);
      if (it == deployments.end() || !it->second.timeout || !r.start_time) continue;
      if (now - *r.start_time < *it->second.timeout) continue;
      DOLPHIN_RETURN_IF_ERROR(
          Move(r, kCancellingTimedOut,
               fmt::format("ran longer than timeout_s ({}); the worker kills it",
                           SecondsText(*it->second.timeout)),
               now));
      env_.logger.Warn(kComponent, "flow run timed out",
                       {{"run", r.id}, {"deployment", r.deployment}});
      ++report.timed_out;
    }

    // Look-ahead.
    for (const auto& [name, d] : deployments) {
      DOLPHIN_RETURN_IF_ERROR(ScheduleDeployment(d, now, report));
    }

    // Late: once per run (the rename happens once, and so does the line).
    RunFilter scheduled;
    scheduled.types = {StateType::kScheduled};
    scheduled.due_before = now - options_.late_after;
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> due, store_.ListRuns(scheduled));
    std::map<std::string, std::string> pool_reason;
    for (FlowRun& r : due) {
      if (r.state != kScheduled) continue;
      if (pool_reason.count(r.pool) == 0) {
        std::string reason;
        auto pool = store_.GetPool(r.pool);
        if (!pool.ok()) {
          reason = fmt::format("pool {} does not exist", r.pool);
        } else if (pool->paused) {
          reason = fmt::format("pool {} is paused", r.pool);
        } else {
          DOLPHIN_ASSIGN_OR_RETURN(bool has_worker, PoolHasWorker(r.pool, now));
          reason = has_worker ? fmt::format("pool {} has a worker; waiting for it", r.pool)
                              : fmt::format(
                                    "no worker is polling pool {} (start one: dolphin "
                                    "serve worker --pool {})",
                                    r.pool, r.pool);
        }
        pool_reason[r.pool] = reason;
      }
      const std::string why = fmt::format("not started {} after its start time {}: {}",
                                          SecondsText(options_.late_after),
                                          FormatRfc3339(r.expected_start), pool_reason[r.pool]);
      DOLPHIN_RETURN_IF_ERROR(Move(r, kLate, why, now));
      env_.logger.Warn(kComponent, "flow run is Late",
                       {{"run", r.id}, {"deployment", r.deployment}, {"why", pool_reason[r.pool]}});
      ++report.late;
    }

    return ApplyNoHerd(deployments, now, report);
  });
  if (!s.ok()) return s;
  late_total_ += report.late;
  return report;
}

// --- workers

Result<std::vector<ClaimedRun>> Engine::Claim(const std::string& worker,
                                              const std::vector<std::string>& pools, Timestamp now,
                                              size_t max_runs) {
  if (worker.empty()) return InvalidArgumentError("claim: expected a worker name");
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ClaimedRun> claimed;
  Status s = store_.Atomically([&]() -> Status {
    DOLPHIN_RETURN_IF_ERROR(SeenWorker(worker, pools, now));
    DOLPHIN_ASSIGN_OR_RETURN(auto deployments, Deployments());
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<TagLimit> tag_list, store_.ListTagLimits());
    std::map<std::string, int> tag_limits;
    for (const auto& t : tag_list) tag_limits[t.tag] = t.concurrency_limit;
    for (const std::string& pool_name : pools) {
      DOLPHIN_ASSIGN_OR_RETURN(PoolRecord pool, store_.GetPool(pool_name));
      if (pool.paused) continue;
      RunFilter f;
      f.types = {StateType::kScheduled};
      f.pool = pool_name;
      f.due_before = now;
      DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> candidates, store_.ListRuns(f));
      for (FlowRun& r : candidates) {
        if (claimed.size() >= max_runs) return Status::Ok();
        auto it = deployments.find(r.deployment);
        if (it == deployments.end()) {
          DOLPHIN_RETURN_IF_ERROR(Move(r, kCancelled, "its deployment was deleted", now));
          continue;
        }
        const DeploymentOptions& d = it->second;
        if (d.paused) continue;
        // Which limit is full, if any.
        std::string blocked;
        bool deployment_full = false;
        DOLPHIN_ASSIGN_OR_RETURN(int64_t pool_used, store_.CountLeases(kScopePool, pool_name));
        if (pool_used >= pool.concurrency_limit) {
          blocked = fmt::format("pool {} limit {} reached", pool_name, pool.concurrency_limit);
        }
        if (d.concurrency_limit) {
          DOLPHIN_ASSIGN_OR_RETURN(int64_t used,
                                   store_.CountLeases(kScopeDeployment, r.deployment));
          if (used >= *d.concurrency_limit) {
            deployment_full = true;
            blocked = fmt::format("deployment concurrency limit {} reached", *d.concurrency_limit);
          }
        }
        for (const std::string& tag : r.tags) {
          auto t = tag_limits.find(tag);
          if (t == tag_limits.end() || !blocked.empty()) continue;
          DOLPHIN_ASSIGN_OR_RETURN(int64_t used, store_.CountLeases(kScopeTag, tag));
          if (used >= t->second) blocked = fmt::format("tag {} limit {} reached", tag, t->second);
        }
        if (deployment_full && d.collision_strategy == CollisionStrategy::kCancelNew) {
          DOLPHIN_RETURN_IF_ERROR(
              Move(r, kCancelled, fmt::format("{} (collision_strategy CANCEL_NEW)", blocked), now));
          env_.logger.Info(kComponent, "flow run cancelled: CANCEL_NEW",
                           {{"run", r.id}, {"deployment", r.deployment}});
          continue;
        }
        if (!blocked.empty()) {
          if (r.state != kAwaitingConcurrencySlot) {
            DOLPHIN_RETURN_IF_ERROR(Move(r, kAwaitingConcurrencySlot, blocked, now));
          }
          continue;
        }
        r.worker = worker;
        r.run_count += 1;
        DOLPHIN_RETURN_IF_ERROR(
            Move(r, kPending, fmt::format("claimed by worker {} (attempt {})", worker, r.run_count),
                 now));
        DOLPHIN_RETURN_IF_ERROR(store_.AddLease({r.id, kScopePool, pool_name, worker, now, now}));
        // Always leased, so that a limit set later counts the runs already going.
        DOLPHIN_RETURN_IF_ERROR(
            store_.AddLease({r.id, kScopeDeployment, r.deployment, worker, now, now}));
        for (const std::string& tag : r.tags) {
          DOLPHIN_RETURN_IF_ERROR(store_.AddLease({r.id, kScopeTag, tag, worker, now, now}));
        }
        claimed.push_back({r, d});
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  for (const auto& c : claimed) {
    env_.logger.Info(kComponent, "flow run claimed",
                     {{"run", c.run.id},
                      {"deployment", c.run.deployment},
                      {"worker", worker},
                      {"lateness", FormatDuration(now - c.run.due_at)}});
  }
  return claimed;
}

Result<std::vector<int64_t>> Engine::Heartbeat(const std::string& worker,
                                               const std::vector<std::string>& pools,
                                               const std::vector<int64_t>& holding, Timestamp now) {
  if (worker.empty()) return InvalidArgumentError("heartbeat: expected a worker name");
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int64_t> kill;
  Status s = store_.Atomically([&]() -> Status {
    DOLPHIN_RETURN_IF_ERROR(SeenWorker(worker, pools, now));
    for (int64_t id : holding) {
      auto r = store_.GetRun(id);
      if (!r.ok() || r->worker != worker || !HoldsSlots(r->state.type) ||
          r->state.type == StateType::kCancelling) {
        kill.push_back(id);
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return kill;
}

Status Engine::Started(int64_t run_id, const std::string& worker, Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Atomically([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(FlowRun r, HeldRun(run_id, worker));
    DOLPHIN_RETURN_IF_ERROR(Move(r, kRunning, fmt::format("started by worker {}", worker), now));
    return store_.RenewRunLeases(run_id, now);
  });
}

Duration Engine::RetryDelay(const DeploymentOptions& d) {
  const double factor = 1.0 + d.retry_jitter * (2.0 * random_.Uniform() - 1.0);
  return std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(SecondsOf(d.retry_delay) * factor));
}

Status Engine::FinishLocked(FlowRun& r, int exit_code, const std::string& output, Timestamp now) {
  DOLPHIN_ASSIGN_OR_RETURN(auto deployments, Deployments());
  auto it = deployments.find(r.deployment);
  const DeploymentOptions d = it != deployments.end() ? it->second : DeploymentOptions{};
  r.exit_code = exit_code;
  std::string how = exit_code >= 0 ? fmt::format("exit code {}", exit_code)
                                   : fmt::format("killed by signal {}", -exit_code);
  // A failure names what the flow said last (its last non-empty output line).
  if (exit_code != 0 && !output.empty()) how += ": " + output;
  const bool timed_out = r.state == kCancellingTimedOut;
  const bool retry_left = r.run_count <= d.retries;
  if (r.state == kCancelling) {
    return ReleaseAndMove(r, kCancelled, fmt::format("cancelled; the process ended ({})", how),
                          now);
  }
  if (exit_code == 0 && !timed_out) return ReleaseAndMove(r, kCompleted, how, now);
  if (retry_left) {
    const Duration delay = RetryDelay(d);
    r.due_at = now + delay;
    return ReleaseAndMove(r, kAwaitingRetry,
                          fmt::format("{}{}; retry {} of {} in {}", timed_out ? "timed out, " : "",
                                      how, r.run_count, d.retries, FormatDuration(delay)),
                          now);
  }
  if (timed_out) {
    return ReleaseAndMove(r, kFailedTimedOut,
                          fmt::format("ran longer than timeout_s; the process ended ({})", how),
                          now);
  }
  return ReleaseAndMove(r, kFailed, how, now);
}

Status Engine::Finished(int64_t run_id, const std::string& worker, int exit_code, Timestamp now,
                        const std::string& output) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Atomically([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(FlowRun r, HeldRun(run_id, worker));
    if (!HoldsSlots(r.state.type)) {
      return FailedPreconditionError(fmt::format("flow run {} is {} already; the report is ignored",
                                                 run_id, r.state.ToString()));
    }
    if (r.state == kPending) {  // ended before its start was reported: it did run
      DOLPHIN_RETURN_IF_ERROR(Move(
          r, kRunning, fmt::format("started by worker {} (reported with its end)", worker), now));
    }
    return FinishLocked(r, exit_code, output, now);
  });
}

Status Engine::StartFailed(int64_t run_id, const std::string& worker, const std::string& message,
                           Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Atomically([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(FlowRun r, HeldRun(run_id, worker));
    return ReleaseAndMove(r, kCrashed, fmt::format("could not start: {}", message), now);
  });
}

Result<FlowRun> Engine::Cancel(int64_t run_id, const std::string& reason, Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  FlowRun r;
  Status s = store_.Atomically([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(r, store_.GetRun(run_id));
    const std::string why = reason.empty() ? "cancelled by the operator" : reason;
    if (IsTerminal(r.state.type)) {
      return FailedPreconditionError(
          fmt::format("flow run {} has finished ({})", run_id, r.state.ToString()));
    }
    if (r.state.type == StateType::kCancelling) return Status::Ok();
    if (r.state.type == StateType::kScheduled) return ReleaseAndMove(r, kCancelled, why, now);
    return Move(r, kCancelling, fmt::format("{}; the worker kills it", why), now);
  });
  if (!s.ok()) return s;
  return r;
}

Result<FlowRun> Engine::RunDeployment(const std::string& full_name, const Json& overrides,
                                      Timestamp now) {
  if (!overrides.is_null() && !overrides.is_object()) {
    return InvalidArgumentError("run: parameters: expected a JSON object");
  }
  std::lock_guard<std::mutex> lock(mu_);
  FlowRun r;
  Status s = store_.Atomically([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(DeploymentRecord rec, store_.GetDeployment(full_name));
    const DeploymentOptions& d = rec.options;
    if (!d.service.empty()) {
      return FailedPreconditionError(fmt::format(
          "{} is the long-running {} service, not a batch flow: it runs as service \"{}\" "
          "(in dolphin run or dolphin up, or dolphin serve {}); see dolphin status",
          full_name, d.service, d.service, d.service));
    }
    r = NewRun(d, now, now);
    if (overrides.is_object()) {
      for (const auto& [k, v] : overrides.items()) r.parameters[k] = v;
    }
    DOLPHIN_ASSIGN_OR_RETURN(r.id, store_.InsertRun(r, "asked for (deployment run)"));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  env_.logger.Info(kComponent, "flow run created", {{"run", r.id}, {"deployment", full_name}});
  return r;
}

// --- start-up

Result<RecoverReport> Engine::Recover(Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  RecoverReport report;
  Status s = store_.Atomically([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(std::optional<int64_t> last_tick_ns, store_.GetMeta("last_tick"));
    RunFilter held;
    held.types = {StateType::kPending, StateType::kRunning, StateType::kCancelling,
                  StateType::kPaused};
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> runs, store_.ListRuns(held));
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<Lease> leases, store_.ListLeases());
    for (FlowRun& r : runs) {
      DOLPHIN_ASSIGN_OR_RETURN(std::optional<WorkerRecord> w, store_.GetWorker(r.worker));
      const bool has_lease = std::any_of(leases.begin(), leases.end(),
                                         [&](const Lease& l) { return l.run_id == r.id; });
      if (!has_lease) {  // a store written before leases (or edited by hand): lease it again
        DOLPHIN_RETURN_IF_ERROR(store_.AddLease({r.id, kScopePool, r.pool, r.worker, now, now}));
        DOLPHIN_RETURN_IF_ERROR(
            store_.AddLease({r.id, kScopeDeployment, r.deployment, r.worker, now, now}));
      }
      if (w && now - w->last_heartbeat < options_.zombie_after) {
        ++report.kept;
        continue;
      }
      if (w && last_tick_ns &&
          w->last_heartbeat >= Timestamp::FromUnixNanos(*last_tick_ns) - options_.zombie_after) {
        DOLPHIN_RETURN_IF_ERROR(store_.RenewRunLeases(r.id, now));
        ++report.grace;
        continue;
      }
      DOLPHIN_RETURN_IF_ERROR(ReleaseAndMove(
          r, kCrashed,
          fmt::format("reconciled at scheduler start: worker {} {}", r.worker,
                      w ? fmt::format("last heartbeat {} was already older than zombie_after_s",
                                      FormatRfc3339(w->last_heartbeat))
                        : std::string("never heartbeat")),
          now));
      ++report.crashed;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  env_.logger.Info(kComponent, "runs reconciled at start",
                   {{"kept", report.kept}, {"grace", report.grace}, {"crashed", report.crashed}});
  return report;
}

Result<std::vector<PoolStatus>> Engine::PoolStatuses(Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<PoolRecord> pools, store_.ListPools());
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<WorkerRecord> workers, store_.ListWorkers());
  std::vector<PoolStatus> out;
  for (auto& p : pools) {
    PoolStatus st;
    st.pool = p;
    for (const auto& w : workers) {
      if (now - w.last_heartbeat < options_.zombie_after &&
          std::find(w.pools.begin(), w.pools.end(), p.name) != w.pools.end()) {
        st.workers.push_back(w.name);
      }
    }
    st.status = p.paused ? "PAUSED" : st.workers.empty() ? "NOT_READY" : "READY";
    DOLPHIN_ASSIGN_OR_RETURN(st.slots_used, store_.CountLeases(kScopePool, p.name));
    RunFilter f;
    f.pool = p.name;
    f.types = {StateType::kScheduled};
    DOLPHIN_ASSIGN_OR_RETURN(st.scheduled, store_.CountRuns(f));
    f.types = {StateType::kPending, StateType::kRunning, StateType::kCancelling,
               StateType::kPaused};
    DOLPHIN_ASSIGN_OR_RETURN(st.running, store_.CountRuns(f));
    f.types = {StateType::kScheduled};
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> sched, store_.ListRuns(f));
    st.late = std::count_if(sched.begin(), sched.end(),
                            [](const FlowRun& r) { return r.state == kLate; });
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace dolphin::scheduler
