#include "dolphin/trader/trader_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace dolphin::trader {

namespace {

// Reads every per-trader key of `s` over `o` (so [trader] defaults, then the colour's table).
// Enum keys are read as their names (ReadEnum reports an invalid one) and converted here, once.
void ReadTraderKeys(ConfigSection& s, TraderOptions& o) {
  std::string strategy(StrategyKindName(o.strategy));
  s.ReadEnum("strategy", &strategy, {"vel_div"});
  o.strategy = StrategyKind::kVelDiv;
  std::string venue(VenueKindName(o.venue));
  s.ReadEnum("venue", &venue, {"paper"});
  o.venue = VenueKind::kPaper;
  s.Read("initial_equity", &o.engine.initial_equity, 1e-6, 1e15);
  s.ReadPath("journal", &o.journal);
  std::string sync(JournalSyncName(o.journal_sync));
  s.ReadEnum("journal_sync", &sync, {"full", "normal"});
  o.journal_sync = sync == "normal" ? JournalSync::kNormal : JournalSync::kFull;
  if (s.Has("fill_price")) {
    std::string fp = o.engine.fill_price == FillPrice::kNextScan ? "next_scan" : "signal_scan";
    s.ReadEnum("fill_price", &fp, {"next_scan", "signal_scan"});
    o.engine.fill_price = fp == "next_scan" ? FillPrice::kNextScan : FillPrice::kSignalScan;
  }
  s.Read("slippage_bps", &o.engine.slippage_bps, 0, 10000);
  s.Read("taker_fee_bps", &o.engine.taker_fee_bps, 0, 10000);
  s.Read("max_notional", &o.engine.max_notional, 0, 1e15);
  s.Read("max_daily_loss_pct", &o.engine.max_daily_loss_pct, 0, 100);
  s.Read("max_orders_per_minute", &o.engine.max_orders_per_minute, 1, 1000000);
  std::string posture = PostureSettingName(o.posture);
  s.ReadEnum("posture", &posture, {"APEX", "STALKER", "TURTLE", "HIBERNATE", "bus"});
  if (posture == "bus") {
    o.posture = PostureSetting::Bus();
  } else if (auto p = ParsePosture(posture); p.ok()) {
    o.posture = PostureSetting::Fixed(*p);
  }
  s.Read("posture_max_age_s", &o.posture_max_age_s, 0.001, 1e9);
  s.Read("max_scan_age_s", &o.max_scan_age_s, 0.001, 1e12);
  s.Read("log_each_scan", &o.log_each_scan);
  if (auto v = ParseVelDivOptions(s, o.vel_div); v.ok()) o.vel_div = *v;
}

bool ValidColor(const std::string& c) {
  return !c.empty() && c.size() <= 32 && std::all_of(c.begin(), c.end(), [](unsigned char ch) {
    return std::isupper(ch) || std::isdigit(ch) || ch == '_';
  });
}

}  // namespace

std::string_view StrategyKindName(StrategyKind) { return "vel_div"; }
std::string_view VenueKindName(VenueKind) { return "paper"; }
std::string PostureSettingName(const PostureSetting& s) {
  return s.from_bus ? std::string("bus") : std::string(PostureName(s.fixed));
}

Result<TraderSetup> ParseTraderSetup(ConfigSection s, const std::filesystem::path& state_dir,
                                     PostureSetting default_posture) {
  int before = s.error_count();
  TraderSetup setup;
  s.Read("enabled", &setup.enabled);
  TraderOptions defaults;
  defaults.posture = default_posture;
  std::vector<std::string> colors = s.SubsectionNames();
  ReadTraderKeys(s, defaults);
  s.RejectUnknownKeys();
  if (colors.empty()) colors.push_back("BLUE");
  std::sort(colors.begin(), colors.end());
  for (const std::string& color : colors) {
    if (!ValidColor(color)) {
      s.ErrorAt(color,
                "expected a colour name in capitals, digits or _ (e.g. BLUE), it names the "
                "maps DOLPHIN_STATE_<COLOR>");
      continue;
    }
    TraderOptions o = defaults;
    o.engine.color = color;
    ConfigSection cs = s.Sub(color);
    ReadTraderKeys(cs, o);
    cs.RejectUnknownKeys();
    if (o.journal.empty())
      o.journal = state_dir / "journal" / fmt::format("trader_{}.sqlite", color);
    setup.traders.push_back(std::move(o));
  }
  for (size_t i = 0; i < setup.traders.size(); ++i) {
    for (size_t k = 0; k < i; ++k) {
      if (setup.traders[i].journal == setup.traders[k].journal) {
        s.ErrorAt(setup.traders[i].engine.color,
                  fmt::format("journal {} is also {}'s: each colour needs its own",
                              setup.traders[i].journal.string(), setup.traders[k].engine.color));
      }
    }
  }
  if (s.error_count() != before) return InvalidArgumentError("invalid [trader] section");
  return setup;
}

void WriteTraderSetup(const TraderSetup& setup, ConfigWriter& out) {
  out.Section("trader", "keys here are defaults for every colour; [trader.<COLOR>] is one trader");
  out.Value("enabled", setup.enabled);
  for (const TraderOptions& o : setup.traders) {
    out.Section("trader." + o.engine.color);
    out.Value("strategy", std::string(StrategyKindName(o.strategy)));
    out.Value("venue", std::string(VenueKindName(o.venue)));
    out.Value("initial_equity", o.engine.initial_equity);
    out.Value("journal", o.journal.string());
    out.Value("journal_sync", std::string(JournalSyncName(o.journal_sync)));
    out.Value(
        "fill_price",
        std::string(o.engine.fill_price == FillPrice::kNextScan ? "next_scan" : "signal_scan"));
    out.Value("slippage_bps", o.engine.slippage_bps);
    out.Value("taker_fee_bps", o.engine.taker_fee_bps);
    out.Value("max_notional", o.engine.max_notional);
    out.Value("max_daily_loss_pct", o.engine.max_daily_loss_pct);
    out.Value("max_orders_per_minute", o.engine.max_orders_per_minute);
    out.Value("posture", PostureSettingName(o.posture));
    out.Value("posture_max_age_s", o.posture_max_age_s);
    out.Value("max_scan_age_s", o.max_scan_age_s);
    out.Value("log_each_scan", o.log_each_scan);
    WriteVelDivOptions(o.vel_div, out);
  }
}

std::unique_ptr<Strategy> MakeStrategy(const TraderOptions& options) {
  return NewVelDivStrategy(options.vel_div);
}

}  // namespace dolphin::trader
