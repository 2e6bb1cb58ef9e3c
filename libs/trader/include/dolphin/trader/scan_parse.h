// DOLPHIN_FEATURES["latest_eigen_scan"] JSON -> trader::Scan (simdjson on-demand: the live hot
// path parses one 400-asset scan in microseconds). The backtest feeds scan files through the
// bridge's own JSON builder and then this parser, so live and backtest see identical values.
// Thread-safety: pure functions (each call uses its own parser).
#pragma once

#include <span>
#include <string_view>

#include "dolphin/core/result.h"
#include "dolphin/trader/types.h"

namespace dolphin::trader {

// Required: scan_number (integer), timestamp (RFC 3339). Optional: epoch (default 0),
// vel_div and the other eigen features (number or null), eigenvalues, regime, asset_prices
// (object symbol -> number), bridge_ts, file, republished. Unknown fields are ignored.
// Errors name the field: "latest_eigen_scan: timestamp: expected an RFC 3339 string".
Result<Scan> ParseScanJson(std::string_view json);

// A scan file's bytes (Arrow IPC file or stream) -> Scan, through the bridge's DecodeScan and
// BuildScanJson with `epoch`, then ParseScanJson: exactly what the live trader would see.
Result<Scan> ScanFromArrow(std::span<const uint8_t> bytes, int64_t epoch, std::string_view file);

}  // namespace dolphin::trader
