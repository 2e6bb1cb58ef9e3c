#include "dolphin/contract/safety.h"

#include <fmt/format.h>

#include "dolphin/contract/json_fields.h"

namespace dolphin::contract {

namespace {
constexpr char kWhat[] = "DOLPHIN_SAFETY[latest]";
}  // namespace

std::string EncodeSafety(const SafetyRecord& r) {
  Json j;
  j["posture"] = PostureName(r.posture);
  j["Rm"] = r.rm;
  j["ts"] = FormatRfc3339(r.ts);
  j["reasons"] = r.reasons;
  j["inputs"] = r.inputs.is_object() ? r.inputs : Json::object();
  return DumpJson(j);
}

Result<SafetyRecord> DecodeSafety(std::string_view json) {
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseObject(json, kWhat));
  SafetyRecord r;
  DOLPHIN_ASSIGN_OR_RETURN(std::string posture, GetString(j, "posture", kWhat));
  auto p = ParsePosture(posture);
  if (!p.ok()) return p.status().WithPrefix(kWhat);
  r.posture = *p;
  DOLPHIN_ASSIGN_OR_RETURN(r.ts, GetTimestamp(j, "ts", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(r.rm, GetDoubleOr(j, "Rm", 1.0, kWhat));
  if (!(r.rm >= 0.0 && r.rm <= 1.0)) {
    return InvalidArgumentError(fmt::format("{}: Rm: {} is outside [0, 1]", kWhat, r.rm));
  }
  if (const Json* reasons = FindField(j, "reasons"); reasons != nullptr && !reasons->is_null()) {
    if (!reasons->is_array())
      return InvalidArgumentError(fmt::format("{}: reasons: expected an array", kWhat));
    for (const Json& e : *reasons) {
      DOLPHIN_ASSIGN_OR_RETURN(std::string s, AsString(e, "reasons[]", kWhat));
      r.reasons.push_back(std::move(s));
    }
  }
  if (const Json* inputs = FindField(j, "inputs"); inputs != nullptr && !inputs->is_null()) {
    if (!inputs->is_object())
      return InvalidArgumentError(fmt::format("{}: inputs: expected an object", kWhat));
    r.inputs = *inputs;
  }
  return r;
}

}  // namespace dolphin::contract
