// DOLPHIN_HEARTBEAT[<service>] (docs/architecture.md §3): {service, pid, host, ts, status, detail}.
// Thread-safety: plain values; pure functions. Decoding never throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dolphin/contract/enums.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::contract {

struct Heartbeat {
  std::string service;  // the key: "bridge", "trader.BLUE", "run", ...
  int64_t pid = 0;
  std::string host;
  Timestamp ts;  // the freshness field
  HeartbeatStatus status = HeartbeatStatus::kOk;
  std::string detail;  // one short human line

  bool operator==(const Heartbeat&) const = default;
};

std::string EncodeHeartbeat(const Heartbeat& beat);

// Required: service, ts, status. Optional: pid (default 0), host, detail (default "").
// Errors: "DOLPHIN_HEARTBEAT: status: expected ok, degraded or stalled, got \"x\"".
Result<Heartbeat> DecodeHeartbeat(std::string_view json);

}  // namespace dolphin::contract
