// The daily batch (layer 5, docs/batch.md):
//   dolphin report --day D               <state_dir>/reports/D.html from D.json (or built now)
//   dolphin batch daily-backtest [--day D] [--force]
//   dolphin batch housekeeping [--dry-run]
// `batch ...` are the flows of the deployments daily-backtest/daily and housekeeping/daily (the
// flow process contract: DOLPHIN_PARAMETERS {"day": "YYYY-MM-DD", "force": true, "dry_run":
// true} override the flags' defaults; the last line is the run's message; exit 1 = FAILED).
#include <fmt/format.h>

#include <cstdio>

#include "../cli.h"
#include "../wiring.h"
#include "direct_bus.h"
#include "dolphin/api/api_client.h"
#include "dolphin/contract/names.h"
#include "dolphin/report/daily.h"
#include "dolphin/report/housekeeping.h"
#include "dolphin/report/html_report.h"
#include "progress.h"

namespace dolphin::cli {

namespace {

std::filesystem::path ReportsDir(const AppConfig& c) { return c.process.state_dir / "reports"; }

report::DayOptions DayOptionsOf(const AppConfig& c, const std::string& day) {
  report::DayOptions o;
  o.day = day;
  o.scans_dir = c.bridge.scan_dir;
  o.reports_dir = ReportsDir(c);
  o.health_history_dir = c.process.state_dir / "run_logs" / "health_history";
  o.version = DOLPHIN_VERSION;
  if (c.trader.enabled) {
    for (const trader::TraderOptions& t : c.trader.traders) {
      o.traders.push_back({t.engine.color, t.journal, t});
    }
  }
  return o;
}

// The day from --day, else the run's parameters, else `fallback`; "" (after printing why) when
// it is not a date.
std::string ResolveDay(const std::string& flag, const Json& params, const std::string& fallback,
                       const std::string& verb) {
  std::string day = flag;
  if (day.empty() && params.contains("day")) {
    if (!params["day"].is_string()) {
      PrintError(fmt::format("{}: parameter day: expected \"YYYY-MM-DD\", got {}", verb,
                             params["day"].dump()));
      return "";
    }
    day = params["day"].get<std::string>();
  }
  if (day.empty()) day = fallback;
  if (auto t = report::ParseDay(day); !t.ok()) {
    PrintError(fmt::format("{}: {}", verb, t.status().message()));
    return "";
  }
  return day;
}

bool BoolParam(const Json& params, const char* key, bool flag) {
  if (flag) return true;
  return params.contains(key) && params[key].is_boolean() && params[key].get<bool>();
}

// Reads reports/D.json; nullopt when absent. A file that does not parse is an error.
Result<std::optional<Json>> ReadDayJson(Env env, const std::filesystem::path& path) {
  auto text = env.fs.ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return std::optional<Json>();
    return text.status();
  }
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseJson(*text, path.string()));
  if (!j.is_object() || !j.contains("traders") || !j["traders"].is_object() ||
      !j.value("day", Json()).is_string()) {
    return CorruptionError(
        fmt::format("{}: not a daily report (no \"day\" or \"traders\")", path.string()));
  }
  return std::optional<Json>(std::move(j));
}

Status WriteHtml(Env env, const Json& day, const std::filesystem::path& path) {
  return env.fs.WriteAtomically(path, report::RenderHtml(day), {.sync = false, .mode = 0644});
}

// ---- report --day D ----

struct ReportFlags {
  std::string day;
  std::string out;
  bool rebuild = false;
  bool quiet = false;
};

