#include "dolphin/bus/in_memory_bus.h"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <set>

#include "dolphin/bus/listener_queue.h"

namespace dolphin::bus {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kSnapshot: return "SNAPSHOT";
    case EventType::kAdded: return "ADDED";
    case EventType::kUpdated: return "UPDATED";
    case EventType::kRemoved: return "REMOVED";
  }
  return "UNKNOWN";
}

std::string_view ConnectionEventName(ConnectionEvent event) {
  switch (event) {
    case ConnectionEvent::kDisconnected: return "DISCONNECTED";
    case ConnectionEvent::kReconnected: return "RECONNECTED";
    case ConnectionEvent::kClusterChanged: return "CLUSTER_CHANGED";
  }
  return "UNKNOWN";
}

// A bus that cannot lose its connection has nothing to report.
Status KvBus::PutAll(std::span<const KvPut> puts) {
  Status first;
  for (const KvPut& p : puts) {
    Status st = Put(p.map, p.key, p.value);
    if (first.ok() && !st.ok()) first = std::move(st);
  }
  return first;
}

Result<ListenerId> KvBus::AddConnectionListener(ConnectionCallback /*callback*/) {
  return ListenerId{0};
}

Status KvBus::RemoveConnectionListener(ListenerId id) {
  if (id != 0) return NotFoundError(fmt::format("no connection listener with id {}", id));
  return Status::Ok();
}

namespace {

// Writers hold mu_ while they change a map and enqueue to listeners, so every listener sees
// the writes to one key in the order they were applied. Enqueueing never blocks (the queue
// coalesces instead), so a slow listener never holds up a writer.
class InMemoryBus final : public KvBus {
 public:
  explicit InMemoryBus(size_t listener_queue_capacity)
      : listener_queue_capacity_(listener_queue_capacity) {}
  ~InMemoryBus() override {
    std::map<ListenerId, Listener> listeners;
    {
      std::lock_guard<std::mutex> lock(mu_);
      listeners.swap(listeners_);
    }
    for (auto& [id, l] : listeners) l.queue->Stop();
  }

  Status Put(std::string_view map, std::string_view key, std::string_view value) override {
    if (map.empty()) return InvalidArgumentError("bus put: empty map name");
    std::lock_guard<std::mutex> lock(mu_);
    auto& m = maps_[std::string(map)];
    auto [it, inserted] = m.insert_or_assign(std::string(key), std::string(value));
    Notify(map, key, inserted ? EventType::kAdded : EventType::kUpdated, it->second);
    return Status::Ok();
  }

  Result<std::optional<std::string>> Get(std::string_view map, std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto mit = maps_.find(map);
    if (mit == maps_.end()) return std::optional<std::string>();
    auto it = mit->second.find(key);
    if (it == mit->second.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Result<bool> Remove(std::string_view map, std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto mit = maps_.find(map);
    if (mit == maps_.end()) return false;
    auto it = mit->second.find(key);
    if (it == mit->second.end()) return false;
    mit->second.erase(it);
    Notify(map, key, EventType::kRemoved, "");
    if (mit->second.empty()) maps_.erase(mit);
    return true;
  }

  Result<std::vector<std::string>> Keys(std::string_view map) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> keys;
    auto mit = maps_.find(map);
    if (mit == maps_.end()) return keys;
    keys.reserve(mit->second.size());
    for (const auto& [k, v] : mit->second) keys.push_back(k);
    return keys;
  }

  Result<ListenerId> AddKeyListener(std::string_view map, std::string_view key,
                                    ListenerCallback callback, ListenerOptions options) override {
    if (map.empty()) return InvalidArgumentError("bus listener: empty map name");
    return Add(map, std::string(key), true, std::move(callback), std::move(options));
  }

  Result<ListenerId> AddMapListener(std::string_view map, ListenerCallback callback,
                                    ListenerOptions options) override {
    if (map.empty()) return InvalidArgumentError("bus listener: empty map name");
    return Add(map, "", false, std::move(callback), std::move(options));
  }

  Status RemoveListener(ListenerId id) override {
    std::shared_ptr<ListenerQueue> queue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = listeners_.find(id);
      if (it == listeners_.end()) return NotFoundError(fmt::format("no listener with id {}", id));
      queue = it->second.queue;
      listeners_.erase(it);
    }
    queue->Stop();  // Outside mu_: the callback may be calling into the bus right now.
    return Status::Ok();
  }

  Result<ListenerStats> GetListenerStats(ListenerId id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return NotFoundError(fmt::format("no listener with id {}", id));
    return it->second.queue->Stats();
  }

  Result<std::vector<std::string>> Maps() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> names;
    for (const auto& [name, m] : maps_) {
      if (!m.empty()) names.push_back(name);
    }
    return names;
  }

  std::string Describe() const override { return "memory"; }

 private:
  struct Listener {
    std::string map;
    std::string key;
    bool single_key;
    std::shared_ptr<ListenerQueue> queue;
  };
  using Map = std::map<std::string, std::string, std::less<>>;

  Result<ListenerId> Add(std::string_view map, std::string key, bool single_key,
                         ListenerCallback callback, ListenerOptions options) {
    if (options.queue_capacity == 0) options.queue_capacity = listener_queue_capacity_;
    auto queue = ListenerQueue::Start(std::move(callback), std::move(options));
    std::lock_guard<std::mutex> lock(mu_);
    const ListenerId id = next_id_++;
    // Snapshot and registration under one lock: no write can fall between them.
    auto mit = maps_.find(map);
    if (mit != maps_.end()) {
      if (single_key) {
        auto it = mit->second.find(key);
        if (it != mit->second.end()) {
          queue->Push(BusEvent{EventType::kSnapshot, std::string(map), key, it->second});
        }
      } else {
        for (const auto& [k, v] : mit->second) {
          queue->Push(BusEvent{EventType::kSnapshot, std::string(map), k, v});
        }
      }
    }
    listeners_.emplace(id, Listener{std::string(map), std::move(key), single_key, queue});
    return id;
  }

  // REQUIRES: mu_ held.
  void Notify(std::string_view map, std::string_view key, EventType type, std::string_view value) {
    for (auto& [id, l] : listeners_) {
      if (l.map != map) continue;
      if (l.single_key && l.key != key) continue;
      l.queue->Push(BusEvent{type, std::string(map), std::string(key), std::string(value)});
    }
  }

  const size_t listener_queue_capacity_;  // for listeners that ask for none
  std::mutex mu_;
  std::map<std::string, Map, std::less<>> maps_;  // guarded by mu_
  std::map<ListenerId, Listener> listeners_;      // guarded by mu_
  ListenerId next_id_ = 1;                        // guarded by mu_
};

}  // namespace

std::unique_ptr<KvBus> NewInMemoryBus(size_t listener_queue_capacity) {
  return std::make_unique<InMemoryBus>(listener_queue_capacity > 0 ? listener_queue_capacity
                                                                   : kDefaultListenerQueueCapacity);
}

}  // namespace dolphin::bus
