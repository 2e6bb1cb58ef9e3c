#include "dolphin/health/health_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dolphin/contract/names.h"
#include "dolphin/core/json.h"

namespace dolphin::health {

namespace {

constexpr char kComponent[] = "health";
constexpr char kControlPlaneTarget[] = "control_plane";
constexpr char kRecoveryRunsTarget[] = "on_recovery";

}  // namespace

std::vector<SourceSpec> SourceSpecs(const std::vector<std::string>& names,
                                    const std::vector<std::string>& colors) {
  std::vector<SourceSpec> out;
  for (const auto& n : names) {
    if (n == "scan") {
      out.push_back({n, contract::kFeaturesMap, contract::kScanKey, contract::kScanFreshnessField});
    } else if (n == "obf") {
      out.push_back(
          {n, contract::kFeaturesMap, contract::kObFeaturesKey, contract::kFlowFreshnessField});
    } else if (n == "extf") {
      out.push_back({n, contract::kFeaturesMap, contract::kExfKey, contract::kFlowFreshnessField});
    } else if (n == "esof") {
      out.push_back({n, contract::kFeaturesMap, contract::kEsofKey, contract::kFlowFreshnessField});
    } else if (n == "safety") {
      out.push_back(
          {n, contract::kSafetyMap, contract::kSafetyKey, contract::kSafetyFreshnessField});
    } else if (n == "state") {
      for (const auto& c : colors) {
        out.push_back({"state." + c, contract::StateMapName(c), contract::kStateKey,
                       contract::kStateFreshnessField});
      }
    }
  }
  return out;
}

HealthService::HealthService(Env env, bus::KvBus& bus, HealthServiceOptions options,
                             ProcessProbe& processes, PortProbe& ports, RecoveryActions& actions)
    : env_(env),
      bus_(bus),
      options_(std::move(options)),
      processes_(processes),
      ports_(ports),
      actions_(actions),
      port_specs_(options_.ports),
      hold_(options_.health.worsen_after, options_.health.recover_after),
      policy_(RecoveryPolicyOptions{options_.health.recovery_cooldown, std::chrono::minutes(15),
                                    options_.health.max_restarts_per_hour}) {}

HealthService::~HealthService() { Stop(); }

Status HealthService::Start() {
  if (!options_.run_logs_dir.empty()) {
    DOLPHIN_RETURN_IF_ERROR(env_.fs.CreateDirs(options_.run_logs_dir).WithPrefix("health"));
  }
  started_ = env_.clock.MonotonicNow();
  started_wall_ = env_.clock.Now();
  started_set_ = true;
  cancel_ = std::make_unique<CancelToken>();
  // A lost connection makes every read wait for the bus's request timeout: the cycle instead
  // reports the bus unreachable at once until the backend says it is back.
  auto conn = bus_.AddConnectionListener([this](bus::ConnectionEvent e) {
    bus_disconnected_ = e == bus::ConnectionEvent::kDisconnected;
  });
  if (conn.ok()) connection_listener_ = *conn;
  env_.logger.Info(kComponent, "watching",
                   {{"critical", fmt::format("{}", fmt::join(options_.critical, ","))},
                    {"sources", options_.sources.size()},
                    {"ports", port_specs_.size()},
                    {"interval", FormatDuration(options_.health.interval)},
                    {"startup_grace", FormatDuration(options_.health.startup_grace)}});
  DOLPHIN_ASSIGN_OR_RETURN(thread_, env_.threads.Start("health", [this] { Loop(); }));
  return Status::Ok();
}

void HealthService::Stop() {
  if (cancel_) cancel_->Cancel();
  if (thread_ && thread_->joinable()) thread_->Join();
  thread_.reset();
  if (connection_listener_) {
    (void)bus_.RemoveConnectionListener(*connection_listener_);
    connection_listener_.reset();
  }
}

void HealthService::Loop() {
  // The first cycle one interval after start: the services' first heartbeats and values exist
  // by then, so a fresh start is not reported DEAD for want of them.
  MonoTime next = env_.clock.MonotonicNow() + options_.health.interval;
  while (env_.clock.WaitUntil(next, *cancel_)) {
    RunCycle();
    next = next + options_.health.interval;
    const MonoTime now = env_.clock.MonotonicNow();
    if (next < now) next = now;  // a slow cycle never makes a burst of catch-up cycles
  }
}

Observation HealthService::Observe() {
  Observation o;
  o.now = env_.clock.Now();
  o.processes = processes_.Probe(options_.critical);
  if (bus_disconnected_) {
    o.bus_readable = false;
    o.bus_error = "disconnected";
  }
  for (const auto& service : options_.critical) {
    if (!o.bus_readable) break;
    auto v = bus_.Get(contract::kHeartbeatMap, service);
    if (!v.ok()) {
      o.bus_readable = false;
      o.bus_error = std::string(v.status().message());
      break;
    }
    o.heartbeats[service] = *v;
  }
  if (o.bus_readable) {
    for (const auto& spec : options_.sources) {
      auto v = bus_.Get(spec.map, spec.key);
      if (!v.ok()) {
        o.bus_readable = false;
        o.bus_error = std::string(v.status().message());
        break;
      }
      const bool pending_ok =
          started_set_ && env_.clock.MonotonicNow() - started_ < spec.missing_ok_for;
      o.sources.push_back({spec.name, spec.map, spec.key, spec.freshness_field, *v, pending_ok});
    }
  }
  if (!o.bus_readable) {
    // Never the last values seen: the sources are listed, without values.
    o.heartbeats.clear();
    o.sources.clear();
    for (const auto& spec : options_.sources) {
      o.sources.push_back({spec.name, spec.map, spec.key, spec.freshness_field, std::nullopt});
    }
  }
  for (const auto& p : port_specs_) {
    Status st = ports_.Check(p.host, p.port, options_.port_timeout);
    o.ports.push_back({p.what, st.ok(), st.ok() ? "" : std::string(st.message()), p.control_plane});
  }
  return o;
}

contract::MetaHealth HealthService::RunCycle() {
  if (!started_set_) {
    started_ = env_.clock.MonotonicNow();
    started_wall_ = env_.clock.Now();
    started_set_ = true;
  }
  if (!run_logs_ready_ && !options_.run_logs_dir.empty()) {
    Status st = env_.fs.CreateDirs(options_.run_logs_dir);
    if (!st.ok())
      env_.logger.Warn(kComponent, "run_logs folder not created", {{"error", st.ToString()}});
    run_logs_ready_ = st.ok();
  }
  const MonoTime now = env_.clock.MonotonicNow();
  Observation o = Observe();
  AssessOptions ao;
  ao.freshness = {options_.health.fresh, options_.health.dead};
  Assessment a = Assess(o, ao, coherence_);
  const contract::HealthStatus published = hold_.Update(a.raw_status, now);

  contract::MetaHealth record;
  record.rm_meta = a.rm_meta;
  record.status = published;
  record.raw_status = a.raw_status;
  record.m1_proc = a.sensors.m1_proc;
  record.m2_heartbeat = a.sensors.m2_heartbeat;
  record.m3_data_freshness = a.sensors.m3_data_freshness;
  record.m4_control_plane = a.sensors.m4_control_plane;
  record.m5_coherence = a.sensors.m5_coherence;
  record.processes = a.processes;
  record.data_sources = a.data_sources;
  // The supervisor's own findings (docs/health.md, "Under dolphin up"): limits it cannot
  // enforce and services it gave up on, each a reason of its own beside the sensors'.
  record.supervisor = processes_.Supervision();
  if (record.supervisor) {
    if (!record.supervisor->unenforced.empty())
      a.reasons["limits"].push_back(record.supervisor->unenforced);
    for (const std::string& name : record.supervisor->failed_start_limit) {
      a.reasons["supervisor"].push_back(fmt::format(
          "{} failed (start limit): not restarted until `dolphin service start {}`", name, name));
    }
  }
  record.checks = a.failed_checks;
  record.timestamp = o.now;
  record.started_at = started_wall_;
  record.in_startup_grace = now - started_ < options_.health.startup_grace;

  // Targets that are healthy again, in a system that left DEAD, start their back-off over (one
  // cycle present between two crashes does not).
  if (published != contract::HealthStatus::kDead) {
    std::lock_guard lock(mu_);
    for (const auto& [name, p] : o.processes) {
      if (p.present) policy_.RecordRecovered(name);
    }
    if (!a.control_plane_down) policy_.RecordRecovered(kControlPlaneTarget);
  }

  if (auto p = hold_.pending(now)) {
    record.hold = contract::StatusHoldInfo{p->towards, SecondsOf(p->held), SecondsOf(p->needed)};
  }
  record.reasons = a.reasons;
  // Work pools: shown, and a NOT_READY one named (its runs wait; not a sensor of rm_meta).
  record.pools = processes_.ProbePools();
  for (const auto& [name, p] : record.pools) {
    if (p.status != "NOT_READY") continue;
    record.reasons["pools"].push_back(fmt::format(
        "pool {} NOT_READY: no worker heartbeat within zombie_after_s; {} scheduled ({} Late) wait (start one: "
        "dolphin serve worker --pool {})",
        name, p.scheduled, p.late, name));
  }
  CheckDailyParity(o, record);
  Recover(o, a, record, now);
  {
    std::lock_guard lock(mu_);
    record.gave_up = policy_.gave_up_targets();
    for (const auto& t : record.gave_up) {
      if (auto it = record.processes.find(t); it != record.processes.end())
        it->second.gave_up = true;
    }
    record.recovery.assign(recovery_.begin(), recovery_.end());
    last_ = record;
    last_reasons_ = a.reasons;
  }
  Publish(record, a, o.bus_readable);
  ++cycles_;
  return record;
}

void HealthService::Recover(const Observation& o, const Assessment& a,
                            const contract::MetaHealth& record, MonoTime now) {
  if (record.status != contract::HealthStatus::kDead) return;
  if (now - started_ < options_.health.startup_grace) return;
  // (1) The control plane, only where it is dolphin's to restart.
  if (a.control_plane_down && actions_.CanRestartControlPlane()) {
    std::string why;
    if (auto it = a.reasons.find("m4"); it != a.reasons.end() && !it->second.empty())
      why = it->second.front();
    Attempt(
        kControlPlaneTarget, "restart control plane", why,
        [&] { return actions_.RestartControlPlane(); }, now);
  }
  // (2) Missing services whose runner will not restart them. One in its runner's back-off is
  // its runner's business; one that cannot be restarted (a thread hung in a read, a start
  // limit) is reported, never "restarted".
  if (a.sensors.m1_proc < 1.0) {
    for (const auto& service : options_.critical) {
      auto it = o.processes.find(service);
      if (it == o.processes.end() || it->second.present) continue;
      const ProcessState& p = it->second;
      if (p.in_runner_backoff || !p.restartable) {
        env_.logger.Debug(kComponent, "missing service left to its runner",
                          {{"service", service}, {"detail", p.detail}});
        continue;
      }
      Attempt(
          service, "restart service", fmt::format("{} missing ({})", service, p.detail),
          [&] { return actions_.RestartService(service); }, now);
    }
  }
  // (3) Runs of the deployments marked on_recovery, after a process or control-plane failure
  // (never for stale data alone: the source is external).
  if ((a.sensors.m1_proc < 1.0 || a.control_plane_down) && actions_.HasRecoveryRuns()) {
    Attempt(
        kRecoveryRunsTarget, "trigger on_recovery runs", "after a process or control-plane failure",
        [&] { return actions_.TriggerRecoveryRuns(); }, now);
  }
}

void HealthService::Attempt(const std::string& target, const std::string& what,
                            const std::string& why, const std::function<Status()>& action,
                            MonoTime now) {
  bool newly_gave_up = false;
  RecoveryDecision d;
  {
    std::lock_guard lock(mu_);
    d = policy_.Decide(target, now, &newly_gave_up);
  }
  if (d.verdict == RecoveryVerdict::kGaveUp) {
    auto last = last_gave_up_line_.find(target);
    if (newly_gave_up || last == last_gave_up_line_.end() ||
        now - last->second >= std::chrono::minutes(1)) {
      last_gave_up_line_[target] = now;
      env_.logger.Error(kComponent, "gave up: no more recovery until an operator acts",
                        {{"target", target},
                         {"actions_last_hour", d.attempts_last_hour},
                         {"reset", fmt::format("dolphin health reset {}", target)}});
      if (newly_gave_up) {
        AppendLog(fmt::format("{} gave_up target={} actions_last_hour={}",
                              FormatRfc3339(env_.clock.Now()), target, d.attempts_last_hour));
      }
    }
    return;
  }
  if (d.verdict == RecoveryVerdict::kCoolingDown) {
    env_.logger.Debug(kComponent, "recovery cooling down",
                      {{"target", target}, {"retry_in", FormatDuration(*d.retry_at - now)}});
    return;
  }
  Status st = action();
  contract::RecoveryAction rec{target, what, env_.clock.Now(),
                               st.ok() ? "ok" : std::string(st.message())};
  {
    std::lock_guard lock(mu_);
    policy_.RecordAttempt(target, now);
    recovery_.push_back(rec);
    while (recovery_.size() > options_.recovery_history) recovery_.pop_front();
  }
  ++actions_run_;
  env_.metrics
      .Counter("dolphin_health_recovery_actions_total",
               "Recovery actions run, by target and result",
               {{"target", target}, {"result", st.ok() ? "ok" : "failed"}})
      .Increment();
  if (st.ok()) {
    env_.logger.Warn(kComponent, "recovery action",
                     {{"target", target}, {"action", what}, {"why", why}, {"result", "ok"}});
  } else {
    env_.logger.Error(
        kComponent, "recovery action failed",
        {{"target", target}, {"action", what}, {"why", why}, {"error", st.ToString()}});
  }
  AppendLog(fmt::format("{} recovery target={} action=\"{}\" why=\"{}\" result=\"{}\"",
                        FormatRfc3339(rec.at), target, what, why, rec.result));
}

void HealthService::Publish(const contract::MetaHealth& record, const Assessment& a,
                            bool bus_readable) {
  const std::string json = contract::EncodeMetaHealth(record);
  // GET /metrics: the raw sensors and rm_meta, and the published (held) status.
  Metrics& m = env_.metrics;
  m.Gauge("dolphin_health_rm_meta", "rm_meta = M1*M2*M3*M4*M5 (raw)").Set(record.rm_meta);
  const std::pair<const char*, double> sensors[] = {{"m1_proc", record.m1_proc},
                                                    {"m2_heartbeat", record.m2_heartbeat},
                                                    {"m3_data_freshness", record.m3_data_freshness},
                                                    {"m4_control_plane", record.m4_control_plane},
                                                    {"m5_coherence", record.m5_coherence}};
  for (const auto& [sensor, value] : sensors) {
    m.Gauge("dolphin_health_sensor", "MHS sensor value in [0, 1]", {{"sensor", sensor}}).Set(value);
  }
  SetStateGauge(m, "dolphin_health_status", "Published MHS status (1 = current)", {}, "status",
                {"GREEN", "DEGRADED", "CRITICAL", "DEAD"},
                contract::HealthStatusName(record.status));
  m.Counter("dolphin_health_cycles_total", "Health cycles published").Increment();
  const MonoTime now = env_.clock.MonotonicNow();
  const bool changed = !last_published_status_ || *last_published_status_ != record.status;
  const bool minute = !last_minute_line_ || now - *last_minute_line_ >= std::chrono::minutes(1);
  if (changed || minute) {
    last_minute_line_ = now;
    std::string why;
    for (const auto& [sensor, reasons] : a.reasons) {
      if (!why.empty()) why += "; ";
      why += sensor + ": " + fmt::format("{}", fmt::join(reasons, ", "));
    }
    const std::string line = fmt::format(
        "{} status={} raw={} rm_meta={:.3f} m1={:.2f} m2={:.2f} m3={:.2f} m4={:.2f} m5={:.2f}{}{}",
        FormatRfc3339(record.timestamp), contract::HealthStatusName(record.status),
        contract::HealthStatusName(record.raw_status), record.rm_meta, record.m1_proc,
        record.m2_heartbeat, record.m3_data_freshness, record.m4_control_plane, record.m5_coherence,
        changed && last_published_status_
            ? fmt::format(" changed_from={}", contract::HealthStatusName(*last_published_status_))
            : "",
        why.empty() ? "" : " why=\"" + why + "\"");
    AppendLog(line);
    AppendHistory(record);
    if (changed) {
      const auto level = record.status == contract::HealthStatus::kGreen      ? LogLevel::kInfo
                         : record.status == contract::HealthStatus::kDegraded ? LogLevel::kWarn
                                                                              : LogLevel::kError;
      env_.logger.Log(
          level, kComponent, "status changed",
          {{"status", contract::HealthStatusName(record.status)},
           {"from", last_published_status_ ? contract::HealthStatusName(*last_published_status_)
                                           : std::string_view("none")},
           {"rm_meta", record.rm_meta},
           {"why", why.empty() ? "all sensors 1.0" : why}});
    }
  }
  last_published_status_ = record.status;
  // Then the file (what an operator reads while the bus is gone; written after the log line, so
  // a reader who sees the record finds its line in the log), then the bus.
  if (!options_.run_logs_dir.empty()) {
    // Replaced atomically every cycle (`cat meta_health.json` never sees half a record); not
    // fsynced: the next cycle rewrites it anyway.
    WriteOptions wo;
    wo.sync = false;
    Status ws =
        env_.fs.WriteAtomically(options_.run_logs_dir / "meta_health.json", json + "\n", wo);
    if (!ws.ok())
      env_.logger.Warn(kComponent, "meta_health.json not written", {{"error", ws.ToString()}});
  }
  // Not put into a bus that could not even be read this cycle (the put would only wait).
  Status st = bus_readable ? bus_.Put(contract::kMetaHealthMap, contract::kMetaHealthKey, json)
                           : UnavailableError("bus unreachable");
  {
    std::lock_guard lock(mu_);
    last_error_ = st.ok() ? "" : std::string(st.message());
  }
  if (!st.ok() && bus_readable) {
    env_.logger.Warn(kComponent, "record not published", {{"error", st.ToString()}});
  }
}

void HealthService::AppendLog(const std::string& line) {
  if (options_.run_logs_dir.empty()) return;
  const auto path = options_.run_logs_dir / "meta_health.log";
  auto size = env_.fs.FileSize(path);
  if (size.ok() && *size + line.size() + 1 > options_.log_rotate_bytes) {
    // The oldest (.<log_files - 1>) is replaced; .1 -> .2, ..., the current file -> .1.
    for (int i = options_.log_files - 1; i >= 1; --i) {
      const auto from =
          i == 1 ? path : std::filesystem::path(path.string() + "." + std::to_string(i - 1));
      const auto to = std::filesystem::path(path.string() + "." + std::to_string(i));
      (void)env_.fs.Rename(from, to);  // NotFound for the ones not written yet
    }
  }
  auto f = env_.fs.NewAppendableFile(path, 0644);
  Status st = f.ok() ? (*f)->Append(line + "\n") : f.status();
  if (st.ok()) st = (*f)->Close();
  if (!st.ok() && !log_error_reported_) {
    log_error_reported_ = true;
    env_.logger.Warn(kComponent, "meta_health.log not written", {{"error", st.ToString()}});
  }
}

void HealthService::CheckDailyParity(const Observation& o, contract::MetaHealth& record) {
  if (!o.bus_readable) return;
  for (const std::string& color : options_.parity_colors) {
    bool failed = false;
    // The daily batch writes the day before; a day run by hand may be today.
    for (int back = 1; back >= 0 && !failed; --back) {
      const std::string day = FormatUtcDate(o.now - std::chrono::hours(24) * back);
      auto v = bus_.Get(contract::PnlMapName(color), day);
      if (!v.ok() || !v->has_value()) continue;
      auto j = ParseJson(**v, "DOLPHIN_PNL");
      if (!j.ok() || !j->is_object() || (*j)["parity"] != "failed") continue;
      failed = true;
      const Json& diff = (*j)["parity_first_difference"];
      record.reasons["m5"].push_back(
          fmt::format("parity {} {}: {} (daily-backtest; the live journal and the replay differ)",
                      color, day, diff.is_string() ? diff.get<std::string>() : "fills differ"));
    }
    env_.metrics
        .Gauge("dolphin_health_daily_parity_failed",
               "1 while the daily batch's last parity of the colour failed", {{"color", color}})
        .Set(failed ? 1 : 0);
  }
}

void HealthService::AppendHistory(const contract::MetaHealth& record) {
  if (options_.run_logs_dir.empty()) return;
  // One compact line per status change and per minute, one file per UTC day of the record:
  // what `dolphin report --day D` draws as the day's health timeline (docs/health.md).
  const auto dir = options_.run_logs_dir / "health_history";
  const auto path = dir / (FormatUtcDate(record.timestamp) + ".jsonl");
  const std::string line = fmt::format(
      "{{\"ts\":\"{}\",\"status\":\"{}\",\"rm_meta\":{:.4f},\"m\":[{:.3f},{:.3f},{:.3f},{:.3f},"
      "{:.3f}]}}\n",
      FormatRfc3339(record.timestamp), contract::HealthStatusName(record.status), record.rm_meta,
      record.m1_proc, record.m2_heartbeat, record.m3_data_freshness, record.m4_control_plane,
      record.m5_coherence);
  Status st = env_.fs.CreateDirs(dir);
  auto f =
      st.ok() ? env_.fs.NewAppendableFile(path, 0644) : Result<std::unique_ptr<WritableFile>>(st);
  if (st.ok()) st = f.ok() ? (*f)->Append(line) : f.status();
  if (st.ok()) st = (*f)->Close();
  if (!st.ok() && !history_error_reported_) {
    history_error_reported_ = true;
    env_.logger.Warn(kComponent, "health history not written", {{"error", st.ToString()}});
  }
}

Status HealthService::ResetTarget(const std::string& target) {
  std::lock_guard lock(mu_);
  if (!policy_.Reset(target)) {
    return NotFoundError(fmt::format("health never acted on \"{}\" (targets: {})", target,
                                     fmt::format("{}", fmt::join(policy_.targets(), ", "))));
  }
  env_.logger.Warn(kComponent, "recovery reset by operator", {{"target", target}});
  return Status::Ok();
}

std::optional<contract::MetaHealth> HealthService::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

runtime::ServiceHealth HealthService::Health() const {
  std::lock_guard lock(mu_);
  runtime::ServiceHealth h;
  if (!last_) {
    h.detail = "no cycle yet";
    return h;
  }
  if (!last_error_.empty()) {
    h.status = contract::HeartbeatStatus::kDegraded;
    h.detail = "record not published: " + last_error_;
    return h;
  }
  h.detail =
      fmt::format("{} rm_meta={:.2f}", contract::HealthStatusName(last_->status), last_->rm_meta);
  return h;
}

Json HealthService::StatusJson() const {
  std::lock_guard lock(mu_);
  Json j;
  j["cycles"] = cycles_.load();
  j["actions"] = actions_run_.load();
  if (last_) {
    j["status"] = std::string(contract::HealthStatusName(last_->status));
    j["raw_status"] = std::string(contract::HealthStatusName(last_->raw_status));
    j["rm_meta"] = last_->rm_meta;
  }
  j["gave_up"] = policy_.gave_up_targets();
  return j;
}

}  // namespace dolphin::health
