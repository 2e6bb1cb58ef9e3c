#include "dolphin/indicators/sources.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>

namespace dolphin::indicators {
namespace {

namespace dom = simdjson::dom;

// 2017-01-01T00:00:00Z: older than every source's data.
constexpr int64_t kEarliestMs = 1483228800000;
constexpr Duration kMaxFuture = std::chrono::minutes(5);

Status Bad(std::string_view api, std::string_view field, std::string_view expected,
           std::string_view got) {
  return InvalidArgumentError(
      fmt::format("{}: {}: expected {}, got {}", api, field, expected, got));
}

std::string Shown(dom::element e) {
  std::string s = simdjson::minify(e);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

Result<dom::element> ParseBody(dom::parser& parser, std::string_view api, std::string_view body) {
  dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc); err != simdjson::SUCCESS) {
    return InvalidArgumentError(fmt::format("{}: the body ({} bytes) is not valid JSON: {}", api,
                                            body.size(), simdjson::error_message(err)));
  }
  return doc;
}

// The member `key` of `obj`; errors name it as `shown` (its path, e.g. "result.data").
Result<dom::element> Field(dom::element obj, std::string_view api, std::string_view key,
                           std::string_view shown = {}) {
  if (shown.empty()) shown = key;
  if (!obj.is_object()) return Bad(api, shown, "an object around it", Shown(obj));
  dom::element v;
  if (obj[key].get(v) != simdjson::SUCCESS)
    return Bad(api, shown, "the field", "nothing (missing)");
  return v;
}

// A decimal number sent as a JSON string ("0.00010000"); finite.
Result<double> DecimalString(dom::element e, std::string_view api, std::string_view field) {
  std::string_view text;
  if (e.get_string().get(text) != simdjson::SUCCESS)
    return Bad(api, field, "a decimal string", Shown(e));
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v)) {
    return Bad(api, field, "a finite decimal string", fmt::format("\"{}\"", text.substr(0, 40)));
  }
  return v;
}

Result<double> Number(dom::element e, std::string_view api, std::string_view field) {
  double v = 0;
  if (!e.is_number() || e.get_double().get(v) != simdjson::SUCCESS || !std::isfinite(v)) {
    return Bad(api, field, "a finite number", Shown(e));
  }
  return v;
}

Result<Timestamp> MillisTime(dom::element e, std::string_view api, std::string_view field,
                             Timestamp now) {
  int64_t ms = 0;
  if (!e.is_int64() || e.get_int64().get(ms) != simdjson::SUCCESS) {
    return Bad(api, field, "an integer of Unix milliseconds", Shown(e));
  }
  const Timestamp ts = Timestamp::FromUnixMicros(ms * 1000);
  if (ms < kEarliestMs || ts > now + kMaxFuture) {
    return Bad(api, field,
               fmt::format("a time between 2017 and now + 5 min ({})", FormatRfc3339(now)),
               FormatRfc3339(ts));
  }
  return ts;
}

Status InRange(double v, double lo, double hi, std::string_view api, std::string_view field) {
  if (v < lo || v > hi)
    return Bad(api, field, fmt::format("a value in [{}, {}]", lo, hi), FormatDouble(v));
  return Status::Ok();
}

std::string Trim(std::string_view base) {
  std::string s(base);
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Binance's error body {"code": -1121, "msg": "Invalid symbol."} as one line, when it is one.
std::string BinanceError(dom::element doc) {
  dom::element msg;
  int64_t code = 0;
  std::string_view text;
  if (doc.is_object() && doc["msg"].get(msg) == simdjson::SUCCESS &&
      msg.get_string().get(text) == simdjson::SUCCESS) {
    if (doc["code"].get_int64().get(code) != simdjson::SUCCESS) code = 0;
    return fmt::format(" (Binance error {}: {})", code, text.substr(0, 80));
  }
  return "";
}

}  // namespace

std::string FundingUrl(std::string_view base_url, std::string_view symbol) {
  return fmt::format("{}/fapi/v1/premiumIndex?symbol={}", Trim(base_url), symbol);
}

