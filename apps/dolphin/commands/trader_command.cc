// `dolphin trader halt|resume|flatten|fills --color C`: the operator's controls.
//
// halt/resume/flatten go to the control API of the running `dolphin run` or `dolphin serve
// trader` (bearer token; the trader
// journals the control and shows it in DOLPHIN_STATE_<COLOR>). fills reads the colour's journal
// directly (read-only, safe while the trader runs), so it works with the trader stopped too.
#include <fmt/format.h>

#include <cstdio>

#include "../cli.h"
#include "../wiring.h"
#include "dolphin/api/api_client.h"
#include "dolphin/contract/json_fields.h"
#include "dolphin/trader/journal.h"

namespace dolphin::cli {

namespace {

struct TraderFlags {
  std::string color = "BLUE";
  bool csv = false;
};

int Control(const CliContext& ctx, const TraderFlags& f, const std::string& action) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  // `dolphin run` writes api.addr; `dolphin serve trader [--color C]` api.trader[.C].addr.
  auto client = api::ApiClient::FromStateDirAny(
      config->process.state_dir,
      {"api.addr", fmt::format("api.trader.{}.addr", f.color), "api.trader.addr"});
  if (!client.ok()) {
    PrintError(client.status().message());
    return kExitFailure;
  }
  Json body{{"color", f.color}};
  auto reply = client->Post("/api/command/trader." + action, DumpJson(body));
  if (!reply.ok()) {
    PrintError(fmt::format("trader {} --color {}: {}", action, f.color, reply.status().message()));
    return reply.status().code() == StatusCode::kNotFound ? kExitUsage : kExitFailure;
  }
  auto state = ParseJson(reply->body);
  if (!state.ok()) {
    std::printf("%s\n", reply->body.c_str());
    return kExitOk;
  }
  // The reply is outside data: mistyped fields print as "?" / false, never throw.
  const Json& s = *state;
  constexpr char kWhat[] = "trader reply";
  static const Json kNoControls = Json::object();
  const Json* controls = contract::FindField(s, "controls");
  if (controls == nullptr || !controls->is_object()) controls = &kNoControls;
  std::printf(
      "trader %s: %s, trading_state %s, halted=%s, flatten_pending=%s\n", f.color.c_str(),
      action.c_str(), contract::GetString(s, "trading_state", kWhat).value_or("?").c_str(),
      contract::GetBoolOr(*controls, "halted", false, kWhat).value_or(false) ? "true" : "false",
      contract::GetBoolOr(*controls, "flatten_pending", false, kWhat).value_or(false) ? "true"
                                                                                      : "false");
  return kExitOk;
}

int Fills(const CliContext& ctx, const TraderFlags& f) {
  int code = kExitOk;
  auto loaded = LoadTraderConfigOrReport(ctx, f.color, &code);
  if (!loaded) return code;
  const trader::TraderOptions* options = &loaded->trader;
  auto journal = trader::OpenJournalReadOnly(options->journal);
  if (!journal.ok()) {
    PrintError(journal.status().message());
    return kExitFailure;
  }
  auto fills = (*journal)->Fills();
  if (!fills.ok()) {
    PrintError(fills.status().message());
    return kExitFailure;
  }
  if (f.csv) {
    std::printf("ts,client_order_id,epoch,scan_number,asset,side,qty,price,fee,realized_pnl\n");
    for (const trader::Fill& x : *fills) {
      std::printf("%s,%s,%lld,%lld,%s,%s,%s,%s,%s,%s\n", FormatRfc3339(x.ts).c_str(),
                  x.client_order_id.c_str(), static_cast<long long>(x.epoch),
                  static_cast<long long>(x.scan_number), x.asset.c_str(),
                  std::string(trader::SideName(x.side)).c_str(), FormatDouble(x.qty).c_str(),
                  FormatDouble(x.price).c_str(), FormatDouble(x.fee).c_str(),
                  FormatDouble(x.realized_pnl).c_str());
    }
    return kExitOk;
  }
  std::printf("%-32s %-34s %8s %-8s %-4s %14s %14s %10s %12s\n", "ts", "order", "scan", "asset",
              "side", "qty", "price", "fee", "realized");
  double fees = 0, realized = 0;
  for (const trader::Fill& x : *fills) {
    std::printf(
        "%-32s %-34s %8lld %-8s %-4s %14.8g %14.8g %10.4f %12.4f\n", FormatRfc3339(x.ts).c_str(),
        x.client_order_id.c_str(), static_cast<long long>(x.scan_number), x.asset.c_str(),
        std::string(trader::SideName(x.side)).c_str(), x.qty, x.price, x.fee, x.realized_pnl);
    fees += x.fee;
    realized += x.realized_pnl;
  }
  std::printf("%zu fills, fees %.4f, realized %.4f (journal %s)\n", fills->size(), fees, realized,
              options->journal.string().c_str());
  return kExitOk;
}

}  // namespace

void AddTraderCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<TraderFlags>();
  CLI::App* cmd = root.add_subcommand(
      "trader", "Operator controls: trader halt|resume|flatten|fills --color C");
  cmd->require_subcommand(1);
  struct Verb {
    const char* name;
    const char* help;
  };
  for (Verb v : {Verb{"halt", "Stop all trading (no orders at all) until resume; journaled"},
                 Verb{"resume", "Resume trading after halt or flatten"},
                 Verb{"flatten", "Close every position on the next scan, then halt"},
                 Verb{"fills", "List the colour's fills from its journal (--csv for CSV)"}}) {
    CLI::App* sub = cmd->add_subcommand(v.name, v.help);
    AddCommonOptions(sub, ctx);
    sub->add_option("--color", flags->color, "Trader colour (default BLUE)");
    std::string name = v.name;
    if (name == "fills") sub->add_flag("--csv", flags->csv, "CSV output");
    sub->callback([&ctx, flags, name] {
      ctx.action = [&ctx, flags, name] {
        return name == "fills" ? Fills(ctx, *flags) : Control(ctx, *flags, name);
      };
    });
  }
}

}  // namespace dolphin::cli
