// `dolphin health [--json|--check]` and `dolphin health reset TARGET`: the meta-health record at a
// glance (docs/health.md).
//
// The record is DOLPHIN_META_HEALTH["latest"]: read through the running dolphin's control API
// with the embedded bus, straight from the bus when it is shared. `--check` is for scripts and
// monitors: exit 0 for GREEN or DEGRADED, 1 for CRITICAL or DEAD, and 1 when the record is
// missing or older than 3 x [health] interval_s (a dead watchdog is not a healthy system).
// `reset TARGET` clears a gave-up recovery target in the running health service (token).
#include <fmt/format.h>

#include <cstdio>

#include "../cli.h"
#include "../wiring.h"
#include "direct_bus.h"
#include "dolphin/api/api_client.h"
#include "dolphin/contract/meta_health.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"

namespace dolphin::cli {

namespace {

struct HealthFlags {
  bool json = false;
  bool check = false;
  std::string target;
};

// The record's JSON text, or an error (one line) naming where it was looked for.
Result<std::optional<std::string>> FetchRecord(const AppConfig& config, const CliContext& ctx) {
  if (!BusThroughApi(config)) {
    DirectBus direct(config, ctx);
    if (direct.Connect("health") != kExitOk) return UnavailableError("no bus member answered");
    return direct.bus().Get(contract::kMetaHealthMap, contract::kMetaHealthKey);
  }
  DOLPHIN_ASSIGN_OR_RETURN(auto client, api::ApiClient::FromStateDir(config.process.state_dir));
  auto r =
      client.Get(fmt::format("/api/bus/{}/{}", contract::kMetaHealthMap, contract::kMetaHealthKey));
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kNotFound) return std::optional<std::string>();
    return r.status();
  }
  return std::optional<std::string>(r->body);
}

std::string Fixed(double v) { return fmt::format("{:.2f}", v); }

void PrintRecord(const contract::MetaHealth& m, Timestamp now) {
  std::printf("MHS %s  raw %s  rm_meta %.3f  updated %s ago\n",
              std::string(contract::HealthStatusName(m.status)).c_str(),
              std::string(contract::HealthStatusName(m.raw_status)).c_str(), m.rm_meta,
              FormatDuration(now - m.timestamp).c_str());
  if (m.hold) {
    std::printf("    moving to %s: raw held %s of %s\n",
                std::string(contract::HealthStatusName(m.hold->towards)).c_str(),
                FormatDuration(DurationOfSeconds(m.hold->held_s)).c_str(),
                FormatDuration(DurationOfSeconds(m.hold->needed_s)).c_str());
  }
  std::printf("\nSENSOR                 VALUE  WHY\n");
  const std::pair<const char*, std::pair<const char*, double>> sensors[] = {
      {"m1", {"M1 process integrity", m.m1_proc}},
      {"m2", {"M2 heartbeats", m.m2_heartbeat}},
      {"m3", {"M3 data freshness", m.m3_data_freshness}},
      {"m4", {"M4 control plane", m.m4_control_plane}},
      {"m5", {"M5 coherence", m.m5_coherence}}};
  for (const auto& [key, s] : sensors) {
    std::string why;
    if (auto it = m.reasons.find(key); it != m.reasons.end()) {
      for (const auto& r : it->second) why += (why.empty() ? "" : "; ") + r;
    }
    std::printf("%-22s %5s  %s\n", s.first, Fixed(s.second).c_str(), why.c_str());
  }
  if (!m.data_sources.empty()) {
    std::printf("\nDATA SOURCE   STATE  AGE\n");
    for (const auto& [name, d] : m.data_sources) {
      std::printf("%-13s %-6s %s\n", name.c_str(), d.state.c_str(),
                  d.age_s ? fmt::format("{:.1f}s", *d.age_s).c_str() : "missing");
    }
  }
  if (!m.processes.empty()) {
    std::printf("\nPROCESS        PRESENT  PID      RESTARTS  RECOVERY\n");
    for (const auto& [name, p] : m.processes) {
      std::printf("%-14s %-8s %-8s %-9lld %s\n", name.c_str(), p.present ? "yes" : "NO",
                  p.pid ? std::to_string(*p.pid).c_str() : "-", static_cast<long long>(p.restarts),
                  p.gave_up ? "GAVE UP" : "");
    }
  }
  if (!m.recovery.empty()) {
    std::printf("\nRECENT RECOVERY\n");
    for (const auto& r : m.recovery) {
      std::printf("%s  %-14s %-26s %s\n", FormatRfc3339(r.at).c_str(), r.target.c_str(),
                  r.action.c_str(), r.result.c_str());
    }
  }
  for (const auto& t : m.gave_up) {
    std::printf("\nGAVE UP on %s: no recovery until `dolphin health reset %s`\n", t.c_str(),
                t.c_str());
  }
}