Result<FundingPoint> ParseFunding(std::string_view body, std::string_view symbol, Timestamp now) {
  constexpr std::string_view kApi = "premiumIndex";
  dom::parser parser;
  DOLPHIN_ASSIGN_OR_RETURN(dom::element doc, ParseBody(parser, kApi, body));
  if (!doc.is_object())
    return Bad(kApi, "body", "one object (the request names a symbol)", Shown(doc));
  if (std::string err = BinanceError(doc); !err.empty()) {
    return InvalidArgumentError(fmt::format("{}: error answer{}", kApi, err));
  }
  FundingPoint p;
  DOLPHIN_ASSIGN_OR_RETURN(dom::element sym, Field(doc, kApi, "symbol"));
  std::string_view sym_text;
  if (sym.get_string().get(sym_text) != simdjson::SUCCESS || sym_text != symbol) {
    return Bad(kApi, "symbol", fmt::format("\"{}\"", symbol), Shown(sym));
  }
  p.symbol = std::string(sym_text);
  DOLPHIN_ASSIGN_OR_RETURN(dom::element rate, Field(doc, kApi, "lastFundingRate"));
  std::string_view rate_text;
  if (rate.get_string().get(rate_text) == simdjson::SUCCESS && rate_text.empty()) {
    return Bad(kApi, "lastFundingRate", "a funding rate (a perpetual contract)",
               "\"\" (not a perpetual)");
  }
  DOLPHIN_ASSIGN_OR_RETURN(p.rate, DecimalString(rate, kApi, "lastFundingRate"));
  DOLPHIN_RETURN_IF_ERROR(InRange(p.rate, -0.1, 0.1, kApi, "lastFundingRate"));
  DOLPHIN_ASSIGN_OR_RETURN(dom::element mark, Field(doc, kApi, "markPrice"));
  DOLPHIN_ASSIGN_OR_RETURN(p.mark_price, DecimalString(mark, kApi, "markPrice"));
  DOLPHIN_RETURN_IF_ERROR(InRange(p.mark_price, 1e-12, 1e12, kApi, "markPrice"));
  DOLPHIN_ASSIGN_OR_RETURN(dom::element index, Field(doc, kApi, "indexPrice"));
  DOLPHIN_ASSIGN_OR_RETURN(p.index_price, DecimalString(index, kApi, "indexPrice"));
  DOLPHIN_RETURN_IF_ERROR(InRange(p.index_price, 1e-12, 1e12, kApi, "indexPrice"));
  DOLPHIN_ASSIGN_OR_RETURN(dom::element time, Field(doc, kApi, "time"));
  DOLPHIN_ASSIGN_OR_RETURN(p.ts, MillisTime(time, kApi, "time", now));
  DOLPHIN_ASSIGN_OR_RETURN(dom::element next, Field(doc, kApi, "nextFundingTime"));
  int64_t next_ms = 0;
  if (!next.is_int64() || next.get_int64().get(next_ms) != simdjson::SUCCESS) {
    return Bad(kApi, "nextFundingTime", "an integer of Unix milliseconds", Shown(next));
  }
  p.next_funding_time = Timestamp::FromUnixMicros(next_ms * 1000);
  if (p.next_funding_time < p.ts - std::chrono::minutes(1) ||
      p.next_funding_time > p.ts + std::chrono::hours(9)) {
    return Bad(kApi, "nextFundingTime",
               fmt::format("a time within 9 h after `time` ({})", FormatRfc3339(p.ts)),
               FormatRfc3339(p.next_funding_time));
  }
  return p;
}

std::string DvolUrl(std::string_view base_url, std::string_view currency, Timestamp now) {
  const int64_t end_ms = now.UnixMicros() / 1000;
  return fmt::format(
      "{}/public/get_volatility_index_data?currency={}&start_timestamp={}&end_timestamp={}&resolution=60",
      Trim(base_url), currency, end_ms - 3600 * 1000, end_ms);
}

Result<DvolPoint> ParseDvol(std::string_view body, std::string_view currency, Timestamp now) {
  constexpr std::string_view kApi = "get_volatility_index_data";
  dom::parser parser;
  DOLPHIN_ASSIGN_OR_RETURN(dom::element doc, ParseBody(parser, kApi, body));
  if (!doc.is_object()) return Bad(kApi, "body", "a JSON-RPC object", Shown(doc));
  dom::element error;
  if (doc["error"].get(error) == simdjson::SUCCESS) {
    std::string_view message;
    int64_t code = 0;
    if (error["message"].get_string().get(message) != simdjson::SUCCESS) message = "(no message)";
    if (error["code"].get_int64().get(code) != simdjson::SUCCESS) code = 0;
    return InvalidArgumentError(
        fmt::format("{}: JSON-RPC error {}: {}", kApi, code, message.substr(0, 80)));
  }
  DOLPHIN_ASSIGN_OR_RETURN(dom::element result, Field(doc, kApi, "result"));
  DOLPHIN_ASSIGN_OR_RETURN(dom::element data, Field(result, kApi, "data", "result.data"));
  dom::array rows;
  if (data.get_array().get(rows) != simdjson::SUCCESS)
    return Bad(kApi, "result.data", "an array", Shown(data));
  if (rows.size() == 0)
    return Bad(kApi, "result.data", "at least one candle in the last hour", "[]");
  DvolPoint p;
  p.currency = std::string(currency);
  bool have = false;
  size_t i = 0;
  for (dom::element row : rows) {
    const std::string field = fmt::format("result.data[{}]", i++);
    dom::array cells;
    if (row.get_array().get(cells) != simdjson::SUCCESS || cells.size() != 5) {
      return Bad(kApi, field, "[ts, open, high, low, close]", Shown(row));
    }
    DOLPHIN_ASSIGN_OR_RETURN(Timestamp ts,
                             MillisTime(cells.at(0).value_unsafe(), kApi, field + "[0]", now));
    double close = 0;
    for (size_t c = 1; c < 5; ++c) {
      DOLPHIN_ASSIGN_OR_RETURN(
          double v, Number(cells.at(c).value_unsafe(), kApi, fmt::format("{}[{}]", field, c)));
      DOLPHIN_RETURN_IF_ERROR(InRange(v, 1e-6, 1000, kApi, fmt::format("{}[{}]", field, c)));
      close = v;
    }
    if (!have || ts > p.ts) {
      p.ts = ts;
      p.value = close;
      have = true;
    }
  }
  return p;
}

