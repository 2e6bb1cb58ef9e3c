#include "dolphin/scheduler/scheduler_options.h"

#include <fmt/format.h>

#include <cmath>

namespace dolphin::scheduler {

namespace {

constexpr double kDay = 86400;

// A TOML value as JSON (parameters); nullopt for values JSON cannot hold (dates).
std::optional<Json> ToJson(const ConfigValue& v) {
  if (auto* b = std::get_if<bool>(&v.value)) return Json(*b);
  if (auto* i = std::get_if<int64_t>(&v.value)) return Json(*i);
  if (auto* d = std::get_if<double>(&v.value)) return Json(*d);
  if (auto* s = std::get_if<std::string>(&v.value)) return Json(*s);
  if (auto* a = std::get_if<ConfigArray>(&v.value)) {
    Json out = Json::array();
    for (const ConfigValue& e : *a) {
      auto j = ToJson(e);
      if (!j) return std::nullopt;
      out.push_back(std::move(*j));
    }
    return out;
  }
  if (auto* t = std::get_if<ConfigTable>(&v.value)) {
    Json out = Json::object();
    for (const auto& [k, e] : *t) {
      auto j = ToJson(e);
      if (!j) return std::nullopt;
      out[k] = std::move(*j);
    }
    return out;
  }
  return std::nullopt;
}

PoolOptions ParsePool(ConfigSection s, PoolOptions o) {
  s.Read("concurrency_limit", &o.concurrency_limit, 1, 100000);
  s.Read("paused", &o.paused);
  s.Read("description", &o.description);
  s.RejectUnknownKeys();
  return o;
}

void ParseDeployment(ConfigSection s, DeploymentOptions& o,
                     const std::map<std::string, PoolOptions>& pools) {
  s.Read("pool", &o.pool);
  if (s.Has("pool") && pools.count(o.pool) == 0) {
    std::vector<std::string> names;
    for (const auto& [n, p] : pools) names.push_back(n);
    s.ErrorAt("pool",
              fmt::format("unknown pool \"{}\" (pools: {})", o.pool, fmt::join(names, ", ")));
  }
  if (s.Has("interval_s") && s.Has("cron")) {
    s.ErrorAt("cron", "expected either interval_s or cron, got both");
  }
  if (s.Has("interval_s")) {
    double v = 0;
    s.Read("interval_s", &v, 0.001, 366 * kDay);
    if (v > 0) {
      o.schedule = Schedule::Every(DurationOfSeconds(v));
    }
  }
  if (s.Has("cron")) {
    std::string text;
    s.Read("cron", &text);
    if (auto c = CronExpr::Parse(text); c.ok()) {
      o.schedule = Schedule::Cron(*c);
    } else {
      s.ErrorAt("cron", c.status().message());
    }
  }
  if (const ConfigValue* p = s.ReadRaw("parameters"); p != nullptr) {
    if (!std::holds_alternative<ConfigTable>(p->value)) {
      s.ErrorAt("parameters", fmt::format("expected a table, got {}", p->TypeName()));
    } else if (auto j = ToJson(*p); j) {
      o.parameters = std::move(*j);
    } else {
      s.ErrorAt("parameters", "expected strings, numbers, booleans, arrays or tables (no dates)");
    }
  }
  s.Read("tags", &o.tags);
  for (const auto& t : o.tags) {
    if (t.empty()) s.ErrorAt("tags", "expected non-empty tags, got an empty string");
  }
  if (s.Has("concurrency_limit")) {
    int limit = 1;
    s.Read("concurrency_limit", &limit, 1, 100000);
    o.concurrency_limit = limit;
  }
  std::string collision = std::string(CollisionStrategyText(o.collision_strategy));
  s.ReadEnum("collision_strategy", &collision, {"ENQUEUE", "CANCEL_NEW"});
  o.collision_strategy =
      collision == "CANCEL_NEW" ? CollisionStrategy::kCancelNew : CollisionStrategy::kEnqueue;
  s.Read("retries", &o.retries, 0, 100);
  s.ReadSeconds("retry_delay_s", &o.retry_delay, 0, kDay);
  s.Read("retry_jitter", &o.retry_jitter, 0, 1);
  if (s.Has("timeout_s")) {
    Duration t = std::chrono::seconds(0);
    s.ReadSeconds("timeout_s", &t, 0.001, 30 * kDay);
    if (t.count() > 0) o.timeout = t;
  }
  s.ReadSeconds("max_lateness_s", &o.max_lateness, 0, 30 * kDay);
  s.Read("on_recovery", &o.on_recovery);
  s.Read("command", &o.command);
  if (s.Has("command") && (o.command.empty() || o.command.front().empty())) {
    s.ErrorAt("command", "expected a command as [argv...], got an empty program");
  }
  s.Read("service", &o.service);
  s.Read("paused", &o.paused);
  s.Read("enabled", &o.enabled);
  s.RejectUnknownKeys();
}

void WriteSeconds(ConfigWriter& out, std::string_view key, Duration d) {
  out.Value(key, SecondsOf(d));
}

}  // namespace

std::string_view CollisionStrategyText(CollisionStrategy s) {
  return s == CollisionStrategy::kCancelNew ? "CANCEL_NEW" : "ENQUEUE";
}

const std::vector<std::string>& SeedPoolNames() {
  static const std::vector<std::string> kNames = {"dolphin", "dolphin-scan",
                                                  "dolphin-extf-indicators", "dolphin-obf"};
  return kNames;
}

SchedulerSetup DefaultSchedulerSetup() {
  SchedulerSetup setup;
  const char* descriptions[] = {"daily batch", "scan bridge", "external-factor indicators",
                                "order-book features"};
  for (size_t i = 0; i < SeedPoolNames().size(); ++i) {
    PoolOptions p;
    p.name = SeedPoolNames()[i];
    p.description = descriptions[i];
    setup.pools[p.name] = p;
  }
  DeploymentOptions bridge;
  bridge.flow = "scan-bridge-flow";
  bridge.name = "scan-bridge";
  bridge.pool = "dolphin-scan";
  bridge.service = "bridge";
  setup.deployments[bridge.full_name()] = bridge;
  return setup;
}

Result<std::pair<std::string, std::string>> SplitDeploymentName(std::string_view full) {
  const size_t slash = full.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == full.size() ||
      full.find('/', slash + 1) != std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("deployment name \"{}\": expected \"<flow>/<name>\"", full));
  }
  return std::make_pair(std::string(full.substr(0, slash)), std::string(full.substr(slash + 1)));
}

