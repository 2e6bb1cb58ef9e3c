// Flow-run states (DESIGN §6, docs/scheduler.md "States"): Prefect's nine state types, each with
// a name, and the one table of legal transitions.
//
//   type        names
//   SCHEDULED   Scheduled, Late, AwaitingConcurrencySlot, AwaitingRetry
//   PENDING     Pending                      (claimed by a worker, process not started yet)
//   RUNNING     Running
//   COMPLETED   Completed                    (terminal)
//   FAILED      Failed, TimedOut             (terminal)
//   CRASHED     Crashed                      (terminal: worker gone, or the process could not
//   start) CANCELLING  Cancelling, TimedOut         (the worker is told to kill the process group)
//   CANCELLED   Cancelled                    (terminal)
//   PAUSED      Paused
//
// CheckTransition is pure: the engine calls it before every change and logs what it refuses.
// Thread-safety: value types and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "dolphin/core/result.h"
#include "dolphin/core/status.h"

namespace dolphin::scheduler {

enum class StateType {
  kScheduled,
  kPending,
  kRunning,
  kCompleted,
  kFailed,
  kCrashed,
  kCancelling,
  kCancelled,
  kPaused,
};

enum class StateName {
  kScheduled,
  kLate,
  kAwaitingConcurrencySlot,
  kAwaitingRetry,
  kPending,
  kRunning,
  kCompleted,
  kFailed,
  kTimedOut,
  kCrashed,
  kCancelling,
  kCancelled,
  kPaused,
};

// "SCHEDULED", "PENDING", ... (Prefect's spelling).
std::string_view StateTypeText(StateType type);
// "Scheduled", "Late", "AwaitingConcurrencySlot", ... (Prefect's spelling).
std::string_view StateNameText(StateName name);
// Case-insensitive; InvalidArgument naming the text and the accepted values.
Result<StateType> ParseStateType(std::string_view text);
Result<StateName> ParseStateName(std::string_view text);

// A run's state: a type and one of that type's names.
struct RunState {
  StateType type = StateType::kScheduled;
  StateName name = StateName::kScheduled;

  // "SCHEDULED/Late".
  std::string ToString() const;
  friend bool operator==(const RunState&, const RunState&) = default;
};

// The default state of each type (its first name), and the named ones.
RunState StateOf(StateType type);
inline constexpr RunState kScheduled{StateType::kScheduled, StateName::kScheduled};
inline constexpr RunState kLate{StateType::kScheduled, StateName::kLate};
inline constexpr RunState kAwaitingConcurrencySlot{StateType::kScheduled,
                                                   StateName::kAwaitingConcurrencySlot};
inline constexpr RunState kAwaitingRetry{StateType::kScheduled, StateName::kAwaitingRetry};
inline constexpr RunState kPending{StateType::kPending, StateName::kPending};
inline constexpr RunState kRunning{StateType::kRunning, StateName::kRunning};
inline constexpr RunState kCompleted{StateType::kCompleted, StateName::kCompleted};
inline constexpr RunState kFailed{StateType::kFailed, StateName::kFailed};
inline constexpr RunState kFailedTimedOut{StateType::kFailed, StateName::kTimedOut};
inline constexpr RunState kCrashed{StateType::kCrashed, StateName::kCrashed};
inline constexpr RunState kCancelling{StateType::kCancelling, StateName::kCancelling};
inline constexpr RunState kCancellingTimedOut{StateType::kCancelling, StateName::kTimedOut};
inline constexpr RunState kCancelled{StateType::kCancelled, StateName::kCancelled};
inline constexpr RunState kPaused{StateType::kPaused, StateName::kPaused};

// True when `name` is one of `type`'s names (the table above).
bool IsValidState(RunState state);
// COMPLETED, FAILED, CRASHED, CANCELLED: no transition leaves them.
bool IsTerminal(StateType type);
// PENDING, RUNNING, CANCELLING, PAUSED: a worker holds the run and its concurrency slots.
bool HoldsSlots(StateType type);

// OK when `from` -> `to` is legal; otherwise FailedPrecondition
// "illegal transition RUNNING/Running -> SCHEDULED/Late" (with the reason when there is one).
// Legal (docs/scheduler.md has the table):
//   SCHEDULED  -> SCHEDULED (Scheduled -> Late; any but AwaitingConcurrencySlot ->
//                 AwaitingConcurrencySlot), PENDING, CANCELLED
//   PENDING    -> RUNNING, CANCELLING/Cancelling, CANCELLED, CRASHED, FAILED/Failed
//   RUNNING    -> COMPLETED, FAILED/Failed, CRASHED, CANCELLING, PAUSED,
//                 SCHEDULED/AwaitingRetry
//   PAUSED     -> RUNNING, CANCELLING/Cancelling, CANCELLED, CRASHED
//   CANCELLING -> CANCELLED, CRASHED; CANCELLING/TimedOut also -> FAILED/TimedOut and
//                 SCHEDULED/AwaitingRetry
//   terminal   -> nothing
// FAILED/TimedOut is reached only from CANCELLING/TimedOut, CANCELLING/TimedOut only from
// RUNNING or PENDING.
Status CheckTransition(RunState from, RunState to);

}  // namespace dolphin::scheduler