int Show(const CliContext& ctx, const HealthFlags& f) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  auto text = FetchRecord(*config, ctx);
  if (!text.ok()) {
    PrintError(text.status().WithPrefix("health").message());
    return kExitFailure;
  }
  if (!text->has_value()) {
    PrintError(fmt::format(
        "health: no record in {}[\"{}\"] (is the health service running? [health] enabled = {})",
        contract::kMetaHealthMap, contract::kMetaHealthKey, config->health.enabled));
    return kExitFailure;
  }
  if (f.json && !f.check) {
    std::printf("%s\n", (*text)->c_str());
    return kExitOk;
  }
  auto m = contract::DecodeMetaHealth(**text);
  if (!m.ok()) {
    PrintError(m.status().WithPrefix("health").message());
    return kExitFailure;
  }
  SystemClock clock;
  const Timestamp now = clock.Now();
  if (f.check) {
    const Duration max_age = 3 * config->health.interval;
    const Duration age = now - m->timestamp;
    const bool ok_status = m->status == contract::HealthStatus::kGreen ||
                           m->status == contract::HealthStatus::kDegraded;
    if (age > max_age) {
      std::printf(
          "health record is %s old (more than 3 x interval_s = %s): the watchdog is not running\n",
          FormatDuration(age).c_str(), FormatDuration(max_age).c_str());
      return kExitFailure;
    }
    std::printf("%s rm_meta=%.3f\n", std::string(contract::HealthStatusName(m->status)).c_str(),
                m->rm_meta);
    return ok_status ? kExitOk : kExitFailure;
  }
  PrintRecord(*m, now);
  return kExitOk;
}

int Reset(const CliContext& ctx, const HealthFlags& f) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  // `dolphin run` writes api.addr; `dolphin serve health` api.health.addr.
  auto client =
      api::ApiClient::FromStateDirAny(config->process.state_dir, {"api.health.addr", "api.addr"});
  if (!client.ok()) {
    PrintError(client.status().message());
    return kExitFailure;
  }
  auto reply = client->Post("/api/command/health.reset", DumpJson(Json{{"target", f.target}}));
  if (!reply.ok()) {
    PrintError(fmt::format("health reset {}: {}", f.target, reply.status().message()));
    return reply.status().code() == StatusCode::kNotFound ? kExitUsage : kExitFailure;
  }
  std::printf("health: recovery of %s reset (cooldown, back-off and hourly count cleared)\n",
              f.target.c_str());
  return kExitOk;
}

}  // namespace

void AddHealthCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<HealthFlags>();
  CLI::App* cmd = root.add_subcommand(
      "health",
      "Meta-health (MHS v2): status, the five sensors and why, data sources, processes, recovery");
  AddCommonOptions(cmd, ctx);
  cmd->add_flag("--json", flags->json, "Print the DOLPHIN_META_HEALTH[\"latest\"] record as JSON");
  cmd->add_flag(
      "--check", flags->check,
      "Exit 0 for GREEN/DEGRADED, 1 for CRITICAL/DEAD or a record older than 3 x interval_s");
  CLI::App* reset =
      cmd->add_subcommand("reset", "Clear a gave-up recovery target (needs the token)");
  AddCommonOptions(reset, ctx);
  reset->add_option("TARGET", flags->target, "The target: a service name or control_plane")
      ->required();
  reset->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Reset(ctx, *flags); }; });
  cmd->callback([&ctx, flags, cmd] {
    if (cmd->got_subcommand("reset")) return;
    ctx.action = [&ctx, flags] { return Show(ctx, *flags); };
  });
}

}  // namespace dolphin::cli