Result<SchedulerSetup> ParseSchedulerSetup(ConfigSection s, ConfigSection pools,
                                           ConfigSection deployments) {
  return ParseSchedulerSetup(DefaultSchedulerSetup(), std::move(s), std::move(pools),
                             std::move(deployments));
}

Result<SchedulerSetup> ParseSchedulerSetup(SchedulerSetup base, ConfigSection s,
                                           ConfigSection pools, ConfigSection deployments) {
  SchedulerSetup setup = std::move(base);
  SchedulerOptions& o = setup.scheduler;
  int errors_before = s.error_count() + pools.error_count() + deployments.error_count();
  s.Read("enabled", &o.enabled);
  s.ReadSeconds("late_after_s", &o.late_after, 0, kDay);
  s.ReadSeconds("zombie_after_s", &o.zombie_after, 1, kDay);
  s.ReadSeconds("lookahead_s", &o.lookahead, 0, 100 * kDay);
  s.Read("max_scheduled_runs", &o.max_scheduled_runs, 1, 10000);
  s.ReadSeconds("tick_interval_s", &o.tick_interval, 0.01, 3600);
  s.ReadSeconds("worker_poll_interval_s", &o.worker_poll_interval, 0.01, 3600);
  s.ReadSeconds("worker_heartbeat_interval_s", &o.worker_heartbeat_interval, 0.01, 3600);
  s.Read("seed", &o.seed, 0, INT64_MAX);
  std::string sync = o.store_sync == StoreSync::kNormal ? "normal" : "full";
  s.ReadEnum("store_sync", &sync, {"full", "normal"});
  o.store_sync = sync == "normal" ? StoreSync::kNormal : StoreSync::kFull;
  if (o.worker_heartbeat_interval * 2 > o.zombie_after) {
    s.ErrorAt("worker_heartbeat_interval_s",
              fmt::format("expected at most half of zombie_after_s ({} s), got {} s",
                          SecondsOf(o.zombie_after), SecondsOf(o.worker_heartbeat_interval)));
  }
  s.RejectUnknownKeys();

  for (const std::string& name : pools.SubsectionNames()) {
    PoolOptions base;
    if (auto it = setup.pools.find(name); it != setup.pools.end()) base = it->second;
    base.name = name;
    setup.pools[name] = ParsePool(pools.Sub(name), base);
  }
  pools.RejectUnknownKeys();

  for (const std::string& full : deployments.SubsectionNames()) {
    ConfigSection d = deployments.Sub(full);
    auto split = SplitDeploymentName(full);
    if (!split.ok()) {
      deployments.ErrorAt(full, split.status().message());
      continue;
    }
    DeploymentOptions base;
    if (auto it = setup.deployments.find(full); it != setup.deployments.end()) base = it->second;
    base.flow = split->first;
    base.name = split->second;
    ParseDeployment(d, base, setup.pools);
    if (base.enabled) {
      setup.deployments[full] = std::move(base);
    } else {
      setup.deployments.erase(full);
    }
  }
  deployments.RejectUnknownKeys();
  if (s.error_count() + pools.error_count() + deployments.error_count() > errors_before) {
    return InvalidArgumentError("invalid [scheduler], [pools] or [deployments] section");
  }
  return setup;
}

