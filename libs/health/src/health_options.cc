#include "dolphin/health/health_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dolphin/health/scoring.h"

namespace dolphin::health {

namespace {

constexpr double kDay = 86400;

}  // namespace

const std::vector<std::string>& KnownSources() {
  static const std::vector<std::string> kSources = {"scan", "obf",    "extf",
                                                    "esof", "safety", "state"};
  return kSources;
}

Result<HealthOptions> ParseHealthOptions(ConfigSection s) {
  HealthOptions o;
  s.Read("enabled", &o.enabled);
  s.ReadSeconds("interval_s", &o.interval, 0.01, 3600);
  if (s.Has("critical")) {
    std::vector<std::string> v;
    s.Read("critical", &v);
    for (const auto& name : v) {
      if (name.empty()) s.ErrorAt("critical", "expected service names, got an empty string");
    }
    o.critical = std::move(v);
  }
  if (s.Has("sources")) {
    std::vector<std::string> v;
    s.Read("sources", &v);
    const auto& known = KnownSources();
    for (const auto& name : v) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        s.ErrorAt("sources",
                  fmt::format("expected scan, obf, extf, esof, safety or state, got \"{}\"", name));
      }
    }
    o.sources = std::move(v);
  }
  s.ReadSeconds("fresh_s", &o.fresh, 0.001, kDay);
  s.ReadSeconds("dead_s", &o.dead, 0.001, kDay);
  if (o.dead < o.fresh) {
    s.ErrorAt("dead_s", fmt::format("expected at least fresh_s ({}), got {}", SecondsOf(o.fresh),
                                    SecondsOf(o.dead)));
  }
  s.ReadSeconds("worsen_after_s", &o.worsen_after, 0, kDay);
  s.ReadSeconds("recover_after_s", &o.recover_after, 0, kDay);
  s.ReadSeconds("startup_grace_s", &o.startup_grace, 0, kDay);
  s.ReadSeconds("recovery_cooldown_s", &o.recovery_cooldown, 0.001, kDay);
  s.Read("max_restarts_per_hour", &o.max_restarts_per_hour, 0, 3600);
  s.Read("control_plane_restart", &o.control_plane_restart);
  if (s.Has("control_plane_restart") && !o.control_plane_restart.empty() &&
      o.control_plane_restart.front().empty()) {
    s.ErrorAt("control_plane_restart", "expected a command as [argv...], got an empty program");
  }
  s.ReadEnum("processes", &o.processes, {"runner", "systemd", "supervisor"});
  for (const char* key : {"systemd_probe", "systemd_restart"}) {
    auto* v = std::string_view(key) == "systemd_probe" ? &o.systemd_probe : &o.systemd_restart;
    s.Read(key, v);
    if (s.Has(key) && (v->empty() || v->front().empty())) {
      s.ErrorAt(key, "expected a command as [argv...] with \"{unit}\" for the unit");
    }
  }
  s.RejectUnknownKeys();
  if (s.error_count() > 0) return InvalidArgumentError("invalid [health] section");
  return o;
}

void WriteHealthOptions(const HealthOptions& o, ConfigWriter& out) {
  out.Section("health", "meta-health service, MHS v2 (docs/health.md)");
  out.Value("enabled", o.enabled);
  out.Value("interval_s", SecondsOf(o.interval));
  if (o.critical) {
    out.Value("critical", *o.critical);
  } else {
    out.Comment("critical: derived (bridge, trader.<COLOR> per enabled colour)");
  }
  if (o.sources) {
    out.Value("sources", *o.sources);
  } else {
    out.Comment("sources: derived (every source whose writer is enabled)");
  }
  out.Value("fresh_s", SecondsOf(o.fresh));
  out.Value("dead_s", SecondsOf(o.dead));
  out.Value("worsen_after_s", SecondsOf(o.worsen_after));
  out.Value("recover_after_s", SecondsOf(o.recover_after));
  out.Value("startup_grace_s", SecondsOf(o.startup_grace));
  out.Value("recovery_cooldown_s", SecondsOf(o.recovery_cooldown));
  out.Value("max_restarts_per_hour", o.max_restarts_per_hour);
  out.Value("control_plane_restart", o.control_plane_restart);
  out.Value("processes", o.processes);
  out.Value("systemd_probe", o.systemd_probe);
  out.Value("systemd_restart", o.systemd_restart);
}

std::string SystemdUnitFor(const std::string& service) {
  if (service == "bridge") return "dolphin-scan-bridge.service";
  if (service == "health") return "meta_health_daemon.service";
  if (service == "worker") return "dolphin-prefect-worker.service";
  if (service.rfind("trader.", 0) == 0) {
    return fmt::format("dolphin-nautilus-trader@{}.service", service.substr(7));
  }
  return fmt::format("dolphin-{}.service", service);
}

}  // namespace dolphin::health
