// MeteredBus: a KvBus decorator that counts every operation for GET /metrics
// (docs/observability.md "bus"), whatever the backend.
//
//   dolphin_bus_operations_total{op, result}          put|get|remove|keys|maps, ok|error
//   dolphin_bus_operation_seconds{op}                  latency histogram (shared kLatency layout)
//   dolphin_bus_listeners                              registered entry listeners
//   dolphin_bus_listener_queue_depth{listener}         events pending now (summed by name)
//   dolphin_bus_listener_delivered_total{listener}     callbacks run
//   dolphin_bus_listener_coalesced_total{listener}     events replaced by a newer one, same key
//
// `listener` is ListenerOptions::name ("trader.BLUE", "api-watch", ...; "unnamed" when empty):
// names come from the services, so the set is bounded. The listener values are read from the
// backend (GetListenerStats) when metrics are collected, never on the event path.
// Latencies are read on env.clock's monotonic time. Thread-safety: as thread-safe as the inner
// bus. Ownership: owns `inner`; what `env` refers to must outlive it.
#pragma once

#include <memory>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/env.h"

namespace dolphin::bus {

std::unique_ptr<KvBus> NewMeteredBus(std::unique_ptr<KvBus> inner, Env env);

}  // namespace dolphin::bus
