// The one rule that orders scans (docs/architecture.md §3): scans are ordered by (epoch,
// scan_number); a scan whose number is not above the last one starts a new epoch only when its
// timestamp is strictly newer (an upstream restart); with an equal or older timestamp it is a
// duplicate (same number) or stale (lower number). Used by the bridge (live) and `dolphin backtest`
// (archived files), so both assign the same epochs. Thread-safety: pure functions on plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dolphin/core/time.h"

namespace dolphin::contract {

enum class SequenceDecision {
  kNew,        // the next scan of the current epoch: publish it
  kNewEpoch,   // the first scan ever, or an upstream restart: epoch := timestamp (Unix us)
  kDuplicate,  // same number as the last, not newer: already published
  kStale,      // lower number, not newer: out of order, not published
};
std::string_view SequenceDecisionName(SequenceDecision decision);  // "new", "new_epoch", ...

struct SequencePosition {
  int64_t epoch = 0;  // 0: no epoch yet
  // The last scan published in `epoch` (nullopt: none yet, e.g. a state file with an epoch only).
  std::optional<int64_t> scan_number;
  Timestamp timestamp;  // the last scan's timestamp (meaningful with scan_number)
};

class EpochSequencer {
 public:
  // The decision for an incoming scan (number, timestamp) after `last`.
  //   no epoch                           -> kNewEpoch
  //   epoch but no last scan             -> kNew
  //   number > last                      -> kNew
  //   number <= last, timestamp > last   -> kNewEpoch
  //   number == last, timestamp <= last  -> kDuplicate
  //   number <  last, timestamp <= last  -> kStale
  static SequenceDecision Decide(const SequencePosition& last, int64_t scan_number,
                                 Timestamp timestamp);

  // The position after accepting a kNew or kNewEpoch decision (unchanged for the others).
  static SequencePosition Advance(const SequencePosition& last, int64_t scan_number,
                                  Timestamp timestamp, SequenceDecision decision);
};

}  // namespace dolphin::contract
