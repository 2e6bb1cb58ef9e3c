#include "dolphin/sim/simulator.h"

#include <system_error>

#include <fmt/format.h>

namespace dolphin::sim {

Result<std::unique_ptr<Simulator>> Simulator::Create(const SimOptions& options, Env env) {
  DOLPHIN_ASSIGN_OR_RETURN(std::unique_ptr<Scanner> scanner,
                           Scanner::Create(ToScannerOptions(options)));
  if (Status s = env.fs.CreateDirs(options.scan_dir); !s.ok()) {
    return IoError(fmt::format("create scan_dir: {}", s.message()));
  }
  return std::make_unique<Simulator>(options, std::move(scanner),
                                     NewScanFileSink(env.fs, options.scan_dir), env.clock,
                                     env.logger);
}

Simulator::Simulator(const SimOptions& options, std::unique_ptr<Scanner> scanner,
                     std::unique_ptr<ScanSink> sink, Clock& clock, Logger& logger)
    : options_(options),
      scanner_(std::move(scanner)),
      sink_(std::move(sink)),
      clock_(clock),
      logger_(logger) {}

SimStats Simulator::stats() const {
  return SimStats{written_.load(), failures_.load(), last_number_.load()};
}

Status Simulator::Run(const CancelToken& cancel) {
  const Duration interval = options_.interval;
  int64_t log_every = options_.log_every;
  if (log_every <= 0) {
    const Duration second = std::chrono::seconds(1);
    log_every =
        interval <= Duration::zero()
            ? 1000
            : std::max<int64_t>(1, (second.count() + interval.count() - 1) / interval.count());
  }
  logger_.Info(
      "sim", "simulator started",
      {{"seed", options_.seed},
       {"assets", static_cast<int64_t>(scanner_->assets().size())},
       {"source", options_.prices.empty() ? std::string("synthetic") : options_.prices.string()},
       {"interval", FormatDuration(interval)},
       {"start_scan", options_.start_scan},
       {"scan_dir", options_.scan_dir.string()}});
  MonoTime deadline = clock_.MonotonicNow();
  int64_t produced = 0;  // scans taken from the scanner by this Run (written or failed)
  while (!cancel.cancelled()) {
    if (options_.count > 0 && produced >= options_.count) break;
    std::optional<ScanFeatures> scan = scanner_->Next(clock_.Now());
    if (!scan.has_value()) {
      logger_.Info("sim", "price file exhausted", {{"file", options_.prices.string()}});
      break;
    }
    ++produced;
    last_number_.store(scan->scan_number);
    Result<std::string> where = sink_->Write(*scan);
    if (where.ok()) {
      const int64_t total = ++written_;
      if (total % log_every == 0 || total == 1) {
        logger_.Info("sim", "wrote scan",
                     {{"scan", scan->scan_number},
                      {"file", *where},
                      {"w50_lambda_max", scan->lambda_max[0]},
                      {"vel_div", scan->vel_div},
                      {"regime", std::string(RegimeName(scan->regime))}});
      }
    } else {
      ++failures_;
      logger_.Warn("sim", "scan not written",
                   {{"scan", scan->scan_number}, {"error", where.status().ToString()}});
    }
    if (interval <= Duration::zero()) continue;
    deadline = deadline + interval;
    const MonoTime now = clock_.MonotonicNow();
    if (now - deadline > interval) deadline = now;  // fell behind: skip ahead, no burst
    if (options_.count > 0 && produced >= options_.count) break;
    if (!clock_.WaitUntil(deadline, cancel)) break;
  }
  logger_.Info("sim", "simulator stopped",
               {{"written", written_.load()}, {"failures", failures_.load()}});
  return Status::Ok();
}

}  // namespace dolphin::sim
