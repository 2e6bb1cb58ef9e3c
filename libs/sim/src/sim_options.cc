#include "dolphin/sim/sim_options.h"

#include <fmt/format.h>

namespace dolphin::sim {

Result<SimOptions> ParseSimOptions(ConfigSection s, const std::filesystem::path& state_dir,
                                   bool enabled_by_default) {
  SimOptions o;
  o.enabled = enabled_by_default;
  o.scan_dir = state_dir / "scans";
  s.Read("enabled", &o.enabled);
  s.ReadPath("scan_dir", &o.scan_dir);
  int64_t interval_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o.interval).count();
  s.Read("interval_ms", &interval_ms, 0, int64_t{24} * 3600 * 1000);
  o.interval = std::chrono::milliseconds(interval_ms);
  s.Read("assets", &o.assets, 2, 20000);
  s.Read("seed", &o.seed, 0, INT64_MAX);
  s.Read("count", &o.count, 0, INT64_MAX);
  s.Read("start_scan", &o.start_scan, 0, INT64_MAX / 2);
  s.ReadPath("prices", &o.prices);
  s.Read("warmup_scans", &o.warmup_scans, 0, 100000);
  s.Read("log_every", &o.log_every, 0, INT64_MAX);
  s.RejectUnknownKeys();
  if (s.error_count() > 0) return InvalidArgumentError("invalid [sim] section");
  return o;
}

void WriteSimOptions(const SimOptions& o, ConfigWriter& out) {
  out.Section("sim", "market simulator writing scan files (docs/sim.md)");
  out.Value("enabled", o.enabled);
  out.Value("scan_dir", o.scan_dir.string());
  out.Value("interval_ms",
            static_cast<int64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(o.interval).count()));
  out.Value("assets", o.assets);
  out.Value("seed", o.seed);
  out.Value("count", o.count);
  out.Value("start_scan", o.start_scan);
  if (o.prices.empty()) {
    out.Comment(
        "prices = \"prices.csv\"  (timestamp,symbol,close rows to replay; unset: synthetic)");
  } else {
    out.Value("prices", o.prices.string());
  }
  out.Value("warmup_scans", o.warmup_scans);
  out.Value("log_every", o.log_every);
}

ScannerOptions ToScannerOptions(const SimOptions& o) {
  ScannerOptions s;
  s.assets = static_cast<int>(o.assets);
  s.seed = static_cast<uint64_t>(o.seed);
  s.start_scan = o.start_scan;
  s.prices_csv = o.prices;
  s.warmup_scans = static_cast<int>(o.warmup_scans);
  if (o.interval > Duration::zero()) s.step = o.interval;
  return s;
}

}  // namespace dolphin::sim
