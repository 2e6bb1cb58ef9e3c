// The systemd units of a dolphin installation (docs/services.md §3): one unit per service under
// the original system's names (DESIGN §6; health::SystemdUnitFor) with the limits of its
// [services.<name>] table (supervisor::ServiceOptions, whose in-class defaults are the only
// place the default limits are written), Type=notify + WatchdogSec= for dolphin services, the
// start limit in [Unit], journal logging and hardening. `dolphin systemd generate` gathers the
// input from the configuration and writes what RenderUnits() returns.
//
// Thread-safety: plain values and pure functions (no I/O, no clock, no environment).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/result.h"
#include "dolphin/supervisor/service_options.h"

namespace dolphin::systemd_units {

// The Hazelcast member as a unit (`[bus] backend = "hazelcast"`).
struct HazelcastUnit {
  // The member's command, argv[0] absolute (`[services.hazelcast] exec`, else java running the
  // member jar: HazelcastMemberCommand()).
  std::vector<std::string> exec;
};

struct UnitsInput {
  // Absolute path of the dolphin binary every ExecStart= runs.
  std::filesystem::path dolphin_binary;
  // Absolute path of the configuration file (`-c`); empty: none (every default).
  std::filesystem::path config_file;
  // WorkingDirectory= of every unit (the config file's folder): absolute.
  std::filesystem::path working_dir;
  // The state dir: ReadWritePaths= of every unit (ProtectSystem=strict leaves only it writable).
  std::filesystem::path state_dir;
  // Further paths a service writes outside state_dir, by service ("bridge": scan_dir,
  // quarantine_dir; "trader": journal folders; "sim": scan_dir).
  std::map<std::string, std::vector<std::filesystem::path>> writable_paths;
  // The configured [services.<name>] tables (EffectiveServiceOptions gives each unit's).
  supervisor::ServicesOptions services;
  // Trader colours: instances of the template; a colour with its own [services.trader.<COLOR>]
  // table gets a drop-in with its limits.
  std::vector<std::string> trader_colors;
  // Pools the worker serves (`--pool P` each); none: no worker unit.
  std::vector<std::string> worker_pools;
  // The simulator as a unit (dolphin-sim.service) when [sim] is enabled.
  bool sim = false;
  // hazelcast.service, and every dolphin unit Wants= and orders After= it.
  std::optional<HazelcastUnit> hazelcast;
};

// One file to write, relative to the output folder ("dolphin-scan-bridge.service",
// "dolphin-nautilus-trader@BLUE.service.d/50-limits.conf").
struct UnitFile {
  std::string path;
  std::string text;
};

// Every unit of the installation: the trader template, meta_health_daemon, the scan bridge, the
// safety service, the pool worker (when it has pools), the simulator (when enabled) and
// hazelcast (when given), each with its effective options; a service whose table says
// `enabled = false` gets no unit. InvalidArgument naming the field when an input path is not
// absolute or the binary is missing.
Result<std::vector<UnitFile>> RenderUnits(const UnitsInput& input);

// One ExecStart= argument, quoted for systemd when it needs it ("a b" -> "\"a b\""); '%' is
// written as "%%" and '$' as "$$" (no specifier or variable expansion), except the instance
// specifier "%i" itself.
std::string QuoteExecArg(const std::string& arg);

// A duration as systemd reads it: whole seconds as "5s", else milliseconds ("500ms").
std::string FormatSystemdDuration(Duration d);

// The standalone member's command: `java` with a heap of half of memory_max (at most 1G; 512m
// when unlimited), the serial GC, IPv4, phone-home off, a graceful shutdown hook, the config file
// `member_config` and the jar's HazelcastMemberStarter.
std::vector<std::string> HazelcastMemberCommand(const std::filesystem::path& java,
                                                const std::filesystem::path& jar,
                                                const std::filesystem::path& member_config,
                                                const supervisor::ServiceOptions& options);

// The member's YAML config: cluster `cluster_name`, `host`:`port`, TCP-IP join with itself only,
// no multicast, phone-home off (the test member's config, scripts/hazelcast/).
std::string HazelcastMemberConfig(const std::string& cluster_name, const std::string& host,
                                  int port);

}  // namespace dolphin::systemd_units
