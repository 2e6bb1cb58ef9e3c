#include "dolphin/metrics/prometheus_metrics.h"

#include <prometheus/check_names.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <map>
#include <mutex>
#include <utility>

#include <fmt/format.h>

namespace dolphin::metrics {

namespace {

// The one definition of each layout (docs/observability.md "Buckets"). Changing one changes
// every process at once; a dashboard aggregating several processes relies on that.
const std::vector<double> kLatencyBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                            0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                            0.5,     1,      2.5,     5,      10};
const std::vector<double> kDurationBounds = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5,  1,   5,
                                             10,    30,    60,   300,  900, 1800, 3600};

class CounterAdapter final : public MetricCounter {
 public:
  explicit CounterAdapter(prometheus::Counter* c) : c_(c) {}
  void Increment(double by) override {
    if (c_ != nullptr && by >= 0) c_->Increment(by);
  }

 private:
  prometheus::Counter* const c_;  // nullptr: a refused name, discarding
};

class GaugeAdapter final : public MetricGauge {
 public:
  explicit GaugeAdapter(prometheus::Gauge* g) : g_(g) {}
  void Set(double v) override {
    if (g_ != nullptr) g_->Set(v);
  }
  void Add(double d) override {
    if (g_ != nullptr) g_->Increment(d);
  }

 private:
  prometheus::Gauge* const g_;
};

class HistogramAdapter final : public MetricHistogram {
 public:
  explicit HistogramAdapter(prometheus::Histogram* h) : h_(h) {}
  void Observe(double v) override {
    if (h_ != nullptr) h_->Observe(v);
  }

 private:
  prometheus::Histogram* const h_;
};

enum class Kind { kCounter, kGauge, kHistogram };

prometheus::Labels ToLabels(const MetricLabels& labels) {
  prometheus::Labels out;
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

class PrometheusMetrics final : public Metrics {
 public:
  PrometheusMetrics(RegistryOptions options, Logger& logger) : logger_(logger) {
    Gauge("dolphin_build_info", "Build and process of this dolphin (always 1)",
          {{"process", options.process}, {"version", options.version}})
        .Set(1);
    Gauge("dolphin_process_start_time_seconds", "When this dolphin process started, Unix seconds",
          {})
        .Set(static_cast<double>(options.start_time.UnixNanos()) / 1e9);
  }

  MetricCounter& Counter(std::string_view name, std::string_view help,
                         const MetricLabels& labels) override {
    std::lock_guard<std::mutex> lock(mu_);
    return Find<CounterAdapter>(Kind::kCounter, name, help, labels,
                                [&](const prometheus::Labels& l) {
                                  auto& family = prometheus::BuildCounter()
                                                     .Name(std::string(name))
                                                     .Help(std::string(help))
                                                     .Register(registry_);
                                  return std::make_unique<CounterAdapter>(&family.Add(l));
                                });
  }

  MetricGauge& Gauge(std::string_view name, std::string_view help,
                     const MetricLabels& labels) override {
    std::lock_guard<std::mutex> lock(mu_);
    return Find<GaugeAdapter>(Kind::kGauge, name, help, labels, [&](const prometheus::Labels& l) {
      auto& family = prometheus::BuildGauge()
                         .Name(std::string(name))
                         .Help(std::string(help))
                         .Register(registry_);
      return std::make_unique<GaugeAdapter>(&family.Add(l));
    });
  }

  MetricHistogram& Histogram(std::string_view name, std::string_view help, MetricBuckets buckets,
                             const MetricLabels& labels) override {
    std::lock_guard<std::mutex> lock(mu_);
    return Find<HistogramAdapter>(
        Kind::kHistogram, name, help, labels, [&](const prometheus::Labels& l) {
          auto& family = prometheus::BuildHistogram()
                             .Name(std::string(name))
                             .Help(std::string(help))
                             .Register(registry_);
          return std::make_unique<HistogramAdapter>(
              &family.Add(l, prometheus::Histogram::BucketBoundaries(BucketBounds(buckets))));
        });
  }

  uint64_t AddCollectHook(std::function<void()> hook) override {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    const uint64_t id = ++next_hook_;
    hooks_[id] = std::move(hook);
    return id;
  }

  void RemoveCollectHook(uint64_t id) override {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    hooks_.erase(id);
  }

  std::string Exposition() override {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    for (const auto& [id, hook] : hooks_) hook();
    try {
      return prometheus::TextSerializer().Serialize(registry_.Collect());
    } catch (const std::exception& e) {
      logger_.Error("metrics", "cannot render the exposition", {{"error", e.what()}});
      return {};
    }
  }

 private:
  template <typename Adapter>
  using Handles = std::map<std::pair<std::string, MetricLabels>, std::unique_ptr<Adapter>>;
  Handles<CounterAdapter>& HandlesOf(CounterAdapter*) { return counters_; }
  Handles<GaugeAdapter>& HandlesOf(GaugeAdapter*) { return gauges_; }
  Handles<HistogramAdapter>& HandlesOf(HistogramAdapter*) { return histograms_; }

  template <typename Adapter, typename Make>
  Adapter& Find(Kind kind, std::string_view name, std::string_view help, const MetricLabels& labels,
                Make make) {
    auto& handles = HandlesOf(static_cast<Adapter*>(nullptr));
    auto key = std::make_pair(std::string(name), labels);
    auto it = handles.find(key);
    if (it != handles.end()) return *it->second;
    std::unique_ptr<Adapter> handle;
    std::string why;
    if (!prometheus::CheckMetricName(std::string(name))) {
      why = "not a valid metric name";
    } else {
      for (const auto& [k, v] : labels) {
        if (!prometheus::CheckLabelName(k))
          why = fmt::format("label \"{}\" is not a valid label name", k);
      }
      auto other = kinds_.find(std::string(name));
      if (why.empty() && other != kinds_.end() && other->second != kind)
        why = "already used for another kind";
    }
    if (why.empty()) {
      try {
        handle = make(ToLabels(labels));
        kinds_[std::string(name)] = kind;
      } catch (const std::exception& e) {
        why = e.what();
      }
    }
    if (!handle) {
      logger_.Error("metrics", "metric refused; its values are discarded",
                    {{"name", std::string(name)}, {"why", why}, {"help", std::string(help)}});
      handle = std::make_unique<Adapter>(nullptr);
    }
    Adapter& ref = *handle;
    handles.emplace(std::move(key), std::move(handle));
    return ref;
  }

  Logger& logger_;
  prometheus::Registry registry_;
  std::mutex mu_;
  Handles<CounterAdapter> counters_;      // guarded by mu_
  Handles<GaugeAdapter> gauges_;          // guarded by mu_
  Handles<HistogramAdapter> histograms_;  // guarded by mu_
  std::map<std::string, Kind> kinds_;     // guarded by mu_
  std::mutex hooks_mu_;
  uint64_t next_hook_ = 0;                           // guarded by hooks_mu_
  std::map<uint64_t, std::function<void()>> hooks_;  // guarded by hooks_mu_
};

}  // namespace

const std::vector<double>& BucketBounds(MetricBuckets buckets) {
  switch (buckets) {
    case MetricBuckets::kLatency: return kLatencyBounds;
    case MetricBuckets::kDuration: return kDurationBounds;
  }
  return kLatencyBounds;
}

std::unique_ptr<Metrics> NewPrometheusMetrics(RegistryOptions options, Logger& logger) {
  return std::make_unique<PrometheusMetrics>(std::move(options), logger);
}

}  // namespace dolphin::metrics
