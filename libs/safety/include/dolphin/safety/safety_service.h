// SafetyService: turns how the system is (the published health record, each trader's drawdown
// from its day's peak, the scan source's freshness) into how much risk the traders may take,
// DOLPHIN_SAFETY["latest"] (docs/safety.md).
//
// Every `interval` it reads its inputs from the bus, applies the rule table (DecidePosture),
// holds improvements for `recover_after` (a worse posture applies at once), and publishes the
// record. It publishes nothing until it has seen a health record written after its own start
// and outside health's start-up grace: until then traders on `posture = "bus"` stay REDUCING
// (exits only, positions kept), so a restart never turns into HIBERNATE by itself. After
// that, a missing or stale input means HIBERNATE. One log line per posture change.
// Thread-safety: Start/Stop from the Runner's thread; RunCycle from the service's own thread
// (or a test, when not started); Health/StatusJson/last from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/contract/safety.h"
#include "dolphin/core/env.h"
#include "dolphin/core/thread_factory.h"
#include "dolphin/health/status_hold.h"
#include "dolphin/runtime/service.h"
#include "dolphin/safety/rules.h"
#include "dolphin/safety/safety_options.h"

namespace dolphin::safety {

struct SafetyServiceOptions {
  SafetyOptions safety;
  // The traders whose drawdown counts (every enabled colour).
  std::vector<std::string> colors;
};

class SafetyService final : public runtime::Service {
 public:
  SafetyService(Env env, bus::KvBus& bus, SafetyServiceOptions options);
  ~SafetyService() override;

  std::string name() const override { return "safety"; }
  Status Start() override;
  void Stop() override;
  runtime::ServiceHealth Health() const override;
  Json StatusJson() const override;

  // One cycle now: read, decide, hold, publish. Returns the record published, or nullopt while
  // waiting for health (nothing published). The service's thread calls it every interval;
  // tests call it directly (without Start) between clock steps.
  std::optional<contract::SafetyRecord> RunCycle();

  // Reads the inputs from the bus (public for `dolphin status` and tests).
  SafetyInputs ReadInputs();

  // The last record published; nullopt before the first.
  std::optional<contract::SafetyRecord> last() const;
  uint64_t cycles() const { return cycles_.load(); }

 private:
  void Loop();

  Env env_;
  bus::KvBus& bus_;
  const SafetyServiceOptions options_;
  Timestamp started_at_;
  bool started_set_ = false;
  health::LevelHold<Posture, 4> hold_;
  bool armed_ = false;  // a health record after our start and outside its grace was seen
  std::string last_waiting_logged_;  // one line per change of what we wait for
  std::atomic<uint64_t> cycles_{0};

  mutable std::mutex mu_;  // guards the members below
  std::optional<contract::SafetyRecord> last_;
  std::string waiting_for_;  // why nothing is published yet ("" once armed)
  std::string last_error_;   // the last publish failure ("" when the last put worked)

  std::unique_ptr<CancelToken> cancel_;
  std::unique_ptr<ThreadHandle> thread_;
};

}  // namespace dolphin::safety
