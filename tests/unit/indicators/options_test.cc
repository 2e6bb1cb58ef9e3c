// [indicators.<flow>] parsing, defaults and the written form (dolphin config show).
#include "dolphin/indicators/indicators_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dolphin/testing/testing.h"

namespace dolphin::indicators {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  Result<IndicatorsOptions> options = InternalError("unset");
  ConfigDiagnostics diag;
};

std::unique_ptr<Parsed> Parse(const std::string& text) {
  auto p = std::make_unique<Parsed>();
  auto config = Config::LoadString(text, "t.toml", "/tmp");
  EXPECT_TRUE(config.ok());
  ConfigSection root = config->Root(&p->diag);
  p->options = ParseIndicatorsOptions(root.Sub("indicators"));
  return p;
}

TEST(IndicatorsOptionsTest, DefaultsEsofOnNetworkFlowsOff) {
  auto p = Parse("");
  ASSERT_OK(p->options);
  EXPECT_TRUE(p->options->enabled(kFlowEsof));
  for (const char* f : {kFlowExtfFunding, kFlowExtfDvol, kFlowExtfFearGreed, kFlowObf}) {
    EXPECT_FALSE(p->options->enabled(f)) << f;
  }
  EXPECT_EQ(p->options->flow(kFlowExtfFunding).base_url, "https://fapi.binance.com");
  EXPECT_EQ(p->options->flow(kFlowExtfDvol).symbols, (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_EQ(p->options->flow(kFlowExtfFearGreed).schedule, Duration(std::chrono::hours(1)));
  EXPECT_EQ(PoolOf(kFlowObf), "dolphin-obf");
  EXPECT_EQ(PoolOf(kFlowEsof), "dolphin-extf-indicators");
  EXPECT_EQ(DeploymentName(kFlowExtfDvol), "extf-dvol/default");
  EXPECT_EQ(HealthSourceOf(kFlowExtfFearGreed), "extf");
  // With a config file esof runs only when its table enables it.
  auto config = Config::LoadString("", "t.toml", "/tmp");
  ConfigDiagnostics diag;
  auto with_file = ParseIndicatorsOptions(config->Root(&diag).Sub("indicators"), false);
  ASSERT_OK(with_file);
  EXPECT_FALSE(with_file->enabled(kFlowEsof));
}

TEST(IndicatorsOptionsTest, ParsesEveryKey) {
  auto p = Parse(R"([indicators.extf-funding]
enabled = true
base_url = "http://127.0.0.1:9/"
symbols = ["SOLUSDT"]
schedule_s = 30
connect_timeout_s = 1
timeout_s = 2.5
retries = 4
backoff_s = 0.1
max_body_bytes = 65536
[indicators.obf]
enabled = true
poll_interval_s = 0.5
depth_limit = 50
max_consecutive_failures = 3
[indicators.esof]
enabled = false
)");
  ASSERT_OK(p->options);
  const FlowOptions& f = p->options->flow(kFlowExtfFunding);
  EXPECT_TRUE(f.enabled);
  EXPECT_EQ(f.base_url, "http://127.0.0.1:9");
  EXPECT_EQ(f.symbols, std::vector<std::string>{"SOLUSDT"});
  EXPECT_EQ(f.schedule, Duration(std::chrono::seconds(30)));
  EXPECT_EQ(f.total_timeout, Duration(std::chrono::milliseconds(2500)));
  EXPECT_EQ(f.retries, 4);
  EXPECT_EQ(f.max_body_bytes, 65536);
  EXPECT_EQ(p->options->flow(kFlowObf).depth_limit, 50);
  EXPECT_FALSE(p->options->enabled(kFlowEsof));
  ConfigWriter w;
  WriteIndicatorsOptions(*p->options, w);
  EXPECT_THAT(w.text(), HasSubstr("[indicators.extf-funding]"));
  EXPECT_THAT(w.text(), HasSubstr("base_url = \"http://127.0.0.1:9\""));
}

TEST(IndicatorsOptionsTest, BadValuesAreOneLineEach) {
  auto p = Parse(R"([indicators.extf-moon]
enabled = true
[indicators.obf]
depth_limit = 7
symbols = ["btc-usdt"]
[indicators.extf-dvol]
base_url = "ftp://x"
colour = "blue"
[indicators.esof]
base_url = "http://x"
)");
  EXPECT_FALSE(p->options.ok());
  std::string all;
  for (const auto& e : p->diag.errors()) all += e + "\n";
  EXPECT_THAT(all, HasSubstr("extf-moon: unknown indicator flow"));
  EXPECT_THAT(all, HasSubstr("[indicators.obf] depth_limit: expected 20, 50, 100, 500 or 1000"));
  EXPECT_THAT(all, HasSubstr("got \"btc-usdt\""));
  EXPECT_THAT(all,
              HasSubstr("[indicators.extf-dvol] base_url: expected an http:// or https:// URL"));
  EXPECT_THAT(all, HasSubstr("[indicators.extf-dvol] colour: unknown key"));
  EXPECT_THAT(all, HasSubstr("[indicators.esof] base_url: unknown key"));
}

}  // namespace
}  // namespace dolphin::indicators
