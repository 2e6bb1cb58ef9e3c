#include "dolphin/scheduler/pool_api.h"

#include <fmt/format.h>

#include <charconv>

namespace dolphin::scheduler {

namespace {

Json Time(const std::optional<Timestamp>& t) { return t ? Json(FormatRfc3339(*t)) : Json(nullptr); }

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

Status NoRoute(const PoolApiRequest& r) {
  return NotFoundError(fmt::format("no such endpoint: {} {}", r.method, r.path));
}

Result<int64_t> RunId(const std::string& text) {
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) {
    return InvalidArgumentError(
        fmt::format("flow run id: expected a positive integer, got \"{}\"", text));
  }
  return id;
}

Result<std::vector<std::string>> Strings(const Json& body, const char* key) {
  std::vector<std::string> out;
  if (!body.contains(key)) return out;
  if (!body[key].is_array())
    return InvalidArgumentError(fmt::format("{}: expected an array of strings", key));
  for (const auto& e : body[key]) {
    if (!e.is_string())
      return InvalidArgumentError(fmt::format("{}: expected an array of strings", key));
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::string> Worker(const Json& body) {
  if (!body.contains("worker") || !body["worker"].is_string() ||
      body["worker"].get<std::string>().empty()) {
    return InvalidArgumentError("worker: expected the worker's name (a non-empty string)");
  }
  return body["worker"].get<std::string>();
}

Json DeploymentJson(const DeploymentRecord& d) {
  Json j = DeploymentToJson(d.options);
  j["source"] = d.source;
  j["updated_at"] = FormatRfc3339(d.updated_at);
  j["schedule"] = d.options.schedule ? Json(d.options.schedule->ToString()) : Json(nullptr);
  return j;
}

Result<Json> Pools(Engine& engine, const PoolApiRequest& r, const std::vector<std::string>& p,
                   Timestamp now) {
  // p = ["api", "pools", name?, action?]
  if (r.method == "GET" && p.size() <= 3) {
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<PoolStatus> pools, engine.PoolStatuses(now));
    if (p.size() == 2) {
      Json out = Json::array();
      for (const auto& s : pools) out.push_back(PoolStatusToJson(s));
      return out;
    }
    for (const auto& s : pools) {
      if (s.pool.name == p[2]) return PoolStatusToJson(s);
    }
    return NotFoundError(fmt::format("unknown pool \"{}\"", p[2]));
  }
  if (r.method == "POST" && p.size() == 4 && (p[3] == "pause" || p[3] == "resume")) {
    DOLPHIN_RETURN_IF_ERROR(engine.SetPoolPaused(p[2], p[3] == "pause", now));
    return Json{{"pool", p[2]}, {"paused", p[3] == "pause"}};
  }
  return NoRoute(r);
}

Result<Json> Deployments(Engine& engine, const PoolApiRequest& r, const std::vector<std::string>& p,
                         Timestamp now) {
  if (p.size() == 2) {
    if (r.method == "GET") {
      DOLPHIN_ASSIGN_OR_RETURN(std::vector<DeploymentRecord> all,
                               engine.WithStore([](Store& s) { return s.ListDeployments(); }));
      Json out = Json::array();
      for (const auto& d : all) out.push_back(DeploymentJson(d));
      return out;
    }
    if (r.method == "POST") {
      DOLPHIN_ASSIGN_OR_RETURN(DeploymentOptions d, DeploymentFromJson(r.body));
      Status s = engine.PutDeployment(d, now);
      if (s.code() == StatusCode::kNotFound)
        return InvalidArgumentError(fmt::format("deployment: pool: {}", s.message()));
      DOLPHIN_RETURN_IF_ERROR(s);
      return DeploymentToJson(d);
    }
    return NoRoute(r);
  }
  if (p.size() < 4) return NoRoute(r);
  const std::string name = p[2] + "/" + p[3];
  if (p.size() == 4) {
    if (r.method == "GET") {
      DOLPHIN_ASSIGN_OR_RETURN(DeploymentRecord d,
                               engine.WithStore([&](Store& s) { return s.GetDeployment(name); }));
      return DeploymentJson(d);
    }
    if (r.method == "DELETE") {
      DOLPHIN_RETURN_IF_ERROR(engine.DeleteDeployment(name, now));
      return Json{{"deleted", name}};
    }
    return NoRoute(r);
  }
  if (p.size() == 5 && r.method == "POST") {
    if (p[4] == "run") {
      Json params = Json::object();
      if (r.body.contains("parameters")) {
        if (!r.body["parameters"].is_object()) {
          return InvalidArgumentError("parameters: expected a JSON object");
        }
        params = r.body["parameters"];
      }
      DOLPHIN_ASSIGN_OR_RETURN(FlowRun run, engine.RunDeployment(name, params, now));
      return FlowRunToJson(run, now);
    }
    if (p[4] == "pause" || p[4] == "resume") {
      DOLPHIN_RETURN_IF_ERROR(engine.SetDeploymentPaused(name, p[4] == "pause", now));
      return Json{{"deployment", name}, {"paused", p[4] == "pause"}};
    }
  }
  return NoRoute(r);
}

Result<Json> FlowRuns(Engine& engine, const PoolApiRequest& r, const std::vector<std::string>& p,
                      Timestamp now) {
  if (p.size() == 2 && r.method == "GET") {
    RunFilter f;
    f.newest_first = true;
    f.limit = 100;
    std::optional<StateName> name;
    if (auto it = r.query.find("state"); it != r.query.end() && !it->second.empty()) {
      if (auto t = ParseStateType(it->second); t.ok()) {
        f.types = {*t};
      } else if (auto n = ParseStateName(it->second); n.ok()) {
        name = *n;
      } else {
        return InvalidArgumentError(fmt::format(
            "state: \"{}\" is neither a state type (SCHEDULED, RUNNING, ...) nor a name (Late, ...)",
            it->second));
      }
    }
    if (auto it = r.query.find("deployment"); it != r.query.end()) f.deployment = it->second;
    if (auto it = r.query.find("pool"); it != r.query.end()) f.pool = it->second;
    if (auto it = r.query.find("limit"); it != r.query.end()) {
      size_t n = 0;
      auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
      if (ec != std::errc() || ptr != it->second.data() + it->second.size() || n == 0 ||
          n > 100000) {
        return InvalidArgumentError(
            fmt::format("limit: expected 1..100000, got \"{}\"", it->second));
      }
      f.limit = n;
    }
    if (name) f.limit = 0;  // filtered below
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> runs,
                             engine.WithStore([&](Store& s) { return s.ListRuns(f); }));
    Json out = Json::array();
    const size_t limit = r.query.count("limit") ? std::stoul(r.query.at("limit")) : 100;
    for (const auto& run : runs) {
      if (name && run.state.name != *name) continue;
      if (out.size() >= limit) break;
      out.push_back(FlowRunToJson(run, now));
    }
    return out;
  }
  if (p.size() == 3 && p[2] == "prune" && r.method == "POST") {
    // Housekeeping (docs/batch.md): finished runs that ended before `ended_before` go with
    // their history; runs still going are never touched.
    if (!r.body.contains("ended_before") || !r.body["ended_before"].is_string()) {
      return InvalidArgumentError("ended_before: expected an RFC 3339 timestamp");
    }
    DOLPHIN_ASSIGN_OR_RETURN(Timestamp cutoff,
                             ParseRfc3339(r.body["ended_before"].get<std::string>()));
    DOLPHIN_ASSIGN_OR_RETURN(int64_t deleted, engine.WithStore([&](Store& s) -> Result<int64_t> {
      RunFilter f;
      f.types = {StateType::kCompleted, StateType::kFailed, StateType::kCrashed,
                 StateType::kCancelled};
      DOLPHIN_ASSIGN_OR_RETURN(std::vector<FlowRun> runs, s.ListRuns(f));
      int64_t n = 0;
      for (const FlowRun& run : runs) {
        if (!run.end_time || *run.end_time >= cutoff) continue;
        DOLPHIN_RETURN_IF_ERROR(s.DeleteRun(run.id));
        ++n;
      }
      return n;
    }));
    return Json{{"deleted", deleted}};
  }
  if (p.size() < 3) return NoRoute(r);
  DOLPHIN_ASSIGN_OR_RETURN(int64_t id, RunId(p[2]));
  if (p.size() == 3 && r.method == "GET") {
    DOLPHIN_ASSIGN_OR_RETURN(FlowRun run, engine.WithStore([&](Store& s) { return s.GetRun(id); }));
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<StateChange> history,
                             engine.WithStore([&](Store& s) { return s.History(id); }));
    Json j = FlowRunToJson(run, now);
    Json h = Json::array();
    for (const auto& c : history) {
      h.push_back({{"from", c.from ? Json(c.from->ToString()) : Json(nullptr)},
                   {"to", c.to.ToString()},
                   {"message", c.message},
                   {"timestamp", FormatRfc3339(c.ts)}});
    }
    j["history"] = std::move(h);
    return j;
  }
  if (p.size() == 4 && r.method == "POST") {
    if (p[3] == "cancel") {
      std::string reason;
      if (r.body.contains("reason") && r.body["reason"].is_string()) reason = r.body["reason"];
      DOLPHIN_ASSIGN_OR_RETURN(FlowRun run, engine.Cancel(id, reason, now));
      return FlowRunToJson(run, now);
    }
    if (p[3] == "started") {
      DOLPHIN_ASSIGN_OR_RETURN(std::string worker, Worker(r.body));
      DOLPHIN_RETURN_IF_ERROR(engine.Started(id, worker, now));
      return Json{{"id", id}};
    }
    if (p[3] == "start_failed") {
      DOLPHIN_ASSIGN_OR_RETURN(std::string worker, Worker(r.body));
      if (!r.body.contains("message") || !r.body["message"].is_string()) {
        return InvalidArgumentError("message: expected a string (why the process could not start)");
      }
      DOLPHIN_RETURN_IF_ERROR(
          engine.StartFailed(id, worker, r.body["message"].get<std::string>(), now));
      return Json{{"id", id}};
    }
    if (p[3] == "finished") {
      DOLPHIN_ASSIGN_OR_RETURN(std::string worker, Worker(r.body));
      if (!r.body.contains("exit_code") || !r.body["exit_code"].is_number_integer()) {
        return InvalidArgumentError(
            "exit_code: expected an integer (negative: killed by that signal)");
      }
      std::string output;
      if (r.body.contains("output")) {
        if (!r.body["output"].is_string())
          return InvalidArgumentError("output: expected a string (the last output line)");
        output = r.body["output"].get<std::string>();
      }
      DOLPHIN_RETURN_IF_ERROR(
          engine.Finished(id, worker, r.body["exit_code"].get<int>(), now, output));
      return Json{{"id", id}};
    }
  }
  return NoRoute(r);
}

