#include "dolphin/health/assessment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dolphin/contract/enums.h"
#include "dolphin/contract/heartbeat.h"
#include "dolphin/contract/json_fields.h"
#include "dolphin/contract/safety.h"
#include "dolphin/contract/scan.h"
#include "dolphin/contract/trader_state.h"

namespace dolphin::health {

namespace {

constexpr char kBusUnreachable[] = "bus unreachable";

// Collects M5 checks: each Check() is one check; a failed one is named.
class Checks {
 public:
  explicit Checks(std::vector<std::string>* failed) : failed_(failed) {}
  void Check(bool ok, const std::string& what) {
    ++run_;
    if (!ok) failed_->push_back(what);
  }
  void Fail(const std::string& what) { Check(false, what); }
  void Pass() { ++run_; }
  int run() const { return run_; }

 private:
  std::vector<std::string>* failed_;
  int run_ = 0;
};

void CheckNotInFuture(Checks& c, const std::string& what, Timestamp ts, const Observation& o,
                      const AssessOptions& opt) {
  const Duration ahead = ts - o.now;
  c.Check(ahead <= opt.max_future,
          fmt::format("{}: {:.1f}s in the future", what, SecondsOf(ahead)));
}

void CheckScan(Checks& c, const std::string& text, const Observation& o, const AssessOptions& opt,
               CoherenceMemory& memory) {
  auto scan = contract::DecodeScanJson(text);
  if (!scan.ok()) {
    c.Fail(fmt::format("scan: {}", scan.status().message()));
    return;
  }
  c.Pass();  // parses with its required fields
  const contract::Scan& s = *scan;
  CheckNotInFuture(c, "scan: timestamp", s.timestamp, o, opt);
  if (s.bridge_ts) CheckNotInFuture(c, "scan: bridge_ts", *s.bridge_ts, o, opt);
  const std::pair<const char*, double> lambdas[] = {{"w50_lambda_max", s.w50_lambda_max},
                                                    {"w150_lambda_max", s.w150_lambda_max},
                                                    {"w300_lambda_max", s.w300_lambda_max},
                                                    {"w750_lambda_max", s.w750_lambda_max}};
  for (const auto& [name, v] : lambdas) {
    if (std::isnan(v)) continue;  // absent: nothing to check
    c.Check(v > 0 && v <= 1, fmt::format("scan: {} {} outside (0, 1]", name, v));
  }
  bool prices_ok = true;
  std::string bad_price;
  for (const auto& [asset, price] : s.prices) {
    if (!(std::isfinite(price) && price > 0)) {
      prices_ok = false;
      bad_price = fmt::format("scan: price of {} is {}, expected > 0", asset, price);
      break;
    }
  }
  c.Check(prices_ok, bad_price);
  bool descending = std::is_sorted(s.eigenvalues.begin(), s.eigenvalues.end(), std::greater<>());
  c.Check(descending, "scan: eigenvalues not descending");
  if (!s.regime.empty()) {
    const bool known = s.regime == "BULL" || s.regime == "BEAR" || s.regime == "SIDEWAYS" ||
                       s.regime == "TRANSITION";
    c.Check(known,
            fmt::format("scan: regime \"{}\" is not BULL, BEAR, SIDEWAYS or TRANSITION", s.regime));
  }
  if (memory.epoch && *memory.epoch == s.epoch && memory.scan_number) {
    c.Check(s.scan_number >= *memory.scan_number,
            fmt::format("scan: scan_number {} decreased within epoch {} (was {})", s.scan_number,
                        s.epoch, *memory.scan_number));
  }
  memory.epoch = s.epoch;
  memory.scan_number = s.scan_number;
}

void CheckSafety(Checks& c, const std::string& text, const Observation& o,
                 const AssessOptions& opt) {
  auto rec = contract::DecodeSafety(text);
  if (!rec.ok()) {
    c.Fail(std::string(rec.status().message()));
    return;
  }
  c.Pass();
  CheckNotInFuture(c, "safety: ts", rec->ts, o, opt);
}

void CheckState(Checks& c, const std::string& name, const std::string& text, const Observation& o,
                const AssessOptions& opt) {
  auto st = contract::DecodeTraderState(text);
  if (!st.ok()) {
    c.Fail(fmt::format("{}: {}", name, st.status().message()));
    return;
  }
  c.Pass();
  CheckNotInFuture(c, name + ": updated_at", st->updated_at, o, opt);
  c.Check(std::isfinite(st->equity), fmt::format("{}: equity is not finite", name));
}

// obf, extf, esof: a JSON object with a parseable _pushed_at.
void CheckFlowValue(Checks& c, const SourceValue& src, const Observation& o,
                    const AssessOptions& opt) {
  auto obj = contract::ParseObject(*src.json, src.name);
  if (!obj.ok()) {
    c.Fail(std::string(obj.status().message()));
    return;
  }
  auto ts = contract::GetTimestamp(*obj, src.freshness_field, src.name);
  if (!ts.ok()) {
    c.Fail(std::string(ts.status().message()));
    return;
  }
  c.Pass();
  CheckNotInFuture(c, fmt::format("{}: {}", src.name, src.freshness_field), *ts, o, opt);
}

void CheckHeartbeat(Checks& c, const std::string& service, const std::string& text,
                    const Observation& o, const AssessOptions& opt) {
  auto beat = contract::DecodeHeartbeat(text);
  if (!beat.ok()) {
    c.Fail(fmt::format("heartbeat {}: {}", service, beat.status().message()));
    return;
  }
  c.Pass();
  CheckNotInFuture(c, fmt::format("heartbeat {}: ts", service), beat->ts, o, opt);
}

// The age of a source's freshness field, or nullopt (missing value, unparseable field).
std::optional<Duration> SourceAge(const SourceValue& src, const Observation& o) {
  if (!src.json) return std::nullopt;
  auto obj = contract::ParseObject(*src.json, src.name);
  if (!obj.ok()) return std::nullopt;
  auto ts = contract::GetTimestamp(*obj, src.freshness_field, src.name);
  if (!ts.ok()) return std::nullopt;
  return o.now - *ts;
}

std::optional<Duration> HeartbeatAge(const std::optional<std::string>& json, const Observation& o) {
  if (!json) return std::nullopt;
  auto beat = contract::DecodeHeartbeat(*json);
  if (!beat.ok()) return std::nullopt;
  return o.now - beat->ts;
}

}  // namespace

Assessment Assess(const Observation& o, const AssessOptions& opt, CoherenceMemory& memory) {
  Assessment a;
  auto& r = a.reasons;

  // M1: every critical service present and answering.
  a.sensors.m1_proc = 1.0;
  for (const auto& [name, p] : o.processes) {
    contract::ProcessHealth ph;
    ph.present = p.present;
    ph.pid = p.pid;
    ph.restarts = p.restarts;
    ph.detail = p.detail;
    a.processes[name] = ph;
    if (!p.present) {
      a.sensors.m1_proc = 0.0;
      r["m1"].push_back(p.detail.empty() ? fmt::format("{} missing", name)
                                         : fmt::format("{} missing ({})", name, p.detail));
    }
  }

  // M4: share of ports that accept a connection.
  if (o.ports.empty()) {
    a.sensors.m4_control_plane = 1.0;
  } else {
    int up = 0;
    for (const auto& port : o.ports) {
      if (port.accepts) {
        ++up;
      } else {
        if (port.control_plane) a.control_plane_down = true;
        r["m4"].push_back(port.error.empty() ? fmt::format("{} refuses connections", port.what)
                                             : fmt::format("{}: {}", port.what, port.error));
      }
    }
    a.sensors.m4_control_plane = static_cast<double>(up) / static_cast<double>(o.ports.size());
  }

  if (!o.bus_readable) {
    a.sensors.m2_heartbeat = a.sensors.m3_data_freshness = a.sensors.m5_coherence = 0.0;
    const std::string why =
        o.bus_error.empty() ? kBusUnreachable : fmt::format("{}: {}", kBusUnreachable, o.bus_error);
    r["m2"].push_back(why);
    r["m3"].push_back(why);
    r["m5"].push_back(why);
    for (const auto& src : o.sources) a.data_sources[src.name] = {std::nullopt, "dead"};
    a.failed_checks.push_back(why);
  } else {
    // M2: the worst heartbeat among the critical services.
    a.sensors.m2_heartbeat = 1.0;
    for (const auto& [service, json] : o.heartbeats) {
      const auto age = HeartbeatAge(json, o);
      const double score = HeartbeatScore(age);
      if (score < 1.0) {
        r["m2"].push_back(age ? fmt::format("heartbeat {} is {:.1f}s old", service, SecondsOf(*age))
                              : fmt::format("heartbeat {} missing", service));
      }
      a.sensors.m2_heartbeat = std::min(a.sensors.m2_heartbeat, score);
    }

    // M3: the mean freshness of the enabled sources.
    if (o.sources.empty()) {
      a.sensors.m3_data_freshness = 1.0;
    } else {
      double sum = 0;
      size_t counted = 0;
      for (const auto& src : o.sources) {
        if (!src.json && src.pending_ok) {
          a.data_sources[src.name] = {std::nullopt, "pending"};
          continue;
        }
        ++counted;
        const auto age = SourceAge(src, o);
        const Freshness f = ClassifyAge(age, opt.freshness);
        sum += FreshnessScore(f);
        contract::DataSourceHealth dh;
        if (age) dh.age_s = SecondsOf(*age);
        dh.state = std::string(FreshnessName(f));
        a.data_sources[src.name] = dh;
        if (f != Freshness::kFresh) {
          r["m3"].push_back(age ? fmt::format("{} {} ({:.1f}s old)", src.name, dh.state, *dh.age_s)
                                : fmt::format("{} dead (missing)", src.name));
        }
      }
      a.sensors.m3_data_freshness = counted == 0 ? 1.0 : sum / static_cast<double>(counted);
    }

    // M5: checks on the latest values.
    Checks c(&a.failed_checks);
    for (const auto& src : o.sources) {
      if (!src.json) continue;  // missing: M3's business
      if (src.name == "scan") {
        CheckScan(c, *src.json, o, opt, memory);
      } else if (src.name == "safety") {
        CheckSafety(c, *src.json, o, opt);
      } else if (src.name.rfind("state", 0) == 0) {
        CheckState(c, src.name, *src.json, o, opt);
      } else {
        CheckFlowValue(c, src, o, opt);
      }
    }
    for (const auto& [service, json] : o.heartbeats) {
      if (json) CheckHeartbeat(c, service, *json, o, opt);
    }
    a.checks_run = c.run();
    a.sensors.m5_coherence =
        c.run() == 0 ? 1.0
                     : static_cast<double>(c.run() - static_cast<int>(a.failed_checks.size())) /
                           static_cast<double>(c.run());
    for (const auto& f : a.failed_checks) r["m5"].push_back(f);
  }

  a.rm_meta = RmMeta(a.sensors);
  a.raw_status = contract::StatusForRm(a.rm_meta);
  return a;
}

}  // namespace dolphin::health
