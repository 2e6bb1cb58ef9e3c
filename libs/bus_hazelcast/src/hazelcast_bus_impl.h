// HazelcastBus: KvBus over Client. Private; NewHazelcastBus() in hazelcast_bus.h builds it.
//
// Listener registration (docs/architecture.md §3, SNAPSHOT first): the entry listener is registered
// first, then the current value(s) are read. Events that arrive in between are held back
// ("priming"); once the read returns, the SNAPSHOTs are delivered, then the held-back events
// that the read had not yet seen. An event "already seen" is recognised by the value: for each
// key, the longest prefix of its held-back events that ends in the value the read returned is
// dropped. So a SNAPSHOT is never delivered after a newer event, and the last event delivered
// for a key is always the newest one the member sent. After a reconnect the same procedure
// runs again for every listener.
//
// Connection listeners: the client's disconnect hook (I/O thread) enqueues kDisconnected; its
// reconnect hook (worker thread) re-registers the entry listeners, then enqueues kReconnected,
// or kClusterChanged when the cluster id from the authentication response differs from the
// previous connection's. Each connection listener has its own ListenerQueue (dispatch thread);
// events carry a unique sequence number as key, so the queue never coalesces them.
// Thread-safety: as KvBus.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client.h"
#include "dolphin/bus/kv_bus.h"
#include "dolphin/bus/listener_queue.h"

namespace dolphin::bus::hazelcast {

// What a priming listener delivers once its snapshot read returned `current` (the key's or
// map's entries) while `held` events (in arrival order) were held back: one SNAPSHOT per entry
// of `current` (sorted by key), then the held events the read had not yet seen. Per key, the
// longest prefix of held events that ends in the state the read returned is taken as seen.
std::vector<BusEvent> PrimedEvents(const std::string& map, std::vector<BusEvent> held,
                                   const std::map<std::string, std::string>& current);

class HazelcastBus final : public KvBus {
 public:
  // `listener_queue_capacity`: for listeners that ask for none ([bus] listener_queue_capacity).
  HazelcastBus(std::unique_ptr<Client> client, Env& env,
               size_t listener_queue_capacity = kDefaultListenerQueueCapacity);
  ~HazelcastBus() override;

  Status Put(std::string_view map, std::string_view key, std::string_view value) override;
  Status PutAll(std::span<const KvPut> puts) override;
  Result<std::optional<std::string>> Get(std::string_view map, std::string_view key) override;
  Result<bool> Remove(std::string_view map, std::string_view key) override;
  Result<std::vector<std::string>> Keys(std::string_view map) override;
  Result<ListenerId> AddKeyListener(std::string_view map, std::string_view key,
                                    ListenerCallback callback, ListenerOptions options) override;
  Result<ListenerId> AddMapListener(std::string_view map, ListenerCallback callback,
                                    ListenerOptions options) override;
  Status RemoveListener(ListenerId id) override;
  Result<ListenerStats> GetListenerStats(ListenerId id) override;
  Result<ListenerId> AddConnectionListener(ConnectionCallback callback) override;
  Status RemoveConnectionListener(ListenerId id) override;
  Result<std::vector<std::string>> Maps() override;
  std::string Describe() const override;

  // The rest of the IMap operations dolphin's client speaks (tests, tools).
  // Put that ships the previous value back (protocol Put, not Set).
  Result<std::optional<std::string>> PutReturningOld(std::string_view map, std::string_view key,
                                                     std::string_view value);
  // Delete: removes without shipping the value back.
  Status Delete(std::string_view map, std::string_view key);
  Result<bool> ContainsKey(std::string_view map, std::string_view key);
  Result<int32_t> Size(std::string_view map);
  // Entries sorted by key; entries whose key or value is not a string are skipped (logged).
  Result<std::map<std::string, std::string>> EntrySet(std::string_view map);

  Client& client() { return *client_; }

 private:
  struct Listener {
    std::string map;
    bool single_key = false;
    std::string key;
    std::shared_ptr<ListenerQueue> queue;
    // Guarded by mu_:
    uint64_t generation = 0;  // bumped by every (re)registration and by removal
    bool priming = true;
    bool removed = false;
    std::vector<BusEvent> held;
    bool registered = false;
    int64_t correlation = 0;
    Uuid registration;
  };

  struct KeyRef {
    std::string data;
    int32_t partition;
  };
  KeyRef MakeKey(std::string_view key) const;
  Status EnsureProxy(std::string_view map);
  Result<ListenerId> AddListener(std::string_view map, std::optional<std::string> key,
                                 ListenerCallback callback, ListenerOptions options);
  Status Register(const std::shared_ptr<Listener>& l);  // REQUIRES: register_mu_ held
  void OnEvent(const std::weak_ptr<Listener>& weak, uint64_t generation, const Message& msg);
  // REQUIRES: mu_ held.
  void DeliverPrimed(Listener& l, const std::map<std::string, std::string>& current);
  void OnReconnect(bool cluster_changed);
  void PushConnectionEvent(ConnectionEvent event);

  const std::unique_ptr<Client> client_;
  Logger& logger_;
  const size_t listener_queue_capacity_;  // for listeners that ask for none

  std::mutex register_mu_;  // serialises listener (re)registrations
  std::mutex mu_;
  std::map<ListenerId, std::shared_ptr<Listener>> listeners_;  // guarded by mu_
  ListenerId next_id_ = 1;                                     // guarded by mu_

  // Connection listeners (own lock: pushed to from the I/O thread).
  std::mutex conn_mu_;
  std::map<ListenerId, std::shared_ptr<ListenerQueue>> connection_listeners_;  // conn_mu_
  uint64_t connection_seq_ = 0;                                                // conn_mu_
  // A kClusterChanged not delivered yet (the connection broke again during re-registration).
  bool cluster_changed_pending_ = false;  // only touched by the client's worker thread

  std::mutex proxy_mu_;
  std::map<std::string, uint64_t, std::less<>> proxies_;  // map -> reconnect count; proxy_mu_
};

}  // namespace dolphin::bus::hazelcast
