// `dolphin status`: the whole system on one screen (80 columns), or `--json`.
//
// What it shows, from the bus (the same values every service reads) and from each dolphin
// process's control API: the processes, every service (heartbeat status and age, pid,
// restarts), the latest scan (number, age, regime), the published health record (status, the
// five sensors, why), the safety posture (and why), each trader (state, posture and why,
// positions, PnL today, drawdown from the day's peak, its scan listener's delivered/coalesced).
// With the embedded bus everything comes through the running `dolphin run`'s API; with a
// shared bus (hazelcast) the values come from the bus itself and the processes from every
// <state_dir>/api*.addr. A process that an api*.addr names but that is gone is said so in one
// line ("no dolphin running here: ... names pid N, which is not running").
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>

#include "../cli.h"
#include "../wiring.h"
#include "direct_bus.h"
#include "dolphin/api/api_client.h"
#include "dolphin/api/control_api.h"
#include "dolphin/contract/json_fields.h"
#include "dolphin/contract/meta_health.h"
#include "dolphin/contract/names.h"
#include "dolphin/contract/pnl.h"
#include "dolphin/contract/safety.h"
#include "dolphin/contract/trader_state.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"

namespace dolphin::cli {

namespace {

using contract::FindField;

// Reads bus values through the control API or straight from the bus.
struct BusReader {
  std::function<std::optional<std::string>(const std::string& map, const std::string& key)> get;
  std::function<std::vector<std::string>()> maps;
  std::function<std::vector<std::string>(const std::string& map)> keys;
};

BusReader DirectReader(bus::KvBus& bus) {
  BusReader r;
  r.get = [&bus](const std::string& m, const std::string& k) -> std::optional<std::string> {
    auto v = bus.Get(m, k);
    if (!v.ok() || !v->has_value()) return std::nullopt;
    return **v;
  };
  r.maps = [&bus] { return bus.Maps().value_or(std::vector<std::string>{}); };
  r.keys = [&bus](const std::string& m) {
    return bus.Keys(m).value_or(std::vector<std::string>{});
  };
  return r;
}

BusReader ApiReader(const api::ApiClient& client) {
  BusReader r;
  auto path = [](const std::string& m, const std::string& k = "") {
    return BusApiPath("/api/bus/", m, k);
  };
  r.get = [&client, path](const std::string& m,
                          const std::string& k) -> std::optional<std::string> {
    auto v = client.Get(path(m, k));
    if (!v.ok() || v->status != 200) return std::nullopt;
    return v->body;
  };
  auto object_keys = [&client](const std::string& p, std::string_view field) {
    std::vector<std::string> out;
    auto v = client.Get(p);
    if (!v.ok() || v->status != 200) return out;
    auto j = contract::ParseObject(v->body, p);
    if (!j.ok()) return out;
    const Json* o = FindField(*j, field);
    if (o == nullptr) return out;
    if (o->is_object()) {
      for (const auto& [k, unused] : o->items()) out.push_back(k);
    } else if (o->is_array()) {
      for (const auto& e : *o) {
        if (e.is_string()) out.push_back(e.get<std::string>());
      }
    }
    return out;
  };
  r.maps = [object_keys] { return object_keys("/api/bus", "maps"); };
  r.keys = [object_keys, path](const std::string& m) {
    return object_keys(path(m) + "?keys_only=1", "keys");
  };
  return r;
}

double AgeOf(Timestamp now, Timestamp t) { return SecondsOf(now - t); }

std::string Day(Timestamp t) { return FormatRfc3339(t).substr(0, 10); }

// One dolphin process, from its control API's /api/status.
Json ProcessJson(const std::string& file, const Result<std::string>& addr,
                 const std::filesystem::path& state_dir) {
  Json p = {{"addr_file", file}};
  if (!addr.ok()) {
    p["problem"] = std::string(addr.status().message());
    return p;
  }
  auto client = api::ApiClient::FromStateDir(state_dir, file);
  if (!client.ok()) {
    p["problem"] = std::string(client.status().message());
    return p;
  }
  auto r = client->Get("/api/status");
  if (!r.ok()) {
    p["problem"] = std::string(r.status().message());
    return p;
  }
  auto j = contract::ParseObject(r->body, "status reply");
  if (!j.ok()) {
    p["problem"] = std::string(j.status().message());
    return p;
  }
  p["api"] = *addr;
  p["status"] = std::move(*j);
  // The scheduler's pools, where this process serves them.
  if (auto pools = client->Get("/api/pools"); pools.ok() && pools->status == 200) {
    if (auto pj = ParseJson(pools->body, "pools reply"); pj.ok() && pj->is_array())
      p["pools"] = std::move(*pj);
  }
  return p;
}

// Gathers the one-screen model: {ts, processes, services, scan, health, safety, traders}.
Json Gather(const BusReader& bus, const std::vector<Json>& processes, Timestamp now) {
  Json s;
  s["ts"] = FormatRfc3339(now);
  s["processes"] = Json::array();
  for (const Json& p : processes) {
    Json out = {{"addr_file", p["addr_file"]}};
    if (p.contains("problem")) {
      out["problem"] = p["problem"];
    } else {
      const Json& st = p["status"];
      for (const char* k : {"service", "pid", "version", "uptime_s", "bus", "limits"}) {
        if (const Json* v = FindField(st, k); v != nullptr) out[k] = *v;
      }
      out["api"] = p["api"];
    }
    s["processes"].push_back(std::move(out));
  }

  // Services: every heartbeat, with what the runners and health know of them.
  Json services = Json::object();
  for (const std::string& name : bus.keys(contract::kHeartbeatMap)) {
    Json svc = Json::object();
    if (auto v = bus.get(contract::kHeartbeatMap, name)) {
      // Another client may have written any shape: fields are copied as they are (printed as
      // their JSON text when not strings), never thrown on.
      if (auto j = contract::ParseObject(*v, "heartbeat"); j.ok()) {
        for (const char* k : {"status", "pid", "detail"}) {
          if (const Json* f = FindField(*j, k); f != nullptr) svc[k] = *f;
        }
        if (auto ts = contract::GetTimestamp(*j, "ts", "heartbeat"); ts.ok())
          svc["age_s"] = AgeOf(now, *ts);
      } else {
        svc["detail"] = *v;
      }
    }
    services[name] = std::move(svc);
  }
  for (const Json& p : processes) {
    // The process's own entry (the one carrying service_states) among its status sections.
    const Json* sections = p.contains("status") ? FindField(p["status"], "services") : nullptr;
    if (sections == nullptr || !sections->is_object()) continue;
    const Json* list = nullptr;
    for (const auto& [unused, section] : sections->items()) {
      if (const Json* l = FindField(section, "service_states"); l != nullptr && l->is_array())
        list = l;
    }
    if (list == nullptr) continue;
    for (const Json& st : *list) {
      auto name = contract::GetString(st, "name", "service_states");
      if (!name.ok()) continue;
      Json& svc = services[*name];
      if (!svc.is_object()) svc = Json::object();
      for (const char* k : {"up", "restarts"}) {
        if (const Json* v = FindField(st, k); v != nullptr) svc[k] = *v;
      }
    }
  }

  // `dolphin up`'s child table: state (incl. "failed (start limit)"), pid, restarts, limits.
  for (const Json& p : processes) {
    if (!p.contains("status")) continue;
    const Json* svcs = FindField(p["status"], "services");
    const Json* sup = svcs != nullptr ? FindField(*svcs, "supervisor") : nullptr;
    const Json* children = sup != nullptr ? FindField(*sup, "services") : nullptr;
    if (children == nullptr || !children->is_array()) continue;
    for (const Json& c : *children) {
      auto name = contract::GetString(c, "name", "supervisor");
      if (!name.ok()) continue;
      // A dolphin trader child is `serve trader --color C` whose service is trader.C.
      Json& svc = services[*name];
      if (!svc.is_object()) svc = Json::object();
      for (const char* k : {"restarts", "limits", "oom_kills"}) {
        if (const Json* v = FindField(c, k); v != nullptr) svc[k] = *v;
      }
      if (const Json* st = FindField(c, "state_text"); st != nullptr) svc["supervisor_state"] = *st;
      if (const Json* pid = FindField(c, "pid"); pid != nullptr && !svc.contains("pid"))
        svc["pid"] = *pid;
      // Readiness and liveness by up's checks: "ready", "starting", "unresponsive 4.0 s", "waiting
      // for ...".
      const Json* ready = FindField(c, "ready");
      const bool has_ready =
          ready != nullptr && ready->is_string() && !ready->get<std::string>().empty();
      if (has_ready) svc["supervisor_ready"] = *ready;
      if (const Json* st = FindField(c, "state"); st != nullptr && st->is_string()) {
        svc["up"] = st->get<std::string>() == "running" &&
                    (!has_ready || ready->get<std::string>() == "ready");
      }
    }
    if (const Json* u = FindField(*sup, "unenforced"); u != nullptr) s["limits_unenforced"] = *u;
  }

  // The latest scan.
  if (auto v = bus.get(contract::kFeaturesMap, contract::kScanKey)) {
    Json scan = Json::object();
    if (auto j = contract::ParseObject(*v, "scan"); j.ok()) {
      for (const char* k : {"scan_number", "epoch", "regime", "vel_div", "file"}) {
        if (const Json* f = FindField(*j, k); f != nullptr) scan[k] = *f;
      }
      if (auto ts = contract::GetTimestamp(*j, contract::kScanFreshnessField, "scan"); ts.ok()) {
        scan["age_s"] = AgeOf(now, *ts);
      }
    } else {
      scan["problem"] = std::string(j.status().message());
    }
    s["scan"] = std::move(scan);
  } else {
    s["scan"] = {{"problem", "no scan published yet"}};
  }

  // Health.
  if (auto v = bus.get(contract::kMetaHealthMap, contract::kMetaHealthKey)) {
    auto h = contract::DecodeMetaHealth(*v);
    if (h.ok()) {
      Json reasons = Json::array();
      for (const auto& [sensor, texts] : h->reasons) {
        for (const auto& t : texts) reasons.push_back(fmt::format("{}: {}", sensor, t));
      }
      Json gave_up = h->gave_up;
      s["health"] = {{"status", contract::HealthStatusName(h->status)},
                     {"raw_status", contract::HealthStatusName(h->raw_status)},
                     {"rm_meta", h->rm_meta},
                     {"m1_proc", h->m1_proc},
                     {"m2_heartbeat", h->m2_heartbeat},
                     {"m3_data_freshness", h->m3_data_freshness},
                     {"m4_control_plane", h->m4_control_plane},
                     {"m5_coherence", h->m5_coherence},
                     {"age_s", AgeOf(now, h->timestamp)},
                     {"in_startup_grace", h->in_startup_grace},
                     {"reasons", std::move(reasons)},
                     {"gave_up", std::move(gave_up)}};
      for (const auto& [name, proc] : h->processes) {
        Json& svc = services[name];
        if (!svc.is_object()) svc = Json::object();
        svc["present"] = proc.present;
        if (!svc.contains("restarts")) svc["restarts"] = proc.restarts;
        if (proc.gave_up) svc["gave_up"] = true;
      }
    } else {
      s["health"] = {{"problem", std::string(h.status().message())}};
    }
  } else {
    s["health"] = {{"problem", "no health record yet"}};
  }
  s["services"] = std::move(services);

  // Safety.
  if (auto v = bus.get(contract::kSafetyMap, contract::kSafetyKey)) {
    auto r = contract::DecodeSafety(*v);
    if (r.ok()) {
      s["safety"] = {{"posture", contract::PostureName(r->posture)},
                     {"Rm", r->rm},
                     {"age_s", AgeOf(now, r->ts)},
                     {"reasons", r->reasons}};
    } else {
      s["safety"] = {{"problem", std::string(r.status().message())}};
    }
  } else {
    s["safety"] = {{"problem", "no posture published (traders on posture \"bus\" stay REDUCING)"}};
  }

  // Traders: every DOLPHIN_STATE_<COLOR> map, with today's PnL and the listener's counters.
  Json traders = Json::object();
  constexpr std::string_view kPrefix = "DOLPHIN_STATE_";
  for (const std::string& map : bus.maps()) {
    if (map.rfind(kPrefix, 0) != 0) continue;
    const std::string color = map.substr(kPrefix.size());
    Json t = Json::object();
    auto v = bus.get(map, contract::kStateKey);
    auto st = v ? contract::DecodeTraderState(*v)
                : Result<contract::TraderState>(NotFoundError("missing"));
    if (!st.ok()) {
      t["problem"] = std::string(st.status().message());
      traders[color] = std::move(t);
      continue;
    }
    t["trading_state"] = contract::TradingStateName(st->trading_state);
    t["posture"] = contract::PostureName(st->posture);
    t["posture_source"] = st->posture_source;
    if (auto j = contract::ParseObject(*v, "state"); j.ok()) {
      if (const Json* why = FindField(*j, "posture_reason"); why != nullptr)
        t["posture_reason"] = *why;
      // What the next scan applies (the decoded `posture` is what the last scan applied).
      if (const Json* next = FindField(*j, "posture_next"); next != nullptr && next->is_string()) {
        t["posture_last_scan"] = t["posture"];
        t["posture"] = *next;
      }
    }
    t["status"] = st->status;
    t["age_s"] = AgeOf(now, st->updated_at);
    t["scan_number"] = st->scan_number ? Json(*st->scan_number) : Json(nullptr);
    t["equity"] = st->equity;
    Json positions = Json::array();
    for (const auto& p : st->positions) {
      positions.push_back({{"asset", p.asset},
                           {"side", p.side},
                           {"qty", p.qty},
                           {"avg_price", p.avg_price},
                           {"unrealized", p.unrealized}});
    }
    t["positions"] = std::move(positions);
    if (st->scan_ts) {
      if (auto pv = bus.get(contract::PnlMapName(color), Day(*st->scan_ts))) {
        if (auto pnl = contract::DecodePnl(*pv); pnl.ok()) {
          t["pnl_today"] = pnl->equity_now - pnl->equity_open;
          t["equity_peak"] = pnl->equity_peak;
          t["drawdown_pct"] = pnl->DrawdownPct();
          t["trades_today"] = pnl->trades;
        }
      }
    }
    const std::string service = contract::TraderServiceName(color);
    for (const Json& p : processes) {
      if (!p.contains("status")) continue;
      const Json* svcs = FindField(p["status"], "services");
      const Json* me = svcs != nullptr ? FindField(*svcs, service) : nullptr;
      const Json* l = me != nullptr ? FindField(*me, "listener") : nullptr;
      if (l != nullptr) t["listener"] = *l;
    }
    traders[color] = std::move(t);
  }
  s["traders"] = std::move(traders);
  Json pools = Json::array();
  for (const Json& p : processes) {
    if (p.contains("pools")) {
      for (const Json& pool : p["pools"]) pools.push_back(pool);
    }
  }
  s["pools"] = std::move(pools);
  return s;
}

// ---- printing (80 columns) ----

std::string Text(const Json& o, std::string_view key, std::string_view missing = "?") {
  const Json* v = FindField(o, key);
  if (v == nullptr || v->is_null()) return std::string(missing);
  if (v->is_string()) return v->get<std::string>();
  return DumpJson(*v);
}

std::string Num(const Json& o, std::string_view key, const char* fmt_spec = "{:.2f}") {
  const Json* v = FindField(o, key);
  if (v == nullptr || !v->is_number()) return "?";
  return fmt::format(fmt::runtime(fmt_spec), v->get<double>());
}

std::string Ago(const Json& o, std::string_view key = "age_s") {
  const Json* v = FindField(o, key);
  if (v == nullptr || !v->is_number()) return "?";
  return FormatDuration(DurationOfSeconds(std::max(0.0, v->get<double>()))) + " ago";
}

std::string Fit(std::string s, size_t width) {
  if (s.size() <= width) return s;
  return s.substr(0, width > 3 ? width - 3 : width) + "...";
}

void Print(const Json& s) {
  for (const Json& p : s["processes"]) {
    if (p.contains("problem")) {
      std::printf("%s\n", Text(p, "problem").c_str());  // whole: it names the file and the pid
      continue;
    }
    const Json* up = FindField(p, "uptime_s");
    std::printf("%s\n", Fit(fmt::format("{} {}  pid {}  up {}  bus {}  api {}", Text(p, "service"),
                                        Text(p, "version"), Text(p, "pid"),
                                        up != nullptr && up->is_number()
                                            ? FormatDuration(std::chrono::duration_cast<Duration>(
                                                  std::chrono::duration<double>(up->get<double>())))
                                            : "?",
                                        Text(p, "bus"), Text(p, "api")),
                            79)
                            .c_str());
    if (p.contains("limits")) std::printf("  limits: %s\n", Fit(Text(p, "limits"), 69).c_str());
  }

  const Json& h = s["health"];
  if (h.contains("problem")) {
    std::printf("\nHEALTH   %s\n", Fit(Text(h, "problem"), 70).c_str());
  } else {
    std::printf("\nHEALTH   %-8s rm %s  M1 %s M2 %s M3 %s M4 %s M5 %s  %s\n",
                Text(h, "status").c_str(), Num(h, "rm_meta").c_str(),
                Num(h, "m1_proc", "{:.1f}").c_str(), Num(h, "m2_heartbeat", "{:.1f}").c_str(),
                Num(h, "m3_data_freshness", "{:.1f}").c_str(),
                Num(h, "m4_control_plane", "{:.1f}").c_str(),
                Num(h, "m5_coherence", "{:.1f}").c_str(), Ago(h).c_str());
    if (Text(h, "raw_status") != Text(h, "status")) {
      std::printf("         raw %s: the published status follows after its hold time\n",
                  Text(h, "raw_status").c_str());
    }
    if (h.value("in_startup_grace", false)) std::printf("         (in its start-up grace)\n");
    for (const Json& r : h["reasons"])
      std::printf("         %s\n", Fit(r.get<std::string>(), 70).c_str());
    for (const Json& g : h["gave_up"]) {
      std::printf("%s\n", Fit(fmt::format("         GAVE UP on {0}: `dolphin health reset {0}`",
                                          g.get<std::string>()),
                              79)
                              .c_str());
    }
  }
  const Json& sf = s["safety"];
  if (sf.contains("problem")) {
    std::printf("SAFETY   %s\n", Fit(Text(sf, "problem"), 70).c_str());
  } else {
    std::printf("SAFETY   %-9s Rm %s  %s\n", Text(sf, "posture").c_str(), Num(sf, "Rm").c_str(),
                Ago(sf).c_str());
    for (const Json& r : sf["reasons"])
      std::printf("         %s\n", Fit(r.get<std::string>(), 70).c_str());
  }
  const Json& sc = s["scan"];
  if (sc.contains("problem")) {
    std::printf("SCAN     %s\n", Fit(Text(sc, "problem"), 70).c_str());
  } else {
    std::printf("%s\n",
                Fit(fmt::format("SCAN     #{}  {}  regime {}  vel_div {}", Text(sc, "scan_number"),
                                Ago(sc), Text(sc, "regime"), Num(sc, "vel_div", "{:.4f}")),
                    79)
                    .c_str());
  }

  std::printf("\n%-20s %-9s %-8s %-4s %-12s %s\n", "SERVICE", "STATUS", "PID", "RST", "BEAT",
              "DETAIL");
  for (const auto& [name, v] : s["services"].items()) {
    std::string status = Text(v, "status", "-");
    auto is_false = [&](const char* k) {
      return v.contains(k) && v[k].is_boolean() && !v[k].get<bool>();
    };
    if (is_false("up")) status = "DOWN";
    if (is_false("present") && status != "DOWN") status = "MISSING";
    if (v.contains("gave_up") && v["gave_up"].is_boolean() && v["gave_up"].get<bool>())
      status = "GAVE-UP";
    if (const Json* st = FindField(v, "supervisor_state");
        st != nullptr && st->is_string() && st->get<std::string>().rfind("failed", 0) == 0) {
      status = "FAILED";  // e.g. "failed (start limit)": in the detail column below
    }
    std::string detail = Text(v, "detail", "");
    if (const Json* st = FindField(v, "supervisor_state");
        st != nullptr && st->is_string() && st->get<std::string>() != "running") {
      detail = st->get<std::string>() + (detail.empty() ? "" : "; " + detail);
    }
    if (const Json* r = FindField(v, "supervisor_ready");
        r != nullptr && r->is_string() && r->get<std::string>() != "ready") {
      const std::string ready = r->get<std::string>();
      if (ready.rfind("starting", 0) == 0) status = "STARTING";
      if (ready.rfind("unresponsive", 0) == 0) status = "UNRESP";
      if (ready.rfind("waiting", 0) == 0) status = "WAITING";
      if (detail.find(ready) == std::string::npos)
        detail = ready + (detail.empty() ? "" : "; " + detail);
    }
    const std::string line = fmt::format("{:<20} {:<9} {:<8} {:<4} {:<12} {}", Fit(name, 20),
                                         status, Text(v, "pid", "-"), Text(v, "restarts", "-"),
                                         v.contains("age_s") ? Ago(v) : std::string("-"), detail);
    std::printf("%s\n", Fit(line, 79).c_str());
    if (const Json* l = FindField(v, "limits"); l != nullptr && !l->is_null()) {
      std::printf("%s\n", Fit("  limits: " + Text(v, "limits"), 79).c_str());
    }
  }

  if (!s["traders"].empty()) {
    std::printf("\n%-7s %-9s %-9s %-3s %-12s %-10s %-6s %s\n", "TRADER", "STATE", "POSTURE", "POS",
                "EQUITY", "PNL TODAY", "DD", "SCANS IN/COAL");
    for (const auto& [color, t] : s["traders"].items()) {
      if (t.contains("problem")) {
        std::printf("%-7s %s\n", color.c_str(), Fit(Text(t, "problem"), 70).c_str());
        continue;
      }
      const Json* l = FindField(t, "listener");
      std::string listener =
          l != nullptr ? fmt::format("{}/{}", Text(*l, "delivered"), Text(*l, "coalesced")) : "-";
      const Json* pnl = FindField(t, "pnl_today");
      const std::string row = fmt::format(
          "{:<7} {:<9} {:<9} {:<3} {:<12} {:<10} {:<6} {}", color, Text(t, "trading_state"),
          Text(t, "posture"), t["positions"].size(), Num(t, "equity"),
          pnl != nullptr && pnl->is_number() ? fmt::format("{:+.2f}", pnl->get<double>())
                                             : std::string("-"),
          t.contains("drawdown_pct") ? fmt::format("{:.2f}%", t["drawdown_pct"].get<double>())
                                     : std::string("-"),
          listener);
      std::printf("%s\n", Fit(row, 79).c_str());
      for (const Json& p : t["positions"]) {
        std::printf("  %s\n",
                    Fit(fmt::format("{} {} {:.6g} @ {:.6g}  unrealized {:+.2f}", Text(p, "asset"),
                                    Text(p, "side"), p.value("qty", 0.0), p.value("avg_price", 0.0),
                                    p.value("unrealized", 0.0)),
                        77)
                        .c_str());
      }
      if (t.contains("posture_reason"))
        std::printf("  %s\n", Fit(Text(t, "posture_reason"), 77).c_str());
    }
  }
  if (s.contains("limits_unenforced") && s["limits_unenforced"].is_string() &&
      !s["limits_unenforced"].get<std::string>().empty()) {
    std::printf("\n%s\n", Fit("LIMITS   " + Text(s, "limits_unenforced"), 79).c_str());
  }
  if (s["pools"].empty()) {
    std::printf("\nPOOLS    none (no scheduler runs here)\n");
  } else {
    std::printf("\n%-26s %-10s %-6s %-7s %-5s %s\n", "POOL", "STATUS", "SLOTS", "RUNNING", "LATE",
                "WORKERS");
    for (const Json& p : s["pools"]) {
      const std::string slots =
          fmt::format("{}/{}", Text(p, "slots_used"), Text(p, "concurrency_limit"));
      std::string status = Text(p, "status");
      if (const Json* paused = FindField(p, "paused");
          paused != nullptr && paused->is_boolean() && paused->get<bool>()) {
        status = "PAUSED";
      }
      std::printf("%s\n", Fit(fmt::format("{:<26} {:<10} {:<6} {:<7} {:<5} {}",
                                          Fit(Text(p, "name"), 26), status, slots,
                                          Text(p, "running"), Text(p, "late"), Text(p, "workers")),
                              79)
                              .c_str());
    }
  }
}

// Every api*.addr under state_dir (dolphin run: api.addr; dolphin serve NAME: api.NAME.addr).
std::vector<std::string> AddrFiles(const std::filesystem::path& state_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("api", 0) == 0 && name.size() > 5 && name.substr(name.size() - 5) == ".addr")
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int Show(const Json& s, bool as_json) {
  if (as_json) {
    // Bus values written by another client may not be valid UTF-8: replaced, never thrown.
    std::printf("%s\n", s.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
  } else {
    Print(s);
  }
  return kExitOk;
}

int Status_(const CliContext& ctx, bool as_json) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  const std::filesystem::path& state_dir = config->process.state_dir;
  SystemClock clock;
  if (BusThroughApi(*config)) {
    // The embedded bus lives in the `dolphin run` process: everything through its API.
    auto addr = api::ReadApiAddr(state_dir);
    if (!addr.ok()) {
      PrintError(addr.status().message());
      return kExitFailure;
    }
    Json process = ProcessJson("api.addr", addr, state_dir);
    if (process.contains("problem")) {
      PrintError(Text(process, "problem"));
      return kExitFailure;
    }
    auto client = api::ApiClient::FromStateDir(state_dir);
    if (!client.ok()) {
      PrintError(client.status().message());
      return kExitFailure;
    }
    return Show(Gather(ApiReader(*client), {process}, clock.Now()), as_json);
  }
  DirectBus direct(*config, ctx);
  if (int c = direct.Connect("status"); c != kExitOk) return c;
  std::vector<Json> processes;
  for (const std::string& file : AddrFiles(state_dir)) {
    processes.push_back(ProcessJson(file, api::ReadApiAddr(state_dir, file), state_dir));
  }
  BusReader reader = DirectReader(direct.bus());
  Json s = Gather(reader, processes, direct.clock().Now());
  s["bus"] = direct.bus().Describe();
  s["cluster_name"] = config->bus.cluster_name;
  // The raw heartbeats and each map's key count, as read (for scripts).
  Json heartbeats = Json::object();
  for (const std::string& k : reader.keys(contract::kHeartbeatMap)) {
    if (auto v = reader.get(contract::kHeartbeatMap, k)) heartbeats[k] = BusValueAsJson(*v);
  }
  s["heartbeats"] = std::move(heartbeats);
  Json maps = Json::object();
  for (const std::string& m : reader.maps()) maps[m] = static_cast<int64_t>(reader.keys(m).size());
  s["maps"] = std::move(maps);
  if (!as_json) {
    std::printf("bus %s  cluster %s  (values read from the bus)\n", direct.bus().Describe().c_str(),
                config->bus.cluster_name.c_str());
  }
  return Show(s, as_json);
}

}  // namespace

void AddStatusCommand(CLI::App& root, CliContext& ctx) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = root.add_subcommand(
      "status", "The whole system on one screen: services, scan, health, safety posture, traders");
  AddCommonOptions(cmd, ctx);
  cmd->add_flag(
      "--json", *as_json,
      "Print one JSON object {ts, processes, services, scan, health, safety, traders, pools}");
  cmd->callback(
      [&ctx, as_json] { ctx.action = [&ctx, as_json] { return Status_(ctx, *as_json); }; });
}

}  // namespace dolphin::cli
