// `dolphin bus get|put|keys|watch`: the feature bus from the shell. With the embedded bus the
// verbs go through the running dolphin's control API (<state_dir>/api.addr); with a shared bus
// (`[bus] backend = "hazelcast"`) they connect to it directly (DirectBus). Both paths print
// the same output.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>

#include "../cli.h"
#include "../signals.h"
#include "../wiring.h"
#include "direct_bus.h"
#include "dolphin/api/api_client.h"
#include "dolphin/contract/json_fields.h"
#include "dolphin/core/json.h"

namespace dolphin::cli {

namespace {

struct BusFlags {
  std::string map;
  std::string key;
  std::string value;
  bool raw = false;
  bool json_lines = false;
  int64_t count = 0;
  double timeout_s = 0;
};

// Resolves the API client for the configured state_dir, or prints why not.
std::optional<api::ApiClient> Client(const AppConfig& config, int* code) {
  auto client = api::ApiClient::FromStateDir(config.process.state_dir);
  if (!client.ok()) {
    PrintError(client.status().message());
    *code = kExitFailure;
    return std::nullopt;
  }
  return std::move(*client);
}

int Fail(const Status& st) {
  PrintError(st.message());
  return st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// Watch output, the same for both paths: `--json` prints the event object, else
// "TYPE     key value".
void PrintWatchEvent(const BusFlags& f, const std::string& event, const std::string& data) {
  if (f.json_lines) {
    std::printf("%s\n", data.c_str());
  } else {
    // The event comes from the server: a missing or mistyped field prints as "?", never throws.
    auto j = contract::ParseObject(data, "watch event");
    std::string key = j.ok() ? contract::GetString(*j, "key", "watch event").value_or("?") : "?";
    const Json* v = j.ok() ? contract::FindField(*j, "value") : nullptr;
    std::string value = v != nullptr ? DumpJson(*v) : data;
    std::printf("%-8s %s %s\n", event.c_str(), key.c_str(), value.c_str());
  }
  std::fflush(stdout);
}

void PrintValue(const BusFlags& f, const std::string& text) {
  if (f.raw) {
    std::printf("%s\n", text.c_str());
  } else {
    auto j = ParseJson(text);
    std::printf("%s\n", j.ok() ? j->dump(2).c_str() : text.c_str());
  }
}

std::string NoKey(const BusFlags& f) {
  return fmt::format("bus get: no key \"{}\" in map \"{}\"", f.key, f.map);
}

int Get(const CliContext& ctx, const BusFlags& f) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (!BusThroughApi(*config)) {
    DirectBus direct(*config, ctx);
    if (int c = direct.Connect("bus get"); c != kExitOk) return c;
    auto v = direct.bus().Get(f.map, f.key);
    if (!v.ok()) return Fail(v.status().WithPrefix("bus get"));
    if (!v->has_value()) {
      PrintError(NoKey(f));
      return kExitFailure;
    }
    PrintValue(f, **v);
    return kExitOk;
  }
  auto client = Client(*config, &code);
  if (!client) return code;
  auto r = client->Get(BusApiPath("/api/bus/", f.map, f.key));
  if (!r.ok()) return Fail(r.status());
  if (r->status == 404) {
    PrintError(NoKey(f));
    return kExitFailure;
  }
  PrintValue(f, r->body);
  return kExitOk;
}

int Put(const CliContext& ctx, const BusFlags& f) {
  std::string value = f.value;
  if (value == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    value = ss.str();
  }
  if (auto j = ParseJson(value, "value"); !j.ok()) {
    PrintError(fmt::format("bus put: {}", j.status().message()));
    return kExitUsage;
  }
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (!BusThroughApi(*config)) {
    DirectBus direct(*config, ctx);
    if (int c = direct.Connect("bus put"); c != kExitOk) return c;
    if (Status st = direct.bus().Put(f.map, f.key, value); !st.ok()) {
      return Fail(st.WithPrefix("bus put"));
    }
  } else {
    auto client = Client(*config, &code);
    if (!client) return code;
    auto r = client->Put(BusApiPath("/api/bus/", f.map, f.key), value);
    if (!r.ok()) return Fail(r.status());
  }
  std::printf("ok: %s[%s] set (%zu bytes)\n", f.map.c_str(), f.key.c_str(), value.size());
  return kExitOk;
}

void PrintMapCount(const std::string& name, const Json& n) {
  std::printf("%s\t%s key(s)\n", name.c_str(), n.dump().c_str());
}

int DirectKeys(const AppConfig& config, const CliContext& ctx, const BusFlags& f) {
  DirectBus direct(config, ctx);
  if (int c = direct.Connect("bus keys"); c != kExitOk) return c;
  if (f.map.empty()) {
    auto maps = direct.bus().Maps();
    if (!maps.ok()) return Fail(maps.status().WithPrefix("bus keys"));
    for (const auto& m : *maps) {
      auto keys = direct.bus().Keys(m);
      PrintMapCount(m, Json(keys.ok() ? static_cast<int64_t>(keys->size()) : -1));
    }
    return kExitOk;
  }
  auto keys = direct.bus().Keys(f.map);
  if (!keys.ok()) return Fail(keys.status().WithPrefix("bus keys"));
  for (const auto& k : *keys) std::printf("%s\n", k.c_str());
  return kExitOk;
}

int Keys(const CliContext& ctx, const BusFlags& f) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (!BusThroughApi(*config)) return DirectKeys(*config, ctx, f);
  auto client = Client(*config, &code);
  if (!client) return code;
  if (f.map.empty()) {
    auto r = client->Get("/api/bus");
    if (!r.ok()) return Fail(r.status());
    auto j = contract::ParseObject(r->body, "GET /api/bus reply");
    if (!j.ok()) return Fail(j.status());
    auto maps = contract::GetObject(*j, "maps", "GET /api/bus reply");
    if (!maps.ok()) return Fail(maps.status());
    for (const auto& [name, n] : maps->items()) PrintMapCount(name, n);
    return kExitOk;
  }
  auto r = client->Get(BusApiPath("/api/bus/", f.map) + "?keys_only=1");
  if (!r.ok()) return Fail(r.status());
  constexpr char kWhat[] = "GET /api/bus/<map> reply";
  auto j = contract::ParseObject(r->body, kWhat);
  if (!j.ok()) return Fail(j.status());
  auto keys = contract::GetArray(*j, "keys", kWhat);
  if (!keys.ok()) return Fail(keys.status());
  for (const auto& k : *keys) {
    auto name = contract::AsString(k, "keys[]", kWhat);
    if (!name.ok()) return Fail(name.status());
    std::printf("%s\n", name->c_str());
  }
  return kExitOk;
}

// Straight on the shared bus: a listener prints each event (SNAPSHOTs first) until --count
// events, --timeout, or SIGINT/SIGTERM (exit 0 for all three). Connection changes go to stderr.
int DirectWatch(const AppConfig& config, const CliContext& ctx, const BusFlags& f) {
  DirectBus direct(config, ctx);
  CancelToken cancel;
  // Before the bus starts its threads, so they all inherit the blocked signal mask.
  SignalCanceller signals(cancel, direct.logger(), "bus watch");
  if (int c = direct.Connect("bus watch"); c != kExitOk) return c;
  bus::KvBus& bus = direct.bus();

  std::mutex mu;
  int64_t seen = 0;      // guarded by mu
  bool stopped = false;  // guarded by mu
  auto on_event = [&](const bus::BusEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    PrintWatchEvent(f, std::string(bus::EventTypeName(e.type)), DumpJson(WatchEventJson(e)));
    if (f.count > 0 && ++seen >= f.count) {
      stopped = true;
      cancel.Cancel();
    }
  };
  auto conn = bus.AddConnectionListener([&](bus::ConnectionEvent e) {
    switch (e) {
      case bus::ConnectionEvent::kDisconnected:
        PrintError("bus watch: connection to the bus lost; reconnecting");
        break;
      case bus::ConnectionEvent::kReconnected:
        PrintError("bus watch: reconnected; current values follow as SNAPSHOT");
        break;
      case bus::ConnectionEvent::kClusterChanged:
        PrintError("bus watch: reconnected to a restarted cluster (its maps started empty)");
        break;
    }
  });
  bus::ListenerOptions lo;
  lo.name = "cli-watch";
  auto id = f.key.empty() ? bus.AddMapListener(f.map, on_event, lo)
                          : bus.AddKeyListener(f.map, f.key, on_event, lo);
  if (!id.ok()) {
    if (conn.ok()) (void)bus.RemoveConnectionListener(*conn);
    return Fail(id.status().WithPrefix("bus watch"));
  }
  if (f.timeout_s > 0) {
    direct.clock().WaitFor(DurationOfSeconds(f.timeout_s), cancel);
  } else {
    while (!cancel.cancelled()) direct.clock().WaitFor(std::chrono::hours(1), cancel);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stopped = true;
  }
  (void)bus.RemoveListener(*id);
  if (conn.ok()) (void)bus.RemoveConnectionListener(*conn);
  return kExitOk;
}

int Watch(const CliContext& ctx, const BusFlags& f) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (!BusThroughApi(*config)) return DirectWatch(*config, ctx, f);
  auto client = Client(*config, &code);
  if (!client) return code;
  int64_t seen = 0;
  SystemClock clock;
  const MonoTime deadline = clock.MonotonicNow() + DurationOfSeconds(f.timeout_s);
  Status st = client->Watch(
      BusApiPath("/api/watch/", f.map, f.key),
      [&](const std::string& event, const std::string& data) {
        PrintWatchEvent(f, event, data);
        return f.count == 0 || ++seen < f.count;
      },
      [&] { return f.timeout_s <= 0 || clock.MonotonicNow() < deadline; });
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace

void AddBusCommand(CLI::App& root, CliContext& ctx) {
  auto f = std::make_shared<BusFlags>();
  CLI::App* cmd = root.add_subcommand("bus", "Read, write and watch the feature bus");
  cmd->require_subcommand(1);
  AddCommonOptions(cmd, ctx);

  CLI::App* get = cmd->add_subcommand("get", "Print the value of MAP[KEY]");
  AddCommonOptions(get, ctx);
  get->add_option("MAP", f->map, "Map name, e.g. DOLPHIN_FEATURES")->required();
  get->add_option("KEY", f->key, "Key, e.g. latest_eigen_scan")->required();
  get->add_flag("--raw", f->raw, "Print the stored text as is (default: pretty JSON)");
  get->callback([&ctx, f] { ctx.action = [&ctx, f] { return Get(ctx, *f); }; });

  CLI::App* put = cmd->add_subcommand(
      "put",
      "Set MAP[KEY] to a JSON VALUE ('-' reads stdin); the embedded bus needs the API token");
  AddCommonOptions(put, ctx);
  put->add_option("MAP", f->map, "Map name")->required();
  put->add_option("KEY", f->key, "Key")->required();
  put->add_option("VALUE", f->value, "JSON text, or - for stdin")->required();
  put->callback([&ctx, f] { ctx.action = [&ctx, f] { return Put(ctx, *f); }; });

  CLI::App* keys =
      cmd->add_subcommand("keys", "List the keys of MAP (or every map with its key count)");
  AddCommonOptions(keys, ctx);
  keys->add_option("MAP", f->map, "Map name (omit to list maps)");
  keys->callback([&ctx, f] { ctx.action = [&ctx, f] { return Keys(ctx, *f); }; });

  CLI::App* watch =
      cmd->add_subcommand("watch", "Stream changes of MAP (or MAP[KEY]): current values first");
  AddCommonOptions(watch, ctx);
  watch->add_option("MAP", f->map, "Map name")->required();
  watch->add_option("KEY", f->key, "Key (omit for the whole map)");
  watch->add_flag("--json", f->json_lines, "One JSON object per event");
  watch->add_option("-n,--count", f->count, "Stop after N events (default: until interrupted)")
      ->check(CLI::NonNegativeNumber);
  watch
      ->add_option("--timeout", f->timeout_s,
                   "Stop after this many seconds (exit 0; default: until interrupted)")
      ->check(CLI::PositiveNumber);
  watch->callback([&ctx, f] { ctx.action = [&ctx, f] { return Watch(ctx, *f); }; });
}

}  // namespace dolphin::cli
