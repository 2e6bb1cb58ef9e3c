// The daily batch end to end (issue 17, docs/batch.md): a real `dolphin run` trades the
// simulator's scans live, then the deployment daily-backtest/daily is run by hand through the
// scheduler and its worker: reports/D.json and D.html exist, parity holds, DOLPHIN_PNL_BLUE[D]
// carries the backtest and parity fields, a second run skips the day; the report opens in
// headless Chromium with its plots drawn (issue 16). Then one fill price altered in the journal
// makes the forced re-run FAILED with that fill named, in the run's message, its log and the
// health record's M5 detail. housekeeping/daily runs by hand and says what it freed.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "dolphin/api/api_client.h"
#include "dolphin/core/json.h"
#include "dolphin/sqlite/database.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using testing::DolphinBinary;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ProcessResult;
using testing::Subprocess;
using testing::WaitFor;

constexpr const char* kConfig = R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[sim]
enabled = {sim}
interval_ms = 20
assets = 20
count = 300
seed = 11
[trader.BLUE]
posture = "APEX"
fill_price = "next_scan"
entry_threshold = -0.001
exit_threshold = 0.001
max_hold_scans = 3
max_scan_age_s = 1e9
max_orders_per_minute = 100000
[health]
enabled = true
interval_s = 0.5
startup_grace_s = 0
[scheduler]
enabled = true
tick_interval_s = 0.1
worker_poll_interval_s = 0.05
worker_heartbeat_interval_s = 0.2
)";

class DailyBatchTest : public ::testing::Test {
 protected:
  void Start(bool sim) {
    std::string config = kConfig;
    config.replace(config.find("{sim}"), 5, sim ? "true" : "false");
    std::ofstream(dir_.path() / "dolphin.toml") << config;
    run_ = std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
    ASSERT_FALSE(testing::WaitForApiAddr(dir_.path() / "var").empty()) << run_->Stderr();
    ASSERT_TRUE(WaitFor(
        [&] {
          return Dolphin({"pool", "ls"}).exit_code == 0;
        },
        std::chrono::seconds(60)))
        << run_->Stderr();
  }
  void Stop() {
    run_->Signal(SIGTERM);
    EXPECT_EQ(run_->Wait(std::chrono::seconds(60)).exit_code, 0) << run_->Stderr();
  }
  ProcessResult Dolphin(std::vector<std::string> args) {
    args.insert(args.begin(), DolphinBinary());
    args.insert(args.end(), {"-c", "dolphin.toml"});
    return testing::RunProcess(args, dir_.path(), std::chrono::seconds(120));
  }
  api::ApiClient Api() {
    auto c = api::ApiClient::FromStateDir(dir_.path() / "var");
    EXPECT_OK(c);
    return *c;
  }
  Json Get(const std::string& path) {
    auto r = Api().Get(path);
    if (!r.ok() || r->status != 200) return Json::object();
    auto j = ParseJson(r->body);
    return j.ok() ? *j : Json::object();
  }
  int64_t RunDeployment(const std::string& name, const Json& params) {
    auto r = Api().Post("/api/deployments/" + name + "/run", Json{{"parameters", params}}.dump());
    EXPECT_OK(r);
    if (!r.ok()) return 0;
    EXPECT_EQ(r->status, 200) << r->body;
    auto j = ParseJson(r->body);
    return j.ok() && j->contains("id") ? (*j)["id"].get<int64_t>() : 0;
  }
  // Waits for the run to end; returns its final state "TYPE/Name" and its message.
  std::pair<std::string, std::string> WaitEnded(int64_t id) {
    Json j;
    WaitFor(
        [&] {
          j = Get("/api/flow_runs/" + std::to_string(id));
          const std::string t = j.value("state_type", "");
          return t == "COMPLETED" || t == "FAILED" || t == "CRASHED" || t == "CANCELLED";
        },
        std::chrono::seconds(120));
    return {j.value("state_type", "?") + "/" + j.value("state_name", "?"),
            j.value("state_message", "")};
  }
  Json ReadJson(const fs::path& p) {
    std::ifstream in(p);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = ParseJson(text, p.string());
    EXPECT_OK(j);
    return j.ok() ? *j : Json::object();
  }
  fs::path Var() const { return dir_.path() / "var"; }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> run_;
};

