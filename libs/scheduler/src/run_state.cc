#include "dolphin/scheduler/run_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace dolphin::scheduler {

namespace {

constexpr std::array<std::string_view, 9> kTypeTexts = {"SCHEDULED",  "PENDING",   "RUNNING",
                                                        "COMPLETED",  "FAILED",    "CRASHED",
                                                        "CANCELLING", "CANCELLED", "PAUSED"};
constexpr std::array<std::string_view, 13> kNameTexts = {
    "Scheduled",     "Late",       "AwaitingConcurrencySlot",
    "AwaitingRetry", "Pending",    "Running",
    "Completed",     "Failed",     "TimedOut",
    "Crashed",       "Cancelling", "Cancelled",
    "Paused"};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Illegal(RunState from, RunState to, std::string_view why = {}) {
  std::string s = fmt::format("illegal transition {} -> {}", from.ToString(), to.ToString());
  if (!why.empty()) s += fmt::format(" ({})", why);
  return s;
}

}  // namespace

std::string_view StateTypeText(StateType type) { return kTypeTexts[static_cast<size_t>(type)]; }
std::string_view StateNameText(StateName name) { return kNameTexts[static_cast<size_t>(name)]; }

Result<StateType> ParseStateType(std::string_view text) {
  for (size_t i = 0; i < kTypeTexts.size(); ++i) {
    if (EqualsIgnoreCase(text, kTypeTexts[i])) return static_cast<StateType>(i);
  }
  return InvalidArgumentError(fmt::format("unknown state type \"{}\" (expected one of {})", text,
                                          fmt::join(kTypeTexts, ", ")));
}

Result<StateName> ParseStateName(std::string_view text) {
  for (size_t i = 0; i < kNameTexts.size(); ++i) {
    if (EqualsIgnoreCase(text, kNameTexts[i])) return static_cast<StateName>(i);
  }
  return InvalidArgumentError(fmt::format("unknown state name \"{}\" (expected one of {})", text,
                                          fmt::join(kNameTexts, ", ")));
}

std::string RunState::ToString() const {
  return fmt::format("{}/{}", StateTypeText(type), StateNameText(name));
}

RunState StateOf(StateType type) {
  switch (type) {
    case StateType::kScheduled: return kScheduled;
    case StateType::kPending: return kPending;
    case StateType::kRunning: return kRunning;
    case StateType::kCompleted: return kCompleted;
    case StateType::kFailed: return kFailed;
    case StateType::kCrashed: return kCrashed;
    case StateType::kCancelling: return kCancelling;
    case StateType::kCancelled: return kCancelled;
    case StateType::kPaused: return kPaused;
  }
  return kScheduled;
}

bool IsValidState(RunState s) {
  switch (s.type) {
    case StateType::kScheduled:
      return s.name == StateName::kScheduled || s.name == StateName::kLate ||
             s.name == StateName::kAwaitingConcurrencySlot || s.name == StateName::kAwaitingRetry;
    case StateType::kFailed:
    case StateType::kCancelling:
      return s.name == StateOf(s.type).name || s.name == StateName::kTimedOut;
    default: return s.name == StateOf(s.type).name;
  }
}

bool IsTerminal(StateType t) {
  return t == StateType::kCompleted || t == StateType::kFailed || t == StateType::kCrashed ||
         t == StateType::kCancelled;
}

bool HoldsSlots(StateType t) {
  return t == StateType::kPending || t == StateType::kRunning || t == StateType::kCancelling ||
         t == StateType::kPaused;
}

Status CheckTransition(RunState from, RunState to) {
  if (!IsValidState(from)) return FailedPreconditionError(Illegal(from, to, "no such state"));
  if (!IsValidState(to)) return FailedPreconditionError(Illegal(from, to, "no such state"));
  if (IsTerminal(from.type)) {
    return FailedPreconditionError(Illegal(from, to, "the run has finished"));
  }
  if (from == to) return FailedPreconditionError(Illegal(from, to, "already in that state"));
  using T = StateType;
  using N = StateName;
  // Names only some sources may reach.
  if (to == kFailedTimedOut && from != kCancellingTimedOut) {
    return FailedPreconditionError(Illegal(from, to, "TimedOut follows CANCELLING/TimedOut"));
  }
  if (to == kCancellingTimedOut && from.type != T::kRunning && from.type != T::kPending) {
    return FailedPreconditionError(Illegal(from, to, "only a started run times out"));
  }
  bool ok = false;
  switch (from.type) {
    case T::kScheduled:
      if (to.type == T::kScheduled) {
        ok = (from.name == N::kScheduled && to.name == N::kLate) ||
             (to.name == N::kAwaitingConcurrencySlot);
      } else {
        ok = to.type == T::kPending || to.type == T::kCancelled;
      }
      break;
    case T::kPending:
      ok = to.type == T::kRunning || to.type == T::kCancelling || to.type == T::kCancelled ||
           to.type == T::kCrashed || to == kFailed;
      break;
    case T::kRunning:
      ok = to.type == T::kCompleted || to == kFailed || to.type == T::kCrashed ||
           to.type == T::kCancelling || to.type == T::kPaused || to == kAwaitingRetry;
      break;
    case T::kPaused:
      ok = to.type == T::kRunning || to == kCancelling || to.type == T::kCancelled ||
           to.type == T::kCrashed;
      break;
    case T::kCancelling:
      ok = to.type == T::kCancelled || to.type == T::kCrashed ||
           (from.name == N::kTimedOut && (to == kFailedTimedOut || to == kAwaitingRetry));
      break;
    default: break;
  }
  if (!ok) return FailedPreconditionError(Illegal(from, to));
  return Status::Ok();
}

}  // namespace dolphin::scheduler
