#include "dolphin/contract/scan.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "dolphin/core/json.h"

namespace dolphin::contract {

std::optional<double> Scan::Price(std::string_view asset) const {
  for (const auto& [symbol, price] : prices) {
    if (symbol == asset) {
      if (std::isfinite(price) && price > 0) return price;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

namespace {

namespace od = simdjson::ondemand;

Status FieldError(std::string_view field, std::string_view expected) {
  return InvalidArgumentError(fmt::format("latest_eigen_scan: {}: expected {}", field, expected));
}

// A number or null (null and absent both mean NaN). The number is tried first: it is what
// nearly every value is, and the error path alone looks for null.
bool ReadOptionalDoubleValue(od::value value, double* out) {
  if (value.get_double().get(*out) == simdjson::SUCCESS) return true;
  bool is_null = false;
  if (value.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
    *out = std::nan("");
    return true;
  }
  return false;
}

Status ReadOptionalDouble(od::value value, std::string_view field, double* out) {
  if (!ReadOptionalDoubleValue(value, out)) return FieldError(field, "a number or null");
  return Status::Ok();
}

Status ReadTimestamp(od::value value, std::string_view field, Timestamp* out) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return FieldError(field, "an RFC 3339 string");
  }
  auto ts = ParseRfc3339(text);
  if (!ts.ok())
    return FieldError(field, fmt::format("an RFC 3339 string ({})", ts.status().message()));
  *out = *ts;
  return Status::Ok();
}

Result<Scan> Parse(od::document& doc) {
  Scan scan;
  bool has_number = false, has_timestamp = false;
  od::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidArgumentError("latest_eigen_scan: expected a JSON object");
  }
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) {
      return InvalidArgumentError("latest_eigen_scan: malformed JSON");
    }
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return InvalidArgumentError("latest_eigen_scan: malformed key");
    }
    od::value value = field.value();
    if (key == "scan_number") {
      if (value.get_int64().get(scan.scan_number) != simdjson::SUCCESS) {
        return FieldError(key, "an integer");
      }
      has_number = true;
    } else if (key == "epoch") {
      if (value.get_int64().get(scan.epoch) != simdjson::SUCCESS)
        return FieldError(key, "an integer");
    } else if (key == "timestamp") {
      DOLPHIN_RETURN_IF_ERROR(ReadTimestamp(value, key, &scan.timestamp));
      has_timestamp = true;
    } else if (key == "bridge_ts") {
      Timestamp ts;
      DOLPHIN_RETURN_IF_ERROR(ReadTimestamp(value, key, &ts));
      scan.bridge_ts = ts;
    } else if (key == "vel_div") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.vel_div));
    } else if (key == "w50_velocity") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.w50_velocity));
    } else if (key == "w150_velocity") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.w150_velocity));
    } else if (key == "w300_velocity") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.w300_velocity));
    } else if (key == "w750_velocity") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.w750_velocity));
    } else if (key == "w50_lambda_max") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.w50_lambda_max));
    } else if (key == "w150_lambda_max") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.w150_lambda_max));
    } else if (key == "w300_lambda_max") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.w300_lambda_max));
    } else if (key == "w750_lambda_max") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.w750_lambda_max));
    } else if (key == "instability_50") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.instability_50));
    } else if (key == "instability_150") {
      DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(value, key, &scan.instability_150));
    } else if (key == "regime") {
      std::string_view text;
      bool is_null = false;
      if (value.is_null().get(is_null) == simdjson::SUCCESS && is_null) continue;
      if (value.get_string().get(text) != simdjson::SUCCESS) return FieldError(key, "a string");
      scan.regime = std::string(text);
    } else if (key == "file") {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return FieldError(key, "a string");
      scan.file = std::string(text);
    } else if (key == "republished") {
      if (value.get_bool().get(scan.republished) != simdjson::SUCCESS)
        return FieldError(key, "a boolean");
    } else if (key == "eigenvalues") {
      bool is_null = false;
      if (value.is_null().get(is_null) == simdjson::SUCCESS && is_null) continue;
      od::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS) return FieldError(key, "an array");
      for (auto element : array) {
        double v = 0;
        od::value ev;
        if (std::move(element).get(ev) != simdjson::SUCCESS)
          return FieldError(key, "an array of numbers");
        DOLPHIN_RETURN_IF_ERROR(ReadOptionalDouble(ev, key, &v));
        scan.eigenvalues.push_back(v);
      }
    } else if (key == "asset_prices") {
      od::object prices;
      if (value.get_object().get(prices) != simdjson::SUCCESS) {
        return FieldError(key, "an object symbol -> price");
      }
      for (auto price_result : prices) {
        od::field price_field;
        std::string_view symbol;
        if (std::move(price_result).get(price_field) != simdjson::SUCCESS ||
            price_field.unescaped_key().get(symbol) != simdjson::SUCCESS) {
          return FieldError(key, "an object symbol -> price");
        }
        double price = 0;
        // The field's name is only spelled out for an error (400 allocations a scan otherwise).
        if (!ReadOptionalDoubleValue(price_field.value(), &price)) {
          return FieldError(fmt::format("asset_prices.{}", symbol), "a number or null");
        }
        scan.prices.emplace_back(std::string(symbol), price);
      }
    }
    // Every other column is ignored by the trader.
  }
  if (!has_number) return InvalidArgumentError("latest_eigen_scan: no scan_number field");
  if (!has_timestamp) return InvalidArgumentError("latest_eigen_scan: no timestamp field");
  return scan;
}

}  // namespace

