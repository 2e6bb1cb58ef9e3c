#include "dolphin/health/status_hold.h"

#include "dolphin/health/scoring.h"

namespace dolphin::health {

using contract::HealthStatus;

StatusHold::StatusHold(Duration worsen_after, Duration recover_after)
    : worsen_after_(worsen_after), recover_after_(recover_after) {}

HealthStatus StatusHold::Update(HealthStatus raw, MonoTime now) {
  const int r = Severity(raw);
  for (int level = 0; level < kLevels; ++level) {
    auto& bad = at_least_as_bad_since_[level];
    auto& good = at_least_as_good_since_[level];
    if (r >= level) {
      if (!bad) bad = now;
    } else {
      bad.reset();
    }
    if (r <= level) {
      if (!good) good = now;
    } else {
      good.reset();
    }
  }
  last_raw_ = raw;
  if (!published_) {
    published_ = raw;
    return raw;
  }
  const int p = Severity(*published_);
  // Worsen to the worst level held long enough.
  for (int level = kLevels - 1; level > p; --level) {
    const auto& since = at_least_as_bad_since_[level];
    if (since && now - *since >= worsen_after_) {
      published_ = static_cast<HealthStatus>(level);
      return *published_;
    }
  }
  // Improve to the best level held long enough.
  for (int level = 0; level < p; ++level) {
    const auto& since = at_least_as_good_since_[level];
    if (since && now - *since >= recover_after_) {
      published_ = static_cast<HealthStatus>(level);
      return *published_;
    }
  }
  return *published_;
}

std::optional<StatusHold::Pending> StatusHold::pending(MonoTime now) const {
  if (!published_ || !last_raw_ || *last_raw_ == *published_) return std::nullopt;
  const int r = Severity(*last_raw_);
  const int p = Severity(*published_);
  if (r > p) {
    const auto& since = at_least_as_bad_since_[r];
    return Pending{*last_raw_, since ? now - *since : Duration::zero(), worsen_after_};
  }
  const auto& since = at_least_as_good_since_[r];
  return Pending{*last_raw_, since ? now - *since : Duration::zero(), recover_after_};
}

}  // namespace dolphin::health
