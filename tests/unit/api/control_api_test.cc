#include "dolphin/api/control_api.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/stat.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/metrics/prometheus_metrics.h"
#include "dolphin/testing/testing.h"

namespace dolphin::api {
namespace {

using testing::IsOkAndHolds;
using testing::StatusHasMessage;
using testing::WaitFor;

class ControlApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_ = bus::NewInMemoryBus();
    ApiOptions o;
    o.listen = "127.0.0.1:0";
    api_ = NewControlApi(o, *bus_, env_.env, env_.dir.path(), "test");
    api_->RegisterStatus("svc", [] { return Json{{"state", "running"}}; });
    api_->RegisterRoutes("/api/services", [](const RouteRequest&) -> Result<Json> {
      return Json{{"services", Json::array({"a"})}};
    });
    api_->RegisterCommand("echo", [](const Json& body) -> Result<Json> {
      if (body.contains("fail")) return InvalidArgumentError("told to fail");
      return Json{{"echo", body}};
    });
    ASSERT_OK(api_->Start());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->port());
    client_->set_read_timeout(5, 0);
    token_ = *ReadApiToken(env_.dir.path());
  }
  void TearDown() override {
    client_.reset();
    api_->Stop();
  }
  httplib::Headers Auth() const { return {{"Authorization", "Bearer " + token_}}; }
  static Json Body(const httplib::Result& r) { return Json::parse(r->body); }

  testing::TestEnv env_;
  std::unique_ptr<bus::KvBus> bus_;
  std::unique_ptr<ControlApi> api_;
  std::unique_ptr<httplib::Client> client_;
  std::string token_;
};

