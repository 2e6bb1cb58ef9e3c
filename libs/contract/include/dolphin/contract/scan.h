// DOLPHIN_FEATURES["latest_eigen_scan"] as a value type: the fields a consumer (the trader)
// reads, decoded from the bridge's JSON with simdjson on-demand (one 400-asset scan in
// microseconds: this is the live hot path), and encoded back for tests and tools.
//
// The bridge builds the JSON from a scan file (contract_arrow, scan_file.h); this decoder is the
// one reader, used live and by `dolphin backtest`, so both see identical values.
// Thread-safety: plain values; pure functions (each decoding thread uses its own parser).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::contract {

struct Scan {
  int64_t epoch = 0;
  int64_t scan_number = 0;
  Timestamp timestamp;  // the scan's own time: the trader's clock
  // NaN when the column is absent (or null).
  double vel_div = std::nan("");
  double w50_velocity = std::nan(""), w150_velocity = std::nan(""), w300_velocity = std::nan(""),
         w750_velocity = std::nan("");
  double w50_lambda_max = std::nan(""), w150_lambda_max = std::nan(""),
         w300_lambda_max = std::nan(""), w750_lambda_max = std::nan("");
  double instability_50 = std::nan(""), instability_150 = std::nan("");
  std::vector<double> eigenvalues;
  std::string regime;
  // asset -> price, in file order (BTCUSDT usually first).
  std::vector<std::pair<std::string, double>> prices;
  // Bridge fields (absent in an in-memory backtest).
  std::optional<Timestamp> bridge_ts;
  std::string file;
  bool republished = false;

  // The asset's price, or nullopt when the scan has none (or it is not finite and positive).
  std::optional<double> Price(std::string_view asset) const;
};

// Required: scan_number (integer), timestamp (RFC 3339). Optional: epoch (default 0), vel_div
// and the other eigen features (number or null), eigenvalues, regime, asset_prices (object
// symbol -> number), bridge_ts, file, republished. Unknown fields are ignored. Never throws;
// errors name the field: "latest_eigen_scan: timestamp: expected an RFC 3339 string".
Result<Scan> DecodeScanJson(std::string_view json);

// The JSON object text of `scan` with the fields above (NaN -> null; bridge_ts only when set).
// DecodeScanJson(EncodeScanJson(s)) == s for every finite field.
std::string EncodeScanJson(const Scan& scan);

}  // namespace dolphin::contract
