// EpochSequencer at every boundary: the one rule the bridge and `dolphin backtest` share.
#include "dolphin/contract/epoch_sequencer.h"

#include <gtest/gtest.h>

namespace dolphin::contract {
namespace {

const Timestamp kT = Timestamp::FromUnixMicros(1774434600000000);  // 2026-03-25T10:30:00Z
const Timestamp kEarlier = Timestamp::FromUnixMicros(1774434600000000 - 1);
const Timestamp kLater = Timestamp::FromUnixMicros(1774434600000000 + 1);

SequencePosition At(int64_t number, Timestamp ts = kT) {
  SequencePosition p;
  p.epoch = 1000;
  p.scan_number = number;
  p.timestamp = ts;
  return p;
}

SequenceDecision Decide(const SequencePosition& last, int64_t n, Timestamp ts) {
  return EpochSequencer::Decide(last, n, ts);
}

TEST(EpochSequencerTest, FirstScanEverStartsAnEpoch) {
  EXPECT_EQ(Decide(SequencePosition{}, 5, kT), SequenceDecision::kNewEpoch);
  SequencePosition next =
      EpochSequencer::Advance(SequencePosition{}, 5, kT, SequenceDecision::kNewEpoch);
  EXPECT_EQ(next.epoch, kT.UnixMicros());
  EXPECT_EQ(next.scan_number, 5);
  EXPECT_EQ(next.timestamp, kT);
}

TEST(EpochSequencerTest, AnEpochWithoutALastScanContinuesIt) {
  SequencePosition p;
  p.epoch = 42;
  EXPECT_EQ(Decide(p, 1, kT), SequenceDecision::kNew);
  EXPECT_EQ(EpochSequencer::Advance(p, 1, kT, SequenceDecision::kNew).epoch, 42);
}

TEST(EpochSequencerTest, AHigherNumberIsTheNextScanWhateverItsTimestamp) {
  EXPECT_EQ(Decide(At(10), 11, kLater), SequenceDecision::kNew);
  EXPECT_EQ(Decide(At(10), 11, kT), SequenceDecision::kNew);
  EXPECT_EQ(Decide(At(10), 11, kEarlier), SequenceDecision::kNew);
  SequencePosition next = EpochSequencer::Advance(At(10), 11, kLater, SequenceDecision::kNew);
  EXPECT_EQ(next.epoch, 1000);
  EXPECT_EQ(next.scan_number, 11);
}

TEST(EpochSequencerTest, SameNumberNewerTimestampStartsAnEpoch) {
  EXPECT_EQ(Decide(At(10), 10, kLater), SequenceDecision::kNewEpoch);
  EXPECT_EQ(EpochSequencer::Advance(At(10), 10, kLater, SequenceDecision::kNewEpoch).epoch,
            kLater.UnixMicros());
}

TEST(EpochSequencerTest, LowerNumberNewerTimestampStartsAnEpoch) {
  EXPECT_EQ(Decide(At(10), 1, kLater), SequenceDecision::kNewEpoch);
}

TEST(EpochSequencerTest, SameNumberEqualOrOlderTimestampIsADuplicate) {
  EXPECT_EQ(Decide(At(10), 10, kT), SequenceDecision::kDuplicate);
  EXPECT_EQ(Decide(At(10), 10, kEarlier), SequenceDecision::kDuplicate);
}

TEST(EpochSequencerTest, LowerNumberEqualTimestampIsStaleNotANewEpoch) {
  // The case the bridge and the backtest used to disagree on: a restart needs a newer time.
  EXPECT_EQ(Decide(At(10), 9, kT), SequenceDecision::kStale);
}

TEST(EpochSequencerTest, LowerNumberOlderTimestampIsStale) {
  EXPECT_EQ(Decide(At(10), 9, kEarlier), SequenceDecision::kStale);
}

TEST(EpochSequencerTest, DuplicateAndStaleDoNotMoveThePosition) {
  for (SequenceDecision d : {SequenceDecision::kDuplicate, SequenceDecision::kStale}) {
    SequencePosition next = EpochSequencer::Advance(At(10), 9, kEarlier, d);
    EXPECT_EQ(next.epoch, 1000);
    EXPECT_EQ(next.scan_number, 10);
    EXPECT_EQ(next.timestamp, kT);
  }
}

TEST(EpochSequencerTest, DecisionsHaveNames) {
  EXPECT_EQ(SequenceDecisionName(SequenceDecision::kNew), "new");
  EXPECT_EQ(SequenceDecisionName(SequenceDecision::kNewEpoch), "new_epoch");
  EXPECT_EQ(SequenceDecisionName(SequenceDecision::kDuplicate), "duplicate");
  EXPECT_EQ(SequenceDecisionName(SequenceDecision::kStale), "stale");
}

}  // namespace
}  // namespace dolphin::contract
