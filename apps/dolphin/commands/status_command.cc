// `dolphin status`: what the running dolphin is doing, at a glance. With the embedded bus it
// asks the running dolphin's control API; with a shared bus (hazelcast) it reads the bus
// itself: every service's DOLPHIN_HEARTBEAT entry and the maps with their key counts, in the
// same tables.
#include <fmt/format.h>

#include <cstdio>

#include "../cli.h"
#include "../wiring.h"
#include "direct_bus.h"
#include "dolphin/api/api_client.h"
#include "dolphin/contract/json_fields.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"

namespace dolphin::cli {

namespace {

using contract::kHeartbeatMap;

// Everything below reads replies and bus values (outside data) without a throwing accessor: a
// field of the wrong type prints as its JSON text or "?", never terminates the command.
std::string Text(const Json& object, std::string_view key, std::string_view missing = "?") {
  const Json* v = contract::FindField(object, key);
  if (v == nullptr || v->is_null()) return std::string(missing);
  if (v->is_string()) return v->get<std::string>();
  return DumpJson(*v);
}

std::string Age(const Json& object, Timestamp now) {
  auto t = contract::GetTimestamp(object, "ts", "heartbeat");
  if (!t.ok()) return "?";
  return FormatDuration(now - *t) + " ago";
}

const Json& ObjectOrEmpty(const Json& object, std::string_view key) {
  static const Json kEmpty = Json::object();
  const Json* v = contract::FindField(object, key);
  return v != nullptr && v->is_object() ? *v : kEmpty;
}

// The two tables every status shows (heartbeats, maps), from a /api/status-shaped object.
void PrintTables(const Json& s) {
  SystemClock clock;
  const Timestamp now = clock.Now();
  std::printf("\nHEARTBEAT        STATUS    AGE          DETAIL\n");
  for (const auto& [name, hb] : ObjectOrEmpty(s, "heartbeats").items()) {
    const bool obj = hb.is_object();
    std::printf("%-16s %-9s %-12s %s\n", name.c_str(), obj ? Text(hb, "status").c_str() : "?",
                obj ? Age(hb, now).c_str() : "?", obj ? Text(hb, "detail", "").c_str() : DumpJson(hb).c_str());
  }
  std::printf("\nMAP                          KEYS\n");
  for (const auto& [name, n] : ObjectOrEmpty(s, "maps").items()) {
    std::printf("%-28s %s\n", name.c_str(), DumpJson(n).c_str());
  }
}

// Shared bus: read heartbeats and maps from the bus itself (no dolphin process needed).
int DirectStatus(const AppConfig& config, const CliContext& ctx, bool as_json) {
  DirectBus direct(config, ctx);
  if (int c = direct.Connect("status"); c != kExitOk) return c;
  bus::KvBus& bus = direct.bus();
  Json s;
  s["bus"] = bus.Describe();
  s["cluster_name"] = config.bus.cluster_name;
  s["ts"] = FormatRfc3339(direct.clock().Now());
  Json heartbeats = Json::object();
  auto keys = bus.Keys(kHeartbeatMap);
  if (!keys.ok()) {
    PrintError(keys.status().WithPrefix("status").message());
    return kExitFailure;
  }
  for (const auto& k : *keys) {
    auto v = bus.Get(kHeartbeatMap, k);
    if (v.ok() && v->has_value()) heartbeats[k] = BusValueAsJson(**v);
  }
  s["heartbeats"] = heartbeats;
  auto names = bus.Maps();
  if (!names.ok()) {
    PrintError(names.status().WithPrefix("status").message());
    return kExitFailure;
  }
  Json maps = Json::object();
  for (const auto& m : *names) {
    auto n = bus.Keys(m);
    maps[m] = n.ok() ? static_cast<int64_t>(n->size()) : -1;
  }
  s["maps"] = maps;
  if (as_json) {
    // Bus keys written by another client may not be valid UTF-8: replaced here, never thrown.
    std::printf("%s\n", s.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("bus %s  cluster %s  (read from the bus; no control API)\n", Text(s, "bus").c_str(),
              config.bus.cluster_name.c_str());
  PrintTables(s);
  return kExitOk;
}

int Status_(const CliContext& ctx, bool as_json) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (!BusThroughApi(*config)) return DirectStatus(*config, ctx, as_json);
  auto client = api::ApiClient::FromStateDir(config->process.state_dir);
  if (!client.ok()) {
    PrintError(client.status().message());
    return kExitFailure;
  }
  auto r = client->Get("/api/status");
  if (!r.ok()) {
    PrintError(r.status().message());
    return kExitFailure;
  }
  auto j = ParseJson(r->body, "status reply");
  if (!j.ok()) {
    PrintError(j.status().message());
    return kExitFailure;
  }
  if (as_json) {
    std::printf("%s\n", j->dump(2).c_str());
    return kExitOk;
  }
  const Json& s = *j;
  auto uptime = contract::GetDouble(s, "uptime_s", "status reply");
  std::printf("dolphin %s  pid %s  up %s  bus %s  api %s\n", Text(s, "version").c_str(), Text(s, "pid").c_str(),
              uptime.ok() ? FormatDuration(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*uptime)))
                                .c_str()
                          : "?",
              Text(s, "bus").c_str(), client->addr().c_str());
  PrintTables(s);
  return kExitOk;
}

}  // namespace

void AddStatusCommand(CLI::App& root, CliContext& ctx) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = root.add_subcommand("status", "Show what the running dolphin is doing: heartbeats, services, maps");
  AddCommonOptions(cmd, ctx);
  cmd->add_flag("--json", *as_json,
                "Print the raw /api/status JSON (shared bus: {bus, cluster_name, ts, heartbeats, maps})");
  cmd->callback([&ctx, as_json] { ctx.action = [&ctx, as_json] { return Status_(ctx, *as_json); }; });
}

}  // namespace dolphin::cli
