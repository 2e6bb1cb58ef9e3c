// LevelHold / StatusHold: a published level with hold times (Prometheus `for:`).
//
// A level is an enum of kLevels values ordered from best (0) to worst: the meta-health status
// (StatusHold) and the safety posture (docs/safety.md). The raw level is fed once per cycle.
// The published level worsens to a level only after the raw level has been at least that bad
// for `worsen_after` without a break, and improves to a level only after the raw level has been
// at least that good for `recover_after` without a break. So a single bad cycle never pages
// anyone, and a single good cycle never calls an incident over. The first observation is
// published as it is (there is nothing to hold against). Time comes from the caller (MonoTime
// of the service's Clock), so a SimulatedClock drives it exactly.
// Thread-safety: not thread-safe; owned by one service's cycle.
#pragma once

#include <array>
#include <optional>

#include "dolphin/contract/enums.h"
#include "dolphin/core/time.h"

namespace dolphin::health {

template <typename Level, int kLevels>
class LevelHold {
 public:
  LevelHold(Duration worsen_after, Duration recover_after)
      : worsen_after_(worsen_after), recover_after_(recover_after) {}

  // Feeds the raw level observed at `now` (REQUIRES: `now` never goes backwards) and returns
  // the published level.
  Level Update(Level raw, MonoTime now) {
    const int r = static_cast<int>(raw);
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
    const int p = static_cast<int>(*published_);
    // Worsen to the worst level held long enough.
    for (int level = kLevels - 1; level > p; --level) {
      const auto& since = at_least_as_bad_since_[level];
      if (since && now - *since >= worsen_after_) {
        published_ = static_cast<Level>(level);
        return *published_;
      }
    }
    // Improve to the best level held long enough.
    for (int level = 0; level < p; ++level) {
      const auto& since = at_least_as_good_since_[level];
      if (since && now - *since >= recover_after_) {
        published_ = static_cast<Level>(level);
        return *published_;
      }
    }
    return *published_;
  }

  // The published level; nullopt before the first Update.
  std::optional<Level> published() const { return published_; }
  // The level the published one is moving towards and since when the raw level has held it
  // (for `dolphin health`: "raw DEAD for 5s of 10s"); nullopt when raw == published.
  struct Pending {
    Level towards;
    Duration held;
    Duration needed;
  };
  std::optional<Pending> pending(MonoTime now) const {
    if (!published_ || !last_raw_ || *last_raw_ == *published_) return std::nullopt;
    const int r = static_cast<int>(*last_raw_);
    const int p = static_cast<int>(*published_);
    if (r > p) {
      const auto& since = at_least_as_bad_since_[r];
      return Pending{*last_raw_, since ? now - *since : Duration::zero(), worsen_after_};
    }
    const auto& since = at_least_as_good_since_[r];
    return Pending{*last_raw_, since ? now - *since : Duration::zero(), recover_after_};
  }

 private:
  const Duration worsen_after_;
  const Duration recover_after_;
  std::optional<Level> published_;
  std::optional<Level> last_raw_;
  // at_least_as_bad_since_[L]: since when raw severity >= L without a break.
  std::array<std::optional<MonoTime>, kLevels> at_least_as_bad_since_{};
  // at_least_as_good_since_[L]: since when raw severity <= L without a break.
  std::array<std::optional<MonoTime>, kLevels> at_least_as_good_since_{};
};

// The meta-health status: GREEN (0) .. DEAD (3).
using StatusHold = LevelHold<contract::HealthStatus, 4>;

}  // namespace dolphin::health
