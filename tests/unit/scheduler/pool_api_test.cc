// The pool API over the engine and the in-memory store: every endpoint, and 4xx reasons for
// bad bodies and unknown names (docs/scheduler.md "API").
#include "dolphin/scheduler/pool_api.h"

#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::scheduler {
namespace {

using ::dolphin::testing::StatusHasMessage;
using ::testing::HasSubstr;

class PoolApiTest : public ::testing::Test {
 protected:
  PoolApiTest() {
    store_ = std::move(*OpenInMemoryStore());
    SchedulerSetup setup = DefaultSchedulerSetup();
    DeploymentOptions d;
    d.flow = "daily-backtest";
    d.name = "daily";
    d.parameters = Json{{"days", 30}};
    d.tags = {"heavy"};
    setup.deployments[d.full_name()] = d;
    engine_ = std::make_unique<Engine>(setup.scheduler, *store_, env_.env);
    EXPECT_OK(engine_->Sync(setup, env_.clock.Now()));
  }
  Result<Json> Call(std::string method, std::string path, Json body = Json::object(),
                    std::map<std::string, std::string> query = {}) {
    return HandlePoolApi(*engine_,
                         {std::move(method), std::move(path), std::move(query), std::move(body)},
                         env_.clock.Now());
  }

  testing::TestEnv env_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(PoolApiTest, PoolsListInspectPauseResume) {
  auto pools = Call("GET", "/api/pools");
  ASSERT_OK(pools);
  ASSERT_EQ(pools->size(), 4u);
  EXPECT_EQ((*pools)[0]["name"], "dolphin");
  EXPECT_EQ((*pools)[0]["status"], "NOT_READY");
  EXPECT_EQ((*pools)[0]["concurrency_limit"], 1);
  ASSERT_OK(Call("POST", "/api/pools/dolphin-obf/pause"));
  EXPECT_EQ((*Call("GET", "/api/pools/dolphin-obf"))["status"], "PAUSED");
  ASSERT_OK(Call("POST", "/api/pools/dolphin-obf/resume"));
  EXPECT_EQ((*Call("GET", "/api/pools/dolphin-obf"))["status"], "NOT_READY");
  auto missing = Call("GET", "/api/pools/nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing, StatusHasMessage("unknown pool \"nope\""));
  EXPECT_EQ(Call("POST", "/api/pools/nope/pause").status().code(), StatusCode::kNotFound);
}

TEST_F(PoolApiTest, DeploymentsRunAndFlowRuns) {
  auto all = Call("GET", "/api/deployments");
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 2u);
  auto one = Call("GET", "/api/deployments/daily-backtest/daily");
  ASSERT_OK(one);
  EXPECT_EQ((*one)["pool"], "dolphin");
  EXPECT_EQ((*one)["source"], "config");
  auto run = Call("POST", "/api/deployments/daily-backtest/daily/run",
                  Json{{"parameters", {{"days", 7}}}});
  ASSERT_OK(run);
  EXPECT_EQ((*run)["state_type"], "SCHEDULED");
  EXPECT_EQ((*run)["parameters"]["days"], 7);
  const int64_t id = (*run)["id"];
  env_.clock.AdvanceBy(std::chrono::seconds(20));
  ASSERT_OK(engine_->Tick(env_.clock.Now()));
  auto late = Call("GET", "/api/flow_runs", {}, {{"state", "Late"}});
  ASSERT_OK(late);
  ASSERT_EQ(late->size(), 1u);
  EXPECT_EQ((*late)[0]["lateness_s"], 20.0);
  auto by_type = Call("GET", "/api/flow_runs", {},
                      {{"state", "scheduled"}, {"deployment", "daily-backtest/daily"}});
  ASSERT_OK(by_type);
  EXPECT_EQ(by_type->size(), 1u);
  // The worker's side.
  auto claimed = Call("POST", "/api/workers/w1/claim", Json{{"pools", {"dolphin"}}, {"max", 1}});
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0]["deployment_spec"]["deployment"], "daily-backtest/daily");
  ASSERT_OK(
      Call("POST", "/api/flow_runs/" + std::to_string(id) + "/started", Json{{"worker", "w1"}}));
  auto hb =
      Call("POST", "/api/workers/w1/heartbeat", Json{{"pools", {"dolphin"}}, {"holding", {id}}});
  ASSERT_OK(hb);
  EXPECT_TRUE((*hb)["kill"].empty());
  EXPECT_EQ((*Call("GET", "/api/pools/dolphin"))["status"], "READY");
  ASSERT_OK(Call("POST", "/api/flow_runs/" + std::to_string(id) + "/finished",
                 Json{{"worker", "w1"}, {"exit_code", 0}}));
  auto inspect = Call("GET", "/api/flow_runs/" + std::to_string(id));
  ASSERT_OK(inspect);
  EXPECT_EQ((*inspect)["state_type"], "COMPLETED");
  EXPECT_EQ((*inspect)["history"].size(), 5u);
  EXPECT_EQ((*inspect)["history"][1]["to"], "SCHEDULED/Late");
  // Pause, resume, create, delete.
  ASSERT_OK(Call("POST", "/api/deployments/daily-backtest/daily/pause"));
  EXPECT_EQ((*Call("GET", "/api/deployments/daily-backtest/daily"))["paused"], true);
  ASSERT_OK(Call("POST", "/api/deployments",
                 Json{{"deployment", "obf/poll"}, {"pool", "dolphin-obf"}, {"interval_s", 1}}));
  EXPECT_EQ((*Call("GET", "/api/deployments/obf/poll"))["source"], "api");
  ASSERT_OK(Call("DELETE", "/api/deployments/obf/poll"));
  EXPECT_EQ(Call("GET", "/api/deployments/obf/poll").status().code(), StatusCode::kNotFound);
}

