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

Duration WatchdogPingPeriod(Duration timeout) { return timeout / 2; }

std::optional<std::string> NoProgressReason(const std::vector<RunnerServiceState>& states) {
  for (const RunnerServiceState& s : states) {
    if (!s.started) return fmt::format("{}: not started", s.name);
    if (!s.liveness.running) {
      return fmt::format("{}: not running ({})", s.name,
                         s.liveness.detail.empty() ? "run loop returned" : s.liveness.detail);
    }
    if (s.health.status == contract::HeartbeatStatus::kStalled) {
      return fmt::format("{}: stalled: {}", s.name, s.health.detail);
    }
  }
  return std::nullopt;
}

namespace {

// systemctl status's one line: the worst status, then each service with its detail when it is
// not ok ("stalled: bridge stalled (1 file read(s) hung ...), trader.BLUE ok").
std::string StatusLine(const std::vector<RunnerServiceState>& states,
                       const std::optional<std::string>& no_progress) {
  contract::HeartbeatStatus worst = contract::HeartbeatStatus::kOk;
  std::string services;
  for (const RunnerServiceState& s : states) {
    worst = std::max(worst, s.health.status);
    if (!services.empty()) services += ", ";
    if (!s.started || !s.liveness.running) {
      services += fmt::format("{} not running", s.name);
      worst = std::max(worst, contract::HeartbeatStatus::kStalled);
    } else if (s.health.status == contract::HeartbeatStatus::kOk) {
      services += fmt::format("{} ok", s.name);
    } else {
      services += fmt::format("{} {} ({})", s.name, contract::HeartbeatStatusName(s.health.status),
                              s.health.detail);
    }
  }
  std::string line = fmt::format("{}: {}", contract::HeartbeatStatusName(worst),
                                 services.empty() ? "no services" : services);
  if (no_progress) line += "; no progress, watchdog pings withheld";
  // One line: a detail never breaks the notification's KEY=value framing.
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

}  // namespace

Runner::Runner(Env env, bus::KvBus& bus, RunnerOptions options, ProcessNotifier* notifier)
    : env_(env),
      bus_(bus),
      options_(std::move(options)),
      notifier_(notifier != nullptr ? *notifier : null_notifier_) {}

void Runner::SendNotification(const std::string& assignments) {
  Status st = notifier_.Notify(assignments);
  if (st.ok()) return;
  ++notify_failures_;
  // The first failure and then every 100th: a vanished notify socket must not flood the log.
  if (notify_failures_ % 100 == 1) {
    env_.logger.Warn(options_.process_name, "service manager notification not sent",
                     {{"error", st.ToString()}, {"failures", notify_failures_}});
  }
}

void Runner::NotifyStatus(const std::string& prefix) {
  const std::string line = StatusLine(States(), withheld_reason_);
  if (prefix.empty() && line == last_status_) return;
  last_status_ = line;
  SendNotification(prefix + "STATUS=" + line);
}

void Runner::WatchdogTick() {
  std::optional<std::string> reason = NoProgressReason(States());
  if (!reason) {
    if (withheld_reason_) {
      env_.logger.Info(options_.process_name, "progress again: watchdog pings resumed",
                       {{"withheld", watchdog_withheld_.load()}});
      withheld_reason_.reset();
    }
    SendNotification("WATCHDOG=1");
    ++watchdog_pings_;
  } else {
    if (!withheld_reason_ || *withheld_reason_ != *reason) {
      env_.logger.Error(
          options_.process_name,
          "no progress: watchdog pings withheld, the service manager will kill this process",
          {{"reason", *reason}});
    }
    withheld_reason_ = std::move(reason);
    ++watchdog_withheld_;
  }
  NotifyStatus();
}

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
    const ServiceLiveness before =
        started_[i] ? s.Liveness() : ServiceLiveness{false, "not started"};
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
    env_.logger.Info(options_.process_name, "service restarted",
                     {{"service", name}, {"restarts", restarts_[i]}});
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
  if (bus_disconnected_.load()) {
    heartbeats_skipped_ += healths.size() + 1;
    if (!skipping_logged_) {
      env_.logger.Warn(options_.process_name,
                       "bus disconnected: heartbeats skipped until it is back");
      skipping_logged_ = true;
    }
    return;
  }
  skipping_logged_ = false;
  for (const auto& [name, h] : healths) {
    worst = std::max(worst, h.status);
    if (!service_summary.empty()) service_summary += ",";
    service_summary += fmt::format("{}:{}", name, contract::HeartbeatStatusName(h.status));
    publish(name, h);
  }
  // Outside mu_: a trader's republish may wait for a bus that is reconnecting, and States() /
  // RestartService() (health, /api/status) must not wait with it. Services are owned for the
  // whole Run(); OnHeartbeat synchronises with the service's own Stop/Start.
  std::vector<Service*> beating;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < services_.size(); ++i) {
      if (started_[i]) beating.push_back(services_[i].get());
    }
  }
  for (Service* s : beating) s->OnHeartbeat();
  ServiceHealth own;
  own.status = worst;
  own.detail = fmt::format("up {}, {} service(s)", FormatDuration(up), services_.size());
  publish(options_.process_name, own);
  if (options_.status_lines && env_.logger.Enabled(LogLevel::kInfo)) {
    const MonoTime now = env_.clock.MonotonicNow();
    if (!bus_counted_at_ || now - *bus_counted_at_ >= std::chrono::minutes(1)) {
      bus_counted_at_ = now;
      bus_maps_ = bus_keys_ = 0;
      if (auto names = bus_.Maps(); names.ok()) {
        bus_maps_ = names->size();
        for (const auto& m : *names) {
          if (auto k = bus_.Keys(m); k.ok()) bus_keys_ += k->size();
        }
      }
    }
    const size_t maps = bus_maps_, keys = bus_keys_;
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
    env_.logger.Info(
        options_.process_name, "running",
        {{"services", services_.size()},
         {"heartbeat_interval", FormatDuration(options_.heartbeat_interval)},
         {"duration", options_.duration ? FormatDuration(*options_.duration) : "until signal"}});
    const std::optional<MonoTime> end =
        options_.duration ? std::optional<MonoTime>(started + *options_.duration) : std::nullopt;
    {
      std::lock_guard lock(mu_);
      accepting_restarts_ = true;
    }
    std::optional<bus::ListenerId> connection;
    if (auto id = bus_.AddConnectionListener([this](bus::ConnectionEvent e) {
          bus_disconnected_ = e == bus::ConnectionEvent::kDisconnected;
        });
        id.ok()) {
      connection = *id;
    }
    const std::optional<Duration> watchdog = notifier_.WatchdogTimeout();
    std::optional<Duration> ping_period;
    if (watchdog && watchdog->count() > 0) {
      ping_period = std::max<Duration>(WatchdogPingPeriod(*watchdog), std::chrono::milliseconds(1));
      env_.logger.Info(
          options_.process_name, "watchdog armed",
          {{"timeout", FormatDuration(*watchdog)}, {"ping_every", FormatDuration(*ping_period)}});
    }
    // Every service started: the service manager's start job completes (Type=notify).
    NotifyStatus("READY=1\n");
    MonoTime next = started;
    std::optional<MonoTime> next_ping;
    if (ping_period) next_ping = started;
    while (!cancel.cancelled()) {
      const MonoTime now = env_.clock.MonotonicNow();
      if (now >= next) {
        Beat(started);
        NotifyStatus();
        next = next + options_.heartbeat_interval;
      }
      if (next_ping && now >= *next_ping) {
        WatchdogTick();
        // A late tick does not make a burst of pings: the next one is a period from now.
        next_ping = now + *ping_period;
      }
      MonoTime wake = next;
      if (next_ping && *next_ping < wake) wake = *next_ping;
      if (end && *end < wake) wake = *end;
      if (!env_.clock.WaitUntil(wake, cancel)) break;
      if (end && env_.clock.MonotonicNow() >= *end) break;
    }
    SendNotification("STOPPING=1\nSTATUS=stopping");
    if (connection) (void)bus_.RemoveConnectionListener(*connection);
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
                    {"reason", !failure.ok()        ? "start failure"
                               : cancel.cancelled() ? "signal"
                                                    : "duration"}});
  return failure;
}

}  // namespace dolphin::runtime
