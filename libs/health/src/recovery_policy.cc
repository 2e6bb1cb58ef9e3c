#include "dolphin/health/recovery_policy.h"

namespace dolphin::health {

namespace {
constexpr Duration kHour = std::chrono::hours(1);
}  // namespace

RecoveryPolicy::RecoveryPolicy(RecoveryPolicyOptions options) : options_(options) {}

Duration RecoveryPolicy::BackoffAfter(int consecutive) const {
  Duration d = options_.cooldown;
  for (int i = 1; i < consecutive && d < options_.max_backoff; ++i) d *= 2;
  return d < options_.max_backoff ? d : options_.max_backoff;
}

void RecoveryPolicy::Prune(TargetState& s, MonoTime now) {
  while (!s.attempts.empty() && now - s.attempts.front() >= kHour) s.attempts.pop_front();
}

RecoveryDecision RecoveryPolicy::Decide(const std::string& target, MonoTime now,
                                        bool* newly_gave_up) {
  if (newly_gave_up != nullptr) *newly_gave_up = false;
  TargetState& s = targets_[target];
  Prune(s, now);
  RecoveryDecision d;
  d.attempts_last_hour = static_cast<int>(s.attempts.size());
  if (s.gave_up) {
    d.verdict = RecoveryVerdict::kGaveUp;
    return d;
  }
  if (!s.attempts.empty()) {
    const MonoTime retry_at = s.attempts.back() + BackoffAfter(s.consecutive);
    if (now < retry_at) {
      d.verdict = RecoveryVerdict::kCoolingDown;
      d.retry_at = retry_at;
      return d;
    }
  }
  if (d.attempts_last_hour >= options_.max_per_hour) {
    s.gave_up = true;
    if (newly_gave_up != nullptr) *newly_gave_up = true;
    d.verdict = RecoveryVerdict::kGaveUp;
    return d;
  }
  d.verdict = RecoveryVerdict::kAllowed;
  return d;
}

void RecoveryPolicy::RecordAttempt(const std::string& target, MonoTime now) {
  TargetState& s = targets_[target];
  Prune(s, now);
  s.attempts.push_back(now);
  ++s.consecutive;
}

void RecoveryPolicy::RecordRecovered(const std::string& target) {
  auto it = targets_.find(target);
  if (it != targets_.end()) it->second.consecutive = 0;
}

bool RecoveryPolicy::Reset(const std::string& target) {
  auto it = targets_.find(target);
  if (it == targets_.end()) return false;
  it->second = TargetState{};
  return true;
}

bool RecoveryPolicy::gave_up(const std::string& target) const {
  auto it = targets_.find(target);
  return it != targets_.end() && it->second.gave_up;
}

std::vector<std::string> RecoveryPolicy::gave_up_targets() const {
  std::vector<std::string> out;
  for (const auto& [name, s] : targets_) {
    if (s.gave_up) out.push_back(name);
  }
  return out;
}

int RecoveryPolicy::AttemptsLastHour(const std::string& target, MonoTime now) const {
  auto it = targets_.find(target);
  if (it == targets_.end()) return 0;
  int n = 0;
  for (MonoTime t : it->second.attempts) {
    if (now - t < kHour) ++n;
  }
  return n;
}

std::vector<std::string> RecoveryPolicy::targets() const {
  std::vector<std::string> out;
  for (const auto& [name, s] : targets_) out.push_back(name);
  return out;
}

}  // namespace dolphin::health