// The worker's reports: a failure names the last output line; a run that could not start is
// CRASHED with the reason.
TEST_F(PoolApiTest, FinishedWithOutputAndStartFailed) {
  for (int i = 0; i < 2; ++i) ASSERT_OK(Call("POST", "/api/deployments/daily-backtest/daily/run"));
  auto claimed = Call("POST", "/api/workers/w1/claim", Json{{"pools", {"dolphin"}}, {"max", 1}});
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  const std::string first = std::to_string((*claimed)[0]["id"].get<int64_t>());
  ASSERT_OK(Call("POST", "/api/flow_runs/" + first + "/finished",
                 Json{{"worker", "w1"}, {"exit_code", 2}, {"output", "bad input file"}}));
  auto failed = Call("GET", "/api/flow_runs/" + first);
  ASSERT_OK(failed);
  EXPECT_EQ((*failed)["state_type"], "FAILED");
  EXPECT_EQ((*failed)["state_message"], "exit code 2: bad input file");
  claimed = Call("POST", "/api/workers/w1/claim", Json{{"pools", {"dolphin"}}, {"max", 1}});
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  const std::string second = std::to_string((*claimed)[0]["id"].get<int64_t>());
  ASSERT_OK(
      Call("POST", "/api/flow_runs/" + second + "/start_failed",
           Json{{"worker", "w1"}, {"message", "execve: No such file or directory (ENOENT)"}}));
  auto crashed = Call("GET", "/api/flow_runs/" + second);
  ASSERT_OK(crashed);
  EXPECT_EQ((*crashed)["state_type"], "CRASHED");
  EXPECT_THAT((*crashed)["state_message"].get<std::string>(), HasSubstr("could not start: execve"));
}

TEST_F(PoolApiTest, TheBridgeMarkerAnswersWhereTheBridgeRuns) {
  auto r = Call("POST", "/api/deployments/scan-bridge-flow/scan-bridge/run");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r, StatusHasMessage("long-running bridge service, not a batch flow"));
}

