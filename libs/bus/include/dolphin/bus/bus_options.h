// [bus] section of the config file (docs/architecture.md §11).
#pragma once

#include <string>
#include <vector>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/config.h"

namespace dolphin::bus {

struct BusOptions {
  // "memory" (embedded, in-process) or "hazelcast". Default: "memory".
  std::string backend = "memory";
  // Hazelcast members as "host:port". Default: ["127.0.0.1:5701"].
  std::vector<std::string> members = {"127.0.0.1:5701"};
  // Hazelcast cluster name. Default: "dolphin".
  std::string cluster_name = "dolphin";
  // Hazelcast credentials; empty = none. Default: empty.
  std::string username;
  std::string password;
  // Per-listener queue capacity before same-key coalescing, for every listener that does not
  // ask for its own (ListenerOptions::queue_capacity = 0); both backends. Default: 1024.
  int64_t listener_queue_capacity = static_cast<int64_t>(kDefaultListenerQueueCapacity);
};

// Reads [bus]; problems go to the section's diagnostics (and make the result an error).
Result<BusOptions> ParseBusOptions(ConfigSection section);
void WriteBusOptions(const BusOptions& options, ConfigWriter& out);

}  // namespace dolphin::bus
