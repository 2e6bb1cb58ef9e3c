#include "dolphin/contract/heartbeat.h"

#include "dolphin/contract/json_fields.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/json.h"

namespace dolphin::contract {

std::string EncodeHeartbeat(const Heartbeat& b) {
  Json j;
  j["service"] = b.service;
  j["pid"] = b.pid;
  j["host"] = b.host;
  j["ts"] = FormatRfc3339(b.ts);
  j["status"] = HeartbeatStatusName(b.status);
  j["detail"] = b.detail;
  return DumpJson(j);
}

Result<Heartbeat> DecodeHeartbeat(std::string_view json) {
  constexpr std::string_view kWhat = kHeartbeatMap;
  DOLPHIN_ASSIGN_OR_RETURN(Json j, ParseObject(json, kWhat));
  Heartbeat b;
  DOLPHIN_ASSIGN_OR_RETURN(b.service, GetString(j, "service", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(b.pid, GetInt64Or(j, "pid", 0, kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(b.host, GetStringOr(j, "host", "", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(b.ts, GetTimestamp(j, "ts", kWhat));
  DOLPHIN_ASSIGN_OR_RETURN(std::string status, GetString(j, "status", kWhat));
  auto s = ParseHeartbeatStatus(status);
  if (!s.ok()) return s.status().WithPrefix(kWhat);
  b.status = *s;
  DOLPHIN_ASSIGN_OR_RETURN(b.detail, GetStringOr(j, "detail", "", kWhat));
  return b;
}

}  // namespace dolphin::contract
