// [bridge] section (docs/architecture.md §11).
#pragma once

#include <filesystem>

#include "dolphin/core/config.h"
#include "dolphin/core/time.h"

namespace dolphin::bridge {

struct BridgeOptions {
  // Folder of day folders <scan_dir>/YYYY-MM-DD/*.arrow. Default: <state_dir>/scans.
  std::filesystem::path scan_dir;
  // Where unparseable files go, with a .reason file. Default: <state_dir>/quarantine.
  std::filesystem::path quarantine_dir;
  // Where the epoch is persisted (so a restarted bridge keeps it). Default:
  // <state_dir>/bridge_state.json.
  std::filesystem::path state_file;
  // mtime polling of the newest day folder, for network mounts where inotify sees nothing;
  // 0 = inotify only. Default: 0.
  Duration poll_interval = Duration(0);
  // Watch with inotify. Default: true (false only makes sense with polling).
  bool inotify = true;
  // An unparseable file unchanged this long is quarantined. Default: 2000 ms.
  Duration settle = std::chrono::milliseconds(2000);
  // A file read taking longer counts as hung: the bridge goes on (status: stalled) and retries
  // the file later. Default: 5000 ms.
  Duration read_timeout = std::chrono::milliseconds(5000);
  // Reads allowed in flight at once, hung ones included. Default: 4.
  int max_reads_in_flight = 4;
  // Log one line per published scan. Default: true.
  bool log_each_scan = true;
  // Test only (DOLPHIN_TEST_BRIDGE_LOOP_EXIT_AFTER, read by the wiring): the event loop returns
  // after publishing this many scans since its start, once per process, as a loop that met an
  // error it cannot handle would. 0: never. Not a config key.
  uint64_t exit_loop_after_for_test = 0;
};

// `state_dir` supplies the defaults of the three paths.
Result<BridgeOptions> ParseBridgeOptions(ConfigSection section,
                                         const std::filesystem::path& state_dir);
void WriteBridgeOptions(const BridgeOptions& options, ConfigWriter& out);

}  // namespace dolphin::bridge
