// The indicator sources: request URLs, response parsing (simdjson) and schema checks for each
// public API, and the order-book feature formulas (DESIGN §10, docs/indicators.md "Sources").
//
// Every Parse* function is pure: the body text and "now" in, a checked value or one error line
// out ("<api>: <field>: expected ..., got ..."). A value that fails any check (missing field,
// wrong type, a number that is not finite, a timestamp outside [2017, now + 5 min], a range)
// is an error: nothing of it is published. Binance sends prices, quantities and rates as JSON
// strings, Deribit and alternative.me as numbers and strings respectively (docs/indicators.md).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::indicators {

// GET /fapi/v1/premiumIndex?symbol=S (Binance USD-M mark price and funding rate).
std::string FundingUrl(std::string_view base_url, std::string_view symbol);
struct FundingPoint {
  std::string symbol;
  double rate = 0;  // lastFundingRate: a fraction per funding interval (0.0001 = 0.01 %)
  double mark_price = 0;
  double index_price = 0;
  Timestamp next_funding_time;
  Timestamp ts;  // the response's `time`
};
Result<FundingPoint> ParseFunding(std::string_view body, std::string_view symbol, Timestamp now);

// GET
// /public/get_volatility_index_data?currency=C&start_timestamp=..&end_timestamp=..&resolution=60
// over the last hour (Deribit DVOL, one-minute candles).
std::string DvolUrl(std::string_view base_url, std::string_view currency, Timestamp now);
struct DvolPoint {
  std::string currency;
  double value = 0;  // the newest candle's close, annualised implied vol in points (52.3 = 52.3 %)
  Timestamp ts;      // that candle's start
};
Result<DvolPoint> ParseDvol(std::string_view body, std::string_view currency, Timestamp now);

// GET /fng/?limit=1 (alternative.me Fear & Greed).
std::string FearGreedUrl(std::string_view base_url);
struct FearGreedPoint {
  int value = 0;               // 0..100
  std::string classification;  // Extreme Fear | Fear | Neutral | Greed | Extreme Greed
  Timestamp ts;                // the day's 00:00 UTC
};
Result<FearGreedPoint> ParseFearGreed(std::string_view body, Timestamp now);

// GET /fapi/v1/depth?symbol=S&limit=N (Binance USD-M order book snapshot).
std::string DepthUrl(std::string_view base_url, std::string_view symbol, int limit);
struct OrderBook {
  std::string symbol;
  std::vector<std::pair<double, double>> bids;  // (price, qty), best (highest) first
  std::vector<std::pair<double, double>> asks;  // best (lowest) first
  int64_t last_update_id = 0;
  Timestamp ts;  // `T`, the matching engine's time
};
Result<OrderBook> ParseDepth(std::string_view body, std::string_view symbol, Timestamp now);

// DESIGN §10's order-book features of one book.
struct ObFeatures {
  double best_bid = 0, best_ask = 0;
  double mid = 0;
  double spread_bps = 0;       // (ask - bid) / mid * 1e4
  double imbalance_5 = 0;      // (bid qty - ask qty) / (bid qty + ask qty) over the top 5 levels
  double imbalance_20 = 0;     // the same over the top 20 levels
  double depth_bid_10bps = 0;  // sum of price * qty of bids with price >= mid * (1 - 0.001)
  double depth_ask_10bps = 0;  // sum of price * qty of asks with price <= mid * (1 + 0.001)
  // False when the fetched levels ended inside the 10 bps band (the depth is then a floor).
  bool depth_10bps_complete = true;
};
// REQUIRES: a book ParseDepth accepted (both sides non-empty, not crossed).
ObFeatures ComputeObFeatures(const OrderBook& book);
// The features as published: the fields above plus `ts` and `last_update_id`.
Json ObFeaturesJson(const OrderBook& book, const ObFeatures& f);

}  // namespace dolphin::indicators
