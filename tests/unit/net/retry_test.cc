// The retry policy of net::RetryingHttpClient over the scripted FakeTransport (no network):
// bounded retries on 429/5xx/timeouts/connection failures, none on 4xx or an oversized body,
// exponential back-off waited on the injected clock, Retry-After honoured up to the cap.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "dolphin/core/simulated_clock.h"
#include "dolphin/net/fake_transport.h"
#include "dolphin/net/http_client.h"
#include "dolphin/testing/testing.h"

namespace dolphin::net {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

HttpOptions NoBackoff(int retries) {
  HttpOptions o;
  o.max_retries = retries;
  o.initial_backoff = Duration::zero();
  o.max_backoff = Duration::zero();
  return o;
}

struct Harness {
  explicit Harness(HttpOptions o) {
    auto t = std::make_unique<FakeTransport>();
    fake = t.get();
    log = t->log();
    client = std::make_unique<RetryingHttpClient>(std::move(t), o, clock, cancel);
  }
  SimulatedClock clock;
  CancelToken cancel;
  FakeTransport* fake = nullptr;
  FakeTransport::RequestLog log;
  std::unique_ptr<RetryingHttpClient> client;
};

TEST(RetryTest, SuccessIsOneAttempt) {
  Harness h(NoBackoff(2));
  h.fake->Respond(200, "{}");
  auto r = h.client->Get({"http://x/a", {}});
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{}");
  EXPECT_EQ(h.client->last_attempts(), 1);
  ASSERT_EQ(h.log->size(), 1u);
  EXPECT_EQ(h.log->at(0).url, "http://x/a");
}

TEST(RetryTest, RetriesOn429And5xxThenSucceeds) {
  Harness h(NoBackoff(3));
  h.fake->Respond(429, "slow down").Respond(503, "").Respond(200, "ok");
  auto r = h.client->Get({"http://x/a", {}});
  ASSERT_OK(r);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(h.client->last_attempts(), 3);
}

TEST(RetryTest, BoundedRetriesThenUnavailableNamingStatusAndAttempts) {
  Harness h(NoBackoff(2));
  h.fake->Respond(500, "{\"code\":-1000,\"msg\":\"internal\"}");
  auto r = h.client->Get({"http://x/a", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("GET http://x/a: HTTP 500"));
  EXPECT_THAT(r.status().message(), HasSubstr("after 3 attempts"));
  EXPECT_EQ(h.log->size(), 3u);
}

TEST(RetryTest, TimeoutsAreRetriedAndReportedAsDeadlineExceeded) {
  Harness h(NoBackoff(1));
  h.fake->Fail(TransportFailure::kTimeout, "timed out (Operation timed out after 300 ms)");
  auto r = h.client->Get({"http://x/a", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("timed out"));
  EXPECT_EQ(h.client->last_attempts(), 2);
}

TEST(RetryTest, ClientErrorsAreReturnedNotRetried) {
  Harness h(NoBackoff(3));
  h.fake->Respond(400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  auto r = h.client->Get({"http://x/a", {}});
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(h.client->last_attempts(), 1);
}

TEST(RetryTest, OversizedBodyFailsAtOnce) {
  HttpOptions o = NoBackoff(3);
  o.max_body_bytes = 10;
  Harness h(o);
  h.fake->Respond(200, std::string(11, 'x'));
  auto r = h.client->Get({"http://x/a", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(h.client->last_attempts(), 1);
}

TEST(RetryTest, BackoffDoublesUpToTheCapAndHonoursRetryAfter) {
  HttpOptions o;
  o.initial_backoff = 500ms;
  o.max_backoff = 5s;
  EXPECT_EQ(BackoffDelay(o, 1, -1), Duration(500ms));
  EXPECT_EQ(BackoffDelay(o, 2, -1), Duration(1s));
  EXPECT_EQ(BackoffDelay(o, 3, -1), Duration(2s));
  EXPECT_EQ(BackoffDelay(o, 5, -1), Duration(5s));
  EXPECT_EQ(BackoffDelay(o, 1, 3), Duration(3s));
  EXPECT_EQ(BackoffDelay(o, 1, 120), Duration(5s));
  EXPECT_TRUE(IsRetryableStatus(429));
  EXPECT_TRUE(IsRetryableStatus(502));
  EXPECT_TRUE(IsRetryableStatus(408));
  EXPECT_FALSE(IsRetryableStatus(404));
  EXPECT_FALSE(IsRetryableStatus(418));
}

TEST(RetryTest, BackoffWaitsOnTheClock) {
  HttpOptions o;
  o.max_retries = 2;
  o.initial_backoff = 500ms;
  o.max_backoff = 5s;
  Harness h(o);
  h.fake->Respond(503, "");
  Result<HttpResponse> r = InternalError("not run");
  std::thread t([&] { r = h.client->Get({"http://x/a", {}}); });
  h.clock.BlockUntilWaitCalls(1);
  EXPECT_EQ(h.log->size(), 1u);  // waiting out the first back-off
  h.clock.AdvanceBy(500ms);
  h.clock.BlockUntilWaitCalls(2);
  EXPECT_EQ(h.log->size(), 2u);
  h.clock.AdvanceBy(1s);
  t.join();
  EXPECT_EQ(h.log->size(), 3u);
  EXPECT_FALSE(r.ok());
}

TEST(RetryTest, CancelDuringBackoffStopsPromptly) {
  HttpOptions o;
  o.max_retries = 5;
  o.initial_backoff = 10s;
  Harness h(o);
  h.fake->Respond(503, "");
  Result<HttpResponse> r = InternalError("not run");
  std::thread t([&] { r = h.client->Get({"http://x/a", {}}); });
  h.clock.BlockUntilWaitCalls(1);
  h.cancel.Cancel();
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(h.log->size(), 1u);
}

}  // namespace
}  // namespace dolphin::net
