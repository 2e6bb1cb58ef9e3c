// Issue 12: a restart never closes a position by itself, and `dolphin status` shows the whole
// system. A real `dolphin run` (bridge, trader on posture "bus", health, safety; simulator off)
// opens a position from pre-made scan files, is killed with SIGKILL, and is started again:
//  - between the kill and the restart every CLI verb says in one line that api.addr names a
//    process that is not running;
//  - after the restart the position is restored from the journal, the trader stays REDUCING
//    (exits only) while safety waits for health's start-up grace, and no order is sent by the
//    restart itself (the journal holds the same intents and fills);
//  - once health is GREEN safety publishes the posture, the trader is ACTIVE again and trades
//    on the next scans (the exit signal closes the position);
//  - `dolphin status` and `status --json` show services, scan, health, safety and the trader.
#include <signal.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "dolphin/api/api_client.h"
#include "dolphin/core/json.h"
#include "dolphin/sim/scanner.h"
#include "dolphin/testing/scan_files.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "dolphin/trader/journal.h"

namespace dolphin::trader {
namespace {

namespace fs = std::filesystem;
using testing::DolphinBinary;
using ::testing::HasSubstr;
using testing::RunProcess;
using testing::Subprocess;
using testing::WaitFor;

class RestartSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    watched_ = dir_.path() / "scans";
    staging_ = dir_.path() / "staging";
    state_ = dir_.path() / "var";
    config_ = dir_.path() / "dolphin.toml";
    sim::ScannerOptions so;
    so.assets = 8;
    so.warmup_scans = 200;
    so.seed = 11;
    so.compute_eigenvalues = false;
    auto scanner = sim::Scanner::Create(so);
    ASSERT_OK(scanner);
    // 1 enters (vel_div below the entry threshold), 2-3 hold (2 fills the entry), 4 exits,
    // 5 fills the exit.
    const double vel_div[] = {-0.01, 0.0, 0.0, 0.01, 0.0};
    auto files =
        testing::StageScanFiles(**scanner, 5, staging_, watched_,
                                [&](int i, sim::ScanFeatures& f) { f.vel_div = vel_div[i]; });
    ASSERT_OK(files);
    for (const testing::StagedScan& s : *files) files_.push_back(s.relative);
    // Short intervals so the test takes seconds; safety on (a config file turns it off by
    // default), posture "bus" by default then; wide take-profit/stop-loss so only vel_div acts.
    std::ofstream(config_) << fmt::format(R"(state_dir = "{}"
heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[sim]
enabled = false
[bridge]
scan_dir = "{}"
[health]
interval_s = 0.5
startup_grace_s = 3
worsen_after_s = 1
recover_after_s = 1
[safety]
enabled = true
max_posture = "APEX"
interval_s = 0.5
recover_after_s = 1
[trader.BLUE]
entry_threshold = -0.005
exit_threshold = 0.005
take_profit_pct = 50
stop_loss_pct = 50
max_hold_scans = 1000
max_scan_age_s = 1e9
)",
                                          state_.string(), watched_.string());
  }

  void TearDown() override {
    if (run_ && run_->running()) {
      run_->Signal(SIGKILL);
      run_->Wait();
    }
  }

  void StartRun() {
    run_ = std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "run", "-c", config_.string()}, dir_.path());
    ASSERT_TRUE(WaitFor(
        [&] {
          return run_->Stderr().find("dolphin started") != std::string::npos || !run_->running();
        },
        std::chrono::seconds(30)))
        << run_->Stderr();
    ASSERT_TRUE(run_->running()) << run_->Stderr();
  }

  // The trader's state as the bus holds it (through the control API), or {} when unreadable.
  Json State() {
    auto client = api::ApiClient::FromStateDir(state_);
    if (!client.ok()) return Json::object();
    auto r = client->Get("/api/bus/DOLPHIN_STATE_BLUE/latest_nautilus");
    if (!r.ok() || r->status != 200) return Json::object();
    return ParseJson(r->body).value_or(Json::object());
  }
  std::string Text(const Json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  }
  int64_t Processed() {
    Json s = State();
    return s.contains("scans_processed") && s["scans_processed"].is_number()
               ? s["scans_processed"].get<int64_t>()
               : -1;
  }
  void Feed(size_t i) { fs::rename(staging_ / files_[i], watched_ / files_[i]); }
  struct Counts {
    size_t intents = 0, fills = 0;
  };
  Counts JournalCounts() {
    auto j = OpenJournalReadOnly(state_ / "journal" / "trader_BLUE.sqlite");
    if (!j.ok()) return {};
    return {(*j)->Intents().value().size(), (*j)->Fills().value().size()};
  }

  testing::TempDir dir_;
  fs::path watched_, staging_, state_, config_;
  std::vector<fs::path> files_;
  std::unique_ptr<Subprocess> run_;
};

