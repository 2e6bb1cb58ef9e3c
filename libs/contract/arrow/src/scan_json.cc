#include "dolphin/contract/scan_json.h"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <vector>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/json_writer.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/json.h"

namespace dolphin::contract {

namespace {

// Bridge-owned names: a scan column of the same name is dropped (and reported).
const std::set<std::string, std::less<>>& BridgeFields() {
  static const std::set<std::string, std::less<>> kFields = {
      "asset_prices", "epoch", "bridge_ts", "bridge_source", "file", "republished", "synthetic"};
  return kFields;
}

// Position of `row` (counted over all batches) as (batch, row in batch).
std::pair<size_t, int64_t> Locate(const arrow::Table& t, int64_t row) {
  for (size_t b = 0; b < t.batches.size(); ++b) {
    if (row < t.batches[b].num_rows) return {b, row};
    row -= t.batches[b].num_rows;
  }
  return {0, 0};
}

Result<Timestamp> ScanTimestamp(const arrow::Table& t, int64_t row) {
  int idx = t.ColumnIndex("timestamp");
  if (idx < 0) return InvalidArgumentError("no \"timestamp\" column");
  const arrow::Field& f = t.schema->fields[idx];
  DOLPHIN_ASSIGN_OR_RETURN(int64_t raw, arrow::GetInt64(t, "timestamp", row));
  if (f.type.id == arrow::TypeId::kTimestamp) {
    switch (f.type.unit) {
      case arrow::TimeUnit::kSecond: return Timestamp::FromUnixSeconds(raw);
      case arrow::TimeUnit::kMilli: return Timestamp::FromUnixMicros(raw * 1000);
      case arrow::TimeUnit::kMicro: return Timestamp::FromUnixMicros(raw);
      case arrow::TimeUnit::kNano: return Timestamp::FromUnixNanos(raw);
    }
  }
  return InvalidArgumentError(fmt::format("column \"timestamp\" has type {}, expected timestamp",
                                          arrow::FieldTypeToString(f)));
}

}  // namespace

Result<DecodedScan> DecodeScan(std::span<const uint8_t> bytes) {
  DOLPHIN_ASSIGN_OR_RETURN(arrow::Table table, arrow::ReadIpc(bytes));
  const int64_t rows = table.num_rows();
  if (rows == 0) return InvalidArgumentError("the file has no rows");
  const int64_t row = rows - 1;  // One row per scan; with several, the last is the newest.
  auto [batch, batch_row] = Locate(table, row);

  DecodedScan scan;
  auto number = arrow::GetInt64(table, "scan_number", row);
  if (!number.ok()) return number.status().WithPrefix("scan_number");
  scan.scan_number = *number;
  auto ts = ScanTimestamp(table, row);
  if (!ts.ok()) return ts.status();
  scan.timestamp = *ts;

  // An asset whose symbol is not valid UTF-8 is dropped (and counted), never written with
  // U+FFFD: two different bad symbols could become the same asset_prices key. It goes from
  // the assets list and from the aligned prices together, so the two stay aligned.
  auto assets = arrow::GetStringList(table, "assets", row);
  auto prices = arrow::GetFloat64List(table, "asset_prices", row);
  std::vector<size_t> kept;  // indices of the assets with a valid symbol
  if (assets.ok()) {
    kept.reserve(assets->size());
    for (size_t i = 0; i < assets->size(); ++i) {
      if (IsValidUtf8((*assets)[i])) kept.push_back(i);
    }
    scan.assets_dropped_invalid_utf8 = static_cast<int64_t>(assets->size() - kept.size());
  }

  const auto& fields = table.schema->fields;
  scan.columns_json.reserve(16384);
  for (size_t c = 0; c < fields.size(); ++c) {
    const std::string& name = fields[c].name;
    if (BridgeFields().count(name) > 0) {
      if (name != "asset_prices") scan.collisions.push_back(name);
      continue;
    }
    if (!scan.columns_json.empty()) scan.columns_json.push_back(',');
    AppendJsonString(scan.columns_json, name);
    scan.columns_json.push_back(':');
    if (name == "assets" && assets.ok()) {
      scan.columns_json.push_back('[');
      for (size_t k = 0; k < kept.size(); ++k) {
        if (k > 0) scan.columns_json.push_back(',');
        AppendJsonString(scan.columns_json, (*assets)[kept[k]]);
      }
      scan.columns_json.push_back(']');
      continue;
    }
    arrow::EncodeCellJson(table, batch, static_cast<int>(c), batch_row, scan.columns_json);
  }

  if (assets.ok() && prices.ok() && assets->size() == prices->size()) {
    std::string& out = scan.asset_prices_json;
    out.reserve(kept.size() * 24);
    out.push_back('{');
    for (size_t k = 0; k < kept.size(); ++k) {
      if (k > 0) out.push_back(',');
      AppendJsonString(out, (*assets)[kept[k]]);
      out.push_back(':');
      out += FormatDouble((*prices)[kept[k]]);
    }
    out.push_back('}');
  }
  for (const auto& [k, v] : table.schema->metadata) {
    if (k == "synthetic") scan.synthetic = v == "true" || v == "True" || v == "1";
  }
  if (auto r = arrow::GetString(table, "regime", row); r.ok()) scan.regime = *r;
  if (auto v = arrow::GetFloat64(table, "vel_div", row); v.ok()) {
    scan.vel_div = *v;
    scan.has_vel_div = true;
  }
  return scan;
}

std::string BuildScanJson(const DecodedScan& scan, const PublishFields& f) {
  std::string out;
  out.reserve(scan.columns_json.size() + scan.asset_prices_json.size() + 256);
  out.push_back('{');
  out += scan.columns_json;
  auto comma = [&] {
    if (out.size() > 1) out.push_back(',');
  };
  if (!scan.asset_prices_json.empty()) {
    comma();
    out += "\"asset_prices\":";
    out += scan.asset_prices_json;
  }
  comma();
  out += fmt::format("\"epoch\":{},\"bridge_ts\":\"{}\",\"bridge_source\":\"{}\",", f.epoch,
                     FormatRfc3339(f.bridge_ts), kBridgeSource);
  out += "\"file\":";
  AppendJsonString(out, f.file);
  out += fmt::format(",\"republished\":{},\"synthetic\":{}}}", f.republished ? "true" : "false",
                     scan.synthetic ? "true" : "false");
  return out;
}

Result<Scan> ScanFromArrow(std::span<const uint8_t> bytes, int64_t epoch, std::string_view file) {
  DOLPHIN_ASSIGN_OR_RETURN(DecodedScan decoded, DecodeScan(bytes));
  PublishFields fields;
  fields.epoch = epoch;
  fields.bridge_ts = decoded.timestamp;
  fields.file = std::string(file);
  return DecodeScanJson(BuildScanJson(decoded, fields));
}

}  // namespace dolphin::contract
