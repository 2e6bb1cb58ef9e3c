// `dolphin backtest --scans DIR`: archived scan files through the live trader's engine.
//
// Plain: every scan file below DIR, ordered and given epochs as the bridge does, with the
// colour's configured posture. `--parity`: exactly the sequence the colour's journal marks
// processed, with the posture and controls the journal recorded per scan; the fills must equal
// the journal's bit for bit (exit 1 with the first difference otherwise). Both give the strategy
// the indicator values the journal recorded per scan (plain: with `--indicators-from JOURNAL`),
// so its gates decide as they did live.
#include <fmt/format.h>

#include <cstdio>

#include "../cli.h"
#include "../wiring.h"
#include "dolphin/trader/backtest.h"
#include "dolphin/trader/journal.h"
#include "progress.h"

namespace dolphin::cli {

namespace {

struct BacktestFlags {
  std::string scans;
  std::string color = "BLUE";
  bool parity = false;
  std::string journal;
  std::string indicators_from;
  bool json = false;
  bool fills = false;
  bool quiet = false;
};

int Run(const CliContext& ctx, const BacktestFlags& f) {
  int code = kExitOk;
  auto loaded = LoadTraderConfigOrReport(ctx, f.color, &code);
  if (!loaded) return code;
  const trader::TraderOptions* options = &loaded->trader;
  ProgressBar load_bar("loading scans", f.quiet);
  auto scans = trader::LoadScanDir(f.scans, [&](size_t d, size_t t) { load_bar(d, t); });
  if (!scans.ok()) {
    PrintError(scans.status().message());
    return scans.status().code() == StatusCode::kNotFound ? kExitUsage : kExitFailure;
  }

  std::vector<std::pair<trader::Scan, trader::ScanContext>> sequence;
  std::vector<trader::Fill> journal_fills;
  if (f.parity && !f.indicators_from.empty()) {
    PrintError("--indicators-from is for a plain replay: --parity uses the journal's own values");
    return kExitUsage;
  }
  if (f.parity) {
    std::filesystem::path path =
        f.journal.empty() ? options->journal : std::filesystem::path(f.journal);
    auto journal = trader::OpenJournalReadOnly(path);
    if (!journal.ok()) {
      PrintError(journal.status().message());
      return kExitFailure;
    }
    auto processed = (*journal)->Processed();
    auto fills = (*journal)->Fills();
    if (!processed.ok() || !fills.ok()) {
      PrintError((!processed.ok() ? processed.status() : fills.status()).message());
      return kExitFailure;
    }
    journal_fills = std::move(*fills);
    auto seq = trader::JournalSequence(*processed, *scans);
    if (!seq.ok()) {
      PrintError(seq.status().message());
      return kExitFailure;
    }
    sequence = std::move(*seq);
  } else {
    trader::ScanContext context;
    if (options->posture.from_bus) {
      std::fprintf(stderr,
                   "dolphin: posture = \"bus\" has no history here: the backtest uses TURTLE\n");
    } else {
      context.posture = options->posture.fixed;
    }
    trader::RecordedIndicators recorded;
    if (!f.indicators_from.empty()) {
      auto journal = trader::OpenJournalReadOnly(f.indicators_from);
      if (!journal.ok()) {
        PrintError(journal.status().message());
        return kExitFailure;
      }
      auto processed = (*journal)->Processed();
      if (!processed.ok()) {
        PrintError(processed.status().message());
        return kExitFailure;
      }
      recorded = trader::IndicatorsByScan(*processed);
    }
    size_t with_values = 0;
    for (const trader::ScanFileEntry& e : *scans) {
      context.indicators = trader::RecordedFor(recorded, e.scan);
      if (!context.indicators.empty()) ++with_values;
      sequence.emplace_back(e.scan, context);
    }
    if (options->vel_div.AnyGate() && with_values < sequence.size()) {
      std::fprintf(stderr,
                   "dolphin: indicator gates are on and %zu of %zu scans have no recorded "
                   "indicator values%s: their entries follow on_missing_indicator = \"%s\"\n",
                   sequence.size() - with_values, sequence.size(),
                   f.indicators_from.empty() ? " (no --indicators-from JOURNAL)" : "",
                   options->vel_div.block_on_missing ? "block" : "allow");
    }
  }

  trader::Backtest backtest(options->engine, trader::MakeStrategy(*options));
  ProgressBar run_bar("replaying", f.quiet);
  for (size_t i = 0; i < sequence.size(); ++i) {
    if (Status st = backtest.Add(sequence[i].first, sequence[i].second); !st.ok()) {
      PrintError(fmt::format("scan #{}: {}", sequence[i].first.scan_number, st.message()));
      return kExitFailure;
    }
    if ((i + 1) % 1000 == 0 || i + 1 == sequence.size()) run_bar(i + 1, sequence.size());
  }
  trader::BacktestReport report = backtest.Finish();

  if (f.json) {
    Json j = report.ToJson();
    if (f.fills) {
      j["fill_list"] = Json::array();
      for (const trader::Fill& x : report.fill_list) j["fill_list"].push_back(trader::FillLine(x));
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s", report.Format().c_str());
    if (f.fills) {
      for (const trader::Fill& x : report.fill_list)
        std::printf("  fill %s\n", trader::FillLine(x).c_str());
    }
  }
  if (!f.parity) return kExitOk;

  const trader::ParityResult parity = trader::CompareFills(journal_fills, report.fill_list);
  if (!parity.ok && parity.difference_at > 0) {
    std::printf("parity: FAILED at fill %zu\n  journal:  %s\n  backtest: %s\n",
                parity.difference_at, parity.journal_fill.c_str(), parity.replay_fill.c_str());
    return kExitFailure;
  }
  if (!parity.ok) {
    std::printf("parity: FAILED: the journal has %zu fills, the backtest %zu\n",
                journal_fills.size(), report.fill_list.size());
    return kExitFailure;
  }
  std::printf("parity: OK: %zu fills identical to the journal over %zu processed scans\n",
              journal_fills.size(), sequence.size());
  return kExitOk;
}

}  // namespace

void AddBacktestCommand(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<BacktestFlags>();
  CLI::App* cmd =
      root.add_subcommand("backtest", "Replay archived scan files through the trader engine");
  AddCommonOptions(cmd, ctx);
  cmd->add_option("--scans", flags->scans, "Folder of scan files (day folders included)")
      ->required();
  cmd->add_option("--color", flags->color, "Trader colour whose options to use (default BLUE)");
  cmd->add_flag(
      "--parity", flags->parity,
      "Replay exactly the journal's processed sequence with its recorded context and compare fills");
  cmd->add_option("--journal", flags->journal,
                  "Journal for --parity (default: the colour's configured journal)");
  cmd->add_option("--indicators-from", flags->indicators_from,
                  "Journal whose recorded indicator values the plain replay gives each scan");
  cmd->add_flag("--json", flags->json, "Print the report as JSON");
  cmd->add_flag("--fills", flags->fills, "Also list every fill");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress output");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Run(ctx, *flags); }; });
}

}  // namespace dolphin::cli
