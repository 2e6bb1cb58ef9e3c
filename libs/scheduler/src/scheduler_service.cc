#include "dolphin/scheduler/scheduler_service.h"

#include <fmt/format.h>

namespace dolphin::scheduler {

namespace {
constexpr const char* kComponent = "scheduler";
}  // namespace

SchedulerService::SchedulerService(SchedulerSetup setup, std::filesystem::path store_path, Env env)
    : setup_(std::move(setup)), store_path_(std::move(store_path)), env_(env) {}

SchedulerService::~SchedulerService() { Stop(); }

Status SchedulerService::Start() {
  if (!store_) {
    DOLPHIN_ASSIGN_OR_RETURN(store_, OpenSqliteStore(store_path_, setup_.scheduler.store_sync));
    engine_ = std::make_unique<Engine>(setup_.scheduler, *store_, env_);
    DOLPHIN_RETURN_IF_ERROR(engine_->Sync(setup_, env_.clock.Now()).WithPrefix("scheduler"));
    auto recovered = engine_->Recover(env_.clock.Now());
    if (!recovered.ok()) return recovered.status().WithPrefix("scheduler");
    engine_ptr_.store(engine_.get(), std::memory_order_release);
  }
  env_.logger.Info(kComponent, "scheduling",
                   {{"store", store_path_.string()},
                    {"pools", setup_.pools.size()},
                    {"deployments", setup_.deployments.size()},
                    {"tick", FormatDuration(setup_.scheduler.tick_interval)}});
  cancel_ = std::make_unique<CancelToken>();
  loop_running_ = true;
  auto thread = env_.threads.Start("scheduler", [this] { Loop(); });
  if (!thread.ok()) {
    loop_running_ = false;
    return thread.status();
  }
  thread_ = std::move(*thread);
  return Status::Ok();
}

void SchedulerService::Stop() {
  if (cancel_) cancel_->Cancel();
  if (thread_ && thread_->joinable()) thread_->Join();
  thread_.reset();
}

Result<TickReport> SchedulerService::TickForTest() { return engine_->Tick(env_.clock.Now()); }

void SchedulerService::Loop() {
  MonoTime next = env_.clock.MonotonicNow();
  while (env_.clock.WaitUntil(next, *cancel_)) {
    const Timestamp now = env_.clock.Now();
    auto report = engine_->Tick(now);
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_tick_ = now;
      if (report.ok()) {
        totals_.created += report->created;
        totals_.late += report->late;
        totals_.cancelled += report->cancelled;
        totals_.crashed += report->crashed;
        totals_.timed_out += report->timed_out;
        last_error_.clear();
      } else {
        last_error_ = report.status().message();
      }
    }
    if (!report.ok()) {
      env_.logger.Warn(kComponent, "tick failed", {{"error", report.status().message()}});
    }
    ExportPoolMetrics();
    next = next + setup_.scheduler.tick_interval;
    const MonoTime mono = env_.clock.MonotonicNow();
    if (next < mono) next = mono;  // a slow tick never makes a burst of catch-up ticks
  }
  loop_running_ = false;
}

// GET /metrics: each pool's runs and slots after a tick (pool names come from the config).
void SchedulerService::ExportPoolMetrics() {
  auto pools = engine_->PoolStatuses(env_.clock.Now());
  if (!pools.ok()) return;
  for (const auto& p : *pools) {
    const MetricLabels l{{"pool", p.pool.name}};
    env_.metrics.Gauge("dolphin_scheduler_pool_late_runs", "SCHEDULED runs named Late", l)
        .Set(static_cast<double>(p.late));
    env_.metrics.Gauge("dolphin_scheduler_pool_scheduled_runs", "SCHEDULED runs, any name", l)
        .Set(static_cast<double>(p.scheduled));
    env_.metrics
        .Gauge("dolphin_scheduler_pool_running_runs",
               "PENDING, RUNNING, CANCELLING and PAUSED runs", l)
        .Set(static_cast<double>(p.running));
    env_.metrics.Gauge("dolphin_scheduler_pool_slots_used", "Concurrency slots held", l)
        .Set(static_cast<double>(p.slots_used));
    env_.metrics.Gauge("dolphin_scheduler_pool_workers", "Workers online for the pool", l)
        .Set(static_cast<double>(p.workers.size()));
  }
}

runtime::ServiceHealth SchedulerService::Health() const {
  std::lock_guard<std::mutex> lock(mu_);
  runtime::ServiceHealth h;
  if (!last_error_.empty()) {
    h.status = contract::HeartbeatStatus::kDegraded;
    h.detail = fmt::format("tick failed: {}", last_error_);
    return h;
  }
  h.detail = fmt::format("{} late, {} crashed, {} cancelled by no-herd since start", totals_.late,
                         totals_.crashed, totals_.cancelled);
  return h;
}

runtime::ServiceLiveness SchedulerService::Liveness() const {
  if (loop_running_ || !thread_) return {};
  return {false, "tick loop returned"};
}

Json SchedulerService::StatusJson() const {
  Json j = Json::object();
  j["store"] = store_path_.string();
  {
    std::lock_guard<std::mutex> lock(mu_);
    j["last_tick"] = last_tick_ == Timestamp() ? Json(nullptr) : Json(FormatRfc3339(last_tick_));
    j["late_total"] = totals_.late;
    j["crashed_total"] = totals_.crashed;
    j["cancelled_no_herd_total"] = totals_.cancelled;
    j["timed_out_total"] = totals_.timed_out;
    j["created_total"] = totals_.created;
  }
  if (engine_) {
    if (auto pools = engine_->PoolStatuses(env_.clock.Now()); pools.ok()) {
      Json p = Json::object();
      for (const auto& s : *pools) {
        p[s.pool.name] = {{"status", s.status},
                          {"slots_used", s.slots_used},
                          {"limit", s.pool.concurrency_limit},
                          {"late", s.late}};
      }
      j["pools"] = std::move(p);
    }
  }
  return j;
}

}  // namespace dolphin::scheduler
