// `dolphin pool|deployment|flow-run|concurrency-limit`: Prefect's verbs over the running
// scheduler's pool API (docs/scheduler.md "CLI"). Tables read at a glance; `--json` on every
// ls/inspect prints the API's JSON (one array or object, fields as the API names them).
//
// The scheduler is reached through the control API of `dolphin run` (api.addr) or of
// `dolphin serve scheduler` (api.scheduler.addr) in the configured state_dir. Exit codes: an
// unknown name or a bad argument is 2 (one line), the scheduler unreachable or refusing is 1.
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "../cli.h"
#include "../wiring.h"
#include "dolphin/api/api_client.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"
#include "dolphin/scheduler/worker.h"

namespace dolphin::cli {

namespace {

struct Flags {
  bool json = false;
  std::string name;  // pool / deployment / tag / run id
  std::vector<std::string> params;
  std::string state;
  std::string deployment;
  int limit = 0;
  int64_t tag_limit = 0;
  bool follow = false;
};

Result<api::ApiClient> Client(const AppConfig& config) {
  auto client = api::ApiClient::FromStateDir(config.process.state_dir);
  if (client.ok()) return client;
  if (auto other = api::ApiClient::FromStateDir(config.process.state_dir, "api.scheduler.addr");
      other.ok()) {
    return other;
  }
  return UnavailableError(fmt::format(
      "no scheduler is running for state_dir {} (start `dolphin run` or `dolphin serve scheduler`): {}",
      config.process.state_dir.string(), client.status().message()));
}

// The server's {"error": "..."} text, else the raw text.
std::string ErrorText(const std::string& body) {
  auto j = ParseJson(body);
  if (j.ok() && j->is_object() && j->contains("error") && (*j)["error"].is_string()) {
    return (*j)["error"].get<std::string>();
  }
  return body;
}

// One request: the reply's JSON, or prints one line and sets `exit_code`.
std::optional<Json> Call(const CliContext& ctx, const std::string& verb, const std::string& method,
                         const std::string& path, const Json& body, int* exit_code) {
  auto config = LoadOrReport(ctx, exit_code);
  if (!config) return std::nullopt;
  auto client = Client(*config);
  if (!client.ok()) {
    PrintError(fmt::format("{}: {}", verb, client.status().message()));
    *exit_code = kExitFailure;
    return std::nullopt;
  }
  Result<api::ApiResponse> r = method == "GET"      ? client->Get(path)
                               : method == "DELETE" ? client->Delete(path)
                                                    : client->Post(path, DumpJson(body));
  if (!r.ok()) {
    PrintError(fmt::format("{}: {}", verb, ErrorText(r.status().message())));
    const StatusCode c = r.status().code();
    *exit_code =
        c == StatusCode::kInvalidArgument || c == StatusCode::kNotFound ? kExitUsage : kExitFailure;
    return std::nullopt;
  }
  if (r->status == 404) {
    PrintError(fmt::format("{}: {}", verb, ErrorText(r->body)));
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  auto j = ParseJson(r->body, "the scheduler's reply");
  if (!j.ok()) {
    PrintError(fmt::format("{}: {}", verb, j.status().message()));
    *exit_code = kExitFailure;
    return std::nullopt;
  }
  return std::move(*j);
}

std::string Str(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  if (j[key].is_string()) return j[key].get<std::string>();
  return j[key].dump();
}

std::string Secs(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return "-";
  return FormatDuration(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(j[key].get<double>())));
}

// "2026-03-25 10:30:01" from RFC 3339 text (seconds, UTC), "-" when absent.
std::string When(const Json& j, const char* key) {
  const std::string s = Str(j, key);
  if (s.size() < 19) return s;
  std::string out = s.substr(0, 19);
  out[10] = ' ';
  return out;
}

std::string Join(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_array() || j[key].empty()) return "-";
  std::string out;
  for (const auto& e : j[key])
    out += (out.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
  return out;
}

int Print(const Json& j, bool json, const std::function<void(const Json&)>& table) {
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    table(j);
  }
  return kExitOk;
}

void PrintObject(const Json& j) {
  for (const auto& [k, v] : j.items()) {
    if (k == "history" || k == "parameters" || k == "deployment_spec") continue;
    std::printf("%-20s %s\n", k.c_str(),
                v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
  }
  if (j.contains("parameters"))
    std::printf("%-20s %s\n", "parameters", j["parameters"].dump().c_str());
}

// ---- pool

void PoolTable(const Json& pools) {
  std::printf("%-26s %-9s %5s %4s %9s %4s %7s %s\n", "POOL", "STATUS", "LIMIT", "USED", "SCHEDULED",
              "LATE", "RUNNING", "WORKERS");
  for (const auto& p : pools) {
    std::printf("%-26s %-9s %5s %4s %9s %4s %7s %s\n", Str(p, "name").c_str(),
                Str(p, "status").c_str(), Str(p, "concurrency_limit").c_str(),
                Str(p, "slots_used").c_str(), Str(p, "scheduled").c_str(), Str(p, "late").c_str(),
                Str(p, "running").c_str(), Join(p, "workers").c_str());
  }
}

void AddPool(CLI::App& root, CliContext& ctx) {
  CLI::App* pool =
      root.add_subcommand("pool", "Work pools: ls | inspect NAME | pause NAME | resume NAME");
  AddCommonOptions(pool, ctx);
  pool->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  CLI::App* ls = pool->add_subcommand("ls", "Every pool with its status, limit, slots and runs");
  ls->add_flag("--json", f->json, "Print the API's JSON");
  ls->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto j = Call(ctx, "pool ls", "GET", "/api/pools", {}, &code);
      if (!j) return code;
      return Print(*j, f->json, PoolTable);
    };
  });
  CLI::App* inspect = pool->add_subcommand("inspect", "One pool");
  inspect->add_option("NAME", f->name, "The pool")->required();
  inspect->add_flag("--json", f->json, "Print the API's JSON");
  inspect->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto j = Call(ctx, "pool inspect", "GET", "/api/pools/" + api::ApiClient::Escape(f->name), {},
                    &code);
      if (!j) return code;
      return Print(*j, f->json, PrintObject);
    };
  });
  for (const char* action : {"pause", "resume"}) {
    CLI::App* cmd = pool->add_subcommand(
        action, std::string(action) == "pause"
                    ? "Hand out no runs of the pool (schedules go on; no herd on resume)"
                    : "Hand out runs again (runs later than max_lateness_s are cancelled)");
    cmd->add_option("NAME", f->name, "The pool")->required();
    const std::string a = action;
    cmd->callback([&ctx, f, a] {
      ctx.action = [&ctx, f, a] {
        int code = kExitOk;
        auto j =
            Call(ctx, "pool " + a, "POST",
                 "/api/pools/" + api::ApiClient::Escape(f->name) + "/" + a, Json::object(), &code);
        if (!j) return code;
        std::printf("pool %s %s\n", f->name.c_str(), a == "pause" ? "paused" : "resumed");
        return kExitOk;
      };
    });
  }
}