TEST_F(PoolApiTest, ConcurrencyLimits) {
  ASSERT_OK(
      Call("POST", "/api/concurrency_limits", Json{{"tag", "heavy"}, {"concurrency_limit", 2}}));
  auto ls = Call("GET", "/api/concurrency_limits");
  ASSERT_OK(ls);
  ASSERT_EQ(ls->size(), 1u);
  EXPECT_EQ((*ls)[0]["concurrency_limit"], 2);
  EXPECT_EQ((*ls)[0]["active_slots"], 0);
  ASSERT_OK(Call("DELETE", "/api/concurrency_limits/heavy"));
  EXPECT_EQ(Call("DELETE", "/api/concurrency_limits/heavy").status().code(), StatusCode::kNotFound);
}

TEST_F(PoolApiTest, BadBodiesAndParametersAreRefusedWithTheReason) {
  struct Case {
    std::string method, path;
    Json body;
    std::map<std::string, std::string> query;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"POST",
       "/api/deployments/daily-backtest/daily/run",
       Json{{"parameters", "x"}},
       {},
       "parameters: expected a JSON object"},
      {"POST", "/api/deployments", Json{{"deployment", "nopes"}}, {}, "expected \"<flow>/<name>\""},
      {"POST",
       "/api/deployments",
       Json{{"deployment", "a/b"}, {"cron", "* * *"}},
       {},
       "cron: cron \"* * *\": expected 5 fields"},
      {"POST",
       "/api/deployments",
       Json{{"deployment", "a/b"}, {"pool", "nope"}},
       {},
       "deployment: pool: unknown pool \"nope\""},
      {"POST",
       "/api/deployments",
       Json{{"deployment", "a/b"}, {"colour", 1}},
       {},
       "deployment: unknown field \"colour\""},
      {"POST",
       "/api/deployments",
       Json{{"deployment", "a/b"}, {"retries", -1}},
       {},
       "retries: expected a number in [0, 100]"},
      {"POST",
       "/api/concurrency_limits",
       Json{{"tag", "t"}},
       {},
       "concurrency_limit: expected an integer in [0, 100000]"},
      {"POST",
       "/api/concurrency_limits",
       Json{{"concurrency_limit", 1}},
       {},
       "tag: expected a non-empty string"},
      {"GET", "/api/flow_runs", {}, {{"state", "DONE"}}, "state: \"DONE\" is neither a state type"},
      {"GET", "/api/flow_runs", {}, {{"limit", "x"}}, "limit: expected 1..100000, got \"x\""},
      {"GET",
       "/api/flow_runs/abc",
       {},
       {},
       "flow run id: expected a positive integer, got \"abc\""},
      {"POST",
       "/api/flow_runs/1/finished",
       Json{{"worker", "w"}},
       {},
       "exit_code: expected an integer"},
      {"POST",
       "/api/flow_runs/1/started",
       Json::object(),
       {},
       "worker: expected the worker's name"},
      {"POST",
       "/api/flow_runs/1/finished",
       Json{{"worker", "w"}, {"exit_code", 1}, {"output", 3}},
       {},
       "output: expected a string"},
      {"POST",
       "/api/flow_runs/1/start_failed",
       Json{{"worker", "w"}},
       {},
       "message: expected a string"},
      {"POST",
       "/api/workers/w/claim",
       Json{{"pools", "dolphin"}},
       {},
       "pools: expected an array of strings"},
      {"POST",
       "/api/pools/dolphin/pause",
       Json::array(),
       {},
       "request body: expected a JSON object"},
  };
  for (const Case& c : cases) {
    auto r = Call(c.method, c.path, c.body, c.query);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument)
        << c.path << " " << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(c.reason)) << c.path;
  }
  EXPECT_THAT(Call("GET", "/api/pools/dolphin/x/y"),
              StatusHasMessage("no such endpoint: GET /api/pools/dolphin/x/y"));
  EXPECT_EQ(Call("GET", "/api/flow_runs/999").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace dolphin::scheduler
