// Deployment options <-> JSON (store.h): the store's spec column and the API's bodies.
#include <fmt/format.h>

#include <set>

#include "dolphin/scheduler/store.h"

namespace dolphin::scheduler {

Json DeploymentToJson(const DeploymentOptions& d) {
  Json j = Json::object();
  j["deployment"] = d.full_name();
  j["flow"] = d.flow;
  j["name"] = d.name;
  j["pool"] = d.pool;
  j["interval_s"] = nullptr;
  j["cron"] = nullptr;
  if (d.schedule && d.schedule->is_cron()) {
    j["cron"] = d.schedule->ToString().substr(5);
  } else if (d.schedule) {
    j["interval_s"] = SecondsOf(d.schedule->interval());
  }
  j["parameters"] = d.parameters;
  j["tags"] = d.tags;
  j["concurrency_limit"] = d.concurrency_limit ? Json(*d.concurrency_limit) : Json(nullptr);
  j["collision_strategy"] = CollisionStrategyText(d.collision_strategy);
  j["retries"] = d.retries;
  j["retry_delay_s"] = SecondsOf(d.retry_delay);
  j["retry_jitter"] = d.retry_jitter;
  j["timeout_s"] = d.timeout ? Json(SecondsOf(*d.timeout)) : Json(nullptr);
  j["max_lateness_s"] = SecondsOf(d.max_lateness);
  j["on_recovery"] = d.on_recovery;
  j["command"] = d.command;
  j["service"] = d.service;
  j["paused"] = d.paused;
  return j;
}

Result<DeploymentOptions> DeploymentFromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgumentError("deployment: expected a JSON object");
  static const std::set<std::string> kKnown = {"deployment",
                                               "flow",
                                               "name",
                                               "pool",
                                               "interval_s",
                                               "cron",
                                               "parameters",
                                               "tags",
                                               "concurrency_limit",
                                               "collision_strategy",
                                               "retries",
                                               "retry_delay_s",
                                               "retry_jitter",
                                               "timeout_s",
                                               "max_lateness_s",
                                               "on_recovery",
                                               "command",
                                               "service",
                                               "paused",
                                               "enabled"};
  for (const auto& [k, v] : j.items()) {
    if (kKnown.count(k) == 0)
      return InvalidArgumentError(fmt::format("deployment: unknown field \"{}\"", k));
  }
  auto bad = [](std::string_view field, std::string_view expected) {
    return InvalidArgumentError(fmt::format("deployment: {}: expected {}", field, expected));
  };
  DeploymentOptions d;
  auto str = [&](const char* key, std::string* out) -> Status {
    if (!j.contains(key) || j[key].is_null()) return Status::Ok();
    if (!j[key].is_string()) return bad(key, "a string");
    *out = j[key].get<std::string>();
    return Status::Ok();
  };
  auto num = [&](const char* key, double min, double max) -> Result<std::optional<double>> {
    if (!j.contains(key) || j[key].is_null()) return std::optional<double>();
    if (!j[key].is_number()) return bad(key, fmt::format("a number in [{}, {}]", min, max));
    const double v = j[key].get<double>();
    if (!(v >= min && v <= max)) return bad(key, fmt::format("a number in [{}, {}]", min, max));
    return std::optional<double>(v);
  };
  auto strings = [&](const char* key, std::vector<std::string>* out) -> Status {
    if (!j.contains(key) || j[key].is_null()) return Status::Ok();
    if (!j[key].is_array()) return bad(key, "an array of strings");
    out->clear();
    for (const auto& e : j[key]) {
      if (!e.is_string() || e.get<std::string>().empty())
        return bad(key, "an array of non-empty strings");
      out->push_back(e.get<std::string>());
    }
    return Status::Ok();
  };
  auto boolean = [&](const char* key, bool* out) -> Status {
    if (!j.contains(key) || j[key].is_null()) return Status::Ok();
    if (!j[key].is_boolean()) return bad(key, "true or false");
    *out = j[key].get<bool>();
    return Status::Ok();
  };
  std::string full;
  DOLPHIN_RETURN_IF_ERROR(str("deployment", &full));
  if (!full.empty()) {
    DOLPHIN_ASSIGN_OR_RETURN(auto split, SplitDeploymentName(full));
    d.flow = split.first;
    d.name = split.second;
  }
  DOLPHIN_RETURN_IF_ERROR(str("flow", &d.flow));
  DOLPHIN_RETURN_IF_ERROR(str("name", &d.name));
  if (d.flow.empty() || d.name.empty() || d.flow.find('/') != std::string::npos ||
      d.name.find('/') != std::string::npos) {
    return bad("deployment", "\"<flow>/<name>\" (or flow and name without '/')");
  }
  DOLPHIN_RETURN_IF_ERROR(str("pool", &d.pool));
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<double> interval, num("interval_s", 0.001, 366 * 86400.0));
  std::string cron;
  DOLPHIN_RETURN_IF_ERROR(str("cron", &cron));
  if (interval && !cron.empty()) return bad("cron", "either interval_s or cron, got both");
  if (interval) d.schedule = Schedule::Every(DurationOfSeconds(*interval));
  if (!cron.empty()) {
    auto c = CronExpr::Parse(cron);
    if (!c.ok())
      return InvalidArgumentError(fmt::format("deployment: cron: {}", c.status().message()));
    d.schedule = Schedule::Cron(*c);
  }
  if (j.contains("parameters") && !j["parameters"].is_null()) {
    if (!j["parameters"].is_object()) return bad("parameters", "a JSON object");
    d.parameters = j["parameters"];
  }
  DOLPHIN_RETURN_IF_ERROR(strings("tags", &d.tags));
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<double> limit, num("concurrency_limit", 1, 100000));
  if (limit) d.concurrency_limit = static_cast<int>(*limit);
  std::string collision;
  DOLPHIN_RETURN_IF_ERROR(str("collision_strategy", &collision));
  if (collision == "CANCEL_NEW") {
    d.collision_strategy = CollisionStrategy::kCancelNew;
  } else if (!collision.empty() && collision != "ENQUEUE") {
    return bad("collision_strategy", fmt::format("ENQUEUE or CANCEL_NEW, got \"{}\"", collision));
  }
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<double> retries, num("retries", 0, 100));
  if (retries) d.retries = static_cast<int>(*retries);
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<double> delay, num("retry_delay_s", 0, 86400));
  if (delay) d.retry_delay = DurationOfSeconds(*delay);
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<double> jitter, num("retry_jitter", 0, 1));
  if (jitter) d.retry_jitter = *jitter;
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<double> timeout, num("timeout_s", 0.001, 30 * 86400.0));
  if (timeout) d.timeout = DurationOfSeconds(*timeout);
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<double> lateness, num("max_lateness_s", 0, 30 * 86400.0));
  if (lateness) d.max_lateness = DurationOfSeconds(*lateness);
  DOLPHIN_RETURN_IF_ERROR(boolean("on_recovery", &d.on_recovery));
  DOLPHIN_RETURN_IF_ERROR(strings("command", &d.command));
  DOLPHIN_RETURN_IF_ERROR(str("service", &d.service));
  DOLPHIN_RETURN_IF_ERROR(boolean("paused", &d.paused));
  DOLPHIN_RETURN_IF_ERROR(boolean("enabled", &d.enabled));
  return d;
}

}  // namespace dolphin::scheduler
