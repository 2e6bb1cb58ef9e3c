// The bridge against real files in temporary folders, real inotify, the memory bus.
#include "dolphin/bridge/bridge.h"

// Designated initializers leave the remaining ScanSpec fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/scan_json.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/bus_testing.h"
#include "dolphin/testing/kv_bus_fakes.h"
#include "dolphin/testing/testing.h"

namespace dolphin::bridge {
namespace {

namespace fs = std::filesystem;
using contract::BuildScanJson;
using contract::DecodedScan;
using contract::DecodeScan;
using contract::kFeaturesMap;
using contract::kScanKey;
using contract::PublishFields;
using testing::WaitFor;

const int64_t kBaseMicros = 1774434600000000;  // 2026-03-25T10:30:00Z

struct ScanSpec {
  int64_t number;
  int64_t ts_micros;
  int assets = 3;
  double vel_div = -0.01;
  std::string regime = "BULL";
  bool synthetic = true;
  std::vector<arrow::Column> extra;
  std::vector<std::string> symbols;  // replaces the generated symbols when set
};

std::string ScanBytes(const ScanSpec& s) {
  std::vector<std::string> symbols;
  std::vector<double> prices;
  for (int i = 0; i < s.assets; ++i) {
    symbols.push_back(i == 0 ? "BTCUSDT" : i == 1 ? "ETHUSDT" : fmt::format("A{:03d}USDT", i));
    prices.push_back(100.0 + i + s.number * 0.5);
  }
  if (!s.symbols.empty()) {
    symbols = s.symbols;
    prices.resize(symbols.size());
    for (size_t i = 0; i < prices.size(); ++i)
      prices[i] = 100.0 + static_cast<double>(i) + s.number * 0.5;
  }
  arrow::TableBuilder b;
  if (s.synthetic) b.AddMetadata("synthetic", "true");
  std::vector<arrow::Column> cols = {
      arrow::Int64Column("scan_number", {s.number}),
      arrow::TimestampColumn("timestamp", arrow::TimeUnit::kMicro, "UTC", {s.ts_micros}),
      arrow::Utf8ListColumn("assets", {symbols}),
      arrow::Float64ListColumn("asset_prices", {prices}),
      arrow::Float64ListColumn("eigenvalues", {{2.5, 1.25, 0.5}}),
      arrow::Float64Column("w50_lambda_max", {0.31}),
      arrow::Float64Column("vel_div", {s.vel_div}),
      arrow::Utf8Column("regime", {s.regime})};
  for (auto& c : s.extra) cols.push_back(c);
  EXPECT_TRUE(b.AddBatch(cols).ok());
  auto bytes = arrow::WriteIpc(b.table());
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.scan_dir = dir_.path() / "scans";
    options_.quarantine_dir = dir_.path() / "quarantine";
    options_.state_file = dir_.path() / "bridge_state.json";
    options_.settle = std::chrono::milliseconds(300);
    options_.read_timeout = std::chrono::milliseconds(500);
  }
  void TearDown() override {
    if (bridge_) bridge_->Stop();
  }

  void StartBridge() {
    bridge_ = NewBridge(options_, *bus_, env_);
    ASSERT_OK(bridge_->Start());
  }
  void StopBridge() {
    bridge_->Stop();
    bridge_.reset();
  }

  fs::path Day(int64_t ts_micros) {
    fs::path d = options_.scan_dir / FormatUtcDate(Timestamp::FromUnixMicros(ts_micros));
    fs::create_directories(d);
    return d;
  }
  // Writes a scan the way NG6 does: temporary name, then rename into place.
  fs::path WriteScan(const ScanSpec& s, std::string name = "") {
    if (name.empty()) name = fmt::format("scan_{:06d}.arrow", s.number);
    fs::path p = Day(s.ts_micros) / name;
    fs::path tmp = p;
    tmp += ".tmp";
    std::ofstream(tmp, std::ios::binary) << ScanBytes(s);
    fs::rename(tmp, p);
    return p;
  }
  std::optional<Json> Latest() {
    auto v = bus_->Get(kFeaturesMap, kScanKey);
    if (!v.ok() || !v->has_value()) return std::nullopt;
    return Json::parse(**v);
  }
  bool WaitForScan(int64_t number, bool republished = false) {
    return WaitFor([&] {
      auto j = Latest();
      return j && (*j)["scan_number"] == number && (*j)["republished"] == republished;
    });
  }

