// DOLPHIN_SAFETY["latest"] (docs/architecture.md §3 and docs/health.md): the safety service's
// posture record. Thread-safety: plain values; pure functions. Decoding never throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dolphin/contract/enums.h"
#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::contract {

struct SafetyRecord {
  Posture posture = Posture::kHibernate;
  double rm = 1.0;                   // `Rm`: risk multiplier in [0, 1]
  Timestamp ts;                      // when safety decided (the freshness field)
  std::vector<std::string> reasons;  // why this posture
  Json inputs = Json::object();      // the values the rule read

  bool operator==(const SafetyRecord&) const = default;
};

std::string EncodeSafety(const SafetyRecord& record);

// Required: posture (a Posture name), ts (RFC 3339). Optional: Rm (a number in [0, 1]; default
// 1.0), reasons (array of strings), inputs (object). Errors name the field:
// "DOLPHIN_SAFETY[latest]: Rm: 1.5 is outside [0, 1]".
Result<SafetyRecord> DecodeSafety(std::string_view json);

}  // namespace dolphin::contract