std::string FearGreedUrl(std::string_view base_url) {
  return fmt::format("{}/fng/?limit=1", Trim(base_url));
}

Result<FearGreedPoint> ParseFearGreed(std::string_view body, Timestamp now) {
  constexpr std::string_view kApi = "fng";
  dom::parser parser;
  DOLPHIN_ASSIGN_OR_RETURN(dom::element doc, ParseBody(parser, kApi, body));
  if (!doc.is_object()) return Bad(kApi, "body", "an object", Shown(doc));
  dom::element metadata, err;
  if (doc["metadata"].get(metadata) == simdjson::SUCCESS &&
      metadata["error"].get(err) == simdjson::SUCCESS && !err.is_null()) {
    return InvalidArgumentError(fmt::format("{}: metadata.error: {}", kApi, Shown(err)));
  }
  DOLPHIN_ASSIGN_OR_RETURN(dom::element data, Field(doc, kApi, "data"));
  dom::array items;
  if (data.get_array().get(items) != simdjson::SUCCESS || items.size() == 0) {
    return Bad(kApi, "data", "a non-empty array", Shown(data));
  }
  dom::element first = items.at(0).value_unsafe();
  FearGreedPoint p;
  DOLPHIN_ASSIGN_OR_RETURN(dom::element value, Field(first, kApi, "value", "data[0].value"));
  DOLPHIN_ASSIGN_OR_RETURN(double v, DecimalString(value, kApi, "data[0].value"));
  if (v != std::floor(v)) return Bad(kApi, "data[0].value", "an integer string", Shown(value));
  DOLPHIN_RETURN_IF_ERROR(InRange(v, 0, 100, kApi, "data[0].value"));
  p.value = static_cast<int>(v);
  DOLPHIN_ASSIGN_OR_RETURN(
      dom::element cls, Field(first, kApi, "value_classification", "data[0].value_classification"));
  std::string_view cls_text;
  if (cls.get_string().get(cls_text) != simdjson::SUCCESS ||
      (cls_text != "Extreme Fear" && cls_text != "Fear" && cls_text != "Neutral" &&
       cls_text != "Greed" && cls_text != "Extreme Greed")) {
    return Bad(kApi, "data[0].value_classification",
               "Extreme Fear, Fear, Neutral, Greed or Extreme Greed", Shown(cls));
  }
  p.classification = std::string(cls_text);
  DOLPHIN_ASSIGN_OR_RETURN(dom::element ts, Field(first, kApi, "timestamp", "data[0].timestamp"));
  DOLPHIN_ASSIGN_OR_RETURN(double secs, DecimalString(ts, kApi, "data[0].timestamp"));
  p.ts = Timestamp::FromUnixSeconds(static_cast<int64_t>(secs));
  if (secs != std::floor(secs) || secs < kEarliestMs / 1000.0 || p.ts > now + kMaxFuture) {
    return Bad(kApi, "data[0].timestamp", "Unix seconds between 2017 and now", Shown(ts));
  }
  return p;
}

std::string DepthUrl(std::string_view base_url, std::string_view symbol, int limit) {
  return fmt::format("{}/fapi/v1/depth?symbol={}&limit={}", Trim(base_url), symbol, limit);
}

