// The live trader service on the memory bus: state and PnL maps, de-duplication, gaps,
// operator controls (journaled, surviving a restart), posture from the bus, stale scans.
#include "dolphin/trader/trader_service.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/testing/kv_bus_fakes.h"
#include "dolphin/testing/testing.h"
#include "dolphin/trader/backtest.h"
#include "dolphin/trader/journal.h"
#include "dolphin/trader/scan_parse.h"

namespace dolphin::trader {
namespace {

using ::testing::HasSubstr;
using testing::WaitFor;

constexpr int64_t kEpoch = 1774434600000000;

class TraderServiceTest : public ::testing::Test {
 protected:
  TraderServiceTest() : bus_(bus::NewInMemoryBus()) {
    options_.journal = env_.dir.path() / "journal" / "BLUE.sqlite";
    options_.posture = PostureSetting::Fixed(Posture::kApex);
    options_.max_scan_age_s = 30;
  }

  // A scan JSON as the bridge writes it, timestamped `age` before the simulated now.
  std::string ScanJson(int64_t n, double vel_div, double btc, Duration age = Duration(0),
                       int64_t epoch = kEpoch) {
    Timestamp ts = env_.clock.Now() - age;
    return fmt::format(
        R"({{"scan_number":{},"timestamp":"{}","vel_div":{},"regime":"BULL",)"
        R"("asset_prices":{{"BTCUSDT":{},"ETHUSDT":3000}},"epoch":{},"bridge_ts":"{}","file":"f{}.arrow"}})",
        n, FormatRfc3339(ts), vel_div, btc, epoch, FormatRfc3339(env_.clock.Now()), n);
  }

  std::unique_ptr<TraderService> StartTrader() {
    auto t = NewTraderService(options_, *bus_, env_.env);
    EXPECT_OK(t->Start());
    // A scan already on the bus arrives first as a SNAPSHOT: wait until it is handled, so
    // each Send() below waits for its own scan.
    auto scan = bus_->Get("DOLPHIN_FEATURES", "latest_eigen_scan");
    if (scan.ok() && *scan) {
      EXPECT_TRUE(WaitFor([&] {
        TraderStats s = t->Stats();
        return s.duplicates + s.processed + s.bad_scans > 0 && s.duplicates + s.bad_scans >= 1;
      }));
    }
    return t;
  }

  // Publishes a scan and waits until the trader has handled it (processed or skipped).
  void Send(TraderService& t, const std::string& json) {
    TraderStats before = t.Stats();
    ASSERT_OK(bus_->Put("DOLPHIN_FEATURES", "latest_eigen_scan", json));
    ASSERT_TRUE(WaitFor([&] {
      TraderStats s = t.Stats();
      return s.processed + s.duplicates + s.bad_scans + s.failures >
             before.processed + before.duplicates + before.bad_scans + before.failures;
    }));
    env_.clock.AdvanceBy(std::chrono::seconds(1));
  }

  Json State() {
    auto v = bus_->Get("DOLPHIN_STATE_BLUE", "latest_nautilus");
    EXPECT_OK(v);
    if (!v.ok() || !*v) return Json::object();
    return ParseJson(**v).value();
  }