int RunReport(CliContext& ctx, const ReportFlags& f) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  const std::string day = ResolveDay(f.day, Json::object(), "", "report");
  if (day.empty()) return kExitUsage;
  SystemClock clock;
  auto logger = MakeLogger(*config, clock);
  ProcessEnv process_env(clock, *logger);
  Env env = process_env.env();
  const auto json_path = ReportsDir(*config) / (day + ".json");
  auto existing = ReadDayJson(env, json_path);
  if (!existing.ok()) {
    PrintError(fmt::format("report: {}", existing.status().message()));
    return kExitFailure;
  }
  Json data;
  if (existing->has_value() && !f.rebuild) {
    data = std::move(**existing);
  } else {
    // No daily run for the day yet: the same replay, now (D.json stays the batch's).
    report::DayOptions o = DayOptionsOf(*config, day);
    o.write_state = false;
    ProgressBar bar("loading scans", f.quiet);
    auto built = report::BuildDay(o, env, [&](size_t d, size_t t) { bar(d, t); });
    if (!built.ok()) {
      PrintError(fmt::format("report --day {}: {}", day, built.status().message()));
      return built.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
    }
    data = std::move(*built);
  }
  const std::filesystem::path out =
      f.out.empty() ? ReportsDir(*config) / (day + ".html") : std::filesystem::path(f.out);
  if (Status st = env.fs.CreateDirs(out.parent_path().empty() ? "." : out.parent_path());
      !st.ok() || !(st = WriteHtml(env, data, out)).ok()) {
    PrintError(fmt::format("report --day {}: {}", day, st.message()));
    return kExitFailure;
  }
  std::printf("%s\n", out.string().c_str());
  return kExitOk;
}

// ---- batch daily-backtest ----

struct DailyFlags {
  std::string day;
  bool force = false;
  bool quiet = false;
};

// Merges the day's backtest and parity fields into DOLPHIN_PNL_<COLOR>[D], keeping what the
// trader wrote there.
Status PublishPnl(indicators::FeatureSink& sink, const Json& day) {
  for (const auto& [color, t] : day["traders"].items()) {
    const std::string map = contract::PnlMapName(color);
    const std::string key = day["day"].get<std::string>();
    DOLPHIN_ASSIGN_OR_RETURN(std::optional<std::string> old, sink.Get(map, key));
    Json value = Json::object();
    if (old) {
      auto parsed = ParseJson(*old, map + "[" + key + "]");
      if (parsed.ok() && parsed->is_object()) value = std::move(*parsed);
    }
    const Json fields = report::PnlFields(t);  // outlives the loop over its items
    for (const auto& [k, v] : fields.items()) value[k] = v;
    DOLPHIN_RETURN_IF_ERROR(sink.Put(map, key, DumpJson(value)));
  }
  return Status::Ok();
}

std::string DaySummary(const Json& day) {
  std::string s;
  for (const auto& [color, t] : day["traders"].items()) {
    if (!s.empty()) s += "; ";
    const Json p = t.is_object() ? t.value("parity", Json::object()) : Json::object();
    const Json verdict = p.is_object() ? p.value("verdict", Json("unknown")) : Json("unknown");
    s += fmt::format("{} parity {}", color, verdict.is_string() ? verdict.get<std::string>() : "?");
    if (verdict == report::kParityOk) {
      const Json live = t.value("live", Json::object());
      s += fmt::format(" ({} fills over {} scans, net pnl {:+.2f})",
                       p.value("fills_compared", Json(0)).dump(), p.value("scans", Json(0)).dump(),
                       live.is_object() && live.value("net_pnl", Json(0.0)).is_number()
                           ? live["net_pnl"].get<double>()
                           : 0.0);
    }
  }
  return s.empty() ? "no trader configured" : s;
}