Result<Json> Limits(Engine& engine, const PoolApiRequest& r, const std::vector<std::string>& p) {
  if (p.size() == 2 && r.method == "GET") {
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<TagLimit> limits,
                             engine.WithStore([](Store& s) { return s.ListTagLimits(); }));
    Json out = Json::array();
    for (const auto& l : limits) {
      DOLPHIN_ASSIGN_OR_RETURN(
          int64_t active, engine.WithStore([&](Store& s) { return s.CountLeases("tag", l.tag); }));
      out.push_back(
          {{"tag", l.tag}, {"concurrency_limit", l.concurrency_limit}, {"active_slots", active}});
    }
    return out;
  }
  if (p.size() == 2 && r.method == "POST") {
    if (!r.body.contains("tag") || !r.body["tag"].is_string() ||
        r.body["tag"].get<std::string>().empty()) {
      return InvalidArgumentError("tag: expected a non-empty string");
    }
    if (!r.body.contains("concurrency_limit") || !r.body["concurrency_limit"].is_number_integer() ||
        r.body["concurrency_limit"].get<int64_t>() < 0 ||
        r.body["concurrency_limit"].get<int64_t>() > 100000) {
      return InvalidArgumentError("concurrency_limit: expected an integer in [0, 100000]");
    }
    const std::string tag = r.body["tag"];
    const int limit = r.body["concurrency_limit"].get<int>();
    DOLPHIN_RETURN_IF_ERROR(engine.SetTagLimit(tag, limit));
    return Json{{"tag", tag}, {"concurrency_limit", limit}};
  }
  if (p.size() == 3 && r.method == "DELETE") {
    DOLPHIN_RETURN_IF_ERROR(engine.DeleteTagLimit(p[2]));
    return Json{{"deleted", p[2]}};
  }
  return NoRoute(r);
}

