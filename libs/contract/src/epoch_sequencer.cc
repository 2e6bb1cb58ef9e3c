#include "dolphin/contract/epoch_sequencer.h"

namespace dolphin::contract {

std::string_view SequenceDecisionName(SequenceDecision d) {
  switch (d) {
    case SequenceDecision::kNew: return "new";
    case SequenceDecision::kNewEpoch: return "new_epoch";
    case SequenceDecision::kDuplicate: return "duplicate";
    case SequenceDecision::kStale: return "stale";
  }
  return "?";
}

SequenceDecision EpochSequencer::Decide(const SequencePosition& last, int64_t n, Timestamp ts) {
  if (last.epoch == 0) return SequenceDecision::kNewEpoch;
  if (!last.scan_number) return SequenceDecision::kNew;
  if (n > *last.scan_number) return SequenceDecision::kNew;
  // A newer timestamp is required for a restart: an equal one is the same upstream run.
  if (ts > last.timestamp) return SequenceDecision::kNewEpoch;
  return n == *last.scan_number ? SequenceDecision::kDuplicate : SequenceDecision::kStale;
}

SequencePosition EpochSequencer::Advance(const SequencePosition& last, int64_t n, Timestamp ts,
                                         SequenceDecision d) {
  SequencePosition next = last;
  switch (d) {
    case SequenceDecision::kNewEpoch: next.epoch = ts.UnixMicros(); [[fallthrough]];
    case SequenceDecision::kNew:
      next.scan_number = n;
      next.timestamp = ts;
      break;
    case SequenceDecision::kDuplicate:
    case SequenceDecision::kStale: break;
  }
  return next;
}

}  // namespace dolphin::contract