TEST_F(DailyBatchTest, ADayTradedLiveReplaysBitExactAndAnAlteredFillFailsTheRun) {
  Start(/*sim=*/true);
  // The simulator's 300 scans traded live: wait until the trader's scan number stops moving.
  int64_t last = -1;
  int still = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        Json s = Get("/api/bus/DOLPHIN_STATE_BLUE/latest_nautilus");
        const int64_t n = s.contains("scan_number") && s["scan_number"].is_number_integer()
                              ? s["scan_number"].get<int64_t>()
                              : -1;
        still = n == last && n >= 250 ? still + 1 : 0;
        last = n;
        ::usleep(200 * 1000);
        return still >= 8;
      },
      std::chrono::seconds(180)))
      << "last scan " << last << "\n"
      << run_->Stderr();
  Json state = Get("/api/bus/DOLPHIN_STATE_BLUE/latest_nautilus");
  ASSERT_TRUE(state["scan_ts"].is_string()) << state.dump();
  const std::string day = state["scan_ts"].get<std::string>().substr(0, 10);

  // Both deployments are there, in pool dolphin.
  ProcessResult ls = Dolphin({"deployment", "ls"});
  EXPECT_THAT(ls.out, HasSubstr("daily-backtest/daily"));
  EXPECT_THAT(ls.out, HasSubstr("housekeeping/daily"));
  EXPECT_THAT(ls.out, HasSubstr("5 0 * * *"));

  const int64_t id = RunDeployment("daily-backtest/daily", {{"day", day}});
  auto [st, message] = WaitEnded(id);
  ASSERT_EQ(st, "COMPLETED/Completed") << message << "\n"
                                       << Dolphin({"flow-run", "logs", std::to_string(id)}).out;
  // A COMPLETED run's message is its exit code; what it did is its log's last line.
  EXPECT_THAT(Dolphin({"flow-run", "logs", std::to_string(id)}).out, HasSubstr("BLUE parity ok"));
  const Json report = ReadJson(Var() / "reports" / (day + ".json"));
  const Json& blue = report["traders"]["BLUE"];
  EXPECT_EQ(blue["parity"]["verdict"], "ok") << blue["parity"].dump();
  EXPECT_GT(blue["parity"]["fills_compared"].get<int64_t>(), 2) << "the day traded";
  EXPECT_EQ(blue["live"]["fills"], blue["parity"]["fills_compared"]);
  EXPECT_GE(blue["live"]["scans"].get<int64_t>(), 250);
  EXPECT_FALSE(blue["series"]["equity"].empty());
  EXPECT_FALSE(blue["pnl_by_regime"].empty());
  EXPECT_FALSE(blue["prices"].empty());
  EXPECT_TRUE(blue["backtest"].contains("net_pnl"));
  EXPECT_FALSE(report["health"]["timeline"].empty()) << report["health"].dump();
  EXPECT_TRUE(fs::exists(Var() / "reports" / (day + ".html")));
  EXPECT_TRUE(fs::exists(Var() / "reports" / (day + ".state.BLUE.json")));
  // The PnL record of the day carries the batch's fields beside the trader's.
  Json pnl = Get("/api/bus/DOLPHIN_PNL_BLUE/" + day);
  EXPECT_EQ(pnl.value("parity", ""), "ok") << pnl.dump();
  EXPECT_TRUE(pnl.contains("backtest_net_pnl")) << pnl.dump();
  EXPECT_TRUE(pnl.contains("realized") || pnl.size() > 4) << "the trader's own fields stay";

  // Resumable: the day is done, a second run skips it.
  const int64_t again = RunDeployment("daily-backtest/daily", {{"day", day}});
  EXPECT_EQ(WaitEnded(again).first, "COMPLETED/Completed");
  EXPECT_THAT(Dolphin({"flow-run", "logs", std::to_string(again)}).out, HasSubstr("already done"));

  // `dolphin report --day D` renders the same day; in Chromium its plots are drawn.
  ProcessResult rep = Dolphin({"report", "--day", day, "--out", "report.html"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_THAT(rep.out, HasSubstr("report.html"));
  auto chromium = testing::FindExecutable({"/usr/bin/chromium", "/usr/bin/chromium-browser"});
  auto node = testing::FindExecutable({"/usr/bin/node", "/usr/local/bin/node"});
  if (chromium && node) {
    const fs::path artifacts = fs::current_path() / "test-artifacts";
    fs::create_directories(artifacts);
    fs::create_directories(dir_.path() / "chromium");
    ProcessResult r = testing::RunProcess(
        {*node, "--experimental-websocket",
         (testing::SourceDir() / "tests/interop/node/dashboard_cdp.mjs").string(), *chromium,
         "file://" + (dir_.path() / "report.html").string(), "1280", "1400", "1", "1500",
         (artifacts / "report.png").string(), (dir_.path() / "chromium").string(), "report"},
        dir_.path(), std::chrono::seconds(150));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto page = ParseJson(r.out);
    ASSERT_OK(page) << r.out;
    EXPECT_THAT((*page)["errors"], IsEmpty()) << r.out;
    const Json& s = (*page)["samples"][0];
    EXPECT_EQ(s.value("title", ""), "dolphin report " + day);
    EXPECT_EQ(s.value("parity", ""), "ok");
    ASSERT_TRUE(s["charts"].is_array()) << s.dump();
    EXPECT_GE(s["charts"].size(), 4u) << "equity, a price, regimes, health";
    for (const Json& c : s["charts"]) {
      EXPECT_GT(c.value("points", 0), 0) << c.dump();
      EXPECT_GT(c.value("width", 0), 0) << c.dump();
    }
  } else if (testing::InCi()) {
    FAIL() << "chromium or node not found: install the Debian packages 'chromium' and 'nodejs'";
  } else {
    std::fprintf(stderr, "SKIPPED LOUDLY: chromium or node not found: report not opened\n");
  }

  // housekeeping/daily by hand: nothing is old yet, it says so.
  const int64_t hk = RunDeployment("housekeeping/daily", Json::object());
  EXPECT_EQ(WaitEnded(hk).first, "COMPLETED/Completed");
  EXPECT_THAT(Dolphin({"flow-run", "logs", std::to_string(hk)}).out,
              HasSubstr("housekeeping: freed"));
  Stop();

  // One fill price changed in the journal: the forced re-run of the day fails and names it.
  {
    auto db = sqlite::Database::Open(Var() / "journal" / "trader_BLUE.sqlite",
                                     sqlite::DatabaseOptions{.create = false, .wal = true});
    ASSERT_OK(db);
    ASSERT_OK((*db)->Exec(
        "UPDATE fills SET price = price * 1.001 WHERE id = (SELECT id FROM fills ORDER BY id "
        "LIMIT 1 OFFSET 1)"));
  }
  Start(/*sim=*/false);
  const int64_t bad = RunDeployment("daily-backtest/daily", {{"day", day}, {"force", true}});
  auto [st4, message4] = WaitEnded(bad);
  EXPECT_EQ(st4, "FAILED/Failed") << message4;
  EXPECT_THAT(message4, HasSubstr("parity BLUE " + day + ": fill 2:"));
  ProcessResult logs = Dolphin({"flow-run", "logs", std::to_string(bad)});
  EXPECT_THAT(logs.out, HasSubstr("FAILED: parity BLUE"));
  const Json failed = ReadJson(Var() / "reports" / (day + ".json"));
  EXPECT_EQ(failed["traders"]["BLUE"]["parity"]["verdict"], "failed");
  EXPECT_THAT(failed["traders"]["BLUE"]["parity"]["first_difference"].get<std::string>(),
              HasSubstr("fill 2: journal"));
  EXPECT_EQ(Get("/api/bus/DOLPHIN_PNL_BLUE/" + day).value("parity", ""), "failed");
  // Data coherence: the health record's M5 detail says so.
  EXPECT_TRUE(WaitFor(
      [&] {
        return Get("/api/bus/DOLPHIN_META_HEALTH/latest").dump().find("parity BLUE " + day) !=
               std::string::npos;
      },
      std::chrono::seconds(30)))
      << Get("/api/bus/DOLPHIN_META_HEALTH/latest").dump();
  Stop();
}

}  // namespace
}  // namespace dolphin
