// DirectBus: the CLI verbs' own connection to a shared bus (`[bus] backend = "hazelcast"`).
//
// docs/architecture.md §9: the verbs go through the running dolphin's control API when the bus is
// embedded (it lives inside that process), and straight to the bus when it is shared. This
// helper builds the quiet logger and the connection for the second case, and holds the few
// conversions both paths share so their output stays identical.
// Thread-safety: one DirectBus per verb invocation, used from the verb's thread (the bus
// itself is thread-safe). Ownership: owns the clock, logger and bus; the bus goes first.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "../wiring.h"
#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"
#include "dolphin/core/logging.h"
#include "dolphin/indicators/flows.h"

namespace dolphin::cli {

// True when the verbs must talk to a running dolphin's control API (the embedded bus).
bool BusThroughApi(const AppConfig& config);

class DirectBus {
 public:
  // A clock and a logger for the verb. Unless --log-level was given, the logger prints only
  // warnings and errors (stdout carries the answer; stderr only what went wrong).
  DirectBus(const AppConfig& config, const CliContext& ctx);
  ~DirectBus();
  DirectBus(const DirectBus&) = delete;
  DirectBus& operator=(const DirectBus&) = delete;

  // Connects with MakeBus (wiring.h). On failure prints one line naming `verb`, the members
  // tried and why, and returns the exit code (1; 2 for a malformed member address).
  int Connect(std::string_view verb);

  SystemClock& clock() { return clock_; }
  Logger& logger() { return *logger_; }
  // REQUIRES: Connect() returned kExitOk.
  bus::KvBus& bus() { return *bus_; }

 private:
  const AppConfig& config_;
  SystemClock clock_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<ProcessEnv> process_env_;  // Outlives bus_, which keeps its Env.
  std::unique_ptr<bus::KvBus> bus_;
};

// Where a flow process (`dolphin indicators run`, `dolphin batch`) reads and publishes bus
// values: the running dolphin's embedded bus through its control API, or the shared bus itself.
// Errors say why ("no running dolphin to publish to: ...").
struct FlowSink {
  std::unique_ptr<bus::KvBus> bus;  // the shared bus (null through the API); outlived by sink
  std::unique_ptr<indicators::FeatureSink> sink;
};
Result<FlowSink> OpenFlowSink(const AppConfig& config, Env env);

// The flow process contract (docs/scheduler.md "Flow process contract"): the configuration of
// DOLPHIN_CONFIG (unless -c was given), the state dir of DOLPHIN_STATE_DIR, the run's
// DOLPHIN_PARAMETERS (a JSON object), DOLPHIN_FLOW_RUN_ID and DOLPHIN_DEPLOYMENT ("" when run by
// hand). On a bad configuration or parameters prints one line naming `verb` and sets the code.
struct FlowInvocation {
  AppConfig config;
  Json parameters = Json::object();
  std::string run_id;
  std::string deployment;
};
std::optional<FlowInvocation> LoadFlowInvocation(CliContext& ctx, const std::string& verb,
                                                 int* exit_code);

// A control API path for a bus map (and key): `prefix` + percent-encoded segments, e.g.
// BusApiPath("/api/bus/", "DOLPHIN_STATE_BLUE", "latest_nautilus").
std::string BusApiPath(const std::string& prefix, const std::string& map,
                       const std::string& key = "");

// A bus value shown as JSON when it is JSON text, else as a JSON string (as the control API).
Json BusValueAsJson(const std::string& value);

// One watch event as the control API's stream carries it: {"type","map","key","value"}
// (value null for REMOVED).
Json WatchEventJson(const bus::BusEvent& event);

}  // namespace dolphin::cli
