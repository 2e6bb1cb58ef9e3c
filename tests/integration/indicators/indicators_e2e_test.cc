// Issue 15 end to end: a real `dolphin run` with the scheduler, its worker, the simulator, two
// traders with indicator gates and the health service; the network flows read the fake APIs
// (fake_api.h) on 127.0.0.1. The flows run on their schedules, the gates see the values (BLUE's
// pass and it trades; GREEN's spread limit holds every entry back), the journal records them,
// the health record shows each source fresh, then stale and dead once the fake server stops
// answering, nothing is restarted for it, and both journals replay bit for bit with --parity.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <map>
#include <thread>

#include "dolphin/api/api_client.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "dolphin/trader/journal.h"
#include "fake_api.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using indicators::fake::FakeIndicatorApi;
using testing::DolphinBinary;
using ::testing::HasSubstr;
using testing::Subprocess;
using testing::WaitFor;

constexpr const char* kTrader = R"(posture = "APEX"
entry_threshold = -0.001
exit_threshold = 0.001
max_hold_scans = 3
max_scan_age_s = 1e9
max_orders_per_minute = 100000
max_adverse_funding = 0.0005
max_obf_age_s = 3
max_exf_age_s = 3
)";

class IndicatorsEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() / "dolphin.toml")
        << "heartbeat_interval_s = 0.5\n[api]\nlisten = \"127.0.0.1:0\"\n"
           "[sim]\nenabled = true\ninterval_ms = 100\nassets = 20\nseed = 11\n"
        << "[trader.BLUE]\n"
        << kTrader << "max_spread_bps = 5\n"  // the fake book is 2 bps wide: entries pass
        << "[trader.GREEN]\n"
        << kTrader << "max_spread_bps = 1\n"  // 2 bps > 1: every entry is held back
        << "[health]\nenabled = true\ninterval_s = 0.5\nstartup_grace_s = 0\nfresh_s = 2\n"
           "dead_s = 5\n"
           "[scheduler]\nenabled = true\ntick_interval_s = 0.1\nworker_poll_interval_s = 0.05\n"
           "worker_heartbeat_interval_s = 0.2\n"
        << "[indicators.extf-funding]\nenabled = true\nschedule_s = 1\nbase_url = \""
        << api_.base_url()
        << "\"\ntimeout_s = 0.5\nretries = 0\n"
           "[indicators.obf]\nenabled = true\npoll_interval_s = 0.5\nbase_url = \""
        << api_.base_url()
        << "\"\ntimeout_s = 0.5\nretries = 0\nmax_consecutive_failures = 1000000\n"
           "[indicators.esof]\nenabled = true\nschedule_s = 1\n";
  }

  api::ApiClient Api() {
    auto c = api::ApiClient::FromStateDir(dir_.path() / "var");
    EXPECT_OK(c);
    return *c;
  }
  Json Get(const std::string& path) {
    auto c = api::ApiClient::FromStateDir(dir_.path() / "var");
    if (!c.ok()) return Json::object();
    auto r = c->Get(path);
    if (!r.ok() || r->status != 200) return Json::object();
    auto j = ParseJson(r->body);
    return j.ok() ? *j : Json::object();
  }
  Json Health() { return Get("/api/bus/DOLPHIN_META_HEALTH/latest"); }
  std::string SourceState(const Json& health, const std::string& source) {
    const Json& s = health.value("subsystem_health", Json::object())
                        .value("data_sources", Json::object())
                        .value(source, Json::object());
    return s.value("state", "");
  }
  bool SourcesAre(const std::map<std::string, std::string>& want) {
    Json h = Health();
    for (const auto& [source, state] : want) {
      if (SourceState(h, source) != state) return false;
    }
    return true;
  }
  std::vector<trader::ProcessedScan> Processed(const std::string& color) {
    auto j = trader::OpenJournalReadOnly(dir_.path() / "var" / "journal" /
                                         ("trader_" + color + ".sqlite"));
    if (!j.ok()) return {};
    auto p = (*j)->Processed();
    return p.ok() ? *p : std::vector<trader::ProcessedScan>{};
  }
  size_t Fills(const std::string& color) {
    auto j = trader::OpenJournalReadOnly(dir_.path() / "var" / "journal" /
                                         ("trader_" + color + ".sqlite"));
    if (!j.ok()) return 0;
    auto f = (*j)->Fills();
    return f.ok() ? f->size() : 0;
  }
  size_t Completed(const std::string& deployment) {
    Json runs = Get("/api/flow_runs?deployment=" + deployment + "&state=COMPLETED&limit=1000");
    return runs.is_array() ? runs.size() : 0;
  }

  FakeIndicatorApi api_;
  testing::TempDir dir_;
};

