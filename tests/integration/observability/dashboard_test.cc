// The dashboard at / of a real `dolphin run` in headless Chromium (issue 16,
// docs/observability.md "Dashboard"), driven over the DevTools protocol by
// tests/interop/node/dashboard_cdp.mjs (Node's built-in WebSocket; no npm package): it loads with
// no console error, the scan number advances on the open page (SSE), the equity chart gets
// points, the five MHS sensors show, the same at a phone-sized viewport; with the bus empty every
// panel says "no data yet". Screenshots go to <build>/test-artifacts/. Needs the Debian
// `chromium` and Node.js: under CI=true a missing one fails the test; elsewhere it skips, loudly.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "dolphin/core/json.h"
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

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = testing::FindExecutable({"/usr/bin/chromium", "/usr/bin/chromium-browser"});
    node_ = testing::FindExecutable({"/usr/bin/node", "/usr/local/bin/node"});
    if (!chromium_ || !node_) {
      if (testing::InCi())
        FAIL() << "chromium or node not found: install the Debian packages 'chromium' and 'nodejs'";
      GTEST_SKIP() << "SKIPPED LOUDLY: chromium or node not found";
    }
    artifacts_ = fs::current_path() / "test-artifacts";
    fs::create_directories(artifacts_);
  }

  void StartRun(const std::string& config) {
    std::ofstream(dir_.path() / "dolphin.toml") << config;
    run_ = std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
    addr_ = testing::WaitForApiAddr(dir_.path() / "var");
    ASSERT_FALSE(addr_.empty()) << run_->Stderr();
  }

  // The page at width x height: console errors and `samples` snapshots `interval_ms` apart.
  Json Browse(int width, int height, int samples, int interval_ms, const std::string& screenshot) {
    const fs::path profile = dir_.path() / fmt::format("chromium-{}", ++browses_);
    fs::create_directories(profile);
    ProcessResult r = testing::RunProcess(
        {*node_, "--experimental-websocket",
         (testing::SourceDir() / "tests/interop/node/dashboard_cdp.mjs").string(), *chromium_,
         fmt::format("http://{}/", addr_), std::to_string(width), std::to_string(height),
         std::to_string(samples), std::to_string(interval_ms), (artifacts_ / screenshot).string(),
         profile.string()},
        dir_.path(), std::chrono::seconds(150));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = ParseJson(r.out);
    EXPECT_TRUE(j.ok()) << r.out << r.err;
    return j.ok() ? *j : Json::object();
  }

  static std::vector<std::string> Errors(const Json& j) {
    std::vector<std::string> out;
    if (j.contains("errors")) {
      for (const auto& e : j["errors"]) out.push_back(e.get<std::string>());
    }
    return out;
  }
  static int64_t Scan(const Json& sample) {
    const std::string s = sample.value("scan", "");
    return s.size() > 1 && s[0] == '#' ? std::stoll(s.substr(1)) : -1;
  }

  std::optional<std::string> chromium_, node_;
  fs::path artifacts_;
  int browses_ = 0;
  testing::TempDir dir_;
  std::unique_ptr<Subprocess> run_;
  std::string addr_;
};

TEST_F(DashboardTest, LiveScansTradersAndSensorsOnDesktopAndPhone) {
  StartRun(R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[sim]
enabled = true
interval_ms = 200
assets = 20
[trader.BLUE]
posture = "TURTLE"
[health]
enabled = true
interval_s = 0.5
startup_grace_s = 0
[scheduler]
enabled = true
)");
  for (auto [width, height, shot] :
       {std::tuple{1280, 900, "dashboard.png"}, std::tuple{390, 844, "dashboard-phone.png"}}) {
    SCOPED_TRACE(shot);
    Json page = Browse(width, height, 2, 4000, shot);
    EXPECT_THAT(Errors(page), IsEmpty());
    ASSERT_TRUE(page.contains("samples") && page["samples"].size() == 2) << page.dump();
    const Json& first = page["samples"][0];
    const Json& second = page["samples"][1];
    EXPECT_GT(Scan(first), 0) << first.dump();
    EXPECT_GT(Scan(second), Scan(first)) << "the scan number advances on the open page";
    EXPECT_GT(second.value("equityPoints", 0), 0) << second.dump();
    EXPECT_GT(second.value("velPoints", 0), 1);
    EXPECT_EQ(second["sensors"], Json::array({"m1_proc", "m2_heartbeat", "m3_data_freshness",
                                              "m4_control_plane", "m5_coherence"}));
    EXPECT_THAT(second.value("traders", ""), HasSubstr("BLUE"));
    EXPECT_EQ(second["empty"]["scans"], false);
    EXPECT_EQ(second["empty"]["traders"], false);
    EXPECT_EQ(second["empty"]["health"], false);
    EXPECT_EQ(second.value("conn", ""), "live");
    EXPECT_LE(second.value("bodyWidth", 0), width) << "no horizontal scrolling";
    EXPECT_TRUE(fs::exists(artifacts_ / shot));
  }
  run_->Signal(SIGTERM);
  EXPECT_EQ(run_->Wait(std::chrono::seconds(30)).exit_code, 0);
}

TEST_F(DashboardTest, AnEmptyBusShowsNoDataYetNotAnError) {
  StartRun(R"([api]
listen = "127.0.0.1:0"
[sim]
enabled = false
[trader]
enabled = false
[health]
enabled = false
[scheduler]
enabled = false
)");
  Json page = Browse(1280, 900, 1, 3000, "dashboard-empty.png");
  EXPECT_THAT(Errors(page), IsEmpty());
  ASSERT_TRUE(page.contains("samples") && page["samples"].size() == 1) << page.dump();
  const Json& s = page["samples"][0];
  for (const char* panel : {"scans", "traders", "health", "pools"}) {
    EXPECT_EQ(s["empty"][panel], true) << panel << ": " << s.dump();
  }
  EXPECT_EQ(s.value("emptyText", ""), "no data yet");
  EXPECT_EQ(s.value("scan", ""), "-");
  run_->Signal(SIGTERM);
  EXPECT_EQ(run_->Wait(std::chrono::seconds(30)).exit_code, 0);
}

}  // namespace
}  // namespace dolphin
