// dolphin_testing: matchers, a TestEnv fixture and waiting helpers shared by every test binary.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "dolphin/core/env.h"
#include "dolphin/core/logging.h"
#include "dolphin/core/random.h"
#include "dolphin/core/result.h"
#include "dolphin/core/simulated_clock.h"

// Evaluate `expr` (a Status or a Result<T>) exactly once; the failure message is the status of
// that one evaluation.
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::dolphin::testing::AssertOk, expr)
#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::dolphin::testing::AssertOk, expr)

namespace dolphin::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// The predicate-formatter behind EXPECT_OK / ASSERT_OK.
template <typename T>
::testing::AssertionResult AssertOk(const char* expr_text, const T& value) {
  const Status& status = StatusOf(value);
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr_text << " is " << status.ToString();
}

// Matches an OK Result whose value matches `m`.
MATCHER_P(IsOkAndHolds, m, "") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(m, *arg, result_listener);
}

// Matches a non-OK Status/Result whose message contains `substr`.
MATCHER_P(StatusHasMessage, substr, "") {
  const Status& s = StatusOf(arg);
  *result_listener << "status is " << s.ToString();
  return !s.ok() && s.message().find(substr) != std::string::npos;
}

// A fresh temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Simulated clock, capturing logger, seeded random source, a temporary directory, and the real
// file system and thread factory (a test that fakes them builds its own Env from these parts
// and a FakeFileSystem / FaultInjectingFileSystem, tests/testing/file_system_fakes.h).
class TestEnv {
 public:
  TestEnv();
  SimulatedClock clock;
  CapturingLogger logger{clock};
  Random random;
  TempDir dir;
  Env env{clock, logger, FileSystem::Default(), random, ThreadFactory::Default()};
};

// Polls `condition` (real time) until it holds or `timeout` passes; true if it held.
// For integration tests that wait on other threads or processes; never a fixed sleep.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// True when running under CI=true (tests whose real peer is missing must fail, not skip).
bool InCi();

// The seed for this test run: GoogleTest's random seed, printed once.
uint64_t TestSeed();

// A name unique to the running test, for maps and files shared with a real server.
std::string UniqueName(const std::string& base);

}  // namespace dolphin::testing