TEST_F(RestartSafetyTest, OpenPositionSurvivesASigkillAndTradingResumesOnceHealthIsGreen) {
  StartRun();
  // Safety publishes only after health's start-up grace: until then the trader reduces.
  ASSERT_TRUE(WaitFor([&] { return Text(State(), "trading_state") == "REDUCING"; },
                      std::chrono::seconds(10)));
  ASSERT_TRUE(
      WaitFor([&] { return Text(State(), "trading_state") == "ACTIVE"; }, std::chrono::seconds(30)))
      << State().dump() << run_->Stderr();
  // No scan yet: health is CRITICAL (the scan source is missing), so TURTLE at most.
  EXPECT_THAT(Text(State(), "posture_reason"), HasSubstr("bus: TURTLE"));
  Feed(0);
  ASSERT_TRUE(WaitFor([&] { return Processed() == 1; }, std::chrono::seconds(10)))
      << run_->Stderr();
  Feed(1);
  ASSERT_TRUE(WaitFor([&] { return Processed() == 2; }, std::chrono::seconds(10)));
  Json before = State();
  ASSERT_EQ(before["positions"].size(), 1u) << before.dump();
  const Counts at_kill = JournalCounts();
  EXPECT_EQ(at_kill.intents, 1u);
  EXPECT_EQ(at_kill.fills, 1u);

  const pid_t killed = run_->pid();
  run_->Signal(SIGKILL);
  run_->Wait();
  // A killed dolphin leaves api.addr behind: every verb says so in one line.
  ASSERT_TRUE(fs::exists(state_ / "api.addr"));
  for (const std::vector<std::string>& verb :
       {std::vector<std::string>{"status"}, std::vector<std::string>{"health"},
        std::vector<std::string>{"bus", "keys", "DOLPHIN_FEATURES"},
        std::vector<std::string>{"trader", "halt", "--color", "BLUE"}}) {
    std::vector<std::string> argv = {DolphinBinary()};
    argv.insert(argv.end(), verb.begin(), verb.end());
    argv.insert(argv.end(), {"-c", config_.string()});
    auto r = RunProcess(argv, dir_.path());
    EXPECT_EQ(r.exit_code, 1) << verb[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(fmt::format(
                           "no dolphin running here: {} names pid {}, which is not running",
                           (state_ / "api.addr").string(), killed)))
        << verb[0];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << verb[0] << ": " << r.err;
  }

  StartRun();
  // Restored from the journal, reducing while safety waits for health.
  ASSERT_TRUE(WaitFor([&] { return State().contains("positions"); }, std::chrono::seconds(10)));
  Json restarted = State();
  EXPECT_EQ(restarted["positions"], before["positions"]);
  EXPECT_EQ(restarted["trading_state"], "REDUCING")
      << restarted.dump();  // exits only, positions kept
  ASSERT_TRUE(
      WaitFor([&] { return run_->Stderr().find("posture not published yet") != std::string::npos; },
              std::chrono::seconds(10)))
      << run_->Stderr();
  // Then health GREEN, the posture published, the trader ACTIVE, the position still there.
  ASSERT_TRUE(
      WaitFor([&] { return Text(State(), "trading_state") == "ACTIVE"; }, std::chrono::seconds(30)))
      << State().dump() << run_->Stderr();
  EXPECT_THAT(run_->Stderr(), HasSubstr("posture none -> APEX"));
  EXPECT_EQ(State()["positions"], before["positions"]);
  const Counts after_restart = JournalCounts();
  EXPECT_EQ(after_restart.intents, at_kill.intents) << "the restart sent an order";
  EXPECT_EQ(after_restart.fills, at_kill.fills);

  // `dolphin status`: one screen of at most 80 columns, and the same as one JSON object.
  auto status = RunProcess({DolphinBinary(), "status", "-c", config_.string()}, dir_.path());
  ASSERT_EQ(status.exit_code, 0) << status.err;
  for (const char* part :
       {"HEALTH   GREEN", "SAFETY   APEX", "SCAN     #", "trader.BLUE", "safety", "health",
        "bridge", "BLUE    ACTIVE    APEX", "BTCUSDT SHORT", "\nPOOL ", "dolphin-scan"}) {
    EXPECT_THAT(status.out, HasSubstr(part)) << status.out;
  }
  std::istringstream lines(status.out);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 80u) << line;
  auto js = RunProcess({DolphinBinary(), "status", "--json", "-c", config_.string()}, dir_.path());
  ASSERT_EQ(js.exit_code, 0) << js.err;
  auto j = ParseJson(js.out);
  ASSERT_OK(j);
  EXPECT_EQ((*j)["health"]["status"], "GREEN");
  EXPECT_EQ((*j)["safety"]["posture"], "APEX");
  EXPECT_EQ((*j)["traders"]["BLUE"]["positions"].size(), 1u);
  EXPECT_EQ((*j)["traders"]["BLUE"]["trading_state"], "ACTIVE");
  EXPECT_TRUE((*j)["traders"]["BLUE"]["listener"].contains("coalesced"));
  EXPECT_TRUE((*j)["services"]["trader.BLUE"]["up"].get<bool>());
  EXPECT_EQ((*j)["services"]["trader.BLUE"]["restarts"], 0);
  EXPECT_TRUE((*j)["scan"].contains("scan_number"));
  EXPECT_GE((*j)["pools"].size(), 4u) << (*j)["pools"].dump();  // the seed pools

  // Trading resumes: a hold keeps the position, the exit signal closes it.
  Feed(2);
  ASSERT_TRUE(WaitFor([&] { return Processed() == 3; }, std::chrono::seconds(10)));
  EXPECT_EQ(State()["positions"].size(), 1u);
  Feed(3);
  ASSERT_TRUE(WaitFor([&] { return Processed() == 4; }, std::chrono::seconds(10)));
  Feed(4);
  ASSERT_TRUE(WaitFor([&] { return Processed() == 5; }, std::chrono::seconds(10)));
  EXPECT_EQ(State()["positions"].size(), 0u) << State().dump();
  const Counts end = JournalCounts();
  EXPECT_EQ(end.intents, 2u);
  EXPECT_EQ(end.fills, 2u);
  run_->Signal(SIGTERM);
  EXPECT_EQ(run_->Wait().exit_code, 0);
}

}  // namespace
}  // namespace dolphin::trader
