#include "metrics_wiring.h"

#include <algorithm>
#include <vector>

#include "dolphin/contract/enums.h"

namespace dolphin::cli {

namespace {

// Adds the growth of `total` since the last call to the counter (the source keeps totals).
void CountUp(Metrics& m, const char* name, const char* help, const std::string& service,
             int64_t total, std::map<std::string, int64_t>& seen) {
  MetricCounter& c = m.Counter(name, help, {{"service", service}});
  int64_t& before = seen[service];
  if (total > before) c.Increment(static_cast<double>(total - before));
  before = std::max(before, total);
}

}  // namespace

RunnerMetrics::RunnerMetrics(Metrics& metrics, const runtime::Runner& runner)
    : metrics_(metrics), runner_(runner) {
  hook_ = metrics_.AddCollectHook([this] { Collect(); });
}

RunnerMetrics::~RunnerMetrics() { metrics_.RemoveCollectHook(hook_); }

void RunnerMetrics::Collect() {
  for (const runtime::RunnerServiceState& st : runner_.States()) {
    const MetricLabels l{{"service", st.name}};
    metrics_.Gauge("dolphin_service_up", "1 while the service runs in this process", l)
        .Set(st.started && st.liveness.running ? 1 : 0);
    CountUp(metrics_, "dolphin_service_restarts_total",
            "Restarts of the service inside this process", st.name, st.restarts, restarts_);
    SetStateGauge(metrics_, "dolphin_service_status",
                  "Heartbeat status of the service (1 = current)", l, "status",
                  {"ok", "degraded", "stalled"}, contract::HeartbeatStatusName(st.health.status));
  }
}

SupervisorMetrics::SupervisorMetrics(Metrics& metrics, const supervisor::Supervisor& supervisor)
    : metrics_(metrics), supervisor_(supervisor) {
  hook_ = metrics_.AddCollectHook([this] { Collect(); });
}

SupervisorMetrics::~SupervisorMetrics() { metrics_.RemoveCollectHook(hook_); }

void SupervisorMetrics::Collect() {
  // ServiceStateName's spellings, as labels without spaces or parentheses.
  static const std::vector<std::string_view> kStates = {
      "stopped", "starting", "running", "stopping", "restarting", "failed", "failed_start_limit"};
  for (const supervisor::ChildStatus& c : supervisor_.Table()) {
    const MetricLabels l{{"service", c.name}};
    const bool at_limit = c.state == supervisor::ServiceState::kFailedStartLimit;
    metrics_.Gauge("dolphin_supervisor_service_up", "1 while the child process runs", l)
        .Set(c.pid > 0 ? 1 : 0);
    metrics_
        .Gauge("dolphin_supervisor_start_limit_hit",
               "1 while the child is failed at its start limit", l)
        .Set(at_limit ? 1 : 0);
    SetStateGauge(metrics_, "dolphin_supervisor_service_state",
                  "Supervised child state (1 = current)", l, "state", kStates,
                  at_limit ? "failed_start_limit" : supervisor::ServiceStateName(c.state));
    CountUp(metrics_, "dolphin_supervisor_restarts_total",
            "Restarts of the child by the supervisor", c.name, c.restarts, restarts_);
    CountUp(metrics_, "dolphin_supervisor_oom_kills_total", "Children killed by the OOM killer",
            c.name, c.oom_kills, ooms_);
  }
}

}  // namespace dolphin::cli