// ---- deployment

void DeploymentTable(const Json& ds) {
  std::printf("%-40s %-24s %-22s %5s %-8s %-6s %s\n", "DEPLOYMENT", "POOL", "SCHEDULE", "LIMIT",
              "PAUSED", "RETRY", "TAGS");
  for (const auto& d : ds) {
    std::printf("%-40s %-24s %-22s %5s %-8s %-6s %s\n", Str(d, "deployment").c_str(),
                Str(d, "pool").c_str(), Str(d, "schedule").c_str(),
                Str(d, "concurrency_limit").c_str(), Str(d, "paused").c_str(),
                Str(d, "retries").c_str(), Join(d, "tags").c_str());
  }
}

// "flow/name" -> "flow/name" escaped per segment; an error line for anything else.
std::optional<std::string> DeploymentPath(const std::string& name, const std::string& verb,
                                          int* code) {
  const size_t slash = name.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == name.size() ||
      name.find('/', slash + 1) != std::string::npos) {
    PrintError(fmt::format("{}: deployment name \"{}\": expected \"<flow>/<name>\"", verb, name));
    *code = kExitUsage;
    return std::nullopt;
  }
  return "/api/deployments/" + api::ApiClient::Escape(name.substr(0, slash)) + "/" +
         api::ApiClient::Escape(name.substr(slash + 1));
}

