#include "dolphin/contract/meta_health.h"

#include <fmt/format.h>

#include "dolphin/contract/json_fields.h"
#include "dolphin/core/json.h"

namespace dolphin::contract {

namespace {

constexpr char kWhat[] = "DOLPHIN_META_HEALTH[latest]";

Result<double> UnitField(const Json& j, std::string_view key) {
  DOLPHIN_ASSIGN_OR_RETURN(double v, GetDouble(j, key, kWhat));
  if (!(v >= 0.0 && v <= 1.0))
    return InvalidArgumentError(fmt::format("{}: {}: {} is outside [0, 1]", kWhat, key, v));
  return v;
}

Result<HealthStatus> StatusField(const Json& j, std::string_view key) {
  DOLPHIN_ASSIGN_OR_RETURN(std::string text, GetString(j, key, kWhat));
  auto s = ParseHealthStatus(text);
  if (!s.ok())
    return InvalidArgumentError(fmt::format("{}: {}: {}", kWhat, key, s.status().message()));
  return *s;
}

Status DecodeSubsystems(const Json& sub, MetaHealth& out) {
  const std::string what = std::string(kWhat) + ": subsystem_health";
  if (!sub.is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", what));
  if (const Json* p = FindField(sub, "processes"); p != nullptr && !p->is_null()) {
    if (!p->is_object())
      return InvalidArgumentError(fmt::format("{}: processes: expected an object", what));
    for (const auto& [name, v] : p->items()) {
      const std::string w = fmt::format("{}: processes.{}", what, name);
      if (!v.is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", w));
      ProcessHealth ph;
      DOLPHIN_ASSIGN_OR_RETURN(ph.present, GetBool(v, "present", w));
      if (const Json* pid = FindField(v, "pid"); pid != nullptr && !pid->is_null()) {
        DOLPHIN_ASSIGN_OR_RETURN(int64_t n, AsInt64(*pid, "pid", w));
        ph.pid = n;
      }
      DOLPHIN_ASSIGN_OR_RETURN(ph.restarts, GetInt64Or(v, "restarts", 0, w));
      DOLPHIN_ASSIGN_OR_RETURN(ph.gave_up, GetBoolOr(v, "gave_up", false, w));
      DOLPHIN_ASSIGN_OR_RETURN(ph.detail, GetStringOr(v, "detail", "", w));
      out.processes[name] = ph;
    }
  }
  if (const Json* d = FindField(sub, "data_sources"); d != nullptr && !d->is_null()) {
    if (!d->is_object())
      return InvalidArgumentError(fmt::format("{}: data_sources: expected an object", what));
    for (const auto& [name, v] : d->items()) {
      const std::string w = fmt::format("{}: data_sources.{}", what, name);
      if (!v.is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", w));
      DataSourceHealth ds;
      if (const Json* age = FindField(v, "age_s"); age != nullptr && !age->is_null()) {
        DOLPHIN_ASSIGN_OR_RETURN(double a, AsDouble(*age, "age_s", w));
        ds.age_s = a;
      }
      DOLPHIN_ASSIGN_OR_RETURN(ds.state, GetString(v, "state", w));
      if (ds.state != "fresh" && ds.state != "stale" && ds.state != "dead") {
        return InvalidArgumentError(
            fmt::format("{}: state: expected fresh, stale or dead, got \"{}\"", w, ds.state));
      }
      out.data_sources[name] = ds;
    }
  }
  if (const Json* pools = FindField(sub, "pools"); pools != nullptr && !pools->is_null()) {
    if (!pools->is_object())
      return InvalidArgumentError(fmt::format("{}: pools: expected an object", what));
    for (const auto& [name, v] : pools->items()) {
      const std::string w = fmt::format("{}: pools.{}", what, name);
      if (!v.is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", w));
      PoolHealth ph;
      DOLPHIN_ASSIGN_OR_RETURN(ph.status, GetString(v, "status", w));
      DOLPHIN_ASSIGN_OR_RETURN(ph.scheduled, GetInt64Or(v, "scheduled", 0, w));
      DOLPHIN_ASSIGN_OR_RETURN(ph.late, GetInt64Or(v, "late", 0, w));
      if (const Json* ws = FindField(v, "workers"); ws != nullptr && !ws->is_null()) {
        if (!ws->is_array())
          return InvalidArgumentError(fmt::format("{}: workers: expected an array", w));
        for (const Json& e : *ws) {
          DOLPHIN_ASSIGN_OR_RETURN(std::string s, AsString(e, "workers[]", w));
          ph.workers.push_back(std::move(s));
        }
      }
      out.pools[name] = std::move(ph);
    }
  }
  if (const Json* g = FindField(sub, "gave_up"); g != nullptr && !g->is_null()) {
    if (!g->is_array())
      return InvalidArgumentError(fmt::format("{}: gave_up: expected an array", what));
    for (const Json& e : *g) {
      DOLPHIN_ASSIGN_OR_RETURN(std::string s, AsString(e, "gave_up[]", what));
      out.gave_up.push_back(std::move(s));
    }
  }
  if (const Json* c = FindField(sub, "checks"); c != nullptr && !c->is_null()) {
    if (!c->is_array())
      return InvalidArgumentError(fmt::format("{}: checks: expected an array", what));
    for (const Json& e : *c) {
      DOLPHIN_ASSIGN_OR_RETURN(std::string s, AsString(e, "checks[]", what));
      out.checks.push_back(std::move(s));
    }
  }
  return Status::Ok();
}

}  // namespace

HealthStatus StatusForRm(double rm) {
  if (rm > 0.8) return HealthStatus::kGreen;
  if (rm > 0.5) return HealthStatus::kDegraded;
  if (rm > 0.2) return HealthStatus::kCritical;
  return HealthStatus::kDead;
}

std::string EncodeMetaHealth(const MetaHealth& r) {
  Json j;
  j["rm_meta"] = r.rm_meta;
  j["status"] = HealthStatusName(r.status);
  j["raw_status"] = HealthStatusName(r.raw_status);
  j["m1_proc"] = r.m1_proc;
  j["m2_heartbeat"] = r.m2_heartbeat;
  j["m3_data_freshness"] = r.m3_data_freshness;
  j["m4_control_plane"] = r.m4_control_plane;
  j["m5_coherence"] = r.m5_coherence;
  Json processes = Json::object();
  for (const auto& [name, p] : r.processes) {
    processes[name] = {{"present", p.present},
                       {"pid", p.pid ? Json(*p.pid) : Json(nullptr)},
                       {"restarts", p.restarts},
                       {"gave_up", p.gave_up},
                       {"detail", p.detail}};
  }
  Json sources = Json::object();
  for (const auto& [name, d] : r.data_sources) {
    sources[name] = {{"age_s", d.age_s ? Json(*d.age_s) : Json(nullptr)}, {"state", d.state}};
  }
  Json pools = Json::object();
  for (const auto& [name, p] : r.pools) {
    pools[name] = {
        {"status", p.status}, {"scheduled", p.scheduled}, {"late", p.late}, {"workers", p.workers}};
  }
  j["subsystem_health"] = {{"processes", std::move(processes)},
                           {"data_sources", std::move(sources)},
                           {"pools", std::move(pools)},
                           {"checks", r.checks},
                           {"gave_up", r.gave_up}};
  Json recovery = Json::array();
  for (const RecoveryAction& a : r.recovery) {
    recovery.push_back({{"target", a.target},
                        {"action", a.action},
                        {"at", FormatRfc3339(a.at)},
                        {"result", a.result}});
  }
  j["recovery"] = std::move(recovery);
  Json reasons = Json::object();
  for (const auto& [sensor, texts] : r.reasons) reasons[sensor] = texts;
  j["reasons"] = std::move(reasons);
  if (r.hold) {
    j["hold"] = {{"towards", HealthStatusName(r.hold->towards)},
                 {"held_s", r.hold->held_s},
                 {"needed_s", r.hold->needed_s}};
  }
  if (r.supervisor) {
    j["supervisor"] = {{"unenforced", r.supervisor->unenforced},
                       {"failed_start_limit", r.supervisor->failed_start_limit}};
  }
  if (r.started_at) j["started_at"] = FormatRfc3339(*r.started_at);
  j["in_startup_grace"] = r.in_startup_grace;
  j["timestamp"] = FormatRfc3339(r.timestamp);
  return DumpJson(j);
}

Result<MetaHealth> DecodeMetaHealth(std::string_view json) {
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseObject(json, kWhat));
  MetaHealth r;
  DOLPHIN_ASSIGN_OR_RETURN(r.rm_meta, UnitField(j, "rm_meta"));
  DOLPHIN_ASSIGN_OR_RETURN(r.status, StatusField(j, "status"));
  r.raw_status = r.status;
  if (FindField(j, "raw_status") != nullptr) {
    DOLPHIN_ASSIGN_OR_RETURN(r.raw_status, StatusField(j, "raw_status"));
  }
  DOLPHIN_ASSIGN_OR_RETURN(r.m1_proc, UnitField(j, "m1_proc"));
  DOLPHIN_ASSIGN_OR_RETURN(r.m2_heartbeat, UnitField(j, "m2_heartbeat"));
  DOLPHIN_ASSIGN_OR_RETURN(r.m3_data_freshness, UnitField(j, "m3_data_freshness"));
  DOLPHIN_ASSIGN_OR_RETURN(r.m4_control_plane, UnitField(j, "m4_control_plane"));
  DOLPHIN_ASSIGN_OR_RETURN(r.m5_coherence, UnitField(j, "m5_coherence"));
  if (const Json* sub = FindField(j, "subsystem_health"); sub != nullptr && !sub->is_null()) {
    DOLPHIN_RETURN_IF_ERROR(DecodeSubsystems(*sub, r));
  }
  if (const Json* rec = FindField(j, "recovery"); rec != nullptr && !rec->is_null()) {
    if (!rec->is_array())
      return InvalidArgumentError(fmt::format("{}: recovery: expected an array", kWhat));
    const std::string w = std::string(kWhat) + ": recovery[]";
    for (const Json& e : *rec) {
      if (!e.is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", w));
      RecoveryAction a;
      DOLPHIN_ASSIGN_OR_RETURN(a.target, GetString(e, "target", w));
      DOLPHIN_ASSIGN_OR_RETURN(a.action, GetString(e, "action", w));
      DOLPHIN_ASSIGN_OR_RETURN(a.at, GetTimestamp(e, "at", w));
      DOLPHIN_ASSIGN_OR_RETURN(a.result, GetStringOr(e, "result", "", w));
      r.recovery.push_back(std::move(a));
    }
  }
  if (const Json* reasons = FindField(j, "reasons"); reasons != nullptr && !reasons->is_null()) {
    if (!reasons->is_object())
      return InvalidArgumentError(fmt::format("{}: reasons: expected an object", kWhat));
    for (const auto& [sensor, texts] : reasons->items()) {
      const std::string w = fmt::format("{}: reasons.{}", kWhat, sensor);
      if (!texts.is_array()) return InvalidArgumentError(fmt::format("{}: expected an array", w));
      auto& out = r.reasons[sensor];
      for (const Json& t : texts) {
        DOLPHIN_ASSIGN_OR_RETURN(std::string text, AsString(t, "reasons[]", w));
        out.push_back(std::move(text));
      }
    }
  }
  if (const Json* hold = FindField(j, "hold"); hold != nullptr && !hold->is_null()) {
    const std::string w = std::string(kWhat) + ": hold";
    if (!hold->is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", w));
    StatusHoldInfo h;
    DOLPHIN_ASSIGN_OR_RETURN(std::string towards, GetString(*hold, "towards", w));
    auto t = ParseHealthStatus(towards);
    if (!t.ok())
      return InvalidArgumentError(fmt::format("{}: towards: {}", w, t.status().message()));
    h.towards = *t;
    DOLPHIN_ASSIGN_OR_RETURN(h.held_s, GetDouble(*hold, "held_s", w));
    DOLPHIN_ASSIGN_OR_RETURN(h.needed_s, GetDouble(*hold, "needed_s", w));
    r.hold = h;
  }
  if (const Json* sup = FindField(j, "supervisor"); sup != nullptr && !sup->is_null()) {
    const std::string w = std::string(kWhat) + ": supervisor";
    if (!sup->is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", w));
    SupervisorHealth h;
    DOLPHIN_ASSIGN_OR_RETURN(h.unenforced, GetStringOr(*sup, "unenforced", "", w));
    if (const Json* f = FindField(*sup, "failed_start_limit"); f != nullptr && !f->is_null()) {
      if (!f->is_array())
        return InvalidArgumentError(fmt::format("{}: failed_start_limit: expected an array", w));
      for (const Json& e : *f) {
        DOLPHIN_ASSIGN_OR_RETURN(std::string name, AsString(e, "failed_start_limit[]", w));
        h.failed_start_limit.push_back(std::move(name));
      }
    }
    r.supervisor = std::move(h);
  }
  if (const Json* s = FindField(j, "started_at"); s != nullptr && !s->is_null()) {
    DOLPHIN_ASSIGN_OR_RETURN(r.started_at, GetTimestamp(j, "started_at", kWhat));
  }
  DOLPHIN_ASSIGN_OR_RETURN(r.in_startup_grace, GetBoolOr(j, "in_startup_grace", false, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.timestamp, GetTimestamp(j, "timestamp", kWhat));
  return r;
}

}  // namespace dolphin::contract
