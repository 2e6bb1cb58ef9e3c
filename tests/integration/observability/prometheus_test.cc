// GET /metrics of a real `dolphin run` (issue 16, docs/observability.md): promtool accepts the
// exposition, a real Prometheus server on loopback scrapes it and its HTTP API shows dolphin_*
// series that advance, and promtool accepts the shipped alert rules and scrape config.
//
// Needs the Debian `prometheus` package (promtool, prometheus). Under CI=true a missing binary
// fails the test; elsewhere it skips, loudly.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "dolphin/core/json.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using testing::DolphinBinary;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::Subprocess;
using testing::WaitFor;

std::optional<std::string> FindBinary(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return std::nullopt;
}

#define REQUIRE_BINARY(var, name)                                                                 \
  auto var = FindBinary(name);                                                                    \
  if (!var) {                                                                                     \
    if (testing::InCi()) FAIL() << name << " not found: install the Debian package 'prometheus'"; \
    GTEST_SKIP() << "SKIPPED LOUDLY: " << name << " not found (Debian package 'prometheus')";     \
  }

std::pair<std::string, int> SplitAddr(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  return {addr.substr(0, colon), std::stoi(addr.substr(colon + 1))};
}

class PrometheusTest : public ::testing::Test {
 protected:
  // A `dolphin run` with the simulator, the bridge, a trader, health, safety and the scheduler.
  void StartRun() {
    std::ofstream(dir_.path() / "dolphin.toml") << R"(heartbeat_interval_s = 0.5
[api]
listen = "127.0.0.1:0"
[sim]
enabled = true
interval_ms = 200
assets = 20
[trader.BLUE]
posture = "bus"
[health]
enabled = true
interval_s = 0.5
startup_grace_s = 0
[safety]
enabled = true
[scheduler]
enabled = true
tick_interval_s = 0.2
)";
    run_ = std::make_unique<Subprocess>(
        std::vector<std::string>{DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
    addr_ = testing::WaitForApiAddr(dir_.path() / "var");
    ASSERT_FALSE(addr_.empty()) << run_->Stderr();
  }

  std::string Metrics() {
    auto [host, port] = SplitAddr(addr_);
    httplib::Client c(host, port);
    c.set_read_timeout(5, 0);
    auto r = c.Get("/metrics");
    return r && r->status == 200 ? r->body : std::string();
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> run_;
  std::string addr_;
};

TEST_F(PrometheusTest, PromtoolAcceptsTheExpositionOfDolphinRun) {
  REQUIRE_BINARY(promtool, "promtool");
  StartRun();
  // Wait until every area has exported something: scans, trader decisions, health, posture.
  std::string text;
  ASSERT_TRUE(WaitFor(
      [&] {
        text = Metrics();
        return text.find("dolphin_trader_scans_processed_total{color=\"BLUE\"}") !=
                   std::string::npos &&
               text.find("dolphin_health_sensor{sensor=\"m1_proc\"}") != std::string::npos &&
               text.find("dolphin_safety_posture{") != std::string::npos &&
               text.find("dolphin_bridge_scan_publish_latency_seconds_bucket") != std::string::npos;
      },
      std::chrono::seconds(60)))
      << text << run_->Stderr();
  for (const char* family :
       {"dolphin_build_info{process=\"run\"", "dolphin_bridge_scans_published_total",
        "dolphin_bridge_scans_seen_total", "dolphin_bridge_last_publish_timestamp_seconds",
        "dolphin_trader_scan_decision_latency_seconds_bucket",
        "dolphin_trader_journal_commit_seconds_bucket", "dolphin_trader_equity{color=\"BLUE\"}",
        "dolphin_trader_positions{color=\"BLUE\"}",
        "dolphin_trader_state{color=\"BLUE\",state=\"ACTIVE\"}", "dolphin_health_rm_meta",
        "dolphin_health_status{status=\"GREEN\"}",
        "dolphin_bus_operations_total{op=\"put\",result=\"ok\"}",
        "dolphin_bus_listener_delivered_total{listener=\"trader.BLUE\"}",
        "dolphin_bus_listener_queue_depth", "dolphin_service_up{service=\"bridge\"} 1",
        "dolphin_scheduler_pool_slots_used{pool=\"dolphin\"}", "dolphin_api_requests_total"}) {
    EXPECT_THAT(text, HasSubstr(family));
  }
  const fs::path file = dir_.path() / "metrics.txt";
  std::ofstream(file) << text;
  ProcessResult check = testing::RunProcess(
      {"/bin/sh", "-c", fmt::format("{} check metrics < {}", *promtool, file.string())});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out + check.err, "") << "promtool lint findings";
  run_->Signal(SIGTERM);
  EXPECT_EQ(run_->Wait(std::chrono::seconds(30)).exit_code, 0);
}

TEST_F(PrometheusTest, PromtoolAcceptsTheShippedRulesAndScrapeConfig) {
  REQUIRE_BINARY(promtool, "promtool");
  const fs::path shipped = testing::SourceDir() / "docs" / "prometheus";
  ProcessResult rules =
      testing::RunProcess({*promtool, "check", "rules", (shipped / "alerts.yml").string()});
  EXPECT_EQ(rules.exit_code, 0) << rules.out << rules.err;
  EXPECT_THAT(rules.out, HasSubstr("SUCCESS: 9 rules found"));
  // The config names alerts.yml relative to itself.
  ProcessResult config =
      testing::RunProcess({*promtool, "check", "config", (shipped / "prometheus.yml").string()});
  EXPECT_EQ(config.exit_code, 0) << config.out << config.err;
  EXPECT_THAT(config.out, HasSubstr("is valid prometheus config file syntax"));
}

TEST_F(PrometheusTest, ARealPrometheusScrapesDolphinRunAndItsSeriesAdvance) {
  REQUIRE_BINARY(prometheus, "prometheus");
  StartRun();
  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const fs::path config = dir_.path() / "prometheus.yml";
  std::ofstream(config) << fmt::format(
      R"(global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {}
scrape_configs:
  - job_name: dolphin
    static_configs:
      - targets: ["{}"]
)",
      (testing::SourceDir() / "docs" / "prometheus" / "alerts.yml").string(), addr_);
  Subprocess prom({*prometheus, "--config.file=" + config.string(),
                   "--storage.tsdb.path=" + (dir_.path() / "prom-data").string(),
                   fmt::format("--web.listen-address=127.0.0.1:{}", port), "--log.level=warn"},
                  dir_.path());
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(5, 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = api.Get("/-/ready");
        return r && r->status == 200;
      },
      std::chrono::seconds(60)))
      << prom.Stderr();

  // One instant query: the value of `expr`'s first series, if any.
  auto query = [&](const std::string& expr) -> std::optional<double> {
    auto r = api.Get("/api/v1/query", httplib::Params{{"query", expr}}, httplib::Headers{});
    if (!r || r->status != 200) return std::nullopt;
    auto j = ParseJson(r->body);
    if (!j.ok() || (*j)["status"] != "success") return std::nullopt;
    const Json& result = (*j)["data"]["result"];
    if (!result.is_array() || result.empty()) return std::nullopt;
    return std::stod(result[0]["value"][1].get<std::string>());
  };
  // Scraped and up.
  ASSERT_TRUE(
      WaitFor([&] { return query("up{job=\"dolphin\"}") == 1.0; }, std::chrono::seconds(60)))
      << prom.Stderr() << run_->Stderr();
  // Scans and decisions advance between two scrapes.
  std::optional<double> first;
  ASSERT_TRUE(WaitFor(
      [&] {
        first = query("dolphin_trader_scans_processed_total{color=\"BLUE\"}");
        return first.has_value() && *first > 0;
      },
      std::chrono::seconds(60)))
      << run_->Stderr();
  EXPECT_TRUE(WaitFor(
      [&] {
        auto now = query("dolphin_trader_scans_processed_total{color=\"BLUE\"}");
        return now && *now >= *first + 3;
      },
      std::chrono::seconds(60)));
  std::optional<double> published = query("dolphin_bridge_scans_published_total");
  ASSERT_TRUE(published.has_value());
  EXPECT_TRUE(WaitFor(
      [&] {
        auto now = query("dolphin_bridge_scans_published_total");
        return now && *now > *published;
      },
      std::chrono::seconds(30)));
  // Histograms aggregate with PromQL; the health series are there.
  EXPECT_TRUE(WaitFor(
      [&] {
        return query(
                   "histogram_quantile(0.5, rate(dolphin_trader_scan_decision_latency_seconds_bucket[30s]))")
            .has_value();
      },
      std::chrono::seconds(30)));
  EXPECT_TRUE(query("dolphin_health_rm_meta").has_value());
  // Every family Prometheus knows from dolphin (health and safety publish after their first
  // cycles: waited for).
  const std::vector<std::string> families = {
      "dolphin_build_info",           "dolphin_bridge_scans_published_total",
      "dolphin_trader_equity",        "dolphin_trader_state",
      "dolphin_health_sensor",        "dolphin_safety_posture",
      "dolphin_bus_operations_total", "dolphin_service_up"};
  std::set<std::string> known;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto names = api.Get("/api/v1/label/__name__/values");
        if (!names) return false;
        auto j = ParseJson(names->body);
        if (!j.ok() || !(*j)["data"].is_array()) return false;
        known.clear();
        for (const auto& n : (*j)["data"]) known.insert(n.get<std::string>());
        return std::all_of(families.begin(), families.end(),
                           [&](const std::string& f) { return known.count(f) > 0; });
      },
      std::chrono::seconds(60)));
  for (const std::string& family : families) EXPECT_EQ(known.count(family), 1u) << family;
  // The shipped rules load and evaluate against the live series.
  auto rules = api.Get("/api/v1/rules");
  ASSERT_TRUE(rules);
  EXPECT_THAT(rules->body, HasSubstr("DolphinMhsDead"));
  EXPECT_THAT(rules->body, HasSubstr("\"health\":\"ok\""));

  prom.Signal(SIGTERM);
  prom.Wait(std::chrono::seconds(30));
  run_->Signal(SIGTERM);
  EXPECT_EQ(run_->Wait(std::chrono::seconds(30)).exit_code, 0);
}

}  // namespace
}  // namespace dolphin
