// DOLPHIN_FEATURES["latest_eigen_scan"] JSON -> trader::Scan: the contract's decoder
// (dolphin/contract/scan.h; simdjson on-demand, the live hot path). The backtest feeds scan files
// through the bridge's own JSON builder and then this decoder (contract::ScanFromArrow in
// contract_arrow), so live and backtest see identical values. Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "dolphin/contract/scan.h"
#include "dolphin/core/result.h"
#include "dolphin/trader/types.h"

namespace dolphin::trader {

// Required: scan_number (integer), timestamp (RFC 3339). Optional: epoch (default 0),
// vel_div and the other eigen features (number or null), eigenvalues, regime, asset_prices
// (object symbol -> number), bridge_ts, file, republished. Unknown fields are ignored.
// Errors name the field: "latest_eigen_scan: timestamp: expected an RFC 3339 string".
inline Result<Scan> ParseScanJson(std::string_view json) { return contract::DecodeScanJson(json); }

}  // namespace dolphin::trader
