// One NG6 scan file -> the JSON value of DOLPHIN_FEATURES["latest_eigen_scan"].
//
// Every column of the (last) row, converted generically (docs/architecture.md §8), then the
// bridge's own fields, which win over a column of the same name: asset_prices (object symbol ->
// price from the aligned assets/asset_prices lists), epoch, bridge_ts, bridge_source, file,
// republished, synthetic. The text is always valid JSON: strings are written by core's
// AppendJsonString (invalid UTF-8 -> U+FFFD), except asset symbols, where an asset whose
// symbol is not valid UTF-8 is dropped from "assets" and "asset_prices" alike and counted in
// DecodedScan::assets_dropped_invalid_utf8. Part of contract_arrow (the only part of the
// contract that reads Arrow): the bridge publishes with it, `dolphin backtest` replays files
// through it. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/contract/names.h"  // kFeaturesMap, kScanKey: where this value is published
#include "dolphin/contract/scan.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::contract {

struct DecodedScan {
  int64_t scan_number = 0;
  Timestamp timestamp;
  // The generic columns as the inside of a JSON object ("\"a\":1,\"b\":2"), bridge-owned
  // names removed.
  std::string columns_json;
  // Names of scan columns that collided with bridge fields (asset_prices excluded: the bridge
  // always rebuilds it from the lists).
  std::vector<std::string> collisions;
  std::string asset_prices_json;  // {"BTCUSDT":60000.5,...}, or empty when not derivable
  // Assets whose symbol is not valid UTF-8, left out of the "assets" list and of
  // asset_prices (never written with U+FFFD, which could merge two symbols into one key).
  int64_t assets_dropped_invalid_utf8 = 0;
  bool synthetic = false;  // schema metadata synthetic=true
  // For the per-scan log line (NaN / empty when absent).
  std::string regime;
  double vel_div = 0;
  bool has_vel_div = false;
};

// Decodes one scan file's bytes. Errors name what is wrong ("no scan_number column", ...).
Result<DecodedScan> DecodeScan(std::span<const uint8_t> bytes);

struct PublishFields {
  int64_t epoch = 0;
  Timestamp bridge_ts;
  std::string file;
  bool republished = false;
};

// The complete JSON object text.
std::string BuildScanJson(const DecodedScan& scan, const PublishFields& fields);

// A scan file's bytes (Arrow IPC file or stream) -> Scan, through DecodeScan and BuildScanJson
// with `epoch` (bridge_ts = the scan's timestamp), then DecodeScanJson: exactly what the live
// trader would see.
Result<Scan> ScanFromArrow(std::span<const uint8_t> bytes, int64_t epoch, std::string_view file);

}  // namespace dolphin::contract
