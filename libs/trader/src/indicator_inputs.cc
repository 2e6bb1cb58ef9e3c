#include "dolphin/trader/indicator_inputs.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

namespace dolphin::trader {

namespace {

// The value's `_pushed_at`, or nullopt when it has none that parses.
std::optional<Timestamp> PushedAt(const Json& part) {
  auto it = part.find("_pushed_at");
  if (it == part.end() || !it->is_string()) return std::nullopt;
  auto ts = ParseRfc3339(it->get_ref<const std::string&>());
  if (!ts.ok()) return std::nullopt;
  return *ts;
}

const Json* Member(const Json* j, std::string_view key) {
  if (j == nullptr || !j->is_object()) return nullptr;
  auto it = j->find(std::string(key));
  return it == j->end() || !it->is_object() ? nullptr : &*it;
}

// Copies the finite numbers `fields` of `from` into `out` as "<source>.<field>", and the
// source's `_pushed_at` (read from `envelope`) into `reading`. Nothing when there is no
// readable `_pushed_at`.
void Take(const Json* from, const Json* envelope, std::string_view source,
          std::initializer_list<std::string_view> fields, IndicatorReading& reading) {
  if (from == nullptr || envelope == nullptr) return;
  std::optional<Timestamp> pushed = PushedAt(*envelope);
  if (!pushed) return;
  bool any = false;
  for (std::string_view field : fields) {
    auto it = from->find(std::string(field));
    if (it == from->end() || !it->is_number()) continue;
    const double v = it->get<double>();
    if (!std::isfinite(v)) continue;
    reading.values[fmt::format("{}.{}", source, field)] = v;
    any = true;
  }
  if (any) reading.pushed_at[std::string(source)] = *pushed;
}

}  // namespace

std::string BaseCurrency(std::string_view symbol) {
  for (std::string_view quote : {"FDUSD", "USDT", "USDC", "BUSD", "USD"}) {
    if (symbol.size() > quote.size() && symbol.ends_with(quote)) {
      return std::string(symbol.substr(0, symbol.size() - quote.size()));
    }
  }
  return "";
}

IndicatorReading ReadIndicators(std::string_view asset, const Json* ob_features, const Json* exf) {
  IndicatorReading r;
  if (ob_features != nullptr && ob_features->is_object()) {
    Take(Member(ob_features, asset), ob_features, "obf",
         {"mid", "spread_bps", "imbalance_5", "imbalance_20", "depth_bid_10bps", "depth_ask_10bps"},
         r);
  }
  const Json* funding = Member(exf, "funding");
  Take(Member(funding, asset), funding, "funding", {"rate"}, r);
  const Json* dvol = Member(exf, "dvol");
  if (std::string base = BaseCurrency(asset); !base.empty()) {
    Take(Member(dvol, base), dvol, "dvol", {"value"}, r);
  }
  const Json* fear_greed = Member(exf, "fear_greed");
  Take(fear_greed, fear_greed, "fear_greed", {"value"}, r);
  return r;
}

IndicatorValues IndicatorsAt(const IndicatorReading& reading, Timestamp now) {
  IndicatorValues v = reading.values;
  for (const auto& [source, pushed] : reading.pushed_at) {
    v[source + ".age_s"] = std::chrono::duration<double>(now - pushed).count();
  }
  return v;
}

std::string IndicatorsToJson(const IndicatorValues& values) {
  std::string out = "{";
  for (const auto& [name, v] : values) {
    if (out.size() > 1) out += ',';
    AppendJsonString(out, name);
    out += ':';
    // "-0" would read back as the integer 0: keep the sign with a fraction.
    out += v == 0 && std::signbit(v) ? std::string("-0.0") : FormatDouble(v);
  }
  out += '}';
  return out;
}

Result<IndicatorValues> IndicatorsFromJson(std::string_view text) {
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseJson(text, "indicator values"));
  if (!j.is_object()) return InvalidArgumentError("indicator values: expected a JSON object");
  IndicatorValues values;
  for (const auto& [name, v] : j.items()) {
    if (!v.is_number()) {
      return InvalidArgumentError(
          fmt::format("indicator values: {}: expected a number, got {}", name, v.dump()));
    }
    values[name] = v.get<double>();
  }
  return values;
}

}  // namespace dolphin::trader
