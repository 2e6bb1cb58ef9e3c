#include "dolphin/core/metrics.h"

namespace dolphin {

namespace {

class NullCounter final : public MetricCounter {
 public:
  void Increment(double) override {}
};
class NullGauge final : public MetricGauge {
 public:
  void Set(double) override {}
  void Add(double) override {}
};
class NullHistogram final : public MetricHistogram {
 public:
  void Observe(double) override {}
};

class NullMetricsImpl final : public Metrics {
 public:
  MetricCounter& Counter(std::string_view, std::string_view, const MetricLabels&) override {
    return counter_;
  }
  MetricGauge& Gauge(std::string_view, std::string_view, const MetricLabels&) override {
    return gauge_;
  }
  MetricHistogram& Histogram(std::string_view, std::string_view, MetricBuckets,
                             const MetricLabels&) override {
    return histogram_;
  }
  uint64_t AddCollectHook(std::function<void()>) override { return 0; }
  void RemoveCollectHook(uint64_t) override {}
  std::string Exposition() override { return {}; }

 private:
  NullCounter counter_;
  NullGauge gauge_;
  NullHistogram histogram_;
};

}  // namespace

Metrics& NullMetrics() {
  static NullMetricsImpl* const kNull = new NullMetricsImpl();  // never destroyed: no exit order
  return *kNull;
}

void SetStateGauge(Metrics& metrics, std::string_view name, std::string_view help,
                   const MetricLabels& labels, std::string_view label,
                   const std::vector<std::string_view>& values, std::string_view current) {
  for (std::string_view v : values) {
    MetricLabels l = labels;
    l.emplace_back(std::string(label), std::string(v));
    metrics.Gauge(name, help, l).Set(v == current ? 1.0 : 0.0);
  }
}

}  // namespace dolphin
