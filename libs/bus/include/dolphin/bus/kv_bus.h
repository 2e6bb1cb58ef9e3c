// KvBus: the feature bus, a set of named maps from string keys to JSON text values.
//
// docs/architecture.md §3 is the contract, the same for every backend (memory, hazelcast):
//  - Put/Get/Remove/Keys on named maps. Values are opaque text to the bus (JSON by convention).
//  - Listeners on one key or a whole map. A new listener first receives SNAPSHOT events with
//    the current value (one per existing key for a map listener), then ADDED / UPDATED /
//    REMOVED as writes happen. A backend that reconnects delivers SNAPSHOTs again.
//  - Callbacks never run on the writer's thread (nor on a backend's I/O thread). Each listener
//    has its own bounded queue and its own dispatch thread, so a slow listener delays no writer
//    and no other listener. When the queue is full, an older pending event for the same key is
//    replaced by the newest (a REMOVED is never coalesced away); every replaced event is counted.
//  - Per-key order holds for each listener (within one connection for remote backends).
//  - Connection listeners (remote backends) learn when the connection to the bus is lost, when
//    it is back, and when it came back to a *different* cluster (restarted, so its maps are
//    empty): services that own a key republish it then. The memory backend never disconnects.
// Thread-safety: every method is thread-safe. A callback may call any bus method, including
// RemoveListener on its own id.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/core/result.h"

namespace dolphin::bus {

enum class EventType { kSnapshot, kAdded, kUpdated, kRemoved };
std::string_view EventTypeName(EventType type);  // "SNAPSHOT", "ADDED", "UPDATED", "REMOVED"

// An immutable bus event. `value` is empty for REMOVED.
struct BusEvent {
  EventType type;
  std::string map;
  std::string key;
  std::string value;
};

using ListenerCallback = std::function<void(const BusEvent&)>;
using ListenerId = uint64_t;

// The listener queue capacity of a bus built without one (BusOptions::listener_queue_capacity,
// `[bus] listener_queue_capacity`, defaults to it).
inline constexpr size_t kDefaultListenerQueueCapacity = 1024;

struct ListenerOptions {
  // Pending events before same-key coalescing starts. Once full, the queue holds at most two
  // events per key (a REMOVED and the newest value after it), so its size stays bounded by
  // max(queue_capacity, 2 x keys). 0 = the bus's capacity (`[bus] listener_queue_capacity`,
  // kDefaultListenerQueueCapacity unless configured). Default: 0.
  size_t queue_capacity = 0;
  // Shown in logs and stats. Default: empty.
  std::string name;
};

// What a connection listener is told (AddConnectionListener).
enum class ConnectionEvent {
  // The connection to the bus was lost. Writes fail (Unavailable / DeadlineExceeded) and
  // reads wait until it is back; the backend reconnects by itself.
  kDisconnected,
  // Connected again to the same cluster: its data survived, listeners were re-registered (and
  // received SNAPSHOTs). Nothing to do.
  kReconnected,
  // Connected again, but to a cluster with a different identity (a restarted or replaced
  // cluster): every map is empty, or holds only what was written since. Whoever owns a value
  // (the bridge's latest scan, a trader's state) should write it again. Listeners were
  // re-registered first, as for kReconnected.
  kClusterChanged,
};
std::string_view ConnectionEventName(ConnectionEvent event);  // "DISCONNECTED", ...

using ConnectionCallback = std::function<void(ConnectionEvent)>;

struct ListenerStats {
  uint64_t delivered = 0;  // callbacks run
  uint64_t coalesced = 0;  // events replaced by a newer one for the same key before delivery
  uint64_t pending = 0;    // events queued now
  uint64_t capacity = 0;   // the queue's capacity (ListenerOptions::queue_capacity, resolved)
};

// One write of KvBus::PutAll.
struct KvPut {
  std::string_view map;
  std::string_view key;
  std::string_view value;
};

class KvBus {
 public:
  virtual ~KvBus() = default;
  KvBus(const KvBus&) = delete;
  KvBus& operator=(const KvBus&) = delete;

  // Sets `key` in `map` to `value` (creates the map on first use).
  virtual Status Put(std::string_view map, std::string_view key, std::string_view value) = 0;
  // Every put, in order (a remote backend sends them together and waits once: one round
  // trip). Returns the first error; the other puts may have been applied. The default calls
  // Put for each.
  virtual Status PutAll(std::span<const KvPut> puts);
  // The value, or std::nullopt when the key is absent.
  virtual Result<std::optional<std::string>> Get(std::string_view map, std::string_view key) = 0;
  // Removes `key`; returns whether it existed.
  virtual Result<bool> Remove(std::string_view map, std::string_view key) = 0;
  // The keys of `map`, sorted; empty for an unknown map.
  virtual Result<std::vector<std::string>> Keys(std::string_view map) = 0;

  // Registers a listener on one key. SNAPSHOT first if the key exists.
  virtual Result<ListenerId> AddKeyListener(std::string_view map, std::string_view key,
                                            ListenerCallback callback,
                                            ListenerOptions options = {}) = 0;
  // Registers a listener on a whole map. One SNAPSHOT per existing key first.
  virtual Result<ListenerId> AddMapListener(std::string_view map, ListenerCallback callback,
                                            ListenerOptions options = {}) = 0;
  // Stops delivery; pending events are dropped. After it returns (when called from another
  // thread) the callback is not running and will not run again. NotFound for an unknown id.
  virtual Status RemoveListener(ListenerId id) = 0;
  virtual Result<ListenerStats> GetListenerStats(ListenerId id) = 0;

  // Registers a callback for connection events, in the order they happen. Callbacks run on a
  // dispatch thread of their own (never the I/O thread or a writer's thread; a slow callback
  // delays nobody else) and may call any bus method. No event is sent at registration: a
  // listener added while disconnected sees the reconnection only. kReconnected/kClusterChanged
  // come after the entry listeners were re-registered. Events are never coalesced.
  // The default implementation (the memory backend, which cannot disconnect) keeps nothing,
  // never calls `callback` and returns id 0. Returns an id for RemoveConnectionListener.
  virtual Result<ListenerId> AddConnectionListener(ConnectionCallback callback);
  // Stops delivery; pending events are dropped. After it returns (when called from another
  // thread) the callback is not running and will not run again. NotFound for an unknown id;
  // the default implementation accepts 0 (what its AddConnectionListener returned).
  virtual Status RemoveConnectionListener(ListenerId id);

  // Names of the maps that hold at least one key, sorted (for status pages and `bus keys`).
  virtual Result<std::vector<std::string>> Maps() = 0;

  // A short name for logs: "memory", "hazelcast 127.0.0.1:5701".
  virtual std::string Describe() const = 0;

 protected:
  KvBus() = default;
};

}  // namespace dolphin::bus
