// Options of the indicator flows (DESIGN §10, docs/indicators.md "Configuration"): one
// [indicators.<flow>] table per flow, every key optional.
//
//   extf-funding     Binance USD-M premium index per symbol      -> exf_latest.funding
//   extf-dvol        Deribit DVOL index per currency             -> exf_latest.dvol
//   extf-fear-greed  alternative.me Fear & Greed index           -> exf_latest.fear_greed
//   obf              Binance USD-M depth snapshot per symbol     -> ob_features_latest
//   esof             computed locally (moon, calendar, funding)  -> esof_latest
//
// esof is enabled by default exactly when there is no config file (DESIGN §9, like [safety]);
// the network flows are off until `enabled = true`. Thread-safety: plain values and pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dolphin/core/config.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::indicators {

inline constexpr char kFlowExtfFunding[] = "extf-funding";
inline constexpr char kFlowExtfDvol[] = "extf-dvol";
inline constexpr char kFlowExtfFearGreed[] = "extf-fear-greed";
inline constexpr char kFlowObf[] = "obf";
inline constexpr char kFlowEsof[] = "esof";

// The five flows, in the order above.
const std::vector<std::string>& FlowNames();
// True for the three flows merged into exf_latest.
bool IsExtfFlow(std::string_view flow);

struct FlowOptions {
  std::string flow;
  // Run this flow (its deployment exists). Default: false; esof: true without a config file.
  bool enabled = false;
  // The API's base URL (network flows). Defaults: https://fapi.binance.com,
  // https://www.deribit.com/api/v2, https://api.alternative.me.
  std::string base_url;
  // Symbols (Binance: BTCUSDT, ETHUSDT) or currencies (Deribit: BTC, ETH). Default as named.
  std::vector<std::string> symbols;
  // The deployment's interval. Defaults: 60 s; extf-fear-greed 3600 s; obf 60 s (the
  // long-running run is restarted this often at most if it ended).
  Duration schedule = std::chrono::seconds(60);
  // HTTP: connect and total timeout per attempt, retries after the first attempt, back-off
  // base, body cap. Defaults: 5 s, 10 s, 2, 0.5 s, 4 MiB.
  Duration connect_timeout = std::chrono::seconds(5);
  Duration total_timeout = std::chrono::seconds(10);
  int retries = 2;
  Duration backoff = std::chrono::milliseconds(500);
  int64_t max_body_bytes = int64_t{4} << 20;
  // obf only: the poll period (default 1 s), the depth levels asked for (5, 10, 20, 50, 100,
  // 500 or 1000; default 20, at least 20 for imbalance_20) and how many failed polls in a row
  // end the run as FAILED (default 30).
  Duration poll_interval = std::chrono::seconds(1);
  int depth_limit = 20;
  int max_consecutive_failures = 30;
};

struct IndicatorsOptions {
  // Every flow, always present, by name.
  std::map<std::string, FlowOptions> flows;
  const FlowOptions& flow(const std::string& name) const { return flows.at(name); }
  bool enabled(const std::string& name) const { return flows.at(name).enabled; }
};

// `esof_default`: whether esof runs when its table does not say (true without a config file).
IndicatorsOptions DefaultIndicatorsOptions(bool esof_default = true);
// Parses [indicators] (absent: defaults). Unknown flows and keys are errors.
Result<IndicatorsOptions> ParseIndicatorsOptions(ConfigSection section, bool esof_default = true);
void WriteIndicatorsOptions(const IndicatorsOptions& options, ConfigWriter& out);

// The deployment of each flow: "<flow>/default" in pool dolphin-extf-indicators (obf:
// dolphin-obf), command ["dolphin", "indicators", "run", "<flow>"].
std::string DeploymentName(std::string_view flow);
std::string PoolOf(std::string_view flow);
// The health data source the flow feeds: "extf", "obf" or "esof".
std::string HealthSourceOf(std::string_view flow);

}  // namespace dolphin::indicators
