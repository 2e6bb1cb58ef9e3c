// The live trader (layer 1): one instance per colour, as a runtime::Service.
//
// A key listener on DOLPHIN_FEATURES["latest_eigen_scan"] (never polling) hands each scan to
// the Engine on the listener's own thread:
//   parse -> de-duplicate by (epoch, scan_number) -> context (posture, controls, age) ->
//   Engine::OnScan [journal intents -> send] -> journal fills + snapshot + processed marker in
//   one transaction -> DOLPHIN_STATE_<COLOR>["latest_nautilus"] and DOLPHIN_PNL_<COLOR>[day].
// A scan the listener coalesced away (the trader was busy) shows up as a gap: counted in
// missed_scans and journaled, never hidden. On start the trader restores its snapshot from the
// journal and reconciles open intents with the paper venue (orders the venue holds are kept,
// the rest cancelled with a reason), then publishes its state.
//
// Test-only crash points: DOLPHIN_TEST_CRASH_AT=<point>[:<n>] kills the process with SIGKILL
// the n-th time (default 1st) it reaches <point>: after_intent (intents committed), after_send
// (the venue took them), after_fill (fills in memory, not committed), after_commit (committed,
// not yet on the bus). Thread-safety: Service methods as documented there; controls and
// accessors from any thread.
#pragma once

#include <functional>
#include <memory>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/env.h"
#include "dolphin/runtime/service.h"
#include "dolphin/trader/engine.h"
#include "dolphin/trader/trader_options.h"

namespace dolphin::trader {

struct TraderStats {
  int64_t processed = 0;  // scans committed (stale ones included)
  int64_t stale = 0;
  int64_t missed = 0;      // scans never seen (gaps)
  int64_t duplicates = 0;  // already processed (a SNAPSHOT or a republication)
  int64_t bad_scans = 0;   // unparseable values
  int64_t failures = 0;    // journal or engine failures (the scan was not committed)
  int64_t publish_failures = 0;
  int64_t intents = 0;
  int64_t fills = 0;
  int64_t last_scan_number = -1;
  Duration last_decision_latency{0};  // bridge_ts -> decision
};

// Called after each committed scan (benchmarks and tests): the result and when the decision
// was made (monotonic clock).
using DecisionObserver = std::function<void(const Scan&, const ScanResult&, MonoTime decided_at)>;

class TraderService : public runtime::Service {
 public:
  // Operator controls, journaled and published at once; they act on the next scan.
  virtual Result<Json> Halt() = 0;
  virtual Result<Json> Resume() = 0;
  // Closes every position on the next scan, then halts.
  virtual Result<Json> Flatten() = 0;

  virtual const std::string& color() const = 0;
  virtual TraderStats Stats() const = 0;
  virtual Json CurrentStateJson() const = 0;
};

std::unique_ptr<TraderService> NewTraderService(TraderOptions options, bus::KvBus& bus, Env env,
                                                DecisionObserver observer = {});

}  // namespace dolphin::trader
