#include "dolphin/safety/safety_options.h"

#include <fmt/format.h>

#include "dolphin/health/scoring.h"

namespace dolphin::safety {

namespace {

constexpr double kDay = 86400;

void ReadPosture(ConfigSection& s, const std::string& key, Posture* out) {
  if (!s.Has(key)) return;
  std::string name(contract::PostureName(*out));
  s.Read(key, &name);
  auto p = contract::ParsePosture(name);
  if (!p.ok()) {
    s.ErrorAt(key, fmt::format("expected APEX, STALKER, TURTLE or HIBERNATE, got \"{}\"", name));
    return;
  }
  *out = *p;
}

}  // namespace

Posture PostureForHealth(HealthStatus status, const SafetyOptions& o) {
  switch (status) {
    case HealthStatus::kGreen: return Posture::kApex;
    case HealthStatus::kDegraded: return o.on_degraded;
    case HealthStatus::kCritical: return o.on_critical;
    case HealthStatus::kDead: return o.on_dead;
  }
  return Posture::kHibernate;
}

Result<SafetyOptions> ParseSafetyOptions(ConfigSection s, bool default_enabled) {
  SafetyOptions o;
  o.enabled = default_enabled;
  s.Read("enabled", &o.enabled);
  ReadPosture(s, "max_posture", &o.max_posture);
  s.ReadSeconds("interval_s", &o.interval, 0.01, 3600);
  s.ReadSeconds("posture_max_age_s", &o.posture_max_age, 0.01, kDay);
  ReadPosture(s, "on_degraded", &o.on_degraded);
  ReadPosture(s, "on_critical", &o.on_critical);
  ReadPosture(s, "on_dead", &o.on_dead);
  s.Read("drawdown_stalker_pct", &o.drawdown_stalker_pct, 0.01, 100.0);
  s.Read("drawdown_turtle_pct", &o.drawdown_turtle_pct, 0.01, 100.0);
  s.Read("drawdown_hibernate_pct", &o.drawdown_hibernate_pct, 0.01, 100.0);
  if (!(o.drawdown_stalker_pct <= o.drawdown_turtle_pct &&
        o.drawdown_turtle_pct <= o.drawdown_hibernate_pct)) {
    s.ErrorAt("drawdown_turtle_pct",
              fmt::format(
                  "expected drawdown_stalker_pct <= drawdown_turtle_pct <= drawdown_hibernate_pct, "
                  "got {} <= {} <= {}",
                  o.drawdown_stalker_pct, o.drawdown_turtle_pct, o.drawdown_hibernate_pct));
  }
  s.ReadSeconds("scan_stale_s", &o.scan_stale, 0.001, kDay);
  s.ReadSeconds("recover_after_s", &o.recover_after, 0, kDay);
  s.RejectUnknownKeys();
  if (s.error_count() > 0) return InvalidArgumentError("invalid [safety] section");
  return o;
}

void WriteSafetyOptions(const SafetyOptions& o, ConfigWriter& out) {
  out.Section("safety", "safety posture from health, drawdown and scan freshness (docs/safety.md)");
  out.Value("enabled", o.enabled);
  out.Value("max_posture", std::string(contract::PostureName(o.max_posture)));
  out.Value("interval_s", SecondsOf(o.interval));
  out.Value("posture_max_age_s", SecondsOf(o.posture_max_age));
  out.Value("on_degraded", std::string(contract::PostureName(o.on_degraded)));
  out.Value("on_critical", std::string(contract::PostureName(o.on_critical)));
  out.Value("on_dead", std::string(contract::PostureName(o.on_dead)));
  out.Value("drawdown_stalker_pct", o.drawdown_stalker_pct);
  out.Value("drawdown_turtle_pct", o.drawdown_turtle_pct);
  out.Value("drawdown_hibernate_pct", o.drawdown_hibernate_pct);
  out.Value("scan_stale_s", SecondsOf(o.scan_stale));
  out.Value("recover_after_s", SecondsOf(o.recover_after));
}

}  // namespace dolphin::safety
