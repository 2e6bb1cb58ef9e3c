// The embedded `memory` backend: in-process maps with the full listener contract of kv_bus.h.
#pragma once

#include <memory>

#include "dolphin/bus/kv_bus.h"

namespace dolphin::bus {

// `listener_queue_capacity` is the queue capacity of listeners that do not ask for one
// (ListenerOptions::queue_capacity = 0); `[bus] listener_queue_capacity` in the wiring.
// REQUIRES: listener_queue_capacity > 0.
std::unique_ptr<KvBus> NewInMemoryBus(
    size_t listener_queue_capacity = kDefaultListenerQueueCapacity);

}  // namespace dolphin::bus