int RunDaily(CliContext& ctx, const DailyFlags& f) {
  int code = kExitOk;
  auto flow = LoadFlowInvocation(ctx, "batch daily-backtest", &code);
  if (!flow) return code;
  const AppConfig& config = flow->config;
  SystemClock clock;
  auto logger = MakeLogger(config, clock);
  ProcessEnv process_env(clock, *logger);
  Env env = process_env.env();
  const std::string yesterday = FormatUtcDate(clock.Now() - std::chrono::hours(24));
  const std::string day = ResolveDay(f.day, flow->parameters, yesterday, "batch daily-backtest");
  if (day.empty()) return kExitUsage;
  const bool force = BoolParam(flow->parameters, "force", f.force);
  const auto json_path = ReportsDir(config) / (day + ".json");

  auto existing = ReadDayJson(env, json_path);
  if (!existing.ok()) {
    std::fprintf(stderr, "FAILED: %s\n", std::string(existing.status().message()).c_str());
    return kExitFailure;
  }
  if (existing->has_value() && !force) {
    std::string why;
    const bool failed = report::ParityFailed(**existing, &why);
    std::printf("daily-backtest %s: already done (%s): %s; force with --param force=true\n",
                day.c_str(), json_path.string().c_str(), DaySummary(**existing).c_str());
    if (failed) std::printf("FAILED: %s\n", why.c_str());
    return failed ? kExitFailure : kExitOk;
  }

  logger->Info("batch", "daily backtest starting",
               {{"day", day}, {"flow_run_id", flow->run_id}, {"force", force}});
  ProgressBar bar("loading scans", f.quiet);
  auto built =
      report::BuildDay(DayOptionsOf(config, day), env, [&](size_t d, size_t t) { bar(d, t); });
  if (!built.ok()) {
    std::fprintf(stderr, "FAILED: daily-backtest %s: %s\n", day.c_str(),
                 std::string(built.status().message()).c_str());
    return kExitFailure;
  }
  Json& data = *built;
  data["flow_run_id"] = flow->run_id;
  if (Status st = env.fs.WriteAtomically(json_path, DumpJson(data) + "\n"); !st.ok()) {
    std::fprintf(stderr, "FAILED: %s\n", std::string(st.message()).c_str());
    return kExitFailure;
  }
  std::string html_note;
  if (config.batch.html_report) {
    const auto html = ReportsDir(config) / (day + ".html");
    if (Status st = WriteHtml(env, data, html); !st.ok()) {
      std::fprintf(stderr, "FAILED: %s\n", std::string(st.message()).c_str());
      return kExitFailure;
    }
    html_note = ", " + html.string();
  }
  // Published after the files: a run whose publication failed is re-run with force.
  Status published = Status::Ok();
  if (auto sink = OpenFlowSink(config, env); sink.ok()) {
    published = PublishPnl(*sink->sink, data);
  } else {
    published = sink.status();
  }
  std::printf("daily-backtest %s: %s; %s%s\n", day.c_str(), DaySummary(data).c_str(),
              json_path.string().c_str(), html_note.c_str());
  std::string why;
  if (report::ParityFailed(data, &why)) {
    logger->Error("batch", "parity failed", {{"day", day}, {"why", why}});
    std::printf("FAILED: %s\n", why.c_str());
    return kExitFailure;
  }
  if (!published.ok()) {
    std::printf("FAILED: report written, not published: %s\n",
                std::string(published.message()).c_str());
    return kExitFailure;
  }
  return kExitOk;
}

// ---- batch housekeeping ----