  testing::TestEnv env_;
  std::unique_ptr<bus::KvBus> bus_;
  TraderOptions options_;
};

TEST_F(TraderServiceTest, PublishesStateAndPnlOnEveryScan) {
  auto t = StartTrader();
  EXPECT_EQ(State()["trading_state"], "ACTIVE");  // published at start, before any scan
  Send(*t, ScanJson(1, -0.03, 60000));            // enter short
  Send(*t, ScanJson(2, -0.01, 60000));            // filled
  Json s = State();
  EXPECT_EQ(s["scan_number"], 2);
  EXPECT_EQ(s["epoch"], kEpoch);
  EXPECT_EQ(s["posture"], "APEX");
  EXPECT_EQ(s["positions"].size(), 1u);
  EXPECT_EQ(s["trades_today"], 1);
  EXPECT_EQ(s["last_order"]["status"], "filled");
  EXPECT_EQ(s["last_signal"]["scan_number"], 2);
  auto pnl = bus_->Get("DOLPHIN_PNL_BLUE", FormatUtcDate(env_.clock.Now()));
  ASSERT_OK(pnl);
  ASSERT_TRUE(*pnl);
  Json p = ParseJson(**pnl).value();
  EXPECT_EQ(p["trades"], 1);
  EXPECT_GT(p["fees"].get<double>(), 0);
  EXPECT_TRUE(p.contains("equity_open"));
  // The heartbeat-facing health says what it does.
  EXPECT_THAT(t->Health().detail, HasSubstr("ACTIVE 2 scans"));
}

TEST_F(TraderServiceTest, FailedPublicationsAreCountedAndTradingGoesOn) {
  // The trader writes through a fake whose puts fail; the test's scans go to the bus directly.
  testing::FakeKvBus fake(*bus_);
  auto t = NewTraderService(options_, fake, env_.env);
  ASSERT_OK(t->Start());
  fake.SetPutsFailing(true);
  Send(*t, ScanJson(1, -0.03, 60000));  // enters short; state and PnL cannot be written
  TraderStats s = t->Stats();
  EXPECT_EQ(s.processed, 1);
  EXPECT_EQ(s.intents, 1);
  EXPECT_GE(s.publish_failures, 1);
  EXPECT_TRUE(env_.logger.Contains("cannot publish state"));
  EXPECT_NE(State()["scan_number"], 1);
  fake.SetPutsFailing(false);
  Send(*t, ScanJson(2, -0.01, 60000));
  EXPECT_EQ(State()["scan_number"], 2);  // state and PnL, written together again
  auto pnl = bus_->Get("DOLPHIN_PNL_BLUE", FormatUtcDate(env_.clock.Now()));
  ASSERT_OK(pnl);
  ASSERT_TRUE(*pnl);
  EXPECT_EQ(ParseJson(**pnl).value()["trades"], 1);
  t->Stop();
}

TEST_F(TraderServiceTest, DuplicatesAreSkippedAndGapsJournaled) {
  auto t = StartTrader();
  Send(*t, ScanJson(1, 0, 60000));
  Send(*t, ScanJson(1, 0, 60000));  // a republication
  Send(*t, ScanJson(5, 0, 60000));  // 2..4 never arrived
  TraderStats st = t->Stats();
  EXPECT_EQ(st.processed, 2);
  EXPECT_EQ(st.duplicates, 1);
  EXPECT_EQ(st.missed, 3);
  EXPECT_EQ(State()["missed_scans"], 3);
  t->Stop();
  auto j = OpenJournalReadOnly(options_.journal);
  ASSERT_OK(j);
  auto gaps = (*j)->Gaps();
  ASSERT_OK(gaps);
  ASSERT_EQ(gaps->size(), 1u);
  EXPECT_EQ((*gaps)[0].from_scan, 2);
  EXPECT_EQ((*gaps)[0].to_scan, 4);
}

TEST_F(TraderServiceTest, BadScanIsCountedAndLogged) {
  auto t = StartTrader();
  Send(*t, R"({"scan_number":"x"})");
  EXPECT_EQ(t->Stats().bad_scans, 1);
  EXPECT_TRUE(env_.logger.Contains("ignoring an unreadable scan"));
  Send(*t, ScanJson(1, 0, 60000));
  EXPECT_EQ(t->Stats().processed, 1);
}

TEST_F(TraderServiceTest, HaltResumeFlattenAreJournaledShownAndSurviveARestart) {
  {
    auto t = StartTrader();
    Send(*t, ScanJson(1, -0.03, 60000));
    Send(*t, ScanJson(2, -0.03, 60000));  // short open
    ASSERT_OK(t->Halt());
    EXPECT_EQ(State()["trading_state"], "HALTED");
    EXPECT_EQ(State()["controls"]["halted"], true);
    Send(*t, ScanJson(3, 0.05, 60000));  // exit signal, but halted
    EXPECT_EQ(State()["positions"].size(), 1u);
    EXPECT_EQ(t->Stats().intents, 1);
  }
  // Restarted: still halted.
  auto t = StartTrader();
  EXPECT_EQ(State()["trading_state"], "HALTED");
  ASSERT_OK(t->Flatten());
  EXPECT_EQ(State()["controls"]["flatten_pending"], true);
  Send(*t, ScanJson(4, -0.05, 60000));  // closing order out, then halted
  Send(*t, ScanJson(5, -0.05, 60000));  // filled
  Json s = State();
  EXPECT_EQ(s["positions"].size(), 0u);
  EXPECT_EQ(s["trading_state"], "HALTED");
  EXPECT_EQ(s["controls"]["flatten_pending"], false);
  ASSERT_OK(t->Resume());
  Send(*t, ScanJson(6, -0.05, 60000));  // entries again
  EXPECT_EQ(State()["trading_state"], "ACTIVE");
  EXPECT_EQ(t->Stats().intents, 3);
  t->Stop();
  auto j = OpenJournalReadOnly(options_.journal);
  ASSERT_OK(j);
  auto controls = (*j)->Controls();
  ASSERT_OK(controls);
  std::vector<std::string> actions;
  for (const ControlEvent& e : *controls) actions.push_back(e.action);
  EXPECT_THAT(actions, ::testing::ElementsAre("halt", "flatten", "flatten_done", "resume"));
}

TEST_F(TraderServiceTest, PostureFromTheBusMissingOrStaleReduces) {
  options_.posture = PostureSetting::Bus();
  options_.posture_max_age_s = 60;
  auto t = StartTrader();
  Send(*t, ScanJson(1, -0.03, 60000));
  Json s = State();
  EXPECT_EQ(s["trading_state"], "REDUCING");
  EXPECT_THAT(s["status"].get<std::string>(), HasSubstr("posture missing or stale"));
  EXPECT_EQ(s["posture_problem"], "DOLPHIN_SAFETY[latest] missing");
  EXPECT_EQ(t->Stats().intents, 0);

  ASSERT_OK(bus_->Put("DOLPHIN_SAFETY", "latest",
                      fmt::format(R"({{"posture":"STALKER","Rm":0.9,"ts":"{}","reasons":[]}})",
                                  FormatRfc3339(env_.clock.Now()))));
  ASSERT_TRUE(WaitFor([&] { return !t->CurrentStateJson().contains("posture_problem"); }));
  Send(*t, ScanJson(2, -0.03, 60000));
  s = State();
  EXPECT_EQ(s["trading_state"], "ACTIVE");
  EXPECT_EQ(s["posture"], "STALKER");
  EXPECT_EQ(t->Stats().intents, 1);

  env_.clock.AdvanceBy(std::chrono::seconds(120));  // the safety value is now 2 minutes old
  Send(*t, ScanJson(3, -0.03, 60000));
  EXPECT_EQ(State()["trading_state"], "REDUCING");
}

// Outside data (issue 10): a bus value of the wrong shape is reported in the state, naming the
// field, and the trader reduces as for a missing value; nothing throws.
TEST_F(TraderServiceTest, MalformedSafetyValueOnTheBusIsNamedAndReduces) {
  options_.posture = PostureSetting::Bus();
  auto t = StartTrader();
  const std::string ts = FormatRfc3339(env_.clock.Now());
  for (auto [value, problem] : std::vector<std::pair<std::string, std::string>>{
           {"not json", "DOLPHIN_SAFETY[latest] is not valid JSON"},
           {"[1,2]", "DOLPHIN_SAFETY[latest]: expected a JSON object, got array"},
           {fmt::format(R"({{"posture":5,"ts":"{}"}})", ts),
            "posture: expected a string, got integer"},
           {fmt::format(R"({{"posture":"APEX","ts":"{}","Rm":"high"}})", ts),
            "Rm: expected a number, got string"},
           {R"({"posture":"APEX","ts":12})", "ts: expected an RFC 3339 string"}}) {
    ASSERT_OK(bus_->Put("DOLPHIN_SAFETY", "latest", value));
    ASSERT_TRUE(WaitFor([&, problem = problem] {
      Json s = t->CurrentStateJson();
      return s.contains("posture_problem") &&
             s["posture_problem"].get<std::string>().find(problem) != std::string::npos;
    })) << value;
  }
  Send(*t, ScanJson(1, -0.03, 60000));
  EXPECT_EQ(State()["trading_state"], "REDUCING");
  EXPECT_EQ(t->Stats().intents, 0);
}

TEST_F(TraderServiceTest, StaleScanIsJournaledAndEntersNothing) {
  auto t = StartTrader();
  Send(*t, ScanJson(1, -0.03, 60000, std::chrono::seconds(45)));  // max_scan_age_s = 30
  TraderStats st = t->Stats();
  EXPECT_EQ(st.stale, 1);
  EXPECT_EQ(st.intents, 0);
  EXPECT_EQ(State()["stale_scans"], 1);
  t->Stop();
  auto j = OpenJournalReadOnly(options_.journal);
  ASSERT_OK(j);
  auto last = (*j)->LastProcessed();
  ASSERT_OK(last);
  ASSERT_TRUE(*last);
  EXPECT_EQ((*last)->outcome, "stale");
  EXPECT_TRUE((*last)->context.stale);
}

TEST_F(TraderServiceTest, RestartRestoresTheSnapshotAndSkipsWhatWasProcessed) {
  Json before;
  {
    auto t = StartTrader();
    for (int n = 1; n <= 6; ++n) Send(*t, ScanJson(n, n % 3 == 1 ? -0.03 : 0.01, 60000 + n * 10));
    before = t->CurrentStateJson();
  }
  auto t = StartTrader();
  Json after = t->CurrentStateJson();
  EXPECT_EQ(after["equity"], before["equity"]);
  EXPECT_EQ(after["positions"], before["positions"]);
  EXPECT_EQ(after["scan_number"], 6);
  EXPECT_EQ(t->Stats().duplicates, 1);  // the SNAPSHOT of scan 6 on subscribing
  Send(*t, ScanJson(6, 0, 60000));      // the bridge's republication after a restart
  EXPECT_EQ(t->Stats().duplicates, 2);
}

// Issue 12: the posture the safety service publishes reaches the trader's next decision (sizes
// scale, HIBERNATE closes, a missing posture refuses entries), the state says which posture it
// applied and why, the journal records it per scan, and a backtest over the journal with those
// postures reproduces its fills exactly.
TEST_F(TraderServiceTest, PostureChangesReachTheNextDecisionTheStateAndTheJournal) {
  options_.posture = PostureSetting::Bus();
  options_.posture_max_age_s = 60;
  auto t = StartTrader();
  auto put_posture = [&](std::string_view posture, double rm) {
    ASSERT_OK(
        bus_->Put("DOLPHIN_SAFETY", "latest",
                  fmt::format(R"({{"posture":"{}","Rm":{},"ts":"{}","reasons":["test says {}"]}})",
                              posture, rm, FormatRfc3339(env_.clock.Now()), posture)));
    ASSERT_TRUE(WaitFor([&] {
      Json s = t->CurrentStateJson();
      return !s.contains("posture_problem") &&
             s["posture_reason"].get<std::string>().find(std::string(posture)) != std::string::npos;
    }));
  };
  std::vector<std::string> sent;
  auto send = [&](int64_t n, double vel_div) {
    sent.push_back(ScanJson(n, vel_div, 60000));
    Send(*t, sent.back());
  };
  put_posture("APEX", 1.0);
  EXPECT_EQ(t->CurrentStateJson()["posture_reason"], "bus: APEX Rm 1.00: test says APEX");
  send(1, -0.03);  // entry at APEX
  send(2, -0.01);  // filled
  auto fills = [&] { return OpenJournalReadOnly(options_.journal).value()->Fills().value(); };
  ASSERT_EQ(fills().size(), 1u);
  const double apex_qty = fills()[0].qty;

  put_posture("HIBERNATE", 0.0);
  send(3, -0.01);  // HIBERNATE: the position is closed, nothing entered
  send(4, -0.03);  // the close fills; the entry signal is refused
  EXPECT_EQ(State()["positions"].size(), 0u);
  EXPECT_EQ(State()["trading_state"], "REDUCING");
  EXPECT_EQ(State()["posture"], "HIBERNATE");
  ASSERT_EQ(fills().size(), 2u);

  put_posture("STALKER", 1.0);
  send(5, -0.03);  // entry at half the APEX size
  send(6, -0.01);
  ASSERT_EQ(fills().size(), 3u);
  EXPECT_NEAR(fills()[2].qty / apex_qty, 0.5, 0.01);

  ASSERT_OK(bus_->Remove("DOLPHIN_SAFETY", "latest"));  // gone: exits only, positions kept
  ASSERT_TRUE(WaitFor([&] { return t->CurrentStateJson().contains("posture_problem"); }));
  send(7, -0.01);
  EXPECT_EQ(State()["trading_state"], "REDUCING");
  EXPECT_EQ(State()["positions"].size(), 1u);
  EXPECT_THAT(State()["posture_reason"].get<std::string>(),
              HasSubstr("REDUCING (exits only, positions kept)"));
  t->Stop();

  auto journal = OpenJournalReadOnly(options_.journal);
  ASSERT_OK(journal);
  auto processed = (*journal)->Processed();
  ASSERT_OK(processed);
  ASSERT_EQ(processed->size(), 7u);
  std::vector<std::string> postures;
  for (const ProcessedScan& p : *processed) {
    postures.push_back(p.context.posture_stale ? "stale"
                                               : std::string(PostureName(p.context.posture)));
  }
  EXPECT_THAT(postures, ::testing::ElementsAre("APEX", "APEX", "HIBERNATE", "HIBERNATE", "STALKER",
                                               "STALKER", "stale"));
  // Parity: the same scans with the journal's contexts give the journal's fills.
  Backtest bt(options_.engine, MakeStrategy(options_));
  for (size_t i = 0; i < processed->size(); ++i) {
    auto scan = ParseScanJson(sent[i]);
    ASSERT_OK(scan);
    ASSERT_OK(bt.Add(*scan, (*processed)[i].context));
  }
  const auto replayed = bt.Finish().fill_list;
  const auto live = (*journal)->Fills().value();
  ASSERT_EQ(replayed.size(), live.size());
  for (size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(replayed[i].client_order_id, live[i].client_order_id);
    EXPECT_EQ(replayed[i].qty, live[i].qty);
    EXPECT_EQ(replayed[i].price, live[i].price);
    EXPECT_EQ(replayed[i].fee, live[i].fee);
  }
}

// Issue 15: the vel_div gates read the indicator flows' values from DOLPHIN_FEATURES; the state
// shows what the trader sees; each decision's values are journaled with the scan; a replay over
// the journal with those values gives the live fills bit for bit, and without them it would not.
TEST_F(TraderServiceTest, IndicatorGatesReadTheBusAndTheJournalRecordsWhatTheySaw) {
  options_.vel_div.max_spread_bps = 5;
  options_.vel_div.max_adverse_funding = 0.0005;
  auto t = StartTrader();
  auto put_book = [&](double spread_bps) {
    ASSERT_OK(bus_->Put(
        "DOLPHIN_FEATURES", "ob_features_latest",
        fmt::format(R"({{"BTCUSDT":{{"mid":60000.5,"spread_bps":{},"depth_bid_10bps":1e6,)"
                    R"("depth_ask_10bps":9e5}},"_pushed_at":"{}","_flow_run_id":"obf-1"}})",
                    spread_bps, FormatRfc3339(env_.clock.Now()))));
    ASSERT_TRUE(WaitFor([&] {
      Json ind = t->CurrentStateJson()["indicators"];
      return ind.contains("obf.spread_bps") && ind["obf.spread_bps"] == spread_bps;
    }));
  };
  ASSERT_OK(
      bus_->Put("DOLPHIN_FEATURES", "exf_latest",
                fmt::format(R"({{"funding":{{"BTCUSDT":{{"rate":0.0001}},"_pushed_at":"{}"}},)"
                            R"("_pushed_at":"{}"}})",
                            FormatRfc3339(env_.clock.Now()), FormatRfc3339(env_.clock.Now()))));
  ASSERT_TRUE(
      WaitFor([&] { return t->CurrentStateJson()["indicators"].contains("funding.rate"); }));
  std::vector<std::string> sent;
  auto send = [&](int64_t n, double vel_div) {
    sent.push_back(ScanJson(n, vel_div, 60000));
    Send(*t, sent.back());
  };
  send(1, -0.03);  // no book on the bus yet: held back (on_missing_indicator = block)
  EXPECT_EQ(t->Stats().intents, 0);
  EXPECT_THAT(State()["last_signal"]["reason"].get<std::string>(),
              HasSubstr("held back by max_spread_bps: obf.spread_bps is not on the bus"));
  put_book(7.5);
  send(2, -0.03);  // a wide book: held back
  EXPECT_EQ(t->Stats().intents, 0);
  EXPECT_TRUE(env_.logger.Contains("entry held back"));
  put_book(1.5);
  send(3, -0.03);  // a tight book: the entry goes out
  send(4, -0.01);  // filled
  EXPECT_EQ(t->Stats().intents, 1);
  EXPECT_EQ(t->Stats().fills, 1);
  Json state = State();
  EXPECT_EQ(state["indicators"]["funding.rate"], 0.0001);
  EXPECT_EQ(state["indicators"]["obf.spread_bps"], 1.5);
  t->Stop();

  auto journal = OpenJournalReadOnly(options_.journal);
  ASSERT_OK(journal);
  EXPECT_EQ((*journal)->schema_version(), 2);
  auto processed = (*journal)->Processed();
  ASSERT_OK(processed);
  ASSERT_EQ(processed->size(), 4u);
  const ProcessedScan& first = (*processed)[0];
  EXPECT_FALSE(first.context.indicators.contains("obf.spread_bps"));
  EXPECT_EQ(first.context.indicators.at("funding.rate"), 0.0001);
  EXPECT_THAT(first.signal, HasSubstr("held back by max_spread_bps"));
  EXPECT_EQ((*processed)[1].context.indicators.at("obf.spread_bps"), 7.5);
  EXPECT_EQ((*processed)[2].context.indicators.at("obf.spread_bps"), 1.5);
  EXPECT_EQ((*processed)[2].context.indicators.at("obf.depth_bid_10bps"), 1e6);
  // Each scan one second after the last (Send advances the clock): the book's age at scan 3.
  EXPECT_GE((*processed)[2].context.indicators.at("obf.age_s"), 0.0);
  EXPECT_LE((*processed)[2].context.indicators.at("obf.age_s"), 1.0);

  auto replay = [&](bool with_indicators) {
    Backtest bt(options_.engine, MakeStrategy(options_));
    for (size_t i = 0; i < processed->size(); ++i) {
      ScanContext c = (*processed)[i].context;
      if (!with_indicators) c.indicators.clear();
      EXPECT_OK(bt.Add(ParseScanJson(sent[i]).value(), c));
    }
    return bt.Finish().fill_list;
  };
  const ParityResult parity = CompareFills((*journal)->Fills().value(), replay(true));
  EXPECT_TRUE(parity.ok) << parity.first_difference;
  EXPECT_EQ(parity.fills_compared, 1u);
  // Without the recorded values every entry is held back: the values are what decided.
  EXPECT_TRUE(replay(false).empty());
  options_.vel_div.block_on_missing = false;
  EXPECT_FALSE(CompareFills((*journal)->Fills().value(), replay(false)).ok);
}

// A quiet market is not a dead trader: without scans the state goes out again every heartbeat
// (OnHeartbeat), and not twice when a scan already published it.
TEST_F(TraderServiceTest, RepublishesItsStateOncePerHeartbeatWithoutScans) {
  auto t = StartTrader();
  Send(*t, ScanJson(1, -0.01, 60000));
  const std::string first = State()["updated_at"];
  t->OnHeartbeat();  // the scan published since the last beat: nothing new
  EXPECT_EQ(State()["updated_at"], first);
  env_.clock.AdvanceBy(std::chrono::seconds(5));
  t->OnHeartbeat();  // no scan since the last beat: republished
  const std::string second = State()["updated_at"];
  EXPECT_NE(second, first);
  env_.clock.AdvanceBy(std::chrono::seconds(5));
  t->OnHeartbeat();
  EXPECT_NE(State()["updated_at"], second);
  auto pnl = bus_->Get("DOLPHIN_PNL_BLUE", FormatUtcDate(env_.clock.Now()));
  ASSERT_OK(pnl);
  ASSERT_TRUE(*pnl);
  Json p = ParseJson(**pnl).value();
  EXPECT_EQ(p["updated_at"], State()["updated_at"]);
  EXPECT_EQ(p["equity_peak"], 100000.0);  // the day's peak: no trade yet
  EXPECT_EQ(State()["posture_reason"], "config: posture = \"APEX\"");
}

TEST_F(TraderServiceTest, AJournalThatCannotOpenFailsStart) {
  std::filesystem::create_directories(env_.dir.path() / "blocked");
  options_.journal = env_.dir.path() / "blocked";  // a folder, not a file
  auto t = NewTraderService(options_, *bus_, env_.env);
  Status st = t->Start();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("blocked"));
}

}  // namespace
}  // namespace dolphin::trader
