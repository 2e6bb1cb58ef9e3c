#include "direct_bus.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>

#include "../cli.h"
#include "dolphin/api/api_client.h"
#include "dolphin/indicators/flows.h"

namespace dolphin::cli {

bool BusThroughApi(const AppConfig& config) { return config.bus.backend == "memory"; }

std::string BusApiPath(const std::string& prefix, const std::string& map, const std::string& key) {
  std::string p = prefix + api::ApiClient::Escape(map);
  if (!key.empty()) p += "/" + api::ApiClient::Escape(key);
  return p;
}

DirectBus::DirectBus(const AppConfig& config, const CliContext& ctx) : config_(config) {
  AppConfig quiet = config;
  if (ctx.log_level.empty() &&
      (quiet.process.log_level == "debug" || quiet.process.log_level == "info")) {
    quiet.process.log_level = "warn";
  }
  logger_ = MakeLogger(quiet, clock_);
  process_env_ = std::make_unique<ProcessEnv>(clock_, *logger_);
}

DirectBus::~DirectBus() { bus_.reset(); }

int DirectBus::Connect(std::string_view verb) {
  auto bus = MakeBus(config_, process_env_->env());
  if (bus.ok()) {
    bus_ = std::move(bus).value();
    return kExitOk;
  }
  const Status& st = bus.status();
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      PrintError(fmt::format("{}: {}", verb, st.message()));
      return kExitUsage;
    case StatusCode::kUnimplemented:
      PrintError(fmt::format("{}: {}", verb, st.message()));
      return kExitNotBuilt;
    case StatusCode::kFailedPrecondition:  // The member answered and refused us.
      PrintError(fmt::format("{}: {}", verb, st.message()));
      return kExitFailure;
    default:
      PrintError(fmt::format("{}: no {} member answered (tried {}; cluster \"{}\"): {}", verb,
                             config_.bus.backend, fmt::join(config_.bus.members, ", "),
                             config_.bus.cluster_name, st.message()));
      return kExitFailure;
  }
}

Json BusValueAsJson(const std::string& value) {
  if (Json::accept(value)) return Json::parse(value);
  return Json(value);
}

Json WatchEventJson(const bus::BusEvent& e) {
  Json data;
  data["type"] = bus::EventTypeName(e.type);
  data["map"] = e.map;
  data["key"] = e.key;
  data["value"] = e.type == bus::EventType::kRemoved ? Json(nullptr) : BusValueAsJson(e.value);
  return data;
}

namespace {

// The running dolphin's embedded bus through its control API.
class ApiSink final : public indicators::FeatureSink {
 public:
  explicit ApiSink(api::ApiClient client) : client_(std::move(client)) {}
  Result<std::optional<std::string>> Get(const std::string& map, const std::string& key) override {
    DOLPHIN_ASSIGN_OR_RETURN(api::ApiResponse r, client_.Get(BusApiPath("/api/bus/", map, key)));
    if (r.status == 404) return std::optional<std::string>();
    if (r.status != 200) {
      return UnavailableError(
          fmt::format("GET {}[{}]: HTTP {}: {}", map, key, r.status, r.body.substr(0, 200)));
    }
    return std::optional<std::string>(std::move(r.body));
  }
  Status Put(const std::string& map, const std::string& key, const std::string& value) override {
    DOLPHIN_ASSIGN_OR_RETURN(api::ApiResponse r,
                             client_.Put(BusApiPath("/api/bus/", map, key), value));
    if (r.status / 100 != 2) {
      return UnavailableError(
          fmt::format("PUT {}[{}]: HTTP {}: {}", map, key, r.status, r.body.substr(0, 200)));
    }
    return Status::Ok();
  }

 private:
  api::ApiClient client_;
};

}  // namespace

Result<FlowSink> OpenFlowSink(const AppConfig& config, Env env) {
  FlowSink out;
  if (BusThroughApi(config)) {
    auto client = api::ApiClient::FromStateDir(config.process.state_dir);
    if (!client.ok()) {
      return UnavailableError(
          fmt::format("no running dolphin to publish to: {}", client.status().message()));
    }
    out.sink = std::make_unique<ApiSink>(std::move(*client));
    return out;
  }
  DOLPHIN_ASSIGN_OR_RETURN(out.bus, MakeBus(config, env));
  out.sink = indicators::NewBusFeatureSink(*out.bus);
  return out;
}

std::optional<FlowInvocation> LoadFlowInvocation(CliContext& ctx, const std::string& verb,
                                                 int* exit_code) {
  auto env_or = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::string(v) : std::string();
  };
  if (ctx.config_path.empty()) ctx.config_path = env_or("DOLPHIN_CONFIG");
  auto config = LoadOrReport(ctx, exit_code);
  if (!config) return std::nullopt;
  FlowInvocation out{std::move(*config), Json::object(), "", ""};
  if (std::string dir = env_or("DOLPHIN_STATE_DIR"); !dir.empty())
    out.config.process.state_dir = dir;
  std::string params = env_or("DOLPHIN_PARAMETERS");
  if (params.empty()) params = "{}";
  auto p = ParseJson(params, "DOLPHIN_PARAMETERS");
  if (!p.ok() || !p->is_object()) {
    PrintError(fmt::format("{}: DOLPHIN_PARAMETERS: expected a JSON object, got {}", verb,
                           params.substr(0, 80)));
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  out.parameters = std::move(*p);
  out.run_id = env_or("DOLPHIN_FLOW_RUN_ID");
  out.deployment = env_or("DOLPHIN_DEPLOYMENT");
  return out;
}

}  // namespace dolphin::cli