Result<OrderBook> ParseDepth(std::string_view body, std::string_view symbol, Timestamp now) {
  constexpr std::string_view kApi = "depth";
  dom::parser parser;
  DOLPHIN_ASSIGN_OR_RETURN(dom::element doc, ParseBody(parser, kApi, body));
  if (!doc.is_object()) return Bad(kApi, "body", "an object", Shown(doc));
  if (std::string err = BinanceError(doc); !err.empty()) {
    return InvalidArgumentError(fmt::format("{}: error answer{}", kApi, err));
  }
  OrderBook book;
  book.symbol = std::string(symbol);
  DOLPHIN_ASSIGN_OR_RETURN(dom::element id, Field(doc, kApi, "lastUpdateId"));
  if (!id.is_int64() || id.get_int64().get(book.last_update_id) != simdjson::SUCCESS ||
      book.last_update_id <= 0) {
    return Bad(kApi, "lastUpdateId", "a positive integer", Shown(id));
  }
  DOLPHIN_ASSIGN_OR_RETURN(dom::element t, Field(doc, kApi, "T"));
  DOLPHIN_ASSIGN_OR_RETURN(book.ts, MillisTime(t, kApi, "T", now));
  for (const char* side : {"bids", "asks"}) {
    auto& levels = side[0] == 'b' ? book.bids : book.asks;
    DOLPHIN_ASSIGN_OR_RETURN(dom::element arr, Field(doc, kApi, side));
    dom::array rows;
    if (arr.get_array().get(rows) != simdjson::SUCCESS)
      return Bad(kApi, side, "an array of levels", Shown(arr));
    size_t i = 0;
    for (dom::element row : rows) {
      const std::string field = fmt::format("{}[{}]", side, i++);
      dom::array cells;
      if (row.get_array().get(cells) != simdjson::SUCCESS || cells.size() != 2) {
        return Bad(kApi, field, "[price, qty] as strings", Shown(row));
      }
      DOLPHIN_ASSIGN_OR_RETURN(double price,
                               DecimalString(cells.at(0).value_unsafe(), kApi, field + "[0]"));
      DOLPHIN_ASSIGN_OR_RETURN(double qty,
                               DecimalString(cells.at(1).value_unsafe(), kApi, field + "[1]"));
      DOLPHIN_RETURN_IF_ERROR(InRange(price, 1e-12, 1e12, kApi, field + "[0]"));
      DOLPHIN_RETURN_IF_ERROR(InRange(qty, 0, 1e15, kApi, field + "[1]"));
      if (!levels.empty()) {
        const double prev = levels.back().first;
        const bool ordered = side[0] == 'b' ? price < prev : price > prev;
        if (!ordered) {
          return Bad(
              kApi, field,
              side[0] == 'b' ? "bids in descending price order" : "asks in ascending price order",
              FormatDouble(price));
        }
      }
      levels.emplace_back(price, qty);
    }
    if (levels.empty()) return Bad(kApi, side, "at least one level", "[]");
  }
  if (book.bids.front().first >= book.asks.front().first) {
    return Bad(
        kApi, "bids[0]",
        fmt::format("a best bid below the best ask {}", FormatDouble(book.asks.front().first)),
        FormatDouble(book.bids.front().first));
  }
  return book;
}

namespace {

double Imbalance(const OrderBook& b, size_t n) {
  double bid = 0, ask = 0;
  for (size_t i = 0; i < n && i < b.bids.size(); ++i) bid += b.bids[i].second;
  for (size_t i = 0; i < n && i < b.asks.size(); ++i) ask += b.asks[i].second;
  return bid + ask > 0 ? (bid - ask) / (bid + ask) : 0.0;
}

}  // namespace

ObFeatures ComputeObFeatures(const OrderBook& b) {
  ObFeatures f;
  f.best_bid = b.bids.front().first;
  f.best_ask = b.asks.front().first;
  f.mid = (f.best_bid + f.best_ask) / 2;
  f.spread_bps = (f.best_ask - f.best_bid) / f.mid * 1e4;
  f.imbalance_5 = Imbalance(b, 5);
  f.imbalance_20 = Imbalance(b, 20);
  const double lo = f.mid * (1 - 0.001);
  const double hi = f.mid * (1 + 0.001);
  bool bid_beyond = false, ask_beyond = false;
  for (const auto& [p, q] : b.bids) {
    if (p < lo) {
      bid_beyond = true;
      break;
    }
    f.depth_bid_10bps += p * q;
  }
  for (const auto& [p, q] : b.asks) {
    if (p > hi) {
      ask_beyond = true;
      break;
    }
    f.depth_ask_10bps += p * q;
  }
  f.depth_10bps_complete = bid_beyond && ask_beyond;
  return f;
}

Json ObFeaturesJson(const OrderBook& b, const ObFeatures& f) {
  Json j;
  j["mid"] = f.mid;
  j["best_bid"] = f.best_bid;
  j["best_ask"] = f.best_ask;
  j["spread_bps"] = f.spread_bps;
  j["imbalance_5"] = f.imbalance_5;
  j["imbalance_20"] = f.imbalance_20;
  j["depth_bid_10bps"] = f.depth_bid_10bps;
  j["depth_ask_10bps"] = f.depth_ask_10bps;
  j["depth_10bps_complete"] = f.depth_10bps_complete;
  j["levels"] = std::min(b.bids.size(), b.asks.size());
  j["last_update_id"] = b.last_update_id;
  j["ts"] = FormatRfc3339(b.ts);
  return j;
}

}  // namespace dolphin::indicators