void AddDeployment(CLI::App& root, CliContext& ctx) {
  CLI::App* dep = root.add_subcommand(
      "deployment",
      "Deployments: ls | inspect NAME | run NAME [--param k=v] | pause NAME | resume NAME");
  AddCommonOptions(dep, ctx);
  dep->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  CLI::App* ls = dep->add_subcommand("ls", "Every deployment with its pool and schedule");
  ls->add_flag("--json", f->json, "Print the API's JSON");
  ls->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto j = Call(ctx, "deployment ls", "GET", "/api/deployments", {}, &code);
      if (!j) return code;
      return Print(*j, f->json, DeploymentTable);
    };
  });
  CLI::App* inspect = dep->add_subcommand("inspect", "One deployment");
  inspect->add_option("NAME", f->name, "<flow>/<name>")->required();
  inspect->add_flag("--json", f->json, "Print the API's JSON");
  inspect->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto path = DeploymentPath(f->name, "deployment inspect", &code);
      if (!path) return code;
      auto j = Call(ctx, "deployment inspect", "GET", *path, {}, &code);
      if (!j) return code;
      return Print(*j, f->json, PrintObject);
    };
  });
  CLI::App* run = dep->add_subcommand("run", "Create a flow run due now");
  run->add_option("NAME", f->name, "<flow>/<name>")->required();
  run->add_option("--param", f->params,
                  "k=v (v as JSON when it parses, else a string); repeatable");
  run->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      Json params = Json::object();
      for (const std::string& kv : f->params) {
        const size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
          PrintError(fmt::format("deployment run: --param \"{}\": expected k=v", kv));
          return kExitUsage;
        }
        const std::string v = kv.substr(eq + 1);
        auto parsed = ParseJson(v);
        params[kv.substr(0, eq)] = parsed.ok() ? *parsed : Json(v);
      }
      auto path = DeploymentPath(f->name, "deployment run", &code);
      if (!path) return code;
      auto j =
          Call(ctx, "deployment run", "POST", *path + "/run", Json{{"parameters", params}}, &code);
      if (!j) return code;
      std::printf("flow run %s of %s created (%s/%s, due %s)\n", Str(*j, "id").c_str(),
                  f->name.c_str(), Str(*j, "state_type").c_str(), Str(*j, "state_name").c_str(),
                  When(*j, "due_at").c_str());
      return kExitOk;
    };
  });
  for (const char* action : {"pause", "resume"}) {
    CLI::App* cmd =
        dep->add_subcommand(action, std::string(action) == "pause"
                                        ? "Create no runs (future scheduled runs are deleted)"
                                        : "Schedule again from now (no backfill, no herd)");
    cmd->add_option("NAME", f->name, "<flow>/<name>")->required();
    const std::string a = action;
    cmd->callback([&ctx, f, a] {
      ctx.action = [&ctx, f, a] {
        int code = kExitOk;
        auto path = DeploymentPath(f->name, "deployment " + a, &code);
        if (!path) return code;
        auto j = Call(ctx, "deployment " + a, "POST", *path + "/" + a, Json::object(), &code);
        if (!j) return code;
        std::printf("deployment %s %s\n", f->name.c_str(), a == "pause" ? "paused" : "resumed");
        return kExitOk;
      };
    });
  }
}

// ---- flow-run

void RunTable(const Json& runs) {
  std::printf("%-6s %-36s %-34s %-19s %9s %9s %s\n", "ID", "DEPLOYMENT", "STATE", "START",
              "DURATION", "LATENESS", "WORKER");
  for (const auto& r : runs) {
    const std::string state = Str(r, "state_type") + "/" + Str(r, "state_name");
    const std::string start = r.contains("start_time") && !r["start_time"].is_null()
                                  ? When(r, "start_time")
                                  : When(r, "expected_start_time");
    std::printf("%-6s %-36s %-34s %-19s %9s %9s %s\n", Str(r, "id").c_str(),
                Str(r, "deployment").c_str(), state.c_str(), start.c_str(),
                Secs(r, "duration_s").c_str(), Secs(r, "lateness_s").c_str(),
                Str(r, "worker").c_str());
  }
}

