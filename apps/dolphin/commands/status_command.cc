// `dolphin status`: what the running dolphin is doing, at a glance.
#include <fmt/format.h>

#include <cstdio>

#include "../cli.h"
#include "../wiring.h"
#include "dolphin/api/api_client.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"

namespace dolphin::cli {

namespace {

std::string Age(const Json& ts, Timestamp now) {
  if (!ts.is_string()) return "?";
  auto t = ParseRfc3339(ts.get<std::string>());
  if (!t.ok()) return "?";
  return FormatDuration(now - *t) + " ago";
}

int Status_(const CliContext& ctx, bool as_json) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (config->bus.backend != "memory") {
    PrintError(fmt::format("status: the {} backend is not built yet for the CLI", config->bus.backend));
    return kExitNotBuilt;
  }
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
  SystemClock clock;
  const Timestamp now = clock.Now();
  const Json& s = *j;
  std::printf("dolphin %s  pid %s  up %s  bus %s  api %s\n", s["version"].get<std::string>().c_str(),
              s["pid"].dump().c_str(),
              FormatDuration(std::chrono::duration_cast<Duration>(
                                 std::chrono::duration<double>(s["uptime_s"].get<double>())))
                  .c_str(),
              s["bus"].get<std::string>().c_str(), client->addr().c_str());
  std::printf("\nHEARTBEAT        STATUS    AGE          DETAIL\n");
  for (const auto& [name, hb] : s["heartbeats"].items()) {
    std::printf("%-16s %-9s %-12s %s\n", name.c_str(),
                hb.value("status", std::string("?")).c_str(), Age(hb["ts"], now).c_str(),
                hb.value("detail", std::string()).c_str());
  }
  std::printf("\nMAP                          KEYS\n");
  for (const auto& [name, n] : s["maps"].items()) {
    std::printf("%-28s %s\n", name.c_str(), n.dump().c_str());
  }
  return kExitOk;
}

}  // namespace

void AddStatusCommand(CLI::App& root, CliContext& ctx) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = root.add_subcommand("status", "Show what the running dolphin is doing: heartbeats, services, maps");
  AddCommonOptions(cmd, ctx);
  cmd->add_flag("--json", *as_json, "Print the raw /api/status JSON");
  cmd->callback([&ctx, as_json] { ctx.action = [&ctx, as_json] { return Status_(ctx, *as_json); }; });
}

}  // namespace dolphin::cli
