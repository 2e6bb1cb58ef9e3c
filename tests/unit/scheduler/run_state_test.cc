#include "dolphin/scheduler/run_state.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::scheduler {
namespace {

using ::dolphin::testing::StatusHasMessage;

TEST(RunStateTest, NamesAndTypesSpellPrefectsWords) {
  EXPECT_EQ(kLate.ToString(), "SCHEDULED/Late");
  EXPECT_EQ(kAwaitingConcurrencySlot.ToString(), "SCHEDULED/AwaitingConcurrencySlot");
  EXPECT_EQ(kCancellingTimedOut.ToString(), "CANCELLING/TimedOut");
  EXPECT_EQ(*ParseStateType("running"), StateType::kRunning);
  EXPECT_EQ(*ParseStateName("awaitingretry"), StateName::kAwaitingRetry);
  EXPECT_THAT(ParseStateType("DONE"), StatusHasMessage("unknown state type \"DONE\""));
  EXPECT_THAT(ParseStateName("Done"), StatusHasMessage("expected one of Scheduled, Late"));
}

TEST(RunStateTest, EachTypeHasItsNames) {
  EXPECT_TRUE(IsValidState(kLate));
  EXPECT_TRUE(IsValidState(kFailedTimedOut));
  EXPECT_FALSE(IsValidState({StateType::kRunning, StateName::kLate}));
  EXPECT_FALSE(IsValidState({StateType::kCompleted, StateName::kTimedOut}));
  EXPECT_TRUE(IsTerminal(StateType::kCrashed));
  EXPECT_FALSE(IsTerminal(StateType::kCancelling));
  EXPECT_TRUE(HoldsSlots(StateType::kCancelling));
  EXPECT_FALSE(HoldsSlots(StateType::kScheduled));
}

TEST(RunStateTest, TheLifeOfARunIsLegal) {
  EXPECT_OK(CheckTransition(kScheduled, kLate));
  EXPECT_OK(CheckTransition(kLate, kAwaitingConcurrencySlot));
  EXPECT_OK(CheckTransition(kAwaitingConcurrencySlot, kPending));
  EXPECT_OK(CheckTransition(kPending, kRunning));
  EXPECT_OK(CheckTransition(kRunning, kAwaitingRetry));
  EXPECT_OK(CheckTransition(kAwaitingRetry, kPending));
  EXPECT_OK(CheckTransition(kRunning, kCompleted));
  EXPECT_OK(CheckTransition(kRunning, kCancellingTimedOut));
  EXPECT_OK(CheckTransition(kCancellingTimedOut, kFailedTimedOut));
  EXPECT_OK(CheckTransition(kCancellingTimedOut, kAwaitingRetry));
  EXPECT_OK(CheckTransition(kCancelling, kCancelled));
  EXPECT_OK(CheckTransition(kPending, kCrashed));
  EXPECT_OK(CheckTransition(kRunning, kPaused));
  EXPECT_OK(CheckTransition(kPaused, kRunning));
  EXPECT_OK(CheckTransition(kScheduled, kCancelled));
}

TEST(RunStateTest, IllegalTransitionsAreRefusedWithBothStates) {
  EXPECT_THAT(CheckTransition(kCompleted, kRunning),
              StatusHasMessage("illegal transition COMPLETED/Completed -> RUNNING/Running "
                               "(the run has finished)"));
  EXPECT_THAT(CheckTransition(kScheduled, kRunning),
              StatusHasMessage("illegal transition SCHEDULED/Scheduled -> RUNNING/Running"));
  EXPECT_THAT(CheckTransition(kLate, kScheduled),
              StatusHasMessage("SCHEDULED/Late -> SCHEDULED/Scheduled"));
  EXPECT_THAT(CheckTransition(kAwaitingRetry, kLate), StatusHasMessage("illegal transition"));
  EXPECT_THAT(CheckTransition(kRunning, kFailedTimedOut),
              StatusHasMessage("TimedOut follows CANCELLING/TimedOut"));
  EXPECT_THAT(CheckTransition(kScheduled, kCancellingTimedOut),
              StatusHasMessage("only a started run times out"));
  EXPECT_THAT(CheckTransition(kCancelling, kAwaitingRetry), StatusHasMessage("illegal transition"));
  EXPECT_THAT(CheckTransition(kRunning, kRunning), StatusHasMessage("already in that state"));
  EXPECT_THAT(CheckTransition(kCrashed, kCrashed), StatusHasMessage("the run has finished"));
  EXPECT_EQ(CheckTransition(kCancelled, kScheduled).code(), StatusCode::kFailedPrecondition);
}

TEST(RunStateTest, NoTransitionLeavesATerminalState) {
  for (int t = 0; t <= static_cast<int>(StateType::kPaused); ++t) {
    for (int n = 0; n <= static_cast<int>(StateName::kPaused); ++n) {
      RunState to{static_cast<StateType>(t), static_cast<StateName>(n)};
      for (RunState from : {kCompleted, kFailed, kFailedTimedOut, kCrashed, kCancelled}) {
        EXPECT_FALSE(CheckTransition(from, to).ok()) << from.ToString() << " -> " << to.ToString();
      }
      if (!IsValidState(to)) {
        EXPECT_FALSE(CheckTransition(kRunning, to).ok());
      }
    }
  }
}

}  // namespace
}  // namespace dolphin::scheduler