  testing::TempDir dir_;
  SystemClock clock_;
  CapturingLogger logger_{clock_};
  Random random_{testing::TestSeed()};
  Env env_{clock_, logger_, FileSystem::Default(), random_, ThreadFactory::Default()};
  std::unique_ptr<bus::KvBus> bus_ = bus::NewInMemoryBus();
  // A wrapper around bus_ a test puts the bridge on; outlives bridge_ (Stop() unregisters).
  std::unique_ptr<bus::KvBus> wrapper_;
  BridgeOptions options_;
  std::unique_ptr<Bridge> bridge_;
};

TEST_F(BridgeTest, PublishesEveryColumnPlusBridgeFields) {
  StartBridge();
  WriteScan({.number = 7, .ts_micros = kBaseMicros + 123456, .assets = 3, .vel_div = -0.025});
  ASSERT_TRUE(WaitForScan(7)) << ::testing::PrintToString(logger_.Lines());
  Json j = *Latest();
  EXPECT_EQ(j["timestamp"], "2026-03-25T10:30:00.123456Z");
  EXPECT_EQ(j["assets"], Json::array({"BTCUSDT", "ETHUSDT", "A002USDT"}));
  EXPECT_EQ(j["asset_prices"], Json({{"BTCUSDT", 103.5}, {"ETHUSDT", 104.5}, {"A002USDT", 105.5}}));
  EXPECT_EQ(j["eigenvalues"], Json::array({2.5, 1.25, 0.5}));
  EXPECT_EQ(j["w50_lambda_max"], 0.31);
  EXPECT_EQ(j["vel_div"], -0.025);
  EXPECT_EQ(j["regime"], "BULL");
  EXPECT_EQ(j["epoch"], kBaseMicros + 123456);  // The first scan of the run.
  EXPECT_EQ(j["bridge_source"], "dolphin_bridge");
  EXPECT_EQ(j["file"], "scan_000007.arrow");
  EXPECT_EQ(j["republished"], false);
  EXPECT_EQ(j["synthetic"], true);
  auto bts = ParseRfc3339(j["bridge_ts"].get<std::string>());
  ASSERT_OK(bts);
  EXPECT_LE(*bts, clock_.Now());
  EXPECT_TRUE(logger_.Contains("published scan scan=7 regime=BULL vel_div=-0.02500 latency="));
  // Key order: the columns in schema order, then the bridge's fields.
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys.front(), "scan_number");
  EXPECT_EQ(keys.back(), "synthetic");
}

TEST_F(BridgeTest, FourHundredAssetsArePublishedExactly) {
  StartBridge();
  WriteScan({.number = 1, .ts_micros = kBaseMicros, .assets = 400});
  ASSERT_TRUE(WaitForScan(1));
  Json j = *Latest();
  ASSERT_EQ(j["assets"].size(), 400u);
  ASSERT_EQ(j["asset_prices"].size(), 400u);
  EXPECT_EQ(j["asset_prices"]["A399USDT"], 100.0 + 399 + 0.5);
  EXPECT_EQ(j["assets"][399], "A399USDT");
}

