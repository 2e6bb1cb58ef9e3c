// SchedulerService: the `scheduler` service of `dolphin run` and `dolphin serve scheduler`
// (DESIGN §6, docs/scheduler.md "Service"). It owns the store (<state_dir>/scheduler.sqlite)
// and the engine: at Start it opens the store, brings the configured pools and deployments in
// (Engine::Sync) and reconciles the runs held when it last stopped (Engine::Recover); its
// thread then ticks the engine every tick_interval on the Clock. The pool API is served over
// engine() by the wiring (pool_api.h on the control API).
//
// Thread-safety: Start/Stop from the Runner's thread; Health/StatusJson/engine() from any
// thread once started (the engine is thread-safe).
// Ownership: owns the store, the engine and its thread; the Env must outlive it.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>

#include "dolphin/core/env.h"
#include "dolphin/runtime/service.h"
#include "dolphin/scheduler/engine.h"
#include "dolphin/scheduler/scheduler_options.h"
#include "dolphin/scheduler/store.h"

namespace dolphin::scheduler {

class SchedulerService final : public runtime::Service {
 public:
  SchedulerService(SchedulerSetup setup, std::filesystem::path store_path, Env env);
  ~SchedulerService() override;

  std::string name() const override { return "scheduler"; }
  // Fails (one line naming the store) when the store cannot be opened, e.g. another scheduler
  // holds it.
  Status Start() override;
  void Stop() override;
  runtime::ServiceHealth Health() const override;
  runtime::ServiceLiveness Liveness() const override;
  Json StatusJson() const override;

  // The engine once Start() succeeded, else null (any thread). Valid until the service is
  // destroyed.
  Engine* engine() const { return engine_ptr_.load(std::memory_order_acquire); }
  // One tick now (tests step the loop with a SimulatedClock instead).
  Result<TickReport> TickForTest();

 private:
  void Loop();
  void ExportPoolMetrics();

  const SchedulerSetup setup_;
  const std::filesystem::path store_path_;
  Env env_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Engine> engine_;
  std::atomic<Engine*> engine_ptr_{nullptr};  // engine_ published to other threads
  std::unique_ptr<CancelToken> cancel_;
  std::unique_ptr<ThreadHandle> thread_;
  std::atomic<bool> loop_running_{false};
  mutable std::mutex mu_;
  Timestamp last_tick_;     // guarded by mu_
  TickReport totals_;       // guarded by mu_
  std::string last_error_;  // guarded by mu_
};

}  // namespace dolphin::scheduler