Result<Scan> DecodeScanJson(std::string_view json) {
  thread_local od::parser parser;
  simdjson::padded_string padded(json);
  od::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
    return InvalidArgumentError("latest_eigen_scan: not valid JSON");
  }
  auto scan = Parse(doc);
  if (!scan.ok()) return scan;
  // On-demand parsing validates lazily: make sure nothing malformed follows the object.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) {
    return InvalidArgumentError("latest_eigen_scan: trailing characters after the object");
  }
  return scan;
}

std::string EncodeScanJson(const Scan& s) {
  std::string out = fmt::format("{{\"scan_number\":{},\"epoch\":{},\"timestamp\":\"{}\"",
                                s.scan_number, s.epoch, FormatRfc3339(s.timestamp));
  auto number = [&](std::string_view name, double v) {
    out += fmt::format(",\"{}\":{}", name, FormatDouble(v));
  };
  number("vel_div", s.vel_div);
  number("w50_velocity", s.w50_velocity);
  number("w150_velocity", s.w150_velocity);
  number("w300_velocity", s.w300_velocity);
  number("w750_velocity", s.w750_velocity);
  number("w50_lambda_max", s.w50_lambda_max);
  number("w150_lambda_max", s.w150_lambda_max);
  number("w300_lambda_max", s.w300_lambda_max);
  number("w750_lambda_max", s.w750_lambda_max);
  number("instability_50", s.instability_50);
  number("instability_150", s.instability_150);
  out += ",\"eigenvalues\":[";
  for (size_t i = 0; i < s.eigenvalues.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += FormatDouble(s.eigenvalues[i]);
  }
  out += "],\"regime\":";
  AppendJsonString(out, s.regime);
  out += ",\"asset_prices\":{";
  for (size_t i = 0; i < s.prices.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, s.prices[i].first);
    out.push_back(':');
    out += FormatDouble(s.prices[i].second);
  }
  out.push_back('}');
  if (s.bridge_ts) out += fmt::format(",\"bridge_ts\":\"{}\"", FormatRfc3339(*s.bridge_ts));
  out += ",\"file\":";
  AppendJsonString(out, s.file);
  out += fmt::format(",\"republished\":{}}}", s.republished ? "true" : "false");
  return out;
}

}  // namespace dolphin::contract