TEST_F(BridgeTest, AssetWithInvalidUtf8SymbolIsDroppedCountedAndLogged) {
  StartBridge();
  WriteScan(
      {.number = 4, .ts_micros = kBaseMicros, .symbols = {"BTCUSDT", "BAD\xFFUSDT", "ETHUSDT"}});
  ASSERT_TRUE(WaitForScan(4)) << ::testing::PrintToString(logger_.Lines());
  auto text = bus_->Get(kFeaturesMap, kScanKey);
  ASSERT_OK(text);
  ASSERT_TRUE(text->has_value());
  EXPECT_TRUE(IsValidUtf8(**text));
  Json j = *Latest();
  EXPECT_EQ(j["assets"], Json::array({"BTCUSDT", "ETHUSDT"}));
  // Prices stay with their own symbols (ETHUSDT was third in the file).
  EXPECT_EQ(j["asset_prices"], Json({{"BTCUSDT", 102.0}, {"ETHUSDT", 104.0}}));
  EXPECT_EQ(bridge_->Stats().assets_dropped_invalid_utf8, 1u);
  EXPECT_EQ(bridge_->StatusJson()["assets_dropped_invalid_utf8"], 1);
  int warnings = 0;
  for (const std::string& line : logger_.Lines()) {
    if (line.find("not valid UTF-8") == std::string::npos) continue;
    ++warnings;
    EXPECT_NE(line.find("WARN"), std::string::npos) << line;
    EXPECT_NE(line.find("file=scan_000004.arrow"), std::string::npos) << line;
    EXPECT_NE(line.find("dropped=1"), std::string::npos) << line;
  }
  EXPECT_EQ(warnings, 1) << ::testing::PrintToString(logger_.Lines());
  // A clean scan adds nothing.
  WriteScan({.number = 5, .ts_micros = kBaseMicros + 5000000});
  ASSERT_TRUE(WaitForScan(5));
  EXPECT_EQ(bridge_->Stats().assets_dropped_invalid_utf8, 1u);
}

TEST_F(BridgeTest, BridgeFieldsWinOverSameNamedColumnsAndTheCollisionIsLogged) {
  StartBridge();
  WriteScan(
      {.number = 3,
       .ts_micros = kBaseMicros,
       .extra = {arrow::Utf8Column("file", {"from-upstream"}), arrow::Int64Column("epoch", {5})}});
  ASSERT_TRUE(WaitForScan(3));
  Json j = *Latest();
  EXPECT_EQ(j["file"], "scan_000003.arrow");
  EXPECT_EQ(j["epoch"], kBaseMicros);
  EXPECT_TRUE(logger_.Contains("column=file"));
  EXPECT_TRUE(logger_.Contains("column=epoch"));
}

TEST_F(BridgeTest, GrowingFileIsNotPublishedEarly) {
  StartBridge();
  std::string bytes = ScanBytes({.number = 5, .ts_micros = kBaseMicros});
  fs::path p = Day(kBaseMicros) / "scan_000005.arrow";
  {
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }  // close -> IN_CLOSE_WRITE on a half-written file
  ASSERT_TRUE(WaitFor([&] { return logger_.Contains("does not parse yet"); }));
  EXPECT_FALSE(Latest().has_value());
  {
    std::ofstream out(p, std::ios::binary | std::ios::app);
    out.write(bytes.data() + bytes.size() / 2,
              static_cast<std::streamsize>(bytes.size() - bytes.size() / 2));
  }
  ASSERT_TRUE(WaitForScan(5));
  EXPECT_EQ(bridge_->Stats().quarantined, 0u);
}

TEST_F(BridgeTest, CorruptFileIsQuarantinedAndTheNextGoodOneIsPublished) {
  StartBridge();
  fs::path bad = Day(kBaseMicros) / "scan_000001.arrow";
  std::ofstream(bad, std::ios::binary) << "ARROW1\0\0 this is not an arrow file";
  ASSERT_TRUE(WaitFor([&] { return bridge_->Stats().quarantined == 1; }));
  EXPECT_FALSE(fs::exists(bad));
  fs::path q = options_.quarantine_dir / "scan_000001.arrow";
  EXPECT_TRUE(fs::exists(q));
  std::ifstream reason(q.string() + ".reason");
  std::string line;
  std::getline(reason, line);
  EXPECT_NE(line.find("scan_000001.arrow: "), std::string::npos) << line;
  WriteScan({.number = 2, .ts_micros = kBaseMicros + 1000000});
  ASSERT_TRUE(WaitForScan(2));
}

