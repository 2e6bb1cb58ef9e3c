// RecoveryPolicy: when the health service may act on a target, so that it acts never twice at
// once and never in a storm (docs/health.md, "Recovery").
//
// Per target ("bridge", "trader.BLUE", "control_plane", ...):
//  - a cooldown after every attempt, doubling with each consecutive attempt that did not bring
//    the target back (cooldown, 2x, 4x, ... up to `max_backoff`);
//  - a cap: at most `max_per_hour` attempts in any sliding hour. An attempt that would exceed it
//    is not made: the target is marked gave-up instead, and stays so until Reset() (the
//    operator's `dolphin health reset TARGET`); nothing clears it by itself;
//  - RecordRecovered() (the target is healthy again) resets the back-off, never the hourly count.
// Time is the caller's MonoTime (the health service's Clock). Thread-safety: not thread-safe;
// the health service serialises access.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/time.h"

namespace dolphin::health {

struct RecoveryPolicyOptions {
  // Wait after an attempt before the next one on the same target. Default: 60 s
  // ([health] recovery_cooldown_s).
  Duration cooldown = std::chrono::seconds(60);
  // Upper bound of the doubled cooldown. Default: 15 min.
  Duration max_backoff = std::chrono::minutes(15);
  // Attempts allowed per target in any sliding hour. Default: 6 ([health] max_restarts_per_hour).
  int max_per_hour = 6;
};

enum class RecoveryVerdict {
  kAllowed,      // act now, then RecordAttempt()
  kCoolingDown,  // too soon after the last attempt: see `retry_at`
  kGaveUp,       // past the cap: nothing until Reset()
};

struct RecoveryDecision {
  RecoveryVerdict verdict = RecoveryVerdict::kAllowed;
  std::optional<MonoTime> retry_at;  // for kCoolingDown
  int attempts_last_hour = 0;
};

class RecoveryPolicy {
 public:
  explicit RecoveryPolicy(RecoveryPolicyOptions options);

  // Whether an action on `target` may run at `now`. When the hourly cap is reached this marks
  // the target gave-up (and returns kGaveUp, now and until Reset()); `newly_gave_up` is set
  // true the one time that happens, so the caller logs it at error level once per call.
  RecoveryDecision Decide(const std::string& target, MonoTime now, bool* newly_gave_up = nullptr);

  // An action on `target` ran at `now` (whatever its result).
  void RecordAttempt(const std::string& target, MonoTime now);
  // The target is healthy again: its back-off starts over at `cooldown`.
  void RecordRecovered(const std::string& target);
  // The operator's reset: clears gave-up, back-off and the hourly count. False when the
  // target was never seen.
  bool Reset(const std::string& target);

  bool gave_up(const std::string& target) const;
  std::vector<std::string> gave_up_targets() const;
  // Attempts on `target` in the hour before `now`.
  int AttemptsLastHour(const std::string& target, MonoTime now) const;
  // Every target the policy has seen, in name order.
  std::vector<std::string> targets() const;

 private:
  struct TargetState {
    std::deque<MonoTime> attempts;  // within the last hour, oldest first
    int consecutive = 0;            // attempts since the target was last healthy
    bool gave_up = false;
  };
  Duration BackoffAfter(int consecutive) const;
  static void Prune(TargetState& s, MonoTime now);

  const RecoveryPolicyOptions options_;
  std::map<std::string, TargetState> targets_;
};

}  // namespace dolphin::health
