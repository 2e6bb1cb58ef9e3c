// [trader] and [trader.<COLOR>] (docs/trader.md and docs/architecture.md §11).
//
// Keys directly in [trader] are defaults for every colour; each [trader.<COLOR>] table is one
// trader instance and overrides them. No colour table: one instance, BLUE. `enabled = false`
// in [trader] turns the trader off. Strategy keys (vel_div) sit beside the others.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "dolphin/core/config.h"
#include "dolphin/trader/engine.h"
#include "dolphin/trader/strategy.h"

namespace dolphin::trader {

// Config values parsed once into enums (ParseTraderSetup reports an invalid name); the *Name
// functions give the config spelling back (WriteTraderSetup, log lines).
enum class StrategyKind { kVelDiv };
std::string_view StrategyKindName(StrategyKind kind);  // "vel_div"
enum class VenueKind { kPaper };
std::string_view VenueKindName(VenueKind kind);  // "paper"

// `posture`: a fixed posture name, or "bus" (DOLPHIN_SAFETY["latest"], docs/trader.md).
struct PostureSetting {
  bool from_bus = false;
  Posture fixed = Posture::kTurtle;  // used when !from_bus

  static PostureSetting Bus() { return {true, Posture::kTurtle}; }
  static PostureSetting Fixed(Posture p) { return {false, p}; }
  bool operator==(const PostureSetting&) const = default;
};
std::string PostureSettingName(const PostureSetting& setting);  // "TURTLE", ... or "bus"

struct TraderOptions {
  EngineOptions engine;  // color, initial_equity, fill_price, slippage, fees, risk
  StrategyKind strategy = StrategyKind::kVelDiv;
  VelDivOptions vel_div;
  VenueKind venue = VenueKind::kPaper;  // only the paper venue is built
  // Journal file. Default: <state_dir>/journal/trader_<COLOR>.sqlite.
  std::filesystem::path journal;
  JournalSync journal_sync = JournalSync::kFull;  // full | normal
  // A posture name or "bus": DOLPHIN_SAFETY["latest"]. Default: ParseTraderSetup's
  // `default_posture` ("bus" exactly when the safety service is enabled, else TURTLE).
  PostureSetting posture = PostureSetting::Fixed(Posture::kTurtle);
  double posture_max_age_s = 60;  // with posture = "bus": older -> REDUCING
  double max_scan_age_s = 30;     // no entry on a scan older than this (wall clock vs scan ts)
  bool log_each_scan = true;      // one log line per scan
};

struct TraderSetup {
  bool enabled = true;
  std::vector<TraderOptions> traders;  // one per colour, sorted by colour
};

// `state_dir` supplies the journal defaults; `default_posture` the posture of a trader whose
// config names none (the wiring: "bus" exactly when [safety] is enabled). Errors are recorded
// through `section`.
Result<TraderSetup> ParseTraderSetup(
    ConfigSection section, const std::filesystem::path& state_dir,
    PostureSetting default_posture = PostureSetting::Fixed(Posture::kTurtle));
void WriteTraderSetup(const TraderSetup& setup, ConfigWriter& out);
std::unique_ptr<Strategy> MakeStrategy(const TraderOptions& options);

}  // namespace dolphin::trader