TEST_F(ControlApiTest, WritesAddrAndPrivateToken) {
  EXPECT_THAT(ReadApiAddr(env_.dir.path()),
              IsOkAndHolds(fmt::format("127.0.0.1:{}", api_->port())));
  struct stat st;
  ASSERT_EQ(::stat((env_.dir.path() / "api.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(token_.size(), 32u);
  api_->Stop();
  EXPECT_FALSE(std::filesystem::exists(env_.dir.path() / "api.addr"));
  // The token survives restarts.
  EXPECT_THAT(EnsureApiToken(env_.env.fs, env_.dir.path()), IsOkAndHolds(token_));
}

TEST_F(ControlApiTest, HealthAndStatus) {
  auto r = client_->Get("/api/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["status"], "ok");
  EXPECT_EQ(Body(r)["service"], "test");
  ASSERT_OK(bus_->Put("DOLPHIN_HEARTBEAT", "run", R"({"service":"run","status":"ok"})"));
  r = client_->Get("/api/status");
  ASSERT_TRUE(r);
  Json j = Body(r);
  EXPECT_EQ(j["services"]["svc"]["state"], "running");
  EXPECT_EQ(j["heartbeats"]["run"]["status"], "ok");
  EXPECT_EQ(j["maps"]["DOLPHIN_HEARTBEAT"], 1);
}

TEST_F(ControlApiTest, BusReadsNeedNoTokenWritesDo) {
  ASSERT_OK(bus_->Put("M", "k", R"({"x":1})"));
  auto r = client_->Get("/api/bus/M/k");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"x":1})");
  r = client_->Get("/api/bus/M");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["keys"], Json::array({"k"}));
  EXPECT_EQ(Body(r)["entries"]["k"]["x"], 1);

  r = client_->Put("/api/bus/M/k2", R"({"y":2})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), ::testing::HasSubstr("missing bearer token"));
  r = client_->Put("/api/bus/M/k2", {{"Authorization", "Bearer nope"}}, R"({"y":2})",
                   "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(bus_->Get("M", "k2"), IsOkAndHolds(std::optional<std::string>()));

  r = client_->Put("/api/bus/M/k2", Auth(), R"({"y":2})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(bus_->Get("M", "k2"), IsOkAndHolds(std::optional<std::string>(R"({"y":2})")));
  r = client_->Delete("/api/bus/M/k2", Auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["removed"], true);
}

TEST_F(ControlApiTest, MalformedRequestsGetOneLineJsonErrors) {
  auto check = [](const httplib::Result& r, int status, const std::string& needle) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->body.find('\n'), std::string::npos);
    Json j = Json::parse(r->body);
    EXPECT_THAT(j["error"].get<std::string>(), ::testing::HasSubstr(needle));
  };
  check(client_->Get("/api/bus/M/absent"), 404, "no key \"absent\"");
  check(client_->Get("/api/nothing"), 404, "no such endpoint");
  check(client_->Put("/api/bus/M/k", Auth(), "{not json", "application/json"), 400,
        "not valid JSON");
  check(client_->Post("/api/command/echo", Auth(), "[", "application/json"), 400,
        "request body is not valid JSON");
  check(client_->Post("/api/command/none", Auth(), "{}", "application/json"), 404, "no command");
  check(client_->Post("/api/command/echo", Auth(), R"({"fail":1})", "application/json"), 400,
        "told to fail");
  std::string huge(5 << 20, 'x');
  auto r = client_->Put("/api/bus/M/k", Auth(), huge, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // Raw garbage on the socket does not take the server down.
  httplib::Client raw("127.0.0.1", api_->port());
  auto g = raw.Get("/api/bus/%ZZ/%00");
  ASSERT_TRUE(client_->Get("/api/health"));
}

TEST_F(ControlApiTest, RegisteredViewsAreServedReadOnly) {
  auto r = client_->Get("/api/services");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["services"][0], "a");
  r = client_->Get("/api/nothing-registered");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(ControlApiTest, CommandsRunWithToken) {
  auto r = client_->Post("/api/command/echo", Auth(), R"({"a":1})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["echo"]["a"], 1);
  r = client_->Post("/api/command/echo", R"({"a":1})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(ControlApiTest, KeysWithSpacesAndSlashesAreUrlDecoded) {
  ASSERT_OK(bus_->Put("M", "a b/c", R"("v")"));
  auto r = client_->Get("/api/bus/M/a%20b/c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"("v")");
}

TEST_F(ControlApiTest, WatchStreamsSnapshotThenEvents) {
  ASSERT_OK(bus_->Put("M", "k", R"({"n":0})"));
  std::mutex mu;
  std::string received;
  std::atomic<bool> stop{false};
  std::thread reader([&] {  // determinism-ok: a real HTTP client
    httplib::Client c("127.0.0.1", api_->port());
    c.set_read_timeout(10, 0);
    c.Get("/api/watch/M", [&](const char* data, size_t len) {
      std::lock_guard<std::mutex> lock(mu);
      received.append(data, len);
      return !stop.load();
    });
  });
  auto has = [&](const std::string& needle) {
    return WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu);
      return received.find(needle) != std::string::npos;
    });
  };
  ASSERT_TRUE(has(
      "event: SNAPSHOT\ndata: {\"type\":\"SNAPSHOT\",\"map\":\"M\",\"key\":\"k\",\"value\":{\"n\":0}}\n\n"));
  ASSERT_OK(bus_->Put("M", "k", R"({"n":1})"));
  ASSERT_TRUE(has(
      "event: UPDATED\ndata: {\"type\":\"UPDATED\",\"map\":\"M\",\"key\":\"k\",\"value\":{\"n\":1}}"));
  ASSERT_OK(bus_->Remove("M", "k"));
  ASSERT_TRUE(has("\"type\":\"REMOVED\",\"map\":\"M\",\"key\":\"k\",\"value\":null"));
  stop = true;
  ASSERT_OK(bus_->Put("M", "k", R"({"n":2})"));  // Makes the reader return.
  reader.join();
}

TEST_F(ControlApiTest, StopClosesOpenWatchStreams) {
  std::atomic<bool> ended{false};
  std::thread reader([&] {  // determinism-ok: a real HTTP client
    httplib::Client c("127.0.0.1", api_->port());
    c.set_read_timeout(30, 0);
    c.Get("/api/watch/M/k", [&](const char*, size_t) { return true; });
    ended = true;
  });
  ASSERT_TRUE(WaitFor([&] {
    auto s = client_->Get("/api/health");
    return s && env_.logger.Contains("watch opened");
  }));
  api_->Stop();
  ASSERT_TRUE(WaitFor([&] { return ended.load(); }));
  reader.join();
}

TEST_F(ControlApiTest, WatchKeepAliveComesFromTheClock) {
  std::mutex mu;
  std::string received;
  std::atomic<bool> stop{false};
  std::atomic<bool> ended{false};
  std::thread reader([&] {  // determinism-ok: a real HTTP client
    httplib::Client c("127.0.0.1", api_->port());
    c.set_read_timeout(30, 0);
    c.Get("/api/watch/Quiet", [&](const char* data, size_t len) {
      std::lock_guard<std::mutex> lock(mu);
      received.append(data, len);
      return !stop.load();
    });
    ended = true;
  });
  // The stream waits for a frame on the simulated clock: nothing arrives, so only advancing
  // the clock past its 1 s deadline brings the keep-alive.
  env_.clock.BlockUntilWaiters(1);
  ASSERT_TRUE(WaitFor([&] {
    env_.clock.AdvanceBy(std::chrono::seconds(1));
    std::lock_guard<std::mutex> lock(mu);
    return received.find(": keep-alive") != std::string::npos;
  }));
  stop = true;
  ASSERT_TRUE(WaitFor([&] {
    env_.clock.AdvanceBy(std::chrono::seconds(1));  // The next keep-alive ends the stream.
    return ended.load();
  }));
  reader.join();
}

TEST(ApiOptionsTest, ParsesAndValidatesListen) {
  EXPECT_THAT(ParseHostPort("127.0.0.1:4200"),
              IsOkAndHolds(std::make_pair(std::string("127.0.0.1"), 4200)));
  EXPECT_THAT(ParseHostPort("[::1]:0"), IsOkAndHolds(std::make_pair(std::string("::1"), 0)));
  EXPECT_THAT(ParseHostPort("localhost"), StatusHasMessage("expected host:port"));
  EXPECT_THAT(ParseHostPort("h:70000"), StatusHasMessage("port in [0, 65535]"));
  auto c = Config::LoadString("[api]\nlisten = \"nope\"\nextra = 1\n", "d.toml", "/");
  ASSERT_OK(c);
  ConfigDiagnostics diag;
  EXPECT_FALSE(ParseApiOptions(c->Root(&diag).Sub("api")).ok());
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_EQ(diag.errors()[0], "d.toml:2: [api] listen: bad address \"nope\": expected host:port");
  EXPECT_EQ(diag.errors()[1], "d.toml:3: [api] extra: unknown key in [api]");
}

TEST(ControlApiPortTest, TakenPortIsAClearError) {
  testing::TestEnv env;
  auto b = bus::NewInMemoryBus();
  ApiOptions o;
  o.listen = "127.0.0.1:0";
  auto first = NewControlApi(o, *b, env.env, env.dir.path(), "a");
  ASSERT_OK(first->Start());
  o.listen = fmt::format("127.0.0.1:{}", first->port());
  auto second = NewControlApi(o, *b, env.env, env.dir.path() / "other", "b");
  EXPECT_THAT(second->Start(), StatusHasMessage("cannot listen on"));
}

// GET /metrics and bad input (issue 16): the exposition of env.metrics with Prometheus' content
// type, unknown paths 404, huge or malformed query strings 400 on every endpoint.
class ControlApiMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    metrics_ = metrics::NewPrometheusMetrics(
        {.process = "test", .version = "1.0", .start_time = Timestamp()}, t_.logger);
    env_ = std::make_unique<Env>(Env{t_.clock, t_.logger, FileSystem::Default(), t_.random,
                                     ThreadFactory::Default(), *metrics_});
    bus_ = bus::NewInMemoryBus();
    ApiOptions o;
    o.listen = "127.0.0.1:0";
    api_ = NewControlApi(o, *bus_, *env_, t_.dir.path(), "test");
    ASSERT_OK(api_->Start());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->port());
    client_->set_read_timeout(5, 0);
  }
  void TearDown() override {
    client_.reset();
    api_->Stop();
  }

  void ExpectError(const httplib::Result& r, int status, const std::string& needle) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    auto j = ParseJson(r->body);
    ASSERT_OK(j);
    EXPECT_THAT((*j)["error"].get<std::string>(), ::testing::HasSubstr(needle));
  }

  testing::TestEnv t_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<bus::KvBus> bus_;
  std::unique_ptr<ControlApi> api_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ControlApiMetricsTest, ServesTheExpositionAndCountsRequests) {
  ASSERT_TRUE(client_->Get("/api/health"));
  ASSERT_TRUE(client_->Get("/api/nothing"));
  auto r = client_->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r->body,
              ::testing::HasSubstr(R"(dolphin_build_info{process="test",version="1.0"} 1)"));
  // A request is counted once its reply is written, so the count may trail the reply a little.
  std::string body;
  EXPECT_TRUE(WaitFor([&] {
    auto m = client_->Get("/metrics");
    body = m ? m->body : "";
    return body.find(R"(dolphin_api_requests_total{code="404"} 1)") != std::string::npos;
  })) << body;
  EXPECT_THAT(body, ::testing::HasSubstr(R"(dolphin_api_requests_total{code="200"} )"));
}