TEST_F(IndicatorsEndToEndTest, FlowsFeedTheGatesAndHealthSeesThemGoStaleWithoutRestarts) {
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
  ASSERT_FALSE(testing::WaitForApiAddr(dir_.path() / "var").empty()) << run.Stderr();

  // The flows run on their schedules through the scheduler and its worker, and every source
  // is fresh in the health record.
  ASSERT_TRUE(WaitFor(
      [&] {
        return SourcesAre({{"obf", "fresh"}, {"extf", "fresh"}, {"esof", "fresh"}});
      },
      std::chrono::seconds(90)))
      << Health().dump() << "\n"
      << run.Stderr();
  ASSERT_TRUE(WaitFor(
      [&] { return Completed("extf-funding/default") >= 3 && Completed("esof/default") >= 3; },
      std::chrono::seconds(60)))
      << Get("/api/flow_runs?limit=50").dump();
  Json exf = Get("/api/bus/DOLPHIN_FEATURES/exf_latest");
  EXPECT_EQ(exf["funding"]["BTCUSDT"]["rate"], 0.0001) << exf.dump();

  // BLUE's gates pass and it trades; the journal has the values it decided on.
  ASSERT_TRUE(WaitFor([&] { return Fills("BLUE") >= 4; }, std::chrono::seconds(90)))
      << run.Stderr();
  bool saw_values = false;
  for (const trader::ProcessedScan& p : Processed("BLUE")) {
    auto spread = p.context.indicators.find("obf.spread_bps");
    if (spread == p.context.indicators.end() || !p.context.indicators.contains("funding.rate"))
      continue;
    saw_values = true;
    EXPECT_NEAR(spread->second, (100.02 - 100.00) / 100.01 * 1e4, 1e-9);
    EXPECT_EQ(p.context.indicators.at("funding.rate"), 0.0001);
    EXPECT_TRUE(p.context.indicators.contains("obf.age_s"));
    break;
  }
  EXPECT_TRUE(saw_values);
  // GREEN's spread limit holds back every entry the signal asks for.
  bool green_held = false;
  for (const trader::ProcessedScan& p : Processed("GREEN")) {
    if (p.signal.find("held back by max_spread_bps: obf.spread_bps=1.9998") != std::string::npos)
      green_held = true;
  }
  EXPECT_TRUE(green_held);
  EXPECT_EQ(Fills("GREEN"), 0u);
  auto metrics = Api().Get("/metrics");
  ASSERT_OK(metrics);
  EXPECT_THAT(
      metrics->body,
      HasSubstr("dolphin_trader_entries_held_total{color=\"GREEN\",gate=\"max_spread_bps\"}"));

  // The fake server stops answering: obf and extf go stale, then dead; esof (no network) stays
  // fresh; BLUE's gates now see old values and hold entries back.
  api_.Stop();
  ASSERT_TRUE(WaitFor(
      [&] {
        return SourcesAre({{"obf", "stale"}, {"extf", "stale"}});
      },
      std::chrono::seconds(30)))
      << Health().dump();
  ASSERT_TRUE(WaitFor(
      [&] {
        return SourcesAre({{"obf", "dead"}, {"extf", "dead"}, {"esof", "fresh"}});
      },
      std::chrono::seconds(30)))
      << Health().dump();
  const size_t before = Processed("BLUE").size();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto p = Processed("BLUE");
        for (size_t i = before; i < p.size(); ++i) {
          if (p[i].signal.find("s old (max 3 s)") != std::string::npos) return true;
        }
        return false;
      },
      std::chrono::seconds(60)));
  // A few more health cycles while dead: stale data never triggers a recovery.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const Json later = Health();
  ASSERT_TRUE(later.contains("subsystem_health") && later.contains("reasons")) << later.dump();
  EXPECT_EQ(later.value("recovery", Json::array()).size(), 0u) << later.dump();
  const Json processes = later["subsystem_health"].value("processes", Json::object());
  for (const auto& [name, p] : processes.items()) {
    EXPECT_EQ(p.value("restarts", 0), 0) << name << ": " << later.dump();
  }
  EXPECT_THAT(later["reasons"].value("m3", Json()).dump(), HasSubstr("obf")) << later.dump();
  EXPECT_LT(later.value("m3_data_freshness", 1.0), 1.0);

  run.Signal(SIGTERM);
  ASSERT_EQ(run.Wait(std::chrono::seconds(60)).exit_code, 0);

  // Both journals replay bit for bit with the values they recorded.
  for (const char* color : {"BLUE", "GREEN"}) {
    auto r = testing::RunProcess({DolphinBinary(), "backtest", "--parity", "--color", color,
                                  "--scans", "var/scans", "-q", "-c", "dolphin.toml"},
                                 dir_.path(), std::chrono::seconds(120));
    EXPECT_EQ(r.exit_code, 0) << color << ": " << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("parity: OK")) << color;
  }
  // A plain replay with the values GREEN recorded holds back what GREEN held back; without them
  // (no --indicators-from) the gated entries are refused for want of values, and it says so.
  auto plain = testing::RunProcess({DolphinBinary(), "backtest", "--color", "GREEN", "--scans",
                                    "var/scans", "-q", "-c", "dolphin.toml"},
                                   dir_.path(), std::chrono::seconds(120));
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.err, HasSubstr("have no recorded indicator values (no --indicators-from"));
}

}  // namespace
}  // namespace dolphin
