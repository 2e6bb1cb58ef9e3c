// Heartbeats: DOLPHIN_HEARTBEAT[<service>] = {service, pid, host, ts, status, detail}, encoded
// by the contract (dolphin/contract/heartbeat.h). Thread-safety: pure functions; the bus
// synchronises PublishHeartbeat.
#pragma once

#include <string>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/clock.h"
#include "dolphin/runtime/service.h"

namespace dolphin::runtime {

using contract::kHeartbeatMap;  // the contract's name, here for the runtime's callers

// The JSON value of one heartbeat (docs/architecture.md §3 fields).
std::string HeartbeatJson(const std::string& service, Timestamp ts, const ServiceHealth& health);

// Writes one heartbeat. Errors come from the bus.
Status PublishHeartbeat(bus::KvBus& bus, const Clock& clock, const std::string& service,
                        const ServiceHealth& health);

// This machine's host name ("unknown" if it cannot be read).
std::string HostName();

}  // namespace dolphin::runtime
