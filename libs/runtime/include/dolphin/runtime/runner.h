// Runner: the loop of `dolphin run` and `dolphin serve`.
//
// Starts every added service, then once per heartbeat interval publishes the process's own
// heartbeat (DOLPHIN_HEARTBEAT[<process name>]) and each service's, and logs one status line.
// Waits on the injected Clock, so a SimulatedClock drives it in tests. Returns when `cancel`
// is cancelled (SIGINT/SIGTERM in the app) or `duration` has passed, after stopping the
// services in reverse order.
// With a ProcessNotifier (systemd's sd_notify, docs/services.md) it also sends READY=1 once every
// service started, STATUS=<one line> whenever that line changes, WATCHDOG=1 every half watchdog
// timeout while the process makes progress (NoProgressReason() in notifier.h; no ping otherwise,
// so the service manager kills a stuck process) and STOPPING=1 before stopping the services.
// While the bus reports itself disconnected (a connection listener) the heartbeat puts are
// skipped, not queued: a put issued then would wait for the connection (the hazelcast client's
// request timeout, 30 s) and hold the loop, and with it the watchdog pings, so a bus outage
// would make the service manager kill services that a restart cannot help.
// RestartService() restarts one service (Stop, then Start) without touching the others: what the
// health service asks for when a service's loop returned (inside `dolphin run` nobody else would).
// Thread-safety: Add() before Run(); Run() on one thread; States(), RestartService() and the
// counters from any thread (serialised with the heartbeat beat and with start/stop).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/env.h"
#include "dolphin/runtime/notifier.h"
#include "dolphin/runtime/service.h"

namespace dolphin::runtime {

struct RunnerOptions {
  // Name of the process's own heartbeat key. Default: "run".
  std::string process_name = "run";
  // Heartbeat and status-line period. Default: 5 s (heartbeat_interval_s).
  Duration heartbeat_interval = std::chrono::seconds(5);
  // Stop after this long; nullopt = until cancelled. Default: nullopt.
  std::optional<Duration> duration;
  // Log one status line per interval. Default: true.
  bool status_lines = true;
};

// One service as its Runner sees it (for the health service's M1 and `dolphin status`).
struct RunnerServiceState {
  std::string name;
  bool started = false;  // Start() succeeded and Stop() was not called since
  ServiceLiveness liveness;
  ServiceHealth health;
  int64_t restarts = 0;  // by RestartService()
};

class Runner {
 public:
  // `notifier` (not owned, may be null: nothing is sent) must outlive Run().
  Runner(Env env, bus::KvBus& bus, RunnerOptions options, ProcessNotifier* notifier = nullptr);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  void Add(std::unique_ptr<Service> service);
  const std::vector<std::unique_ptr<Service>>& services() const { return services_; }

  // Runs until cancelled or the duration passes. An error when a service fails to start
  // (the services already started are stopped first).
  Status Run(const CancelToken& cancel);

  // A snapshot of every service, in start order.
  std::vector<RunnerServiceState> States() const;

  // Stops and starts the named service again. NotFound for an unknown name;
  // FailedPrecondition when Run() is not running (or is stopping); the Start() error when the
  // service cannot start (it then stays stopped, and a later call may try again).
  Status RestartService(const std::string& name);

  // Heartbeats published so far (process + services).
  uint64_t heartbeats_published() const { return heartbeats_.load(); }
  // WATCHDOG=1 pings sent so far, and pings withheld because the process made no progress.
  uint64_t watchdog_pings() const { return watchdog_pings_.load(); }
  uint64_t watchdog_pings_withheld() const { return watchdog_withheld_.load(); }
  // Heartbeat puts skipped while the bus was disconnected.
  uint64_t heartbeats_skipped() const { return heartbeats_skipped_.load(); }

 private:
  void Beat(MonoTime started);
  // At a watchdog ping time: WATCHDOG=1 when the services make progress, else nothing.
  void WatchdogTick();
  // Sends STATUS= when the one-line state changed (and always with `prefix`, e.g. READY=1).
  void NotifyStatus(const std::string& prefix = "");
  void SendNotification(const std::string& assignments);

  Env env_;
  bus::KvBus& bus_;
  const RunnerOptions options_;
  std::vector<std::unique_ptr<Service>> services_;
  mutable std::mutex mu_;            // serialises service calls across threads
  std::vector<bool> started_;        // guarded by mu_
  std::vector<int64_t> restarts_;    // guarded by mu_
  bool accepting_restarts_ = false;  // guarded by mu_: true while Run() runs
  std::atomic<uint64_t> heartbeats_{0};
  uint64_t failed_beats_ = 0;
  NullNotifier null_notifier_;
  ProcessNotifier& notifier_;
  // Runner-thread state of the notifications.
  std::string last_status_;
  std::optional<std::string> withheld_reason_;  // why the last ping was withheld
  uint64_t notify_failures_ = 0;
  std::atomic<uint64_t> watchdog_pings_{0};
  std::atomic<uint64_t> watchdog_withheld_{0};
  std::atomic<bool> bus_disconnected_{false};  // set by the bus's connection listener
  bool skipping_logged_ = false;               // Runner thread
  // The status line's map and key counts (Runner thread): on Hazelcast one round trip per map,
  // so they are counted at most once a minute, not at every beat.
  std::optional<MonoTime> bus_counted_at_;
  size_t bus_maps_ = 0, bus_keys_ = 0;
  std::atomic<uint64_t> heartbeats_skipped_{0};
};

}  // namespace dolphin::runtime