void PrintRun(const Json& r) {
  PrintObject(r);
  if (r.contains("history") && r["history"].is_array()) {
    std::printf("\nHISTORY\n");
    for (const auto& h : r["history"]) {
      std::printf("%s  %-34s %s\n", When(h, "timestamp").c_str(), Str(h, "to").c_str(),
                  Str(h, "message").c_str());
    }
  }
}

void AddFlowRun(CLI::App& root, CliContext& ctx) {
  CLI::App* fr =
      root.add_subcommand("flow-run", "Flow runs: ls | inspect ID | logs ID [-f] | cancel ID");
  AddCommonOptions(fr, ctx);
  fr->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  CLI::App* ls = fr->add_subcommand("ls", "Flow runs, newest first");
  ls->add_option("--state", f->state, "A state type (RUNNING) or name (Late)");
  ls->add_option("--deployment", f->deployment, "<flow>/<name>");
  ls->add_option("--limit", f->limit, "At most this many (default 100)")
      ->check(CLI::PositiveNumber);
  ls->add_flag("--json", f->json, "Print the API's JSON");
  ls->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      std::string q;
      auto add = [&q](const std::string& k, const std::string& v) {
        q += (q.empty() ? "?" : "&") + k + "=" + api::ApiClient::Escape(v);
      };
      if (!f->state.empty()) add("state", f->state);
      if (!f->deployment.empty()) add("deployment", f->deployment);
      if (f->limit > 0) add("limit", std::to_string(f->limit));
      auto j = Call(ctx, "flow-run ls", "GET", "/api/flow_runs" + q, {}, &code);
      if (!j) return code;
      return Print(*j, f->json, RunTable);
    };
  });
  CLI::App* inspect = fr->add_subcommand("inspect", "One flow run with its state history");
  inspect->add_option("ID", f->name, "The run's id")->required();
  inspect->add_flag("--json", f->json, "Print the API's JSON");
  inspect->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto j = Call(ctx, "flow-run inspect", "GET",
                    "/api/flow_runs/" + api::ApiClient::Escape(f->name), {}, &code);
      if (!j) return code;
      return Print(*j, f->json, PrintRun);
    };
  });
  CLI::App* cancel =
      fr->add_subcommand("cancel", "Cancel a run (a running one: its worker kills it)");
  cancel->add_option("ID", f->name, "The run's id")->required();
  cancel->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto j = Call(ctx, "flow-run cancel", "POST",
                    "/api/flow_runs/" + api::ApiClient::Escape(f->name) + "/cancel", Json::object(),
                    &code);
      if (!j) return code;
      std::printf("flow run %s: %s/%s\n", f->name.c_str(), Str(*j, "state_type").c_str(),
                  Str(*j, "state_name").c_str());
      return kExitOk;
    };
  });
  CLI::App* logs =
      fr->add_subcommand("logs", "The run's log file (its output, written by its worker)");
  logs->add_option("ID", f->name, "The run's id")->required();
  logs->add_flag("-f,--follow", f->follow, "Keep printing what the run writes until it is final");
  logs->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto config = LoadOrReport(ctx, &code);
      if (!config) return code;
      int64_t id = 0;
      auto [ptr, ec] = std::from_chars(f->name.data(), f->name.data() + f->name.size(), id);
      if (ec != std::errc() || ptr != f->name.data() + f->name.size() || id <= 0) {
        PrintError(fmt::format(
            "flow-run logs: flow run id: expected a positive integer, got \"{}\"", f->name));
        return kExitUsage;
      }
      const auto path = scheduler::FlowRunLogPath(config->process.state_dir, id);
      uint64_t offset = 0;
      auto print_new = [&] {
        std::ifstream in(path, std::ios::binary);
        if (!in) return;
        in.seekg(static_cast<std::streamoff>(offset));
        std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        offset += chunk.size();
        std::fwrite(chunk.data(), 1, chunk.size(), stdout);
        std::fflush(stdout);
      };
      if (!f->follow) {
        if (!std::filesystem::exists(path)) {
          PrintError(fmt::format(
              "flow-run logs: no log for flow run {} yet ({} does not exist: no worker has "
              "started it)",
              id, path.string()));
          return kExitFailure;
        }
        print_new();
        return kExitOk;
      }
      // Follow: the run's state through the API, the file as it grows, until the run is final.
      SystemClock clock;
      CancelToken never;
      while (true) {
        auto j = Call(ctx, "flow-run logs", "GET", fmt::format("/api/flow_runs/{}", id), {}, &code);
        if (!j) return code;
        const std::string type = Str(*j, "state_type");
        const bool final =
            type == "COMPLETED" || type == "FAILED" || type == "CRASHED" || type == "CANCELLED";
        print_new();
        if (final) return kExitOk;
        clock.WaitUntil(clock.MonotonicNow() + std::chrono::milliseconds(200), never);
      }
    };
  });
}

