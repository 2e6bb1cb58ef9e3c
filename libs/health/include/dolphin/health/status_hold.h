// StatusHold: the published meta-health status with hold times (Prometheus `for:`).
//
// The raw status (from rm_meta alone) is fed once per health cycle. The published status
// worsens to a level only after the raw status has been at least that bad for `worsen_after`
// without a break, and improves to a level only after the raw status has been at least that
// good for `recover_after` without a break. So a single bad cycle never pages anyone, and a
// single good cycle never calls an incident over. The first observation is published as it is
// (there is nothing to hold against). Time comes from the caller (MonoTime of the health
// service's Clock), so a SimulatedClock drives it exactly.
// Thread-safety: not thread-safe; owned by the health service's cycle.
#pragma once

#include <array>
#include <optional>

#include "dolphin/contract/enums.h"
#include "dolphin/core/time.h"

namespace dolphin::health {

class StatusHold {
 public:
  StatusHold(Duration worsen_after, Duration recover_after);

  // Feeds the raw status observed at `now` (REQUIRES: `now` never goes backwards) and
  // returns the published status.
  contract::HealthStatus Update(contract::HealthStatus raw, MonoTime now);

  // The published status; nullopt before the first Update.
  std::optional<contract::HealthStatus> published() const { return published_; }
  // The level the published status is moving towards and since when the raw status has held
  // it (for `dolphin health`: "raw DEAD for 5s of 10s"); nullopt when raw == published.
  struct Pending {
    contract::HealthStatus towards;
    Duration held;
    Duration needed;
  };
  std::optional<Pending> pending(MonoTime now) const;

 private:
  static constexpr int kLevels = 4;
  const Duration worsen_after_;
  const Duration recover_after_;
  std::optional<contract::HealthStatus> published_;
  std::optional<contract::HealthStatus> last_raw_;
  // at_least_as_bad_since_[L]: since when raw severity >= L without a break.
  std::array<std::optional<MonoTime>, kLevels> at_least_as_bad_since_{};
  // at_least_as_good_since_[L]: since when raw severity <= L without a break.
  std::array<std::optional<MonoTime>, kLevels> at_least_as_good_since_{};
};

}  // namespace dolphin::health
