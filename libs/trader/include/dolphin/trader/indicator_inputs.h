// The trader's reading of the indicator flows' values on the bus (DOLPHIN_FEATURES
// "ob_features_latest" and "exf_latest", docs/indicators.md) for one asset, as the flat
// IndicatorValues a strategy decides on and the journal records.
//
// Two steps, so that the scan path does no JSON work: Read (when a feature value arrives on
// the bus) picks the asset's numbers and each source's `_pushed_at`; At (on each scan) adds the
// sources' ages at the decision time. Only finite numbers are taken; a source whose
// `_pushed_at` is missing or unreadable gives no values at all (a value of unknown age cannot
// pass a freshness check). Thread-safety: plain values and pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "dolphin/core/json.h"
#include "dolphin/core/time.h"
#include "dolphin/trader/types.h"

namespace dolphin::trader {

// The names (docs/trader.md, "Indicator gates"):
//   obf.mid obf.spread_bps obf.imbalance_5 obf.imbalance_20 obf.depth_bid_10bps
//   obf.depth_ask_10bps obf.age_s    from ob_features_latest[<asset>]
//   funding.rate funding.age_s       from exf_latest.funding[<asset>]
//   dvol.value dvol.age_s            from exf_latest.dvol[<base currency>] (BTCUSDT -> BTC)
//   fear_greed.value fear_greed.age_s from exf_latest.fear_greed
struct IndicatorReading {
  IndicatorValues values;                                   // without the ages
  std::map<std::string, Timestamp, std::less<>> pushed_at;  // "obf", "funding", ...
};

// The base currency of a symbol quoted in USDT, USDC, FDUSD, BUSD or USD ("" when none).
std::string BaseCurrency(std::string_view symbol);

// The asset's values in `ob_features` (ob_features_latest) and `exf` (exf_latest); either may
// be null (not on the bus).
IndicatorReading ReadIndicators(std::string_view asset, const Json* ob_features, const Json* exf);

// The reading's values plus "<source>.age_s" = seconds from its `_pushed_at` to `now`.
IndicatorValues IndicatorsAt(const IndicatorReading& reading, Timestamp now);

// IndicatorValues as the journal stores them (a JSON object; doubles round-trip exactly) and
// back. Parse refuses anything but an object of finite numbers.
std::string IndicatorsToJson(const IndicatorValues& values);
Result<IndicatorValues> IndicatorsFromJson(std::string_view text);

}  // namespace dolphin::trader
