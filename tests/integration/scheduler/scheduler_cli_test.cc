// The scheduler in a real `dolphin run` and the Prefect-like verbs against it
// (docs/scheduler.md): pools at a glance, a run created and going Late with no worker, the
// bridge marker, unknown names and bad arguments in one line with exit 2, tag limits, cancel,
// and the history intact after the process is SIGKILLed and started again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <fstream>

#include "dolphin/core/json.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

using testing::DolphinBinary;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::Subprocess;
using testing::WaitFor;

constexpr const char* kConfig = R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[trader]
enabled = false
[health]
enabled = false
[scheduler]
late_after_s = 1
tick_interval_s = 0.2
[worker]
enabled = false
[deployments."report/daily"]
parameters = { days = 30 }
tags = ["heavy"]
)";

class SchedulerCliTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(dir_.path() / "dolphin.toml") << kConfig; }

  ProcessResult Dolphin(std::vector<std::string> args, const std::string& config = "dolphin.toml") {
    args.insert(args.begin(), DolphinBinary());
    args.insert(args.end(), {"-c", config});
    return testing::RunProcess(args, dir_.path(), std::chrono::seconds(30));
  }

  std::unique_ptr<Subprocess> StartRun() {
    auto run = std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
    EXPECT_TRUE(WaitFor(
        [&] {
          return Dolphin({"pool", "ls"}).exit_code == 0;
        },
        std::chrono::seconds(60)))
        << run->Stderr();
    return run;
  }

  static int Lines(const std::string& s) {
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  }

  testing::TempDir dir_;
};

TEST_F(SchedulerCliTest, VerbsAgainstARunningScheduler) {
  auto run = StartRun();
  auto pools = Dolphin({"pool", "ls"});
  ASSERT_EQ(pools.exit_code, 0) << pools.err;
  EXPECT_THAT(pools.out, HasSubstr("POOL"));
  for (const char* p : {"dolphin ", "dolphin-scan ", "dolphin-extf-indicators ", "dolphin-obf "}) {
    EXPECT_THAT(pools.out, HasSubstr(p));
  }
  EXPECT_THAT(pools.out, HasSubstr("NOT_READY"));  // no worker polls yet
  auto pools_json = ParseJson(Dolphin({"pool", "ls", "--json"}).out);
  ASSERT_OK(pools_json);
  EXPECT_EQ(pools_json->size(), 4u);

  auto deployments = Dolphin({"deployment", "ls"});
  EXPECT_EQ(deployments.exit_code, 0) << deployments.err;
  EXPECT_THAT(deployments.out, HasSubstr("scan-bridge-flow/scan-bridge"));
  EXPECT_THAT(deployments.out, HasSubstr("report/daily"));

  auto created =
      Dolphin({"deployment", "run", "report/daily", "--param", "days=7", "--param", "colour=BLUE"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("flow run 1 of report/daily created"));
  // No worker: it goes Late after late_after_s, and says why.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Dolphin({"flow-run", "ls", "--state", "Late"}).out.find("report/daily") !=
               std::string::npos;
      },
      std::chrono::seconds(30)));
  auto inspect = ParseJson(Dolphin({"flow-run", "inspect", "1", "--json"}).out);
  ASSERT_OK(inspect);
  EXPECT_EQ((*inspect)["state_name"], "Late");
  EXPECT_EQ((*inspect)["parameters"]["days"], 7);
  EXPECT_EQ((*inspect)["parameters"]["colour"], "BLUE");
  EXPECT_THAT((*inspect)["state_message"].get<std::string>(),
              HasSubstr("no worker is polling pool dolphin"));
  auto table = Dolphin({"flow-run", "inspect", "1"});
  EXPECT_THAT(table.out, HasSubstr("HISTORY"));
  EXPECT_THAT(table.out, HasSubstr("SCHEDULED/Late"));
  EXPECT_THAT(Dolphin({"pool", "inspect", "dolphin"}).out, HasSubstr("late"));

  // The bridge is a service, not a batch flow: one line saying where it runs.
  auto bridge = Dolphin({"deployment", "run", "scan-bridge-flow/scan-bridge"});
  EXPECT_EQ(bridge.exit_code, 1);
  EXPECT_EQ(Lines(bridge.err), 1) << bridge.err;
  EXPECT_THAT(bridge.err, HasSubstr("long-running bridge service, not a batch flow"));

  // Unknown names and bad arguments: one line, exit 2.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"deployment", "run", "nope/x"},
        {"deployment", "run", "nope"},
        {"deployment", "run", "report/daily", "--param", "bad"},
        {"pool", "pause", "nope"},
        {"pool", "inspect", "nope"},
        {"flow-run", "inspect", "999"},
        {"flow-run", "inspect", "abc"},
        {"flow-run", "ls", "--state", "DONE"},
        {"concurrency-limit", "delete", "never"}}) {
    auto r = Dolphin(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_EQ(Lines(r.err), 1) << ::testing::PrintToString(args) << r.err;
  }

  ASSERT_EQ(Dolphin({"concurrency-limit", "create", "heavy", "2"}).exit_code, 0);
  EXPECT_THAT(Dolphin({"concurrency-limit", "ls"}).out, HasSubstr("heavy"));
  ASSERT_EQ(Dolphin({"concurrency-limit", "delete", "heavy"}).exit_code, 0);

  ASSERT_EQ(Dolphin({"pool", "pause", "dolphin"}).exit_code, 0);
  EXPECT_THAT(Dolphin({"pool", "ls"}).out, HasSubstr("PAUSED"));
  ASSERT_EQ(Dolphin({"pool", "resume", "dolphin"}).exit_code, 0);

  auto cancel = Dolphin({"flow-run", "cancel", "1"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("CANCELLED/Cancelled"));
  auto again = Dolphin({"flow-run", "cancel", "1"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("has finished"));

  // SIGKILL, start again: the run and its whole history are still there.
  run->Signal(SIGKILL);
  run->Wait();
  auto restarted = StartRun();
  auto after = ParseJson(Dolphin({"flow-run", "inspect", "1", "--json"}).out);
  ASSERT_OK(after);
  EXPECT_EQ((*after)["state_type"], "CANCELLED");
  EXPECT_EQ((*after)["history"].size(), 3u);  // Scheduled, Late, Cancelled
  restarted->Signal(SIGTERM);
  EXPECT_EQ(restarted->Wait().exit_code, 0);
}

TEST_F(SchedulerCliTest, BadSchedulerConfigIsOneLinePerProblem) {
  std::ofstream(dir_.path() / "bad.toml") << R"([deployments."a/b"]
pool = "nope"
[deployments."c/d"]
cron = "0 0 31 2 *"
)";
  auto r = Dolphin({"pool", "ls"}, "bad.toml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Lines(r.err), 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("bad.toml:2: [deployments.a/b] pool: unknown pool \"nope\""));
  EXPECT_THAT(r.err,
              HasSubstr("bad.toml:4: [deployments.c/d] cron: cron \"0 0 31 2 *\": never fires"));
}

TEST_F(SchedulerCliTest, NoSchedulerRunningIsOneLine) {
  auto r = Dolphin({"pool", "ls"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no scheduler is running"));
}

}  // namespace
}  // namespace dolphin
