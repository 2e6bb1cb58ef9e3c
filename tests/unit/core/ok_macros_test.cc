// EXPECT_OK / ASSERT_OK (dolphin/testing/testing.h) evaluate their expression exactly once, and
// a failure reports the status of that one evaluation.
#include <gtest/gtest-spi.h>

#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

// EXPECT_*_FAILURE statements may only use globals.
int g_calls = 0;

Status CountedOk() {
  ++g_calls;
  return Status();
}

// A different message each call: a second evaluation would show up in the failure text.
Status CountedError() {
  ++g_calls;
  return InternalError(g_calls == 1 ? "first call" : "second call");
}

Result<int> CountedResultError() {
  ++g_calls;
  return NotFoundError(g_calls == 1 ? "first call" : "second call");
}

TEST(OkMacrosTest, ExpectOkEvaluatesASuccessOnce) {
  g_calls = 0;
  EXPECT_OK(CountedOk());
  EXPECT_EQ(g_calls, 1);
}

TEST(OkMacrosTest, AssertOkEvaluatesASuccessOnce) {
  g_calls = 0;
  ASSERT_OK(CountedOk());
  EXPECT_EQ(g_calls, 1);
}

TEST(OkMacrosTest, ExpectOkEvaluatesAFailureOnceAndReportsIt) {
  g_calls = 0;
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(CountedError()), "first call");
  EXPECT_EQ(g_calls, 1);
}

TEST(OkMacrosTest, AssertOkEvaluatesAFailedResultOnceAndReportsIt) {
  g_calls = 0;
  EXPECT_FATAL_FAILURE(ASSERT_OK(CountedResultError()), "first call");
  EXPECT_EQ(g_calls, 1);
}

TEST(OkMacrosTest, AcceptsStreamedContext) {
  g_calls = 0;
  EXPECT_OK(CountedOk()) << "context";
  EXPECT_EQ(g_calls, 1);
}

}  // namespace
}  // namespace dolphin
