// libs/metrics: core's Metrics interface over prometheus-cpp (docs/observability.md), and the
// metered bus decorator that every process's bus goes through.
#include "dolphin/metrics/prometheus_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "dolphin/bus/in_memory_bus.h"
#include "dolphin/bus/metered_bus.h"
#include "dolphin/testing/testing.h"

namespace dolphin::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PrometheusMetricsTest : public ::testing::Test {
 protected:
  PrometheusMetricsTest()
      : metrics_(NewPrometheusMetrics(
            {.process = "test",
             .version = "9.9.9",
             .start_time = Timestamp::FromUnixNanos(1'500'000'000'000'000'000)},
            t_.logger)) {}

  static int Count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
      ++n;
    return n;
  }

  testing::TestEnv t_;
  std::unique_ptr<Metrics> metrics_;
};

TEST_F(PrometheusMetricsTest, ExposesBuildInfoAndStartTimeBeforeAnythingIsCounted) {
  const std::string text = metrics_->Exposition();
  EXPECT_THAT(text, HasSubstr("# TYPE dolphin_build_info gauge"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_build_info{process="test",version="9.9.9"} 1)"));
  EXPECT_THAT(text, HasSubstr("dolphin_process_start_time_seconds 1500000000"));
}

TEST_F(PrometheusMetricsTest, CountersGaugesAndLabelsInTextFormat) {
  MetricCounter& c = metrics_->Counter("dolphin_test_things_total", "Things", {{"kind", "a"}});
  c.Increment();
  c.Increment(2);
  c.Increment(-5);  // ignored: counters never go down
  metrics_->Counter("dolphin_test_things_total", "Things", {{"kind", "b"}}).Increment();
  MetricGauge& g = metrics_->Gauge("dolphin_test_level", "A level");
  g.Set(4);
  g.Add(-1.5);
  const std::string text = metrics_->Exposition();
  EXPECT_THAT(text, HasSubstr("# HELP dolphin_test_things_total Things"));
  EXPECT_THAT(text, HasSubstr("# TYPE dolphin_test_things_total counter"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_test_things_total{kind="a"} 3)"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_test_things_total{kind="b"} 1)"));
  EXPECT_THAT(text, HasSubstr("dolphin_test_level 2.5"));
}

