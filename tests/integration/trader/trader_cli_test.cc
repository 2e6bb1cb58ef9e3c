// The trader from the command line: `dolphin run` with the simulator trades on the embedded
// bus; `dolphin trader halt|resume|flatten|fills` and `dolphin backtest` against it.
#include <signal.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

class TraderCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Thresholds around zero so the simulator's scans trade within a few seconds.
    std::ofstream(dir_.path() / "dolphin.toml") << R"(
[api]
listen = "127.0.0.1:0"
[sim]
enabled = true
interval_ms = 150
assets = 40
[trader.BLUE]
posture = "APEX"
entry_threshold = -0.001
exit_threshold = 0.001
max_hold_scans = 3
)";
  }

  ProcessResult Dolphin(std::vector<std::string> args) {
    args.insert(args.begin(), DolphinBinary());
    args.insert(args.end(), {"-c", "dolphin.toml"});
    return testing::RunProcess(args, dir_.path(), std::chrono::seconds(60));
  }

  Json State() {
    auto r = Dolphin({"bus", "get", "--raw", "DOLPHIN_STATE_BLUE", "latest_nautilus"});
    auto j = ParseJson(r.out);
    return j.ok() ? *j : Json::object();
  }

  testing::TempDir dir_;
};

TEST_F(TraderCliTest, RunTradesAndTheOperatorHaltsFlattensResumesAndListsFills) {
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(dir_.path() / "var" / "api.addr"); },
                      std::chrono::seconds(30)))
      << run.Stderr();
  // The per-scan line carries the signal, the position and the latency.
  ASSERT_TRUE(
      WaitFor([&] { return run.Stderr().find("trader.BLUE scan scan=") != std::string::npos; },
              std::chrono::seconds(60)))
      << run.Stderr();
  ASSERT_TRUE(WaitFor([&] { return run.Stderr().find(" fill order=BLUE-") != std::string::npos; },
                      std::chrono::seconds(60)))
      << run.Stderr();
  std::string err = run.Stderr();
  EXPECT_THAT(err, HasSubstr("signal="));
  EXPECT_THAT(err, HasSubstr("position="));
  EXPECT_THAT(err, HasSubstr("latency_us="));

  auto halt = Dolphin({"trader", "halt", "--color", "BLUE"});
  EXPECT_EQ(halt.exit_code, 0) << halt.err;
  EXPECT_THAT(halt.out, HasSubstr("trading_state HALTED"));
  EXPECT_EQ(State()["trading_state"], "HALTED");

  auto flatten = Dolphin({"trader", "flatten"});
  EXPECT_EQ(flatten.exit_code, 0) << flatten.err;
  ASSERT_TRUE(WaitFor(
      [&] {
        Json s = State();
        return s.contains("controls") && s["controls"]["flatten_pending"] == false &&
               s["positions"].empty() && s["pending_orders"].empty();
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(State()["trading_state"], "HALTED");

  auto resume = Dolphin({"trader", "resume", "--color", "BLUE"});
  EXPECT_EQ(resume.exit_code, 0) << resume.err;
  ASSERT_TRUE(
      WaitFor([&] { return State()["trading_state"] != "HALTED"; }, std::chrono::seconds(30)));

  auto unknown = Dolphin({"trader", "halt", "--color", "RED"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no trader RED"));

  auto fills = Dolphin({"trader", "fills", "--csv"});
  EXPECT_EQ(fills.exit_code, 0) << fills.err;
  EXPECT_THAT(
      fills.out,
      HasSubstr("ts,client_order_id,epoch,scan_number,asset,side,qty,price,fee,realized_pnl"));
  EXPECT_THAT(fills.out, HasSubstr(",BLUE-"));
  auto table = Dolphin({"trader", "fills"});
  EXPECT_THAT(table.out, HasSubstr("fills, fees"));

  run.Signal(SIGTERM);
  auto r = run.Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // The archived scans replay deterministically; the journal's sequence reproduces its fills.
  auto bt1 = Dolphin({"backtest", "--scans", "var/scans", "-q"});
  auto bt2 = Dolphin({"backtest", "--scans", "var/scans", "-q"});
  EXPECT_EQ(bt1.exit_code, 0) << bt1.err;
  EXPECT_THAT(bt1.out, HasSubstr("backtest BLUE:"));
  EXPECT_THAT(bt1.out, HasSubstr("sharpe"));
  EXPECT_EQ(bt1.out, bt2.out);
  auto parity = Dolphin({"backtest", "--scans", "var/scans", "--parity", "-q"});
  EXPECT_EQ(parity.exit_code, 0) << parity.out << parity.err;
  EXPECT_THAT(parity.out, HasSubstr("parity: OK"));
}

TEST_F(TraderCliTest, BadArgumentsSayWhatIsWrong) {
  auto r = Dolphin({"backtest", "--scans", "no/such/folder"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no/such/folder"));
  r = Dolphin({"trader", "fills", "--color", "GREEN"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--color GREEN"));
  r = Dolphin({"trader", "halt"});  // nothing running
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("api.addr"));
  r = Dolphin({"trader"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace dolphin
