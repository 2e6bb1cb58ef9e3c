// The embedded `memory` backend: in-process maps with the full listener contract of kv_bus.h.
#pragma once

#include <memory>

#include "dolphin/bus/kv_bus.h"

namespace dolphin::bus {

std::unique_ptr<KvBus> NewInMemoryBus();

}  // namespace dolphin::bus