TEST_F(PrometheusMetricsTest, SameNameAndLabelsIsTheSameHandle) {
  MetricCounter& a = metrics_->Counter("dolphin_test_total", "T", {{"x", "1"}});
  MetricCounter& b = metrics_->Counter("dolphin_test_total", "T", {{"x", "1"}});
  MetricCounter& c = metrics_->Counter("dolphin_test_total", "T", {{"x", "2"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST_F(PrometheusMetricsTest, HistogramsShareOneBucketLayoutPerKind) {
  MetricHistogram& h = metrics_->Histogram("dolphin_test_latency_seconds", "Latency",
                                           MetricBuckets::kLatency, {{"op", "put"}});
  h.Observe(0.0003);
  h.Observe(20);
  metrics_->Histogram("dolphin_test_commit_seconds", "Commit", MetricBuckets::kDuration)
      .Observe(0.2);
  const std::string text = metrics_->Exposition();
  EXPECT_THAT(text, HasSubstr("# TYPE dolphin_test_latency_seconds histogram"));
  // One bucket line per bound plus +Inf, for each histogram.
  EXPECT_EQ(Count(text, "dolphin_test_latency_seconds_bucket{"),
            static_cast<int>(BucketBounds(MetricBuckets::kLatency).size()) + 1);
  EXPECT_EQ(Count(text, "dolphin_test_commit_seconds_bucket{"),
            static_cast<int>(BucketBounds(MetricBuckets::kDuration).size()) + 1);
  EXPECT_THAT(text, HasSubstr(R"(dolphin_test_latency_seconds_bucket{op="put",le="+Inf"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_test_latency_seconds_count{op="put"} 2)"));
  // The shared layouts: ascending, latencies from 50 us to 10 s, durations up to an hour.
  for (auto kind : {MetricBuckets::kLatency, MetricBuckets::kDuration}) {
    const auto& b = BucketBounds(kind);
    EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  }
  EXPECT_DOUBLE_EQ(BucketBounds(MetricBuckets::kLatency).front(), 0.00005);
  EXPECT_DOUBLE_EQ(BucketBounds(MetricBuckets::kLatency).back(), 10);
  EXPECT_DOUBLE_EQ(BucketBounds(MetricBuckets::kDuration).back(), 3600);
}

TEST_F(PrometheusMetricsTest, ABadNameOrAKindClashIsLoggedAndDiscardedNeverACrash) {
  metrics_->Counter("dolphin bad name", "Bad").Increment();
  metrics_->Counter("dolphin_test_clash", "A counter").Increment();
  metrics_->Gauge("dolphin_test_clash", "Now a gauge").Set(7);
  metrics_->Gauge("dolphin_test_label", "Bad label", {{"bad-label", "x"}}).Set(1);
  const std::string text = metrics_->Exposition();
  EXPECT_THAT(text, Not(HasSubstr("bad name")));
  EXPECT_THAT(text, Not(HasSubstr("dolphin_test_clash 7")));
  EXPECT_THAT(text, Not(HasSubstr("bad-label")));
  EXPECT_TRUE(t_.logger.Contains("not a valid metric name"));
  EXPECT_TRUE(t_.logger.Contains("already used for another kind"));
  EXPECT_TRUE(t_.logger.Contains("is not a valid label name"));
}

TEST_F(PrometheusMetricsTest, CollectHooksRunBeforeEachExpositionUntilRemoved) {
  int runs = 0;
  const uint64_t id = metrics_->AddCollectHook([&] {
    ++runs;
    metrics_->Gauge("dolphin_test_read_at_scrape", "Read when scraped").Set(runs);
  });
  EXPECT_THAT(metrics_->Exposition(), HasSubstr("dolphin_test_read_at_scrape 1"));
  EXPECT_THAT(metrics_->Exposition(), HasSubstr("dolphin_test_read_at_scrape 2"));
  metrics_->RemoveCollectHook(id);
  metrics_->Exposition();
  EXPECT_EQ(runs, 2);
}

TEST_F(PrometheusMetricsTest, StateGaugeIsOneForTheCurrentValueOnly) {
  SetStateGauge(*metrics_, "dolphin_test_state", "State", {{"color", "BLUE"}}, "state",
                {"ACTIVE", "REDUCING", "HALTED"}, "REDUCING");
  const std::string text = metrics_->Exposition();
  EXPECT_THAT(text, HasSubstr(R"(dolphin_test_state{color="BLUE",state="ACTIVE"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_test_state{color="BLUE",state="REDUCING"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_test_state{color="BLUE",state="HALTED"} 0)"));
}

TEST(NullMetricsTest, DiscardsEverythingAndIsEnvsDefault) {
  Metrics& m = NullMetrics();
  m.Counter("dolphin_x_total", "X").Increment();
  m.Histogram("dolphin_x_seconds", "X", MetricBuckets::kLatency).Observe(1);
  EXPECT_EQ(m.AddCollectHook([] { FAIL() << "never runs"; }), 0u);
  EXPECT_EQ(m.Exposition(), "");
  testing::TestEnv t;
  EXPECT_EQ(&t.env.metrics, &NullMetrics());
}

TEST_F(PrometheusMetricsTest, MeteredBusCountsOperationsAndListenerQueues) {
  Env env{t_.clock, t_.logger, FileSystem::Default(), t_.random, ThreadFactory::Default(),
          *metrics_};
  auto bus = bus::NewMeteredBus(bus::NewInMemoryBus(), env);
  ASSERT_OK(bus->Put("M", "k", "1"));
  ASSERT_OK(bus->Get("M", "k"));
  ASSERT_OK(bus->Get("M", "k"));
  ASSERT_OK(bus->Keys("M"));
  std::atomic<int> seen{0};
  auto id =
      bus->AddKeyListener("M", "k", [&](const bus::BusEvent&) { ++seen; }, {.name = "trader.BLUE"});
  ASSERT_OK(id);
  ASSERT_OK(bus->Put("M", "k", "2"));
  ASSERT_TRUE(testing::WaitFor([&] { return seen.load() == 2; }));  // SNAPSHOT + UPDATED
  const std::vector<bus::KvPut> two{{"N", "a", "1"}, {"N", "b", "2"}};
  ASSERT_OK(bus->PutAll(two));  // one batch, counted as its two puts
  EXPECT_THAT(bus->Keys("N"), testing::IsOkAndHolds(::testing::ElementsAre("a", "b")));
  std::string text = metrics_->Exposition();
  EXPECT_THAT(text, HasSubstr(R"(dolphin_bus_operations_total{op="put",result="ok"} 4)"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_bus_operations_total{op="get",result="ok"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_bus_operations_total{op="keys",result="ok"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_bus_operation_seconds_count{op="put"} 4)"));
  EXPECT_THAT(text, HasSubstr("dolphin_bus_listeners 1"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_bus_listener_delivered_total{listener="trader.BLUE"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_bus_listener_queue_depth{listener="trader.BLUE"} 0)"));
  // Removing the listener keeps its totals (counters never go back).
  ASSERT_OK(bus->RemoveListener(*id));
  text = metrics_->Exposition();
  EXPECT_THAT(text, HasSubstr("dolphin_bus_listeners 0"));
  EXPECT_THAT(text, HasSubstr(R"(dolphin_bus_listener_delivered_total{listener="trader.BLUE"} 2)"));
  EXPECT_EQ(bus->Describe(), "memory");
}

}  // namespace
}  // namespace dolphin::metrics