TEST_F(ControlApiMetricsTest, ServesTheDashboardCompiledIn) {
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(page->body, ::testing::HasSubstr("no data yet"));
  EXPECT_THAT(page->body, ::testing::HasSubstr(R"(<script src="/dashboard/chart.js">)"));
  auto chart = client_->Get("/dashboard/chart.js");
  ASSERT_TRUE(chart);
  EXPECT_EQ(chart->status, 200);
  EXPECT_EQ(chart->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_THAT(chart->body, ::testing::HasSubstr("Chart.js v3"));  // Debian's libjs-chart.js
  for (const char* path : {"/dashboard/dashboard.js", "/dashboard/dashboard.css"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_GT(r->body.size(), 100u) << path;
  }
  // Read-only: nothing but GET is served there.
  auto post = client_->Post("/", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);
}

TEST_F(ControlApiMetricsTest, UnknownPathsAre404) {
  ExpectError(client_->Get("/nothing/here"), 404, "no such endpoint: GET /nothing/here");
  ExpectError(client_->Get("/metrics/extra"), 404, "no such endpoint");
  ExpectError(client_->Get("/api/command/x"), 404, "no such endpoint");
}

TEST_F(ControlApiMetricsTest, HugeOrMalformedQueryParametersAre400) {
  ExpectError(client_->Get("/api/health?x=" + std::string(3000, 'a')), 400,
              "query string too long");
  std::string many = "/api/status?";
  for (int i = 0; i < 40; ++i) many += fmt::format("p{}=1&", i);
  ExpectError(client_->Get(many), 400, "too many query parameters");
  ExpectError(client_->Get("/api/bus/M?keys_only=%zz"), 400, "malformed %-escape");
  ExpectError(client_->Get("/metrics?x=%4"), 400, "malformed %-escape");
  ExpectError(client_->Get("/api/bus?x=%01"), 400, "control character");
  ExpectError(client_->Get("/api/health?x=%C3%28"), 400, "not valid UTF-8");
  // A well-formed query still works, and the server is still up.
  auto ok = client_->Get("/api/bus/M?keys_only=1");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  std::string body;
  EXPECT_TRUE(WaitFor([&] {
    auto m = client_->Get("/metrics");
    body = m ? m->body : "";
    return body.find(R"(dolphin_api_requests_total{code="400"} 6)") != std::string::npos;
  })) << body;
}

}  // namespace
}  // namespace dolphin::api
