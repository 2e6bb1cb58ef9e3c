#include "dolphin/runtime/runner.h"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

#include "dolphin/contract/heartbeat.h"
#include "dolphin/runtime/heartbeat.h"

namespace dolphin::runtime {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

std::string HeartbeatJson(const std::string& service, Timestamp ts, const ServiceHealth& h) {
  contract::Heartbeat beat;
  beat.service = service;
  beat.pid = static_cast<int64_t>(::getpid());
  beat.host = HostName();
  beat.ts = ts;
  beat.status = h.status;
  beat.detail = h.detail;
  return contract::EncodeHeartbeat(beat);
}

Status PublishHeartbeat(bus::KvBus& bus, const Clock& clock, const std::string& service,
                        const ServiceHealth& health) {
  return bus.Put(kHeartbeatMap, service, HeartbeatJson(service, clock.Now(), health));
}

Runner::Runner(Env env, bus::KvBus& bus, RunnerOptions options)
    : env_(env), bus_(bus), options_(std::move(options)) {}

void Runner::Add(std::unique_ptr<Service> service) {
  services_.push_back(std::move(service));
  std::lock_guard lock(mu_);
  started_.push_back(false);
  restarts_.push_back(0);
}

std::vector<RunnerServiceState> Runner::States() const {
  std::lock_guard lock(mu_);
  std::vector<RunnerServiceState> out;
  for (size_t i = 0; i < services_.size(); ++i) {
    RunnerServiceState st;
    st.name = services_[i]->name();
    st.started = started_[i];
    if (started_[i]) {
      st.liveness = services_[i]->Liveness();
    } else {
      st.liveness = {false, "not started"};
    }
    st.health = services_[i]->Health();
    st.restarts = restarts_[i];
    out.push_back(std::move(st));
  }
  return out;
}

Status Runner::RestartService(const std::string& name) {
  std::lock_guard lock(mu_);
  if (!accepting_restarts_) return FailedPreconditionError("the runner is not running");
  for (size_t i = 0; i < services_.size(); ++i) {
    Service& s = *services_[i];
    if (s.name() != name) continue;
    const ServiceLiveness before = started_[i] ? s.Liveness() : ServiceLiveness{false, "not started"};
    env_.logger.Warn(options_.process_name, "restarting service",
                     {{"service", name}, {"why", before.running ? "asked" : before.detail}});
    if (started_[i]) s.Stop();
    started_[i] = false;
    ++restarts_[i];
    Status st = s.Start();
    if (!st.ok()) {
      env_.logger.Error(options_.process_name, "service failed to restart",
                        {{"service", name}, {"error", st.ToString()}, {"restarts", restarts_[i]}});
      return st.WithPrefix(fmt::format("cannot restart {}", name));
    }
    started_[i] = true;
    env_.logger.Info(options_.process_name, "service restarted", {{"service", name}, {"restarts", restarts_[i]}});
    return Status::Ok();
  }
  return NotFoundError(fmt::format("no service \"{}\" in {}", name, options_.process_name));
}

void Runner::Beat(MonoTime started) {
  const Duration up = env_.clock.MonotonicNow() - started;
  // The process heartbeat carries the most severe service status (the enum is ordered).
  contract::HeartbeatStatus worst = contract::HeartbeatStatus::kOk;
  std::string service_summary;
  int published = 0;
  auto publish = [&](const std::string& name, const ServiceHealth& h) {
    Status st = PublishHeartbeat(bus_, env_.clock, name, h);
    if (st.ok()) {
      ++published;
      ++heartbeats_;
    } else {
      ++failed_beats_;
      env_.logger.Warn(options_.process_name, "heartbeat not published",
                       {{"service", name}, {"error", st.ToString()}, {"failures", failed_beats_}});
    }
  };
  std::vector<std::pair<std::string, ServiceHealth>> healths;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : services_) healths.emplace_back(s->name(), s->Health());
  }
  for (const auto& [name, h] : healths) {
    worst = std::max(worst, h.status);
    if (!service_summary.empty()) service_summary += ",";
    service_summary += fmt::format("{}:{}", name, contract::HeartbeatStatusName(h.status));
    publish(name, h);
  }
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < services_.size(); ++i) {
      if (started_[i]) services_[i]->OnHeartbeat();
    }
  }
  ServiceHealth own;
  own.status = worst;
  own.detail = fmt::format("up {}, {} service(s)", FormatDuration(up), services_.size());
  publish(options_.process_name, own);
  if (options_.status_lines) {
    size_t maps = 0, keys = 0;
    if (auto names = bus_.Maps(); names.ok()) {
      maps = names->size();
      for (const auto& m : *names) {
        if (auto k = bus_.Keys(m); k.ok()) keys += k->size();
      }
    }
    env_.logger.Info(options_.process_name, "status",
                     {{"up", FormatDuration(up)},
                      {"status", std::string(contract::HeartbeatStatusName(worst))},
                      {"bus", bus_.Describe()},
                      {"maps", maps},
                      {"keys", keys},
                      {"services", service_summary.empty() ? "none" : service_summary},
                      {"heartbeats", heartbeats_.load()}});
  }
}

Status Runner::Run(const CancelToken& cancel) {
  const MonoTime started = env_.clock.MonotonicNow();
  size_t running = 0;
  Status failure;
  for (; running < services_.size(); ++running) {
    Service& s = *services_[running];
    Status st = s.Start();
    if (!st.ok()) {
      failure = st.WithPrefix(fmt::format("cannot start {}", s.name()));
      env_.logger.Error(options_.process_name, "service failed to start",
                        {{"service", s.name()}, {"error", st.ToString()}});
      break;
    }
    {
      std::lock_guard lock(mu_);
      started_[running] = true;
    }
    env_.logger.Info(options_.process_name, "service started", {{"service", s.name()}});
  }
  if (failure.ok()) {
    env_.logger.Info(options_.process_name, "running",
                     {{"services", services_.size()},
                      {"heartbeat_interval", FormatDuration(options_.heartbeat_interval)},
                      {"duration", options_.duration ? FormatDuration(*options_.duration) : "until signal"}});
    const std::optional<MonoTime> end =
        options_.duration ? std::optional<MonoTime>(started + *options_.duration) : std::nullopt;
    {
      std::lock_guard lock(mu_);
      accepting_restarts_ = true;
    }
    MonoTime next = started;
    while (!cancel.cancelled()) {
      Beat(started);
      next = next + options_.heartbeat_interval;
      MonoTime wake = end && *end < next ? *end : next;
      if (!env_.clock.WaitUntil(wake, cancel)) break;
      if (end && env_.clock.MonotonicNow() >= *end) break;
    }
  }
  // No restart from now on (waits for one in progress). Stop() runs without the lock: a
  // service's thread may be waiting for it (the health service asking for a restart).
  {
    std::lock_guard lock(mu_);
    accepting_restarts_ = false;
  }
  // Stop in reverse order of start.
  while (running > 0) {
    --running;
    Service& s = *services_[running];
    {
      std::lock_guard lock(mu_);
      if (!started_[running]) continue;  // a failed restart left it stopped
      started_[running] = false;
    }
    s.Stop();
    env_.logger.Info(options_.process_name, "service stopped", {{"service", s.name()}});
  }
  env_.logger.Info(options_.process_name, "stopped",
                   {{"up", FormatDuration(env_.clock.MonotonicNow() - started)},
                    {"reason", !failure.ok() ? "start failure" : cancel.cancelled() ? "signal" : "duration"}});
  return failure;
}

}  // namespace dolphin::runtime
