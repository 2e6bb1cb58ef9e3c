// The process-level metrics the composition root exports (docs/observability.md): the services
// of `dolphin run`/`serve` as the Runner sees them, and the children of `dolphin up` as the
// supervisor sees them. Both are read when /metrics is scraped (collect hooks), so the
// supervisor and the Runner need no metrics code of their own.
// Thread-safety: the hooks run on the scraping thread and only call the thread-safe States() /
// Table(). Ownership: an exporter removes its hook when destroyed; destroy it before what it reads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "dolphin/core/metrics.h"
#include "dolphin/runtime/runner.h"
#include "dolphin/supervisor/supervisor.h"

namespace dolphin::cli {

// dolphin_service_up{service}, dolphin_service_restarts_total{service} and
// dolphin_service_status{service, status} (ok | degraded | stalled) of a Runner's services.
class RunnerMetrics {
 public:
  RunnerMetrics(Metrics& metrics, const runtime::Runner& runner);
  ~RunnerMetrics();
  RunnerMetrics(const RunnerMetrics&) = delete;
  RunnerMetrics& operator=(const RunnerMetrics&) = delete;

 private:
  void Collect();
  Metrics& metrics_;
  const runtime::Runner& runner_;
  uint64_t hook_ = 0;
  std::map<std::string, int64_t> restarts_;  // counted so far, per service (the hook's thread)
};

// The children of `dolphin up`: dolphin_supervisor_service_up{service},
// dolphin_supervisor_service_state{service, state}, dolphin_supervisor_start_limit_hit{service}
// (1 while "failed (start limit)"), dolphin_supervisor_restarts_total{service},
// dolphin_supervisor_oom_kills_total{service}.
class SupervisorMetrics {
 public:
  SupervisorMetrics(Metrics& metrics, const supervisor::Supervisor& supervisor);
  ~SupervisorMetrics();
  SupervisorMetrics(const SupervisorMetrics&) = delete;
  SupervisorMetrics& operator=(const SupervisorMetrics&) = delete;

 private:
  void Collect();
  Metrics& metrics_;
  const supervisor::Supervisor& supervisor_;
  uint64_t hook_ = 0;
  std::map<std::string, int64_t> restarts_;  // counted so far, per child
  std::map<std::string, int64_t> ooms_;
};

}  // namespace dolphin::cli
