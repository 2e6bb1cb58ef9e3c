#include "dolphin/contract/enums.h"

#include <fmt/format.h>

namespace dolphin::contract {

std::string_view PostureName(Posture posture) {
  switch (posture) {
    case Posture::kApex: return "APEX";
    case Posture::kStalker: return "STALKER";
    case Posture::kTurtle: return "TURTLE";
    case Posture::kHibernate: return "HIBERNATE";
  }
  return "?";
}

Result<Posture> ParsePosture(std::string_view text) {
  if (text == "APEX") return Posture::kApex;
  if (text == "STALKER") return Posture::kStalker;
  if (text == "TURTLE") return Posture::kTurtle;
  if (text == "HIBERNATE") return Posture::kHibernate;
  return InvalidArgumentError(
      fmt::format("posture: expected APEX, STALKER, TURTLE or HIBERNATE, got \"{}\"", text));
}

std::string_view TradingStateName(TradingState state) {
  switch (state) {
    case TradingState::kActive: return "ACTIVE";
    case TradingState::kReducing: return "REDUCING";
    case TradingState::kHalted: return "HALTED";
  }
  return "?";
}

Result<TradingState> ParseTradingState(std::string_view text) {
  if (text == "ACTIVE") return TradingState::kActive;
  if (text == "REDUCING") return TradingState::kReducing;
  if (text == "HALTED") return TradingState::kHalted;
  return InvalidArgumentError(
      fmt::format("trading_state: expected ACTIVE, REDUCING or HALTED, got \"{}\"", text));
}

std::string_view HealthStatusName(HealthStatus status) {
  switch (status) {
    case HealthStatus::kGreen: return "GREEN";
    case HealthStatus::kDegraded: return "DEGRADED";
    case HealthStatus::kCritical: return "CRITICAL";
    case HealthStatus::kDead: return "DEAD";
  }
  return "?";
}

Result<HealthStatus> ParseHealthStatus(std::string_view text) {
  if (text == "GREEN") return HealthStatus::kGreen;
  if (text == "DEGRADED") return HealthStatus::kDegraded;
  if (text == "CRITICAL") return HealthStatus::kCritical;
  if (text == "DEAD") return HealthStatus::kDead;
  return InvalidArgumentError(
      fmt::format("status: expected GREEN, DEGRADED, CRITICAL or DEAD, got \"{}\"", text));
}

std::string_view HeartbeatStatusName(HeartbeatStatus status) {
  switch (status) {
    case HeartbeatStatus::kOk: return "ok";
    case HeartbeatStatus::kDegraded: return "degraded";
    case HeartbeatStatus::kStalled: return "stalled";
  }
  return "?";
}

Result<HeartbeatStatus> ParseHeartbeatStatus(std::string_view text) {
  if (text == "ok") return HeartbeatStatus::kOk;
  if (text == "degraded") return HeartbeatStatus::kDegraded;
  if (text == "stalled") return HeartbeatStatus::kStalled;
  return InvalidArgumentError(
      fmt::format("status: expected ok, degraded or stalled, got \"{}\"", text));
}

}  // namespace dolphin::contract
