// Metrics: the process's counters, gauges and histograms, as components see them
// (docs/observability.md).
//
// A component asks `env.metrics` for a handle once (usually in its constructor) and then
// increments, sets or observes it on its hot path; the handle is a few atomic operations, never
// a lookup. Names follow Prometheus conventions (`dolphin_<area>_<what>_<unit>`, `_total` for
// counters, base units: seconds, bytes); label values must come from a bounded set (a colour,
// a service name, an enum value), never from data (a scan number, a file name, an error text).
//
// This interface has no third-party types: libs/metrics implements it with prometheus-cpp and
// renders the text exposition served at GET /metrics; a library only ever sees this header.
// Without a registry (unit tests, verbs that serve no API), Env carries NullMetrics(), whose
// handles discard everything.
//
// Latency histograms share one bucket layout per kind (MetricBuckets), defined once in
// libs/metrics, so every process's histograms aggregate across processes.
//
// Thread-safety: every method and every handle is thread-safe. Ownership: handles are owned by
// the Metrics object and stay valid for its lifetime (the process's); asking twice for the same
// name and labels returns the same handle.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dolphin {

// Label name -> value pairs, e.g. {{"color", "BLUE"}}.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonic count (name ends in `_total`).
class MetricCounter {
 public:
  virtual ~MetricCounter() = default;
  // REQUIRES: by >= 0 (a negative increment is ignored).
  virtual void Increment(double by = 1.0) = 0;
};

// A value that goes up and down (a level, a state flag, a timestamp in seconds).
class MetricGauge {
 public:
  virtual ~MetricGauge() = default;
  virtual void Set(double value) = 0;
  virtual void Add(double delta) = 0;
};

// A distribution (latencies in seconds, sizes in bytes).
class MetricHistogram {
 public:
  virtual ~MetricHistogram() = default;
  virtual void Observe(double value) = 0;
};

// The shared bucket layouts (upper bounds in libs/metrics; docs/observability.md lists them).
enum class MetricBuckets {
  // Event latencies in seconds, 50 us .. 10 s: file -> publish, publish -> decision, bus ops.
  kLatency,
  // Work durations in seconds, 1 ms .. 1 h: journal commits, health cycles, flow runs.
  kDuration,
};

class Metrics {
 public:
  virtual ~Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The handle of `name` with `labels`, created on first use. A name that is not a valid
  // Prometheus name, or one already used for another kind, is a programmer error: it is logged
  // once and a discarding handle is returned (never a crash in production).
  virtual MetricCounter& Counter(std::string_view name, std::string_view help,
                                 const MetricLabels& labels = {}) = 0;
  virtual MetricGauge& Gauge(std::string_view name, std::string_view help,
                             const MetricLabels& labels = {}) = 0;
  virtual MetricHistogram& Histogram(std::string_view name, std::string_view help,
                                     MetricBuckets buckets, const MetricLabels& labels = {}) = 0;

  // `hook` runs before every exposition, on the scraping thread: for values that are read
  // rather than pushed (queue depths, ages). Returns an id for RemoveCollectHook; the owner of
  // what the hook captures removes it before it goes away.
  virtual uint64_t AddCollectHook(std::function<void()> hook) = 0;
  virtual void RemoveCollectHook(uint64_t id) = 0;

  // The Prometheus text exposition (format 0.0.4) of every metric; empty for NullMetrics().
  virtual std::string Exposition() = 0;

 protected:
  Metrics() = default;
};

// The process-wide discarding implementation (Env's default).
Metrics& NullMetrics();

// Sets the gauge family `name` to 1 for `labels` + {label, current} and 0 for every other
// value in `values`: one series per enum value, the Prometheus way to export a state.
void SetStateGauge(Metrics& metrics, std::string_view name, std::string_view help,
                   const MetricLabels& labels, std::string_view label,
                   const std::vector<std::string_view>& values, std::string_view current);

}  // namespace dolphin
