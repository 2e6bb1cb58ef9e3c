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
#include <string>
#include <string_view>

#include "../wiring.h"
#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/json.h"
#include "dolphin/core/logging.h"

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