// ---- concurrency-limit

void AddConcurrencyLimit(CLI::App& root, CliContext& ctx) {
  CLI::App* cl = root.add_subcommand("concurrency-limit",
                                     "Tag concurrency limits: ls | create TAG N | delete TAG");
  AddCommonOptions(cl, ctx);
  cl->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  CLI::App* ls = cl->add_subcommand("ls", "Every tag limit with its active slots");
  ls->add_flag("--json", f->json, "Print the API's JSON");
  ls->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto j = Call(ctx, "concurrency-limit ls", "GET", "/api/concurrency_limits", {}, &code);
      if (!j) return code;
      return Print(*j, f->json, [](const Json& limits) {
        std::printf("%-30s %5s %6s\n", "TAG", "LIMIT", "ACTIVE");
        for (const auto& l : limits) {
          std::printf("%-30s %5s %6s\n", Str(l, "tag").c_str(), Str(l, "concurrency_limit").c_str(),
                      Str(l, "active_slots").c_str());
        }
      });
    };
  });
  CLI::App* create = cl->add_subcommand("create", "Limit the runs carrying TAG to N at once");
  create->add_option("TAG", f->name, "The tag")->required();
  create->add_option("N", f->tag_limit, "The limit")->required()->check(CLI::Range(0, 100000));
  create->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto j = Call(ctx, "concurrency-limit create", "POST", "/api/concurrency_limits",
                    Json{{"tag", f->name}, {"concurrency_limit", f->tag_limit}}, &code);
      if (!j) return code;
      std::printf("concurrency limit for tag %s: %lld\n", f->name.c_str(),
                  static_cast<long long>(f->tag_limit));
      return kExitOk;
    };
  });
  CLI::App* del = cl->add_subcommand("delete", "Remove the limit of TAG");
  del->add_option("TAG", f->name, "The tag")->required();
  del->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      int code = kExitOk;
      auto j = Call(ctx, "concurrency-limit delete", "DELETE",
                    "/api/concurrency_limits/" + api::ApiClient::Escape(f->name), {}, &code);
      if (!j) return code;
      std::printf("concurrency limit for tag %s deleted\n", f->name.c_str());
      return kExitOk;
    };
  });
}

}  // namespace

void AddSchedulerCommands(CLI::App& root, CliContext& ctx) {
  AddPool(root, ctx);
  AddDeployment(root, ctx);
  AddFlowRun(root, ctx);
  AddConcurrencyLimit(root, ctx);
  // `dolphin pool ls -c FILE`: the leaf's unmatched options (-c, --log-level) go to the verb.
  for (const char* verb : {"pool", "deployment", "flow-run", "concurrency-limit"}) {
    for (CLI::App* sub : root.get_subcommand(verb)->get_subcommands({})) sub->fallthrough();
  }
}

}  // namespace dolphin::cli
