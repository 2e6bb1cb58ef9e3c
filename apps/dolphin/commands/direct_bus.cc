#include "direct_bus.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "../cli.h"
#include "dolphin/api/api_client.h"

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

}  // namespace dolphin::cli