int RunHousekeeping(CliContext& ctx, bool dry_run_flag) {
  int code = kExitOk;
  auto flow = LoadFlowInvocation(ctx, "batch housekeeping", &code);
  if (!flow) return code;
  const AppConfig& c = flow->config;
  SystemClock clock;
  auto logger = MakeLogger(c, clock);
  ProcessEnv process_env(clock, *logger);
  report::HousekeepingOptions o;
  o.dry_run = BoolParam(flow->parameters, "dry_run", dry_run_flag);
  // The simulator's folder is dolphin's while the simulator writes it; the bridge's watched
  // folder (an upstream scanner's) only when configured.
  if (c.sim.enabled) o.scan_dirs.push_back(c.sim.scan_dir);
  if (c.batch.watched_scans && !(c.sim.enabled && c.bridge.scan_dir == c.sim.scan_dir)) {
    o.scan_dirs.push_back(c.bridge.scan_dir);
  }
  o.scans_days = c.batch.scans_days;
  o.quarantine_dir = c.bridge.quarantine_dir;
  o.quarantine_days = c.batch.quarantine_days;
  o.run_logs_dir = c.process.state_dir / "run_logs";
  o.run_logs_days = c.batch.run_logs_days;
  o.reports_dir = ReportsDir(c);
  o.reports_days = c.batch.reports_days;
  o.flow_runs_days = c.batch.flow_runs_days;
  // Flow-run history lives in the scheduler's store, owned by the running scheduler: pruned
  // through its control API (a dolphin without a scheduler has none to prune).
  std::optional<api::ApiClient> client;
  if (c.scheduler.scheduler.enabled) {
    if (auto cl = api::ApiClient::FromStateDir(c.process.state_dir); cl.ok())
      client = std::move(*cl);
  }
  if (client) {
    o.prune_flow_runs = [&](Timestamp cutoff) -> Result<int64_t> {
      DOLPHIN_ASSIGN_OR_RETURN(api::ApiResponse resp,
                               client->Post("/api/flow_runs/prune",
                                            Json{{"ended_before", FormatRfc3339(cutoff)}}.dump()));
      if (resp.status != 200) {
        return UnavailableError(
            fmt::format("flow-run prune: HTTP {}: {}", resp.status, resp.body.substr(0, 200)));
      }
      DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseJson(resp.body, "flow-run prune"));
      return j.value("deleted", int64_t{0});
    };
  }
  const report::HousekeepingResult r = report::Housekeep(o, process_env.env());
  for (const auto& cat : r.categories) {
    for (const std::string& e : cat.errors)
      std::fprintf(stderr, "%s: %s\n", cat.name.c_str(), e.c_str());
  }
  std::printf("housekeeping%s: %s\n", o.dry_run ? " (dry run, nothing removed)" : "",
              r.Summary().c_str());
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* cmd =
      root.add_subcommand("report", "The day's report: <state_dir>/reports/D.html (docs/batch.md)");
  AddCommonOptions(cmd, ctx);
  cmd->add_option("--day", flags->day, "UTC day YYYY-MM-DD")->required();
  cmd->add_option("--out", flags->out, "Write the HTML here instead");
  cmd->add_flag("--rebuild", flags->rebuild,
                "Replay the day now even when the daily batch wrote reports/D.json");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress on stderr");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunReport(ctx, *flags); }; });
}

void AddBatchCommand(CLI::App& root, CliContext& ctx) {
  CLI::App* batch = root.add_subcommand(
      "batch", "The daily batch's flows (deployments daily-backtest/daily, housekeeping/daily)");
  batch->require_subcommand(1);
  auto daily = std::make_shared<DailyFlags>();
  CLI::App* d = batch->add_subcommand(
      "daily-backtest",
      "Replay and parity of a day per trader colour -> reports/D.json, D.html, DOLPHIN_PNL_*");
  AddCommonOptions(d, ctx);
  d->add_option("--day", daily->day, "UTC day YYYY-MM-DD (default: yesterday)");
  d->add_flag("--force", daily->force, "Redo a day already done");
  d->add_flag("-q,--quiet", daily->quiet, "No progress on stderr");
  d->callback([&ctx, daily] { ctx.action = [&ctx, daily] { return RunDaily(ctx, *daily); }; });
  auto dry_run = std::make_shared<bool>(false);
  CLI::App* h = batch->add_subcommand(
      "housekeeping", "Retention of what dolphin wrote ([housekeeping.*] retention_days)");
  AddCommonOptions(h, ctx);
  h->add_flag("--dry-run", *dry_run, "Say what would be removed, remove nothing");
  h->callback(
      [&ctx, dry_run] { ctx.action = [&ctx, dry_run] { return RunHousekeeping(ctx, *dry_run); }; });
}

}  // namespace dolphin::cli
