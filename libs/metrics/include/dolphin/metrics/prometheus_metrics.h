// The process's metrics registry: core's Metrics interface (dolphin/core/metrics.h) over a
// prometheus-cpp registry (Debian prometheus-cpp-dev; its registry and text serializer only:
// the exposition is served by the control API, GET /metrics, never by prometheus-cpp's own
// web server). docs/observability.md lists the families and the bucket layouts.
//
// Every registry also exports `dolphin_build_info{version, process}` = 1 and
// `dolphin_process_start_time_seconds`, so a scrape always has a dolphin_* series even before
// any service has counted anything.
//
// Thread-safety: all of Metrics is thread-safe (prometheus-cpp's counters and gauges are atomic,
// its histograms locked); collect hooks run under the registry's hook lock, one exposition at a
// time. Ownership: the caller owns the returned registry; it must outlive every Env that refers
// to it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dolphin/core/logging.h"
#include "dolphin/core/metrics.h"
#include "dolphin/core/time.h"

namespace dolphin::metrics {

struct RegistryOptions {
  // Value of dolphin_build_info's `process` label ("run", "up", "serve.bridge", ...).
  std::string process;
  // Value of its `version` label.
  std::string version;
  // When the process started (dolphin_process_start_time_seconds).
  Timestamp start_time;
};

// `logger` gets one error line per name or label that prometheus-cpp refuses (a programmer
// error; that handle then discards). REQUIRES: `logger` outlives the registry.
std::unique_ptr<Metrics> NewPrometheusMetrics(RegistryOptions options, Logger& logger);

// The upper bounds (seconds) of a shared bucket layout; the same in every dolphin process.
const std::vector<double>& BucketBounds(MetricBuckets buckets);

}  // namespace dolphin::metrics
