// Connection events against a real member that is killed (SIGKILL) and started again on the
// same port: a restarted member is a new cluster (new cluster id, empty maps), so connection
// listeners see kDisconnected then kClusterChanged, and a bridge publishing over this bus puts
// its newest scan into the fresh cluster. One restart covers both (a member start costs
// seconds).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/bridge/bridge.h"
#include "dolphin/contract/scan_json.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/testing.h"
#include "hazelcast_bus_impl.h"
#include "member_environment.h"

namespace dolphin::bus::hazelcast {
namespace {

namespace fs = std::filesystem;
using dolphin::testing::WaitFor;
using testing::Member;

const int64_t kBaseMicros = 1774434600000000;  // 2026-03-25T10:30:00Z

// A small NG6-like scan file, written the way NG6 does (temporary name, rename).
void WriteScan(const fs::path& scan_dir, int64_t number, int64_t ts_micros) {
  arrow::TableBuilder b;
  b.AddMetadata("synthetic", "true");
  ASSERT_OK(
      b.AddBatch({arrow::Int64Column("scan_number", {number}),
                  arrow::TimestampColumn("timestamp", arrow::TimeUnit::kMicro, "UTC", {ts_micros}),
                  arrow::Utf8ListColumn("assets", {{"BTCUSDT", "ETHUSDT"}}),
                  arrow::Float64ListColumn("asset_prices", {{60000.5, 3000.25}}),
                  arrow::Float64Column("vel_div", {-0.01})}));
  auto bytes = arrow::WriteIpc(b.table());
  ASSERT_OK(bytes);
  const fs::path day = scan_dir / FormatUtcDate(Timestamp::FromUnixMicros(ts_micros));
  fs::create_directories(day);
  const fs::path path = day / fmt::format("scan_{:06d}.arrow", number);
  fs::path tmp = path;
  tmp += ".tmp";
  std::ofstream(tmp, std::ios::binary) << *bytes;
  fs::rename(tmp, path);
}

class ConnectionRecorder {
 public:
  ConnectionCallback Callback() {
    return [this](ConnectionEvent e) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(e);
    };
  }
  std::vector<ConnectionEvent> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  bool Saw(ConnectionEvent e) {
    auto all = Events();
    return std::find(all.begin(), all.end(), e) != all.end();
  }
  std::string Describe() {
    std::string out;
    for (auto e : Events()) out += std::string(ConnectionEventName(e)) + " ";
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<ConnectionEvent> events_;
};

std::optional<Json> LatestScan(KvBus& bus) {
  auto v = bus.Get(contract::kFeaturesMap, contract::kScanKey);
  if (!v.ok() || !v->has_value()) return std::nullopt;
  return Json::parse(**v);
}

TEST(ConnectionEventsTest, MemberRestartIsAClusterChangeAndTheBridgeRepublishesItsNewestScan) {
  DOLPHIN_REQUIRE_MEMBER();
  if (Member::Get().external()) GTEST_SKIP() << "external member: cannot kill it";
  HazelcastOptions tuning;
  tuning.initial_backoff = std::chrono::milliseconds(100);
  tuning.max_backoff = std::chrono::milliseconds(500);
  auto bus = Member::Get().NewBus(tuning);
  ASSERT_OK(bus);
  auto& hz = dynamic_cast<HazelcastBus&>(**bus);
  const std::string cluster_before = hz.client().cluster_id();

  ConnectionRecorder rec;
  auto conn = (*bus)->AddConnectionListener(rec.Callback());
  ASSERT_OK(conn);
  ConnectionRecorder removed;
  auto removed_id = (*bus)->AddConnectionListener(removed.Callback());
  ASSERT_OK(removed_id);
  ASSERT_OK((*bus)->RemoveConnectionListener(*removed_id));
  EXPECT_FALSE((*bus)->RemoveConnectionListener(*removed_id).ok());

  dolphin::testing::TempDir dir;
  bridge::BridgeOptions options;
  options.scan_dir = dir.path() / "scans";
  options.quarantine_dir = dir.path() / "quarantine";
  options.state_file = dir.path() / "bridge_state.json";
  auto bridge = bridge::NewBridge(options, **bus, Member::Get().env());
  ASSERT_OK(bridge->Start());
  WriteScan(options.scan_dir, 41, kBaseMicros);
  WriteScan(options.scan_dir, 42, kBaseMicros + 1000000);
  ASSERT_TRUE(WaitFor([&] {
    auto j = LatestScan(**bus);
    return j && (*j)["scan_number"] == 42;
  })) << "the bridge never published scan 42";
  const Json before = *LatestScan(**bus);
  EXPECT_EQ(before["republished"], false);

  ASSERT_OK(Member::Get().Kill());
  ASSERT_TRUE(WaitFor([&] { return rec.Saw(ConnectionEvent::kDisconnected); })) << rec.Describe();
  ASSERT_OK(Member::Get().Start());
  ASSERT_TRUE(
      WaitFor([&] { return rec.Saw(ConnectionEvent::kClusterChanged); }, std::chrono::seconds(30)))
      << "events: " << rec.Describe();
  auto events = rec.Events();
  EXPECT_EQ(events.front(), ConnectionEvent::kDisconnected) << rec.Describe();
  EXPECT_FALSE(rec.Saw(ConnectionEvent::kReconnected)) << rec.Describe();
  EXPECT_NE(hz.client().cluster_id(), cluster_before);
  EXPECT_TRUE(removed.Events().empty());

  // The fresh cluster holds the bridge's newest scan again, as read by another client.
  auto reader = Member::Get().NewBus();
  ASSERT_OK(reader);
  std::optional<Json> after;
  ASSERT_TRUE(WaitFor([&] {
    after = LatestScan(**reader);
    return after.has_value();
  })) << "the bridge did not republish into the restarted cluster";
  EXPECT_EQ((*after)["scan_number"], 42);
  EXPECT_EQ((*after)["republished"], true);
  EXPECT_EQ((*after)["epoch"], before["epoch"]);
  EXPECT_EQ((*after)["file"], "scan_000042.arrow");
  EXPECT_EQ((*after)["asset_prices"], before["asset_prices"]);
  EXPECT_GE(*ParseRfc3339((*after)["bridge_ts"].get<std::string>()),
            *ParseRfc3339(before["bridge_ts"].get<std::string>()));
  ASSERT_TRUE(WaitFor([&] { return bridge->Stats().cluster_republishes == 1u; }));

  // New scans still flow into the new cluster.
  WriteScan(options.scan_dir, 43, kBaseMicros + 2000000);
  ASSERT_TRUE(WaitFor([&] {
    auto j = LatestScan(**reader);
    return j && (*j)["scan_number"] == 43 && (*j)["republished"] == false;
  }));
  bridge->Stop();
  EXPECT_OK((*bus)->RemoveConnectionListener(*conn));
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