TEST_F(BridgeTest, UpstreamRestartStartsANewEpochAndDuplicatesAreNotRepublished) {
  StartBridge();
  WriteScan({.number = 10, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(10));
  WriteScan({.number = 11, .ts_micros = kBaseMicros + 5000000});
  ASSERT_TRUE(WaitForScan(11));
  EXPECT_EQ((*Latest())["epoch"], kBaseMicros);
  // The same scan again under another name: a duplicate.
  WriteScan({.number = 11, .ts_micros = kBaseMicros + 5000000}, "copy_of_11.arrow");
  // An older scan arriving late: stale.
  WriteScan({.number = 9, .ts_micros = kBaseMicros - 5000000}, "late_9.arrow");
  ASSERT_TRUE(
      WaitFor([&] { return bridge_->Stats().duplicates == 1 && bridge_->Stats().stale == 1; }));
  EXPECT_EQ((*Latest())["file"], "scan_000011.arrow");
  // The scanner restarts: scan numbers start again, timestamps move on.
  WriteScan({.number = 1, .ts_micros = kBaseMicros + 10000000}, "scan_restart_1.arrow");
  ASSERT_TRUE(WaitForScan(1));
  EXPECT_EQ((*Latest())["epoch"], kBaseMicros + 10000000);
  WriteScan({.number = 2, .ts_micros = kBaseMicros + 15000000}, "scan_restart_2.arrow");
  ASSERT_TRUE(WaitForScan(2));
  EXPECT_EQ((*Latest())["epoch"], kBaseMicros + 10000000);
  // Stats are updated right after the put the listener already saw.
  ASSERT_TRUE(WaitFor([&] { return bridge_->Stats().published == 4u; }));
  EXPECT_EQ(bridge_->Stats().epochs_started, 2u);
}

TEST_F(BridgeTest, NewDayFoldersAreWatched) {
  StartBridge();
  const int64_t before_midnight = kBaseMicros + int64_t{13} * 3600 * 1000000 + 29 * 60000000;
  WriteScan({.number = 1, .ts_micros = before_midnight});  // 2026-03-25T23:59
  ASSERT_TRUE(WaitForScan(1));
  WriteScan({.number = 2, .ts_micros = before_midnight + 120000000});  // 2026-03-26T00:01
  ASSERT_TRUE(WaitForScan(2));
  EXPECT_TRUE(fs::exists(options_.scan_dir / "2026-03-26" / "scan_000002.arrow"));
  WriteScan({.number = 3, .ts_micros = before_midnight + 180000000});
  ASSERT_TRUE(WaitForScan(3));
}

TEST_F(BridgeTest, PollingModeWorksWithInotifyOff) {
  options_.inotify = false;
  options_.poll_interval = std::chrono::milliseconds(10);
  StartBridge();
  WriteScan({.number = 1, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(1));
  WriteScan({.number = 2, .ts_micros = kBaseMicros + 1000000});
  ASSERT_TRUE(WaitForScan(2));
  WriteScan({.number = 3, .ts_micros = kBaseMicros + int64_t{86400} * 1000000});  // next day
  ASSERT_TRUE(WaitForScan(3));
}

TEST_F(BridgeTest, BurstOfAThousandFilesIsPublishedInOrderWithNoneLost) {
  testing::EventRecorder rec;
  auto id = bus_->AddKeyListener(kFeaturesMap, kScanKey, rec.Callback());
  ASSERT_OK(id);
  StartBridge();
  constexpr int kFiles = 1000;
  for (int i = 1; i <= kFiles; ++i) WriteScan({.number = i, .ts_micros = kBaseMicros + i * 1000});
  ASSERT_TRUE(
      WaitFor([&] { return bridge_->Stats().published == kFiles; }, std::chrono::seconds(60)))
      << bridge_->Stats().published;
  ASSERT_TRUE(WaitFor([&] {
    auto s = bus_->GetListenerStats(*id);
    return s.ok() && s->delivered + s->coalesced == kFiles;
  }));
  int64_t last = 0;
  for (const auto& e : rec.Events()) {
    int64_t n = Json::parse(e.value)["scan_number"].get<int64_t>();
    EXPECT_GT(n, last);
    last = n;
  }
  EXPECT_EQ(last, kFiles);
  EXPECT_EQ(bridge_->Stats().duplicates + bridge_->Stats().stale, 0u);
}

TEST_F(BridgeTest, StartupRepublishesOnlyTheNewestOfABacklog) {
  for (int i = 1; i <= 5; ++i) {
    fs::path p = WriteScan({.number = i, .ts_micros = kBaseMicros + i * 1000000});
    // Distinct mtimes, oldest first.
    struct timespec times[2] = {{0, UTIME_OMIT}, {1774434600 + i, 0}};
    ::utimensat(AT_FDCWD, p.c_str(), times, 0);
  }
  testing::EventRecorder rec;
  ASSERT_OK(bus_->AddKeyListener(kFeaturesMap, kScanKey, rec.Callback()));
  StartBridge();
  ASSERT_TRUE(WaitForScan(5, /*republished=*/true));
  WriteScan({.number = 6, .ts_micros = kBaseMicros + 6000000});
  ASSERT_TRUE(WaitForScan(6));
  // The listener runs on its own thread: its second event may land just after the bus value.
  ASSERT_TRUE(WaitFor([&] { return rec.Events().size() >= 2u; }));
  auto events = rec.Events();
  ASSERT_EQ(events.size(), 2u);  // 5 (republished), then 6: nothing older replayed.
  ASSERT_TRUE(WaitFor([&] { return bridge_->Stats().published == 2u; }));
}

TEST_F(BridgeTest, EpochSurvivesABridgeRestart) {
  StartBridge();
  WriteScan({.number = 1, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(1));
  StopBridge();
  bus_ = bus::NewInMemoryBus();  // A fresh bus too: the bridge republishes its newest scan.
  StartBridge();
  ASSERT_TRUE(WaitForScan(1, /*republished=*/true));
  EXPECT_EQ((*Latest())["epoch"], kBaseMicros);
  WriteScan({.number = 2, .ts_micros = kBaseMicros + 1000000});
  ASSERT_TRUE(WaitForScan(2));
  EXPECT_EQ((*Latest())["epoch"], kBaseMicros);
}

// The state file is a fixed-size record rewritten in place (the same inode) after the run's
// first save, and written whole again when someone replaced it meanwhile.
TEST_F(BridgeTest, StateFileIsRewrittenInPlaceAndWholeAgainWhenReplaced) {
  auto inode = [&]() -> int64_t {
    struct stat st;
    return ::stat(options_.state_file.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_ino) : -1;
  };
  auto saved = [&] {
    std::ifstream in(options_.state_file);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  StartBridge();
  WriteScan({.number = 1, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(1));
  const int64_t first = inode();  // the epoch, written before the first put
  ASSERT_GT(first, 0);
  WriteScan({.number = 2, .ts_micros = kBaseMicros + 1000000});
  ASSERT_TRUE(WaitForScan(2));
  StopBridge();  // saves the newest number
  EXPECT_EQ(inode(), first);
  std::string text = saved();
  EXPECT_EQ(text.size(), 256u);
  EXPECT_EQ(text.back(), '\n');
  Json j = Json::parse(text);
  EXPECT_EQ(j["last_scan_number"], 2);
  EXPECT_EQ(j["epoch"], kBaseMicros);

  // Replaced while the bridge runs (a new inode at the path): the next save writes it whole.
  StartBridge();
  ASSERT_TRUE(WaitForScan(2, /*republished=*/true));
  WriteScan({.number = 3, .ts_micros = kBaseMicros + 2000000});
  ASSERT_TRUE(WaitForScan(3));
  const fs::path other = dir_.path() / "other.json";
  std::ofstream(other) << R"({"epoch":1,"last_scan_number":0})";
  fs::rename(other, options_.state_file);
  StopBridge();
  j = Json::parse(saved());
  EXPECT_EQ(j["last_scan_number"], 3);
  EXPECT_EQ(j["epoch"], kBaseMicros);
}

// Outside data (issue 10): a state file whose field has the wrong type is logged, naming the
// file and the field, and the bridge starts a fresh epoch instead of terminating.
TEST_F(BridgeTest, StateFileWithAMistypedEpochIsLoggedAndStartsAFreshEpoch) {
  std::ofstream(options_.state_file) << R"({"epoch":"x"})";
  StartBridge();
  EXPECT_TRUE(logger_.Contains("ignoring unreadable state file"));
  EXPECT_TRUE(
      logger_.Contains(options_.state_file.string() + ": epoch: expected an integer, got string"));
  WriteScan({.number = 5, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(5));
  EXPECT_EQ((*Latest())["epoch"], kBaseMicros);
  EXPECT_EQ(bridge_->Stats().epochs_started, 1u);
}

TEST_F(BridgeTest, StateFileThatIsNotAnObjectOrHasAMistypedNumberStartsAFreshEpoch) {
  for (const char* text : {"[1,2]", R"({"epoch":1,"last_scan_number":"7"})",
                           R"({"epoch":1,"last_timestamp":3})", "{"}) {
    std::ofstream(options_.state_file, std::ios::trunc) << text;
    StartBridge();
    WriteScan({.number = 5, .ts_micros = kBaseMicros});
    ASSERT_TRUE(WaitForScan(5)) << text;
    EXPECT_EQ((*Latest())["epoch"], kBaseMicros) << text;
    StopBridge();
    fs::remove_all(options_.scan_dir);
    bus_ = bus::NewInMemoryBus();
  }
  EXPECT_TRUE(logger_.Contains("last_scan_number: expected an integer, got string"));
  EXPECT_TRUE(logger_.Contains("last_timestamp: expected a string, got integer"));
  EXPECT_TRUE(logger_.Contains("expected a JSON object, got array"));
}

// The contract's EpochSequencer: a restart needs a strictly newer timestamp, so a lower number
// with an equal timestamp is stale (the backtest agrees: LoadScanDir's test).
TEST_F(BridgeTest, LowerNumberWithAnEqualTimestampIsStaleNotANewEpoch) {
  StartBridge();
  WriteScan({.number = 10, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(10));
  WriteScan({.number = 9, .ts_micros = kBaseMicros}, "same_time_9.arrow");
  ASSERT_TRUE(WaitFor([&] { return bridge_->Stats().stale == 1; }));
  EXPECT_EQ((*Latest())["scan_number"], 10);
  EXPECT_EQ((*Latest())["epoch"], kBaseMicros);
  EXPECT_EQ(bridge_->Stats().epochs_started, 1u);
  EXPECT_EQ(bridge_->Stats().published, 1u);
}

// Over a FakeKvBus (tests/testing/kv_bus_fakes.h): puts fail on demand, connection events fired by
// hand.
TEST_F(BridgeTest, FailedPutIsRetriedWithTheNewestScanUntilItSucceeds) {
  wrapper_ = std::make_unique<testing::FakeKvBus>(*bus_);
  auto& flaky = static_cast<testing::FakeKvBus&>(*wrapper_);
  bridge_ = NewBridge(options_, flaky, env_);
  ASSERT_OK(bridge_->Start());
  WriteScan({.number = 1, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(1));
  flaky.SetPutsFailing(true);
  WriteScan({.number = 2, .ts_micros = kBaseMicros + 1000000});
  WriteScan({.number = 3, .ts_micros = kBaseMicros + 2000000});
  ASSERT_TRUE(WaitFor([&] { return flaky.put_failures() >= 3; }));
  EXPECT_EQ(contract::HeartbeatStatusName(bridge_->Health().status), "degraded");
  flaky.SetPutsFailing(false);
  ASSERT_TRUE(WaitForScan(3));  // The newest pending scan got through.
  ASSERT_TRUE(
      WaitFor([&] { return contract::HeartbeatStatusName(bridge_->Health().status) == "ok"; }));
  EXPECT_TRUE(logger_.Contains("bus put recovered"));
}

TEST_F(BridgeTest, ClusterChangeRepublishesTheNewestPublishedScan) {
  wrapper_ = std::make_unique<testing::FakeKvBus>(*bus_);
  auto& flaky = static_cast<testing::FakeKvBus&>(*wrapper_);
  bridge_ = NewBridge(options_, flaky, env_);
  ASSERT_OK(bridge_->Start());
  ASSERT_TRUE(flaky.HasConnectionListener());
  WriteScan({.number = 3, .ts_micros = kBaseMicros});
  WriteScan({.number = 4, .ts_micros = kBaseMicros + 1000000});
  ASSERT_TRUE(WaitForScan(4));
  const Json before = *Latest();
  // The restarted cluster came back empty.
  ASSERT_OK(bus_->Remove(kFeaturesMap, kScanKey));
  flaky.FireConnectionEvent(bus::ConnectionEvent::kDisconnected);
  flaky.FireConnectionEvent(bus::ConnectionEvent::kReconnected);  // Same cluster: nothing to do.
  flaky.FireConnectionEvent(bus::ConnectionEvent::kClusterChanged);
  ASSERT_TRUE(WaitForScan(4, /*republished=*/true)) << ::testing::PrintToString(logger_.Lines());
  Json after = *Latest();
  EXPECT_EQ(after["file"], "scan_000004.arrow");
  EXPECT_EQ(after["epoch"], before["epoch"]);
  EXPECT_EQ(after["asset_prices"], before["asset_prices"]);
  EXPECT_GE(*ParseRfc3339(after["bridge_ts"].get<std::string>()),
            *ParseRfc3339(before["bridge_ts"].get<std::string>()));
  ASSERT_TRUE(WaitFor([&] { return bridge_->Stats().cluster_republishes == 1u; }));
  EXPECT_TRUE(logger_.Contains("republished the newest scan scan=4"));
  // Scans keep flowing, not marked republished.
  WriteScan({.number = 5, .ts_micros = kBaseMicros + 2000000});
  ASSERT_TRUE(WaitForScan(5));
  StopBridge();
  EXPECT_FALSE(flaky.HasConnectionListener());
}

TEST_F(BridgeTest, HungReadMarksStalledWithoutBlockingShutdown) {
  options_.read_timeout = std::chrono::milliseconds(100);
  StartBridge();
  fs::path fifo = Day(kBaseMicros) / "scan_hung.arrow";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  // Opening a FIFO for reading blocks until a writer appears: a read that never returns.
  int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // no reader yet: ENXIO, nothing happens
  if (fd >= 0) ::close(fd);
  // Make the bridge see it: touch via a rename event.
  fs::path tmp = Day(kBaseMicros) / ".x";
  fs::rename(fifo, tmp);
  fs::rename(tmp, fifo);
  ASSERT_TRUE(WaitFor(
      [&] { return contract::HeartbeatStatusName(bridge_->Health().status) == "stalled"; }));
  // Other scans still flow.
  WriteScan({.number = 1, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(1));
  StopBridge();  // Must return although a reader thread is still blocked.
  // Release the blocked reader so the test process exits cleanly.
  int w = ::open(fifo.c_str(), O_WRONLY);
  if (w >= 0) ::close(w);
}

TEST(ScanJsonTest, MissingScanNumberIsAClearError) {
  arrow::TableBuilder b;
  ASSERT_OK(b.AddBatch({arrow::Float64Column("x", {1.0})}));
  auto bytes = arrow::WriteIpc(b.table());
  ASSERT_OK(bytes);
  auto scan = DecodeScan(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
  EXPECT_THAT(scan, testing::StatusHasMessage("scan_number"));
}

Result<DecodedScan> Decode(const std::string& bytes) {
  return DecodeScan(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

// Two different bad symbols would both become "BAD\uFFFD" if replaced: both are dropped, the
// prices stay aligned, and every other string with invalid UTF-8 is still written as valid JSON.
TEST(ScanJsonTest, InvalidUtf8SymbolsAreDroppedNotMergedAndTheTextStaysValidJson) {
  const std::string bad_regime = "BU\xC3LL";
  auto scan = Decode(ScanBytes(
      {.number = 9,
       .ts_micros = kBaseMicros,
       .regime = bad_regime,
       .extra = {arrow::Int64Column("col\xFE", {1})},
       .symbols = {"BAD\xFF", "BTCUSDT", "BAD\xFE", "ETHUSDT", "\xED\xA0\x80", "\xE2\x82\xAC"}}));
  ASSERT_OK(scan);
  EXPECT_EQ(scan->assets_dropped_invalid_utf8, 3);
  std::string text =
      BuildScanJson(*scan, PublishFields{.epoch = 1,
                                         .bridge_ts = Timestamp::FromUnixMicros(kBaseMicros),
                                         .file = "scan\xFF.arrow"});
  EXPECT_TRUE(IsValidUtf8(text));
  auto j = ParseJson(text);
  ASSERT_OK(j);
  EXPECT_EQ((*j)["assets"], Json::array({"BTCUSDT", "ETHUSDT", "\xE2\x82\xAC"}));
  EXPECT_EQ((*j)["asset_prices"],
            Json({{"BTCUSDT", 101 + 4.5}, {"ETHUSDT", 103 + 4.5}, {"\xE2\x82\xAC", 105 + 4.5}}));
  EXPECT_EQ((*j)["regime"], "BU\xEF\xBF\xBDLL");
  EXPECT_EQ((*j)["col\xEF\xBF\xBD"], 1);
  EXPECT_EQ((*j)["file"], "scan\xEF\xBF\xBD.arrow");

  auto clean = Decode(ScanBytes({.number = 10, .ts_micros = kBaseMicros}));
  ASSERT_OK(clean);
  EXPECT_EQ(clean->assets_dropped_invalid_utf8, 0);
}

// With lists of different lengths no asset_prices object is built; a bad symbol still does
// not reach the published assets list.
TEST(ScanJsonTest, InvalidUtf8SymbolIsDroppedFromAnUnalignedAssetsList) {
  arrow::TableBuilder b;
  ASSERT_OK(b.AddBatch(
      {arrow::Int64Column("scan_number", {1}),
       arrow::TimestampColumn("timestamp", arrow::TimeUnit::kMicro, "UTC", {kBaseMicros}),
       arrow::Utf8ListColumn("assets", {{"BTCUSDT", "X\x80"}}),
       arrow::Float64ListColumn("asset_prices", {{1.0}})}));
  auto bytes = arrow::WriteIpc(b.table());
  ASSERT_OK(bytes);
  auto scan = Decode(*bytes);
  ASSERT_OK(scan);
  EXPECT_EQ(scan->assets_dropped_invalid_utf8, 1);
  EXPECT_TRUE(scan->asset_prices_json.empty());
  auto j = ParseJson(BuildScanJson(*scan, PublishFields{}));
  ASSERT_OK(j);
  EXPECT_EQ((*j)["assets"], Json::array({"BTCUSDT"}));
  EXPECT_FALSE(j->contains("asset_prices"));
}

}  // namespace
}  // namespace dolphin::bridge

namespace dolphin::bridge {
namespace {

// A loop that returns (here: the test hook) says so in Liveness(); Stop() + Start() on the same
// object (what the Runner does when health asks) makes scans flow again.
TEST_F(BridgeTest, ReturnedLoopIsReportedAndARestartMakesScansFlowAgain) {
  options_.exit_loop_after_for_test = 2;
  StartBridge();
  EXPECT_TRUE(bridge_->Liveness().running);
  WriteScan({.number = 1, .ts_micros = kBaseMicros});
  ASSERT_TRUE(WaitForScan(1));
  WriteScan({.number = 2, .ts_micros = kBaseMicros + 1000000});
  ASSERT_TRUE(WaitForScan(2));
  ASSERT_TRUE(WaitFor([&] { return !bridge_->Liveness().running; }));
  EXPECT_EQ(bridge_->Liveness().detail, "run loop returned: test exit after 2 scans");
  EXPECT_TRUE(logger_.Contains("event loop returned"));
  WriteScan({.number = 3, .ts_micros = kBaseMicros + 2000000});
  bridge_->Stop();
  ASSERT_OK(bridge_->Start());
  EXPECT_TRUE(bridge_->Liveness().running);
  EXPECT_TRUE(bridge_->Liveness().detail.empty());
  ASSERT_TRUE(WaitForScan(3, /*republished=*/true));  // republished at start: the newest file
  WriteScan({.number = 4, .ts_micros = kBaseMicros + 3000000});
  ASSERT_TRUE(WaitForScan(4));
  EXPECT_TRUE(bridge_->Liveness().running);  // the hook fires once per process
}

}  // namespace
}  // namespace dolphin::bridge
