// The bridge's timeouts and retry delays run on its Clock: a SimulatedClock drives the hung-read
// timeout and the put-retry back-off (real files and inotify, the memory bus behind a FakeKvBus).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>

#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/bridge/bridge.h"
#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/kv_bus_fakes.h"
#include "dolphin/testing/testing.h"

namespace dolphin::bridge {
namespace {

namespace fs = std::filesystem;
using contract::kFeaturesMap;
using contract::kScanKey;
using testing::WaitFor;

const int64_t kBaseMicros = 1774434600000000;  // 2026-03-25T10:30:00Z

std::string MinimalScan(int64_t number, int64_t ts_micros) {
  arrow::TableBuilder b;
  b.AddMetadata("synthetic", "true");
  const std::vector<std::string> symbols = {"BTCUSDT", "ETHUSDT"};
  const std::vector<double> prices = {100.0, 50.0};
  EXPECT_OK(b.AddBatch(
      {arrow::Int64Column("scan_number", {number}),
       arrow::TimestampColumn("timestamp", arrow::TimeUnit::kMicro, "UTC", {ts_micros}),
       arrow::Utf8ListColumn("assets", {symbols}),
       arrow::Float64ListColumn("asset_prices", {prices}),
       arrow::Float64ListColumn("eigenvalues", {{2.5, 1.25}}),
       arrow::Float64Column("w50_lambda_max", {0.31}), arrow::Float64Column("vel_div", {-0.01}),
       arrow::Utf8Column("regime", {"BULL"})}));
  auto bytes = arrow::WriteIpc(b.table());
  EXPECT_OK(bytes);
  return bytes.ok() ? *bytes : std::string();
}

class BridgeClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.scan_dir = t_.dir.path() / "scans";
    options_.quarantine_dir = t_.dir.path() / "quarantine";
    options_.state_file = t_.dir.path() / "bridge_state.json";
    day_ = options_.scan_dir / "2026-03-25";
    fs::create_directories(day_);
  }
  void TearDown() override {
    if (bridge_) bridge_->Stop();
  }
  void WriteScan(int64_t number) {
    const fs::path p = day_ / fmt::format("scan_{:06d}.arrow", number);
    fs::path tmp = p;
    tmp += ".tmp";
    std::ofstream(tmp, std::ios::binary) << MinimalScan(number, kBaseMicros + number * 1000000);
    fs::rename(tmp, p);
  }
  int64_t Published() {
    auto v = memory_->Get(kFeaturesMap, kScanKey);
    if (!v.ok() || !v->has_value()) return -1;
    return Json::parse(**v)["scan_number"].get<int64_t>();
  }

  testing::TestEnv t_;
  std::unique_ptr<bus::KvBus> memory_ = bus::NewInMemoryBus();
  testing::FakeKvBus bus_{*memory_};
  BridgeOptions options_;
  fs::path day_;
  std::unique_ptr<Bridge> bridge_;
};

TEST_F(BridgeClockTest, HungReadTimesOutWhenTheClockSaysSo) {
  options_.read_timeout = std::chrono::seconds(5);
  bridge_ = NewBridge(options_, bus_, t_.env);
  ASSERT_OK(bridge_->Start());
  // A FIFO without a writer: opening it for reading blocks, a read that does not return.
  const fs::path fifo = day_ / "scan_hung.arrow";
  const fs::path hidden = day_ / ".hung";
  ASSERT_EQ(::mkfifo(hidden.c_str(), 0644), 0);
  fs::rename(hidden, fifo);  // IN_MOVED_TO: the bridge picks it up.
  // The bridge thread now waits for the read on the simulated clock.
  t_.clock.BlockUntilWaiters(1);
  t_.clock.AdvanceBy(std::chrono::milliseconds(4999));
  EXPECT_EQ(t_.clock.WaitersForTest(), 1);  // Not timed out yet: 1 ms is left.
  EXPECT_EQ(bridge_->Health().status, contract::HeartbeatStatus::kOk);
  t_.clock.AdvanceBy(std::chrono::milliseconds(1));
  ASSERT_TRUE(
      WaitFor([&] { return bridge_->Health().status == contract::HeartbeatStatus::kStalled; }));
  EXPECT_THAT(bridge_->Health().detail, ::testing::HasSubstr("longer than 5.00s"));
  bridge_->Stop();
  bridge_.reset();
  int w = ::open(fifo.c_str(), O_WRONLY);  // Release the blocked reader thread.
  if (w >= 0) ::close(w);
}

TEST_F(BridgeClockTest, PutRetryBackOffRunsOnTheClock) {
  bus_.FailNextPuts(3);
  bridge_ = NewBridge(options_, bus_, t_.env);
  ASSERT_OK(bridge_->Start());
  WriteScan(1);
  ASSERT_TRUE(WaitFor([&] { return bus_.put_failures() == 1; }));
  // The first retry is due 50 ms later on the clock; real time passing does not bring it.
  EXPECT_FALSE(WaitFor([&] { return bus_.puts() > 1; }, std::chrono::milliseconds(100)));
  t_.clock.AdvanceBy(std::chrono::milliseconds(50));
  ASSERT_TRUE(WaitFor([&] { return bus_.put_failures() == 2; }));
  t_.clock.AdvanceBy(std::chrono::milliseconds(100));  // The back-off doubled.
  ASSERT_TRUE(WaitFor([&] { return bus_.put_failures() == 3; }));
  EXPECT_EQ(bridge_->Health().status, contract::HeartbeatStatus::kDegraded);
  t_.clock.AdvanceBy(std::chrono::milliseconds(200));
  ASSERT_TRUE(WaitFor([&] { return Published() == 1; }));
  EXPECT_EQ(bus_.puts(), 4);
  ASSERT_TRUE(WaitFor([&] { return bridge_->Health().status == contract::HeartbeatStatus::kOk; }));
  // Logged by the bridge thread just after it marks itself healthy again: waited for, not raced.
  EXPECT_TRUE(WaitFor([&] { return t_.logger.Contains("bus put recovered"); }));
}

}  // namespace
}  // namespace dolphin::bridge
