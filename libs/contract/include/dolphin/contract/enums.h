// The enums of the bus contract: posture (DOLPHIN_SAFETY), meta-health status
// (DOLPHIN_META_HEALTH), trading state (DOLPHIN_STATE_<COLOR>) and heartbeat status
// (DOLPHIN_HEARTBEAT), each with its one spelling on the bus. Parse* errors name the field and the
// value found. Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "dolphin/core/result.h"

namespace dolphin::contract {

// Safety posture, from most to least risk (docs/trader.md and docs/health.md).
enum class Posture { kApex, kStalker, kTurtle, kHibernate };
std::string_view PostureName(Posture posture);  // "APEX" | "STALKER" | "TURTLE" | "HIBERNATE"
// Error: "posture: expected APEX, STALKER, TURTLE or HIBERNATE, got \"x\"".
Result<Posture> ParsePosture(std::string_view text);

// A trader's trading state (DOLPHIN_STATE_<COLOR>): ACTIVE entries and exits; REDUCING exits
// only; HALTED nothing (operator's halt).
enum class TradingState { kActive, kReducing, kHalted };
std::string_view TradingStateName(TradingState state);  // "ACTIVE" | "REDUCING" | "HALTED"
Result<TradingState> ParseTradingState(std::string_view text);

// Meta-health status, ordered from best to worst (docs/health.md).
enum class HealthStatus { kGreen, kDegraded, kCritical, kDead };
std::string_view HealthStatusName(HealthStatus status);  // "GREEN" | "DEGRADED" | ...
Result<HealthStatus> ParseHealthStatus(std::string_view text);

// A service's heartbeat status, ordered by severity: kOk < kDegraded < kStalled (a stalled
// service does no work at all; a degraded one works with a fault), so `std::max` is the worst.
enum class HeartbeatStatus { kOk, kDegraded, kStalled };
std::string_view HeartbeatStatusName(HeartbeatStatus status);  // "ok" | "degraded" | "stalled"
Result<HeartbeatStatus> ParseHeartbeatStatus(std::string_view text);

}  // namespace dolphin::contract
