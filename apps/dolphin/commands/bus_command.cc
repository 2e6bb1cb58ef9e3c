// `dolphin bus get|put|keys|watch`: the feature bus from the shell. With the embedded bus the
// verbs go through the running dolphin's control API (<state_dir>/api.addr).
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "../cli.h"
#include "../wiring.h"
#include "dolphin/api/api_client.h"
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
};

// Resolves the API client for the configured state_dir, or prints why not.
std::optional<api::ApiClient> Client(const CliContext& ctx, int* code) {
  auto config = LoadOrReport(ctx, code);
  if (!config) return std::nullopt;
  if (config->bus.backend != "memory") {
    PrintError(fmt::format("bus: the {} backend is not built yet for the CLI", config->bus.backend));
    *code = kExitNotBuilt;
    return std::nullopt;
  }
  auto client = api::ApiClient::FromStateDir(config->process.state_dir);
  if (!client.ok()) {
    PrintError(client.status().message());
    *code = kExitFailure;
    return std::nullopt;
  }
  return std::move(*client);
}

std::string Path(const std::string& prefix, const std::string& map, const std::string& key = "") {
  std::string p = prefix + api::ApiClient::Escape(map);
  if (!key.empty()) p += "/" + api::ApiClient::Escape(key);
  return p;
}

int Fail(const Status& st) {
  PrintError(st.message());
  return st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

int Get(const CliContext& ctx, const BusFlags& f) {
  int code = kExitOk;
  auto client = Client(ctx, &code);
  if (!client) return code;
  auto r = client->Get(Path("/api/bus/", f.map, f.key));
  if (!r.ok()) return Fail(r.status());
  if (r->status == 404) {
    PrintError(fmt::format("bus get: no key \"{}\" in map \"{}\"", f.key, f.map));
    return kExitFailure;
  }
  if (f.raw) {
    std::printf("%s\n", r->body.c_str());
  } else {
    auto j = ParseJson(r->body);
    std::printf("%s\n", j.ok() ? j->dump(2).c_str() : r->body.c_str());
  }
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
  auto client = Client(ctx, &code);
  if (!client) return code;
  auto r = client->Put(Path("/api/bus/", f.map, f.key), value);
  if (!r.ok()) return Fail(r.status());
  std::printf("ok: %s[%s] set (%zu bytes)\n", f.map.c_str(), f.key.c_str(), value.size());
  return kExitOk;
}

int Keys(const CliContext& ctx, const BusFlags& f) {
  int code = kExitOk;
  auto client = Client(ctx, &code);
  if (!client) return code;
  if (f.map.empty()) {
    auto r = client->Get("/api/bus");
    if (!r.ok()) return Fail(r.status());
    auto j = ParseJson(r->body);
    if (!j.ok()) return Fail(j.status());
    for (const auto& [name, n] : (*j)["maps"].items()) {
      std::printf("%s\t%s key(s)\n", name.c_str(), n.dump().c_str());
    }
    return kExitOk;
  }
  auto r = client->Get(Path("/api/bus/", f.map) + "?keys_only=1");
  if (!r.ok()) return Fail(r.status());
  auto j = ParseJson(r->body);
  if (!j.ok()) return Fail(j.status());
  for (const auto& k : (*j)["keys"]) std::printf("%s\n", k.get<std::string>().c_str());
  return kExitOk;
}

int Watch(const CliContext& ctx, const BusFlags& f) {
  int code = kExitOk;
  auto client = Client(ctx, &code);
  if (!client) return code;
  int64_t seen = 0;
  Status st = client->Watch(Path("/api/watch/", f.map, f.key),
                            [&](const std::string& event, const std::string& data) {
                              if (f.json_lines) {
                                std::printf("%s\n", data.c_str());
                              } else {
                                auto j = ParseJson(data);
                                std::string key = j.ok() ? (*j)["key"].get<std::string>() : "?";
                                std::string value = j.ok() ? (*j)["value"].dump() : data;
                                std::printf("%-8s %s %s\n", event.c_str(), key.c_str(),
                                            value.c_str());
                              }
                              std::fflush(stdout);
                              return f.count == 0 || ++seen < f.count;
                            });
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

  CLI::App* put = cmd->add_subcommand("put", "Set MAP[KEY] to a JSON VALUE ('-' reads stdin); needs the API token");
  AddCommonOptions(put, ctx);
  put->add_option("MAP", f->map, "Map name")->required();
  put->add_option("KEY", f->key, "Key")->required();
  put->add_option("VALUE", f->value, "JSON text, or - for stdin")->required();
  put->callback([&ctx, f] { ctx.action = [&ctx, f] { return Put(ctx, *f); }; });

  CLI::App* keys = cmd->add_subcommand("keys", "List the keys of MAP (or every map with its key count)");
  AddCommonOptions(keys, ctx);
  keys->add_option("MAP", f->map, "Map name (omit to list maps)");
  keys->callback([&ctx, f] { ctx.action = [&ctx, f] { return Keys(ctx, *f); }; });

  CLI::App* watch = cmd->add_subcommand("watch", "Stream changes of MAP (or MAP[KEY]): current values first");
  AddCommonOptions(watch, ctx);
  watch->add_option("MAP", f->map, "Map name")->required();
  watch->add_option("KEY", f->key, "Key (omit for the whole map)");
  watch->add_flag("--json", f->json_lines, "One JSON object per event");
  watch->add_option("-n,--count", f->count, "Stop after N events (default: until interrupted)")
      ->check(CLI::NonNegativeNumber);
  watch->callback([&ctx, f] { ctx.action = [&ctx, f] { return Watch(ctx, *f); }; });
}

}  // namespace dolphin::cli
