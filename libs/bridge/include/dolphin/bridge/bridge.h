// The scan bridge (layer 2): new NG6 scan files -> DOLPHIN_FEATURES["latest_eigen_scan"].
//
// Watches <scan_dir> with inotify (day folders included) and/or polls the newest day folder's
// mtimes. Each complete file is read off the event thread (timeout, cap on reads in flight),
// decoded, ordered by (epoch, scan_number) and published once:
//   - a higher scan number: published in the current epoch;
//   - a lower-or-equal number with a newer timestamp: upstream restart, new epoch
//     (= the scan's timestamp in Unix microseconds), persisted in the state file;
//   - otherwise: a duplicate or stale scan, not published (counted, logged).
// On start the newest existing scan is published once with republished=true; older files are
// not replayed. A file that does not parse is retried while it changes and quarantined (with a
// .reason file) once unchanged for `settle`. A failed bus put is retried with back-off; a newer
// scan replaces the pending one. When the bus reports kClusterChanged (reconnected to a
// restarted, empty cluster), the newest published scan is published again (same fields,
// republished=true, a fresh bridge_ts). Thread-safety: Service methods as documented there; Stats()
// from any thread.
#pragma once

#include <filesystem>
#include <memory>

#include "dolphin/bridge/bridge_options.h"
#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/env.h"
#include "dolphin/runtime/service.h"

namespace dolphin::bridge {

struct BridgeStats {
  uint64_t published = 0;
  uint64_t duplicates = 0;  // same (epoch, scan_number) seen again
  uint64_t stale = 0;       // older than the last published scan
  uint64_t quarantined = 0;
  uint64_t unreadable = 0;  // read failures and hung reads
  uint64_t put_failures = 0;
  uint64_t epochs_started = 0;
  uint64_t cluster_republishes = 0;  // newest scan published again into a restarted cluster
  // Assets left out of decoded scans because their symbol is not valid UTF-8 (each file
  // counted once when it is read; a warning names the file).
  uint64_t assets_dropped_invalid_utf8 = 0;
  int64_t epoch = 0;
  int64_t last_scan_number = -1;
  int reads_in_flight = 0;
};

class Bridge : public runtime::Service {
 public:
  virtual BridgeStats Stats() const = 0;
};

std::unique_ptr<Bridge> NewBridge(BridgeOptions options, bus::KvBus& bus, Env env);

}  // namespace dolphin::bridge
