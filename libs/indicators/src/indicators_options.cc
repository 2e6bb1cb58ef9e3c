#include "dolphin/indicators/indicators_options.h"

#include <fmt/format.h>

#include <algorithm>

namespace dolphin::indicators {

const std::vector<std::string>& FlowNames() {
  static const std::vector<std::string> kNames = {kFlowExtfFunding, kFlowExtfDvol,
                                                  kFlowExtfFearGreed, kFlowObf, kFlowEsof};
  return kNames;
}

bool IsExtfFlow(std::string_view flow) {
  return flow == kFlowExtfFunding || flow == kFlowExtfDvol || flow == kFlowExtfFearGreed;
}

IndicatorsOptions DefaultIndicatorsOptions(bool esof_default) {
  IndicatorsOptions o;
  for (const std::string& name : FlowNames()) {
    FlowOptions f;
    f.flow = name;
    if (name == kFlowExtfFunding || name == kFlowObf) {
      f.base_url = "https://fapi.binance.com";
      f.symbols = {"BTCUSDT", "ETHUSDT"};
    } else if (name == kFlowExtfDvol) {
      f.base_url = "https://www.deribit.com/api/v2";
      f.symbols = {"BTC", "ETH"};
    } else if (name == kFlowExtfFearGreed) {
      f.base_url = "https://api.alternative.me";
      f.schedule = std::chrono::seconds(3600);
    } else if (name == kFlowEsof) {
      f.enabled = esof_default;
    }
    o.flows[name] = f;
  }
  return o;
}

namespace {

bool ValidSymbol(const std::string& s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

}  // namespace

Result<IndicatorsOptions> ParseIndicatorsOptions(ConfigSection s, bool esof_default) {
  IndicatorsOptions o = DefaultIndicatorsOptions(esof_default);
  const int errors_before = s.error_count();
  int sub_errors = 0;
  for (const std::string& name : s.SubsectionNames()) {
    auto it = o.flows.find(name);
    if (it == o.flows.end()) {
      s.ErrorAt(name, fmt::format("unknown indicator flow (expected one of {})",
                                  fmt::join(FlowNames(), ", ")));
      continue;
    }
    FlowOptions& f = it->second;
    ConfigSection t = s.Sub(name);
    const int before = t.error_count();
    t.Read("enabled", &f.enabled);
    t.ReadSeconds("schedule_s", &f.schedule, 1, 7 * 86400);
    if (name != kFlowEsof) {
      t.Read("base_url", &f.base_url);
      if (t.Has("base_url") && f.base_url.rfind("http://", 0) != 0 &&
          f.base_url.rfind("https://", 0) != 0) {
        t.ErrorAt("base_url",
                  fmt::format("expected an http:// or https:// URL, got \"{}\"", f.base_url));
      }
      while (!f.base_url.empty() && f.base_url.back() == '/') f.base_url.pop_back();
      t.ReadSeconds("connect_timeout_s", &f.connect_timeout, 0.01, 300);
      t.ReadSeconds("timeout_s", &f.total_timeout, 0.01, 600);
      t.Read("retries", &f.retries, 0, 10);
      t.ReadSeconds("backoff_s", &f.backoff, 0, 60);
      t.Read("max_body_bytes", &f.max_body_bytes, 1024, int64_t{256} << 20);
    }
    if (name != kFlowEsof && name != kFlowExtfFearGreed) {
      t.Read("symbols", &f.symbols);
      if (f.symbols.empty()) t.ErrorAt("symbols", "expected at least one symbol");
      for (const std::string& sym : f.symbols) {
        if (!ValidSymbol(sym)) {
          t.ErrorAt(
              "symbols",
              fmt::format("expected upper-case symbols such as \"BTCUSDT\", got \"{}\"", sym));
        }
      }
    }
    if (name == kFlowObf) {
      t.ReadSeconds("poll_interval_s", &f.poll_interval, 0.1, 3600);
      t.Read("depth_limit", &f.depth_limit);
      static constexpr int kLimits[] = {20, 50, 100, 500, 1000};
      if (std::find(std::begin(kLimits), std::end(kLimits), f.depth_limit) == std::end(kLimits)) {
        t.ErrorAt("depth_limit",
                  fmt::format("expected 20, 50, 100, 500 or 1000 (Binance's depth limits of at "
                              "least 20 levels, for imbalance_20), got {}",
                              f.depth_limit));
      }
      t.Read("max_consecutive_failures", &f.max_consecutive_failures, 1, 1000000);
    }
    t.RejectUnknownKeys();
    sub_errors += t.error_count() - before;
  }
  s.RejectUnknownKeys();
  if (s.error_count() > errors_before || sub_errors > 0) {
    return InvalidArgumentError("invalid [indicators] section");
  }
  return o;
}

void WriteIndicatorsOptions(const IndicatorsOptions& o, ConfigWriter& out) {
  for (const std::string& name : FlowNames()) {
    const FlowOptions& f = o.flow(name);
    out.Section(fmt::format("indicators.{}", name),
                name == kFlowEsof ? "computed locally (docs/indicators.md)" : "docs/indicators.md");
    out.Value("enabled", f.enabled);
    out.Value("schedule_s", std::chrono::duration<double>(f.schedule).count());
    if (name == kFlowEsof) continue;
    out.Value("base_url", f.base_url);
    if (name != kFlowExtfFearGreed) out.Value("symbols", f.symbols);
    out.Value("connect_timeout_s", std::chrono::duration<double>(f.connect_timeout).count());
    out.Value("timeout_s", std::chrono::duration<double>(f.total_timeout).count());
    out.Value("retries", f.retries);
    out.Value("backoff_s", std::chrono::duration<double>(f.backoff).count());
    out.Value("max_body_bytes", f.max_body_bytes);
    if (name == kFlowObf) {
      out.Value("poll_interval_s", std::chrono::duration<double>(f.poll_interval).count());
      out.Value("depth_limit", f.depth_limit);
      out.Value("max_consecutive_failures", f.max_consecutive_failures);
    }
  }
}

std::string DeploymentName(std::string_view flow) { return fmt::format("{}/default", flow); }

std::string PoolOf(std::string_view flow) {
  return flow == kFlowObf ? "dolphin-obf" : "dolphin-extf-indicators";
}

std::string HealthSourceOf(std::string_view flow) {
  if (flow == kFlowObf) return "obf";
  if (flow == kFlowEsof) return "esof";
  return "extf";
}

}  // namespace dolphin::indicators
