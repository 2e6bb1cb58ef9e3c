// The indicator flows (DESIGN §10, docs/indicators.md): one fetch + check + publish per run
// (extf-funding, extf-dvol, extf-fear-greed, esof) or one long-running polling run (obf).
//
// Publishing goes through a FeatureSink (the bus directly, or a running dolphin's control API
// when its bus is embedded). Every published value carries `_pushed_at` (when dolphin wrote
// it), `_source_ts` (the newest timestamp inside the data) and `_flow_run_id`. The three ExtF
// flows merge their part (`funding`, `dvol`, `fear_greed`) into `exf_latest`, each part with its
// own envelope, so one failing source never blanks the others; the top-level envelope is the
// *oldest* part's, so the health service's M3 sees the stalest ExtF source. A fetch or schema
// failure publishes nothing (the last good value stays) and the run fails with the reason.
//
// Thread-safety: a run uses its context from one thread; CancelToken may be cancelled from
// any thread (SIGTERM). Ownership: the context refers to objects the caller keeps alive.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/env.h"
#include "dolphin/core/json.h"
#include "dolphin/core/result.h"
#include "dolphin/indicators/indicators_options.h"
#include "dolphin/net/http_client.h"

namespace dolphin::indicators {

// Where flows read and write DOLPHIN_FEATURES values.
class FeatureSink {
 public:
  virtual ~FeatureSink() = default;
  virtual Result<std::optional<std::string>> Get(const std::string& map,
                                                 const std::string& key) = 0;
  virtual Status Put(const std::string& map, const std::string& key, const std::string& value) = 0;
};

// A FeatureSink over a KvBus (which must outlive it).
std::unique_ptr<FeatureSink> NewBusFeatureSink(bus::KvBus& bus);

// Builds the HTTP client of one flow from its options (tests hand in a fake).
using HttpClientFactory =
    std::function<std::unique_ptr<net::HttpClient>(const net::HttpOptions&, const CancelToken&)>;
// The production factory: NewCurlHttpClient on `clock`.
HttpClientFactory CurlHttpClientFactory(Clock& clock);
// The HTTP options of a flow (timeouts, retries, back-off, cap; User-Agent "dolphin/<version>").
net::HttpOptions HttpOptionsFor(const FlowOptions& flow, const std::string& version);

struct FlowContext {
  Env env;
  FeatureSink& sink;
  HttpClientFactory http;
  IndicatorsOptions options;
  std::string flow_run_id;  // DOLPHIN_FLOW_RUN_ID; "manual-<time>" when run by hand
  std::string version = "dev";
  const CancelToken& cancel;
};

// What one successful run did, one line ("published exf_latest.funding: BTCUSDT rate=...").
struct RunSummary {
  std::string line;
};

// Runs `flow` once (obf: polls until `cancel`, or until max_consecutive_failures polls in a
// row failed). InvalidArgument for an unknown flow name; the fetch/schema error otherwise,
// its message one line naming the source and what was wrong.
Result<RunSummary> RunFlow(const std::string& flow, FlowContext& ctx);

// The pieces, for tests and the trader's readers:
// The new exf_latest text after merging `part` (its name: funding, dvol or fear_greed) into
// `previous` (absent or not JSON: a fresh object). Parts of ExtF flows not in `enabled_parts`
// are dropped.
std::string MergeExf(const std::optional<std::string>& previous, const std::string& part_name,
                     const Json& part, const std::vector<std::string>& enabled_parts,
                     const std::string& pushed_at, const std::string& flow_run_id);
// The exf_latest part name of an ExtF flow: funding, dvol, fear_greed.
std::string ExfPartOf(std::string_view flow);

}  // namespace dolphin::indicators