void WriteSchedulerSetup(const SchedulerSetup& setup, ConfigWriter& out) {
  const SchedulerOptions& o = setup.scheduler;
  out.Section("scheduler", "work pools, deployments and flow runs (docs/scheduler.md)");
  out.Value("enabled", o.enabled);
  WriteSeconds(out, "late_after_s", o.late_after);
  WriteSeconds(out, "zombie_after_s", o.zombie_after);
  WriteSeconds(out, "lookahead_s", o.lookahead);
  out.Value("max_scheduled_runs", o.max_scheduled_runs);
  WriteSeconds(out, "tick_interval_s", o.tick_interval);
  WriteSeconds(out, "worker_poll_interval_s", o.worker_poll_interval);
  WriteSeconds(out, "worker_heartbeat_interval_s", o.worker_heartbeat_interval);
  out.Value("seed", o.seed);
  out.Value("store_sync", o.store_sync == StoreSync::kNormal ? "normal" : "full");
  for (const auto& [name, p] : setup.pools) {
    out.Section(fmt::format("pools.{}", name));
    out.Value("concurrency_limit", p.concurrency_limit);
    out.Value("paused", p.paused);
    if (!p.description.empty()) out.Value("description", p.description);
  }
  for (const auto& [full, d] : setup.deployments) {
    const std::string section = fmt::format("deployments.\"{}\"", full);
    out.Section(section);
    out.Value("pool", d.pool);
    if (d.schedule && d.schedule->is_cron()) {
      out.Value("cron", d.schedule->ToString().substr(5));
    } else if (d.schedule) {
      WriteSeconds(out, "interval_s", d.schedule->interval());
    } else {
      out.Comment("no schedule: runs only when asked (dolphin deployment run)");
    }
    out.Value("tags", d.tags);
    if (d.concurrency_limit) out.Value("concurrency_limit", *d.concurrency_limit);
    out.Value("collision_strategy", CollisionStrategyText(d.collision_strategy));
    out.Value("retries", d.retries);
    WriteSeconds(out, "retry_delay_s", d.retry_delay);
    out.Value("retry_jitter", d.retry_jitter);
    if (d.timeout) WriteSeconds(out, "timeout_s", *d.timeout);
    WriteSeconds(out, "max_lateness_s", d.max_lateness);
    out.Value("on_recovery", d.on_recovery);
    if (!d.command.empty()) out.Value("command", d.command);
    if (!d.service.empty()) out.Value("service", d.service);
    out.Value("paused", d.paused);
    if (!d.parameters.empty()) {
      out.Section(section + ".parameters");
      for (const auto& [k, v] : d.parameters.items()) {
        if (v.is_string()) {
          out.Value(k, v.get<std::string>());
        } else if (v.is_boolean()) {
          out.Value(k, v.get<bool>());
        } else if (v.is_number_integer()) {
          out.Value(k, v.get<int64_t>());
        } else if (v.is_number()) {
          out.Value(k, v.get<double>());
        } else {
          out.Comment(fmt::format("{} = {} (JSON)", k, DumpJson(v)));
        }
      }
    }
  }
}

}  // namespace dolphin::scheduler