Result<Json> Workers(Engine& engine, const PoolApiRequest& r, const std::vector<std::string>& p,
                     Timestamp now) {
  if (p.size() != 4 || r.method != "POST") return NoRoute(r);
  const std::string& worker = p[2];
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<std::string> pools, Strings(r.body, "pools"));
  if (p[3] == "claim") {
    size_t max = 1;
    if (r.body.contains("max")) {
      if (!r.body["max"].is_number_integer() || r.body["max"].get<int64_t>() < 1) {
        return InvalidArgumentError("max: expected an integer >= 1");
      }
      max = r.body["max"].get<size_t>();
    }
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<ClaimedRun> runs, engine.Claim(worker, pools, now, max));
    Json out = Json::array();
    for (const auto& c : runs) {
      Json j = FlowRunToJson(c.run, now);
      j["deployment_spec"] = DeploymentToJson(c.deployment);
      out.push_back(std::move(j));
    }
    return out;
  }
  if (p[3] == "heartbeat") {
    std::vector<int64_t> holding;
    if (r.body.contains("holding")) {
      if (!r.body["holding"].is_array())
        return InvalidArgumentError("holding: expected an array of run ids");
      for (const auto& e : r.body["holding"]) {
        if (!e.is_number_integer())
          return InvalidArgumentError("holding: expected an array of run ids");
        holding.push_back(e.get<int64_t>());
      }
    }
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<int64_t> kill,
                             engine.Heartbeat(worker, pools, holding, now));
    return Json{{"kill", kill}};
  }
  return NoRoute(r);
}

}  // namespace

