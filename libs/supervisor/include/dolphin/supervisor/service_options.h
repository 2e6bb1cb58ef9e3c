// [services.<name>] sections of the config file: the limits, restart policy and command of one
// supervised service, with systemd's keys (DESIGN §6, docs/supervisor.md). `dolphin up` runs
// each service under these options; `dolphin systemd generate` writes them into units.
//
// Every dolphin service (bridge, trader, sim, health, safety, scheduler, worker) defaults to the
// original trader unit's limits: the in-class defaults of ServiceOptions below are the one place
// they are written. Other services (the Hazelcast member, an upstream scanner) run `exec`.
// `[services.trader]` applies to every colour; `[services.trader.<COLOR>]` overrides keys for
// one colour (effective name "trader.<COLOR>").
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/core/config.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::supervisor {

// When a stopped child is started again (systemd's Restart=).
enum class RestartPolicy {
  kAlways,     // after any exit that the operator did not ask for
  kOnFailure,  // after a non-zero exit, a signal other than a clean stop signal, an OOM kill
  kNo,         // never
};
std::string_view RestartPolicyName(RestartPolicy policy);  // "always", "on-failure", "no"

struct ServiceOptions {
  // `dolphin up` runs this service. Default: true.
  bool enabled = true;
  // Hard memory limit in bytes (MemoryMax=, memory.max, v1 memory.limit_in_bytes); nullopt =
  // "infinity". Config: bytes as an integer or "2G", "512M", "1024K" (base 1024). Default: 2G.
  std::optional<int64_t> memory_max = int64_t{2} << 30;
  // Swap the service may use beyond memory_max (MemorySwapMax=, memory.swap.max, v1
  // memory.memsw.limit_in_bytes = memory_max + this); nullopt = "infinity". 0 makes memory_max
  // a true RAM cap: the service is OOM-killed instead of crawling in swap. Default: 0.
  std::optional<int64_t> memory_swap_max = 0;
  // CPU time in percent of one core (CPUQuota=, cpu.max, v1 cpu.cfs_quota_us per 100 ms);
  // nullopt = "infinity". Config: "200%". Default: 200 %.
  std::optional<double> cpu_quota_percent = 200.0;
  // Tasks (threads, not processes) in the service's cgroup (TasksMax=, pids.max); nullopt =
  // "infinity". Default: 50.
  std::optional<int64_t> tasks_max = 50;
  // Restart= policy. Default: always.
  RestartPolicy restart = RestartPolicy::kAlways;
  // Wait before a restart (RestartSec=). Config: restart_sec, seconds. Default: 5 s.
  Duration restart_sec = std::chrono::seconds(5);
  // At most start_limit_burst starts within start_limit_interval; the next one is refused and
  // the service stays `failed (start limit)` until `dolphin service start` resets it
  // (StartLimitIntervalSec=, StartLimitBurst=). An interval of 0 disables the limit.
  // Defaults: 60 s, 3.
  Duration start_limit_interval = std::chrono::seconds(60);
  int start_limit_burst = 3;
  // A dolphin service that sends no WATCHDOG=1 for this long is killed and restarted
  // (WatchdogSec=); 0 = off. Not applied to `exec` services (they do not speak sd_notify).
  // Config: watchdog_s. Default: 30 s (six 5 s heartbeats).
  Duration watchdog = std::chrono::seconds(30);
  // `dolphin up`: a child that has not answered ready (a dolphin service's /api/health, the
  // Hazelcast member's port) this long after its spawn is killed as a group and restarted by
  // its policy (systemd's TimeoutStartSec=). Config: ready_timeout_s. Default: 60 s.
  Duration ready_timeout = std::chrono::seconds(60);
  // `dolphin up` starts this service only once every service named here answers ready, and
  // stops it before them (systemd's After=). "trader" names every colour. nullopt: the default
  // order, DefaultAfter(). A name that is no service is a config error; one that `up` does not
  // run (disabled, an external member) is not waited for. Config: after = ["bridge"].
  std::optional<std::vector<std::string>> after;
  // After SIGTERM to its group, the service has this long before the group is SIGKILLed
  // (TimeoutStopSec=). Config: timeout_stop_s. Default: 10 s.
  Duration timeout_stop = std::chrono::seconds(10);
  // The command (argv) of a service that is not a dolphin service. Empty: a dolphin service,
  // run as `dolphin serve NAME`. Default: [].
  std::vector<std::string> exec;
  // Extra environment variables of the child (Environment=). Default: {}.
  std::map<std::string, std::string> env;
  // Working directory of the child (WorkingDirectory=); relative paths resolve against the
  // config file's folder. Empty: the supervisor's own working directory. Default: empty.
  std::filesystem::path working_dir;
};

// name -> options of every configured [services.<name>] (and "trader.<COLOR>" overrides).
using ServicesOptions = std::map<std::string, ServiceOptions>;

// The dolphin services, run as `dolphin serve NAME` (docs/architecture.md §5): bridge, trader,
// sim, health, safety, scheduler, worker.
const std::vector<std::string>& DolphinServiceNames();
// True for a dolphin service name, including "trader.<COLOR>".
bool IsDolphinService(std::string_view name);

// Reads [services]: one table per service. Every bad value is one line in the section's
// diagnostics ("file:line: [services.trader] memory_max: expected ..., got ..."); the result
// is then InvalidArgument. A service that is neither a dolphin service nor "hazelcast" (whose
// command the wiring knows) needs `exec`; a dolphin service must not have one.
Result<ServicesOptions> ParseServicesOptions(ConfigSection services);
// Writes one [services.<name>] table per entry, every key explicit (reads back the same).
void WriteServicesOptions(const ServicesOptions& options, ConfigWriter& out);

// tasks_max of the Hazelcast member unless [services.hazelcast] says: a 5.x member runs about 60
// threads (measured: 57-58 at rest, more under load), which the dolphin services' 50 would refuse.
inline constexpr int64_t kMemberTasksMax = 256;
// The defaults of service `name`: ServiceOptions{}, with tasks_max = kMemberTasksMax for
// "hazelcast" (also under a [services.hazelcast] table that does not set tasks_max).
ServiceOptions DefaultServiceOptions(std::string_view name);

// The effective options of service `name`: its own table, else (for "trader.<COLOR>") the
// [services.trader] table, else DefaultServiceOptions(name).
ServiceOptions EffectiveServiceOptions(const ServicesOptions& options, std::string_view name);

// The default start order (docs/supervisor.md, "Start order"): hazelcast first, then bridge,
// then every other dolphin service (traders, sim, health, safety, scheduler, worker) after
// both; other exec services after nothing.
std::vector<std::string> DefaultAfter(std::string_view name);
// The services `name` starts after: options.after, else DefaultAfter(name).
std::vector<std::string> AfterOf(std::string_view name, const ServiceOptions& options);

// "2G", "512M", "64M", "1024K", "123" (bytes, base 1024, K/M/G/T) or "infinity" (nullopt).
// InvalidArgument naming the expected form otherwise.
Result<std::optional<int64_t>> ParseByteSize(std::string_view text);
// The shortest exact form: 2147483648 -> "2G", 1536 -> "1536", nullopt -> "infinity".
std::string FormatByteSize(std::optional<int64_t> bytes);
// "200%" -> 200, "12.5%" -> 12.5, "infinity" -> nullopt; must be > 0.
Result<std::optional<double>> ParseCpuQuota(std::string_view text);
// 200 -> "200%", nullopt -> "infinity".
std::string FormatCpuQuota(std::optional<double> percent);

}  // namespace dolphin::supervisor