const std::vector<std::string>& PoolApiPrefixes() {
  static const std::vector<std::string> kPrefixes = {"/api/pools", "/api/deployments",
                                                     "/api/flow_runs", "/api/concurrency_limits",
                                                     "/api/workers"};
  return kPrefixes;
}

Result<Json> HandlePoolApi(Engine& engine, const PoolApiRequest& r, Timestamp now) {
  const std::vector<std::string> p = Split(r.path);
  if (p.size() < 2 || p[0] != "api") return NoRoute(r);
  if (r.method != "GET" && !r.body.is_object()) {
    return InvalidArgumentError("request body: expected a JSON object");
  }
  if (p[1] == "pools") return Pools(engine, r, p, now);
  if (p[1] == "deployments") return Deployments(engine, r, p, now);
  if (p[1] == "flow_runs") return FlowRuns(engine, r, p, now);
  if (p[1] == "concurrency_limits") return Limits(engine, r, p);
  if (p[1] == "workers") return Workers(engine, r, p, now);
  return NoRoute(r);
}

Json FlowRunToJson(const FlowRun& run, Timestamp now) {
  Json j = Json::object();
  j["id"] = run.id;
  j["deployment"] = run.deployment;
  j["flow"] = run.flow;
  j["pool"] = run.pool;
  j["state_type"] = StateTypeText(run.state.type);
  j["state_name"] = StateNameText(run.state.name);
  j["state_message"] = run.state_message;
  j["state_timestamp"] = FormatRfc3339(run.state_ts);
  j["expected_start_time"] = FormatRfc3339(run.expected_start);
  j["due_at"] = FormatRfc3339(run.due_at);
  j["start_time"] = Time(run.start_time);
  j["end_time"] = Time(run.end_time);
  j["duration_s"] = run.start_time
                        ? Json(SecondsOf((run.end_time ? *run.end_time : now) - *run.start_time))
                        : Json(nullptr);
  // Lateness: how long after its due time it started (or, still waiting, has waited so far).
  Json lateness = nullptr;
  if (run.start_time) {
    lateness = SecondsOf(std::max(Duration(0), *run.start_time - run.expected_start));
  } else if (run.state.type == StateType::kScheduled && now > run.due_at) {
    lateness = SecondsOf(now - run.due_at);
  }
  j["lateness_s"] = lateness;
  j["run_count"] = run.run_count;
  j["worker"] = run.worker.empty() ? Json(nullptr) : Json(run.worker);
  j["exit_code"] = run.exit_code ? Json(*run.exit_code) : Json(nullptr);
  j["parameters"] = run.parameters;
  j["tags"] = run.tags;
  j["auto_scheduled"] = run.auto_scheduled;
  j["created_at"] = FormatRfc3339(run.created_at);
  return j;
}

Json PoolStatusToJson(const PoolStatus& s) {
  return Json{{"name", s.pool.name},
              {"status", s.status},
              {"concurrency_limit", s.pool.concurrency_limit},
              {"slots_used", s.slots_used},
              {"paused", s.pool.paused},
              {"description", s.pool.description},
              {"scheduled", s.scheduled},
              {"late", s.late},
              {"running", s.running},
              {"workers", s.workers}};
}

}  // namespace dolphin::scheduler
