#include "dolphin/bus_hazelcast/hazelcast_bus.h"

#include <fmt/format.h>

#include <algorithm>

#include "hazelcast_bus_impl.h"

namespace dolphin::bus {

Result<std::unique_ptr<KvBus>> NewHazelcastBus(const BusOptions& options, Env& env,
                                               HazelcastOptions tuning) {
  hazelcast::ClientConfig config;
  for (const std::string& m : options.members) {
    DOLPHIN_ASSIGN_OR_RETURN(hazelcast::Endpoint ep, hazelcast::ParseEndpoint(m));
    config.members.push_back(std::move(ep));
  }
  if (config.members.empty()) return InvalidArgumentError("[bus] members: no hazelcast member");
  config.cluster_name = options.cluster_name;
  if (!options.username.empty()) {
    config.username = options.username;
    config.password = options.password;
  }
  config.tuning = std::move(tuning);
  DOLPHIN_ASSIGN_OR_RETURN(std::unique_ptr<hazelcast::Client> client,
                           hazelcast::Client::Connect(std::move(config), env));
  return std::unique_ptr<KvBus>(new hazelcast::HazelcastBus(
      std::move(client), env, static_cast<size_t>(options.listener_queue_capacity)));
}

namespace hazelcast {

namespace {

constexpr std::string_view kComponent = "bus.hazelcast";

std::optional<EventType> BusEventType(int32_t hz_type) {
  switch (hz_type) {
    case kEventAdded:
    case kEventLoaded: return EventType::kAdded;
    case kEventUpdated:
    case kEventMerged: return EventType::kUpdated;
    case kEventRemoved:
    case kEventEvicted:
    case kEventExpired: return EventType::kRemoved;
    default: return std::nullopt;
  }
}

CallOptions Call(bool retryable, std::string_view op) {
  CallOptions c;
  c.retryable = retryable;
  c.op = op;
  return c;
}

Status NoEmptyMap(std::string_view map, std::string_view op) {
  if (map.empty()) return InvalidArgumentError(fmt::format("bus {}: empty map name", op));
  return Status::Ok();
}

}  // namespace

HazelcastBus::HazelcastBus(std::unique_ptr<Client> client, Env& env, size_t listener_queue_capacity)
    : client_(std::move(client)),
      logger_(env.logger),
      listener_queue_capacity_(listener_queue_capacity > 0 ? listener_queue_capacity
                                                           : kDefaultListenerQueueCapacity) {
  client_->SetReconnectHook([this](bool cluster_changed) { OnReconnect(cluster_changed); });
  client_->SetDisconnectHook([this] { PushConnectionEvent(ConnectionEvent::kDisconnected); });
}

HazelcastBus::~HazelcastBus() {
  client_->Shutdown();
  std::map<ListenerId, std::shared_ptr<Listener>> listeners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    listeners.swap(listeners_);
  }
  for (auto& [id, l] : listeners) l->queue->Stop();
  std::map<ListenerId, std::shared_ptr<ListenerQueue>> connection_listeners;
  {
    std::lock_guard<std::mutex> lock(conn_mu_);
    connection_listeners.swap(connection_listeners_);
  }
  for (auto& [id, q] : connection_listeners) q->Stop();
}

std::string HazelcastBus::Describe() const { return "hazelcast " + client_->member(); }

HazelcastBus::KeyRef HazelcastBus::MakeKey(std::string_view key) const {
  KeyRef ref{EncodeStringData(key), 0};
  ref.partition = PartitionIdForHash(DataPartitionHash(ref.data), client_->partition_count());
  return ref;
}

Status HazelcastBus::EnsureProxy(std::string_view map) {
  const uint64_t epoch = client_->reconnects();
  {
    std::lock_guard<std::mutex> lock(proxy_mu_);
    auto it = proxies_.find(map);
    if (it != proxies_.end() && it->second == epoch) return Status::Ok();
  }
  auto resp = client_->Invoke(EncodeCreateProxy(map, kMapService),
                              Call(true, "hazelcast create map proxy"));
  if (!resp.ok()) return resp.status();
  std::lock_guard<std::mutex> lock(proxy_mu_);
  proxies_[std::string(map)] = epoch;
  return Status::Ok();
}

Status HazelcastBus::Put(std::string_view map, std::string_view key, std::string_view value) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "put"));
  DOLPHIN_RETURN_IF_ERROR(EnsureProxy(map));
  KeyRef k = MakeKey(key);
  const std::string op = fmt::format("hazelcast put {}[{}]", map, key);
  auto resp = client_->Invoke(EncodeMapSet(map, k.data, EncodeStringData(value), k.partition),
                              Call(false, op));
  return resp.status();
}

Status HazelcastBus::PutAll(std::span<const KvPut> puts) {
  if (puts.size() == 1) return Put(puts[0].map, puts[0].key, puts[0].value);
  std::vector<std::string> requests;
  requests.reserve(puts.size());
  std::string op = "hazelcast put";
  for (const KvPut& p : puts) {
    DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(p.map, "put"));
    DOLPHIN_RETURN_IF_ERROR(EnsureProxy(p.map));
    KeyRef k = MakeKey(p.key);
    requests.push_back(EncodeMapSet(p.map, k.data, EncodeStringData(p.value), k.partition));
    op += fmt::format("{} {}[{}]", requests.size() == 1 ? "" : ",", p.map, p.key);
  }
  return client_->InvokeAll(std::move(requests), Call(false, op)).status();
}

Result<std::optional<std::string>> HazelcastBus::PutReturningOld(std::string_view map,
                                                                 std::string_view key,
                                                                 std::string_view value) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "put"));
  DOLPHIN_RETURN_IF_ERROR(EnsureProxy(map));
  KeyRef k = MakeKey(key);
  const std::string op = fmt::format("hazelcast put {}[{}]", map, key);
  DOLPHIN_ASSIGN_OR_RETURN(
      Message resp, client_->Invoke(EncodeMapPut(map, k.data, EncodeStringData(value), k.partition),
                                    Call(false, op)));
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<std::string> old, DecodeNullableDataResponse(resp));
  if (!old) return std::optional<std::string>();
  auto text = DecodeStringData(*old);
  if (!text.ok()) return text.status().WithPrefix(op);
  return std::optional<std::string>(std::move(text).value());
}

Result<std::optional<std::string>> HazelcastBus::Get(std::string_view map, std::string_view key) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "get"));
  KeyRef k = MakeKey(key);
  const std::string op = fmt::format("hazelcast get {}[{}]", map, key);
  DOLPHIN_ASSIGN_OR_RETURN(
      Message resp,
      client_->Invoke(EncodeMapKeyOp(kMapGet, map, k.data, k.partition), Call(true, op)));
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<std::string> data, DecodeNullableDataResponse(resp));
  if (!data) return std::optional<std::string>();
  auto text = DecodeStringData(*data);
  if (!text.ok()) return text.status().WithPrefix(op);
  return std::optional<std::string>(std::move(text).value());
}

Result<bool> HazelcastBus::Remove(std::string_view map, std::string_view key) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "remove"));
  KeyRef k = MakeKey(key);
  const std::string op = fmt::format("hazelcast remove {}[{}]", map, key);
  DOLPHIN_ASSIGN_OR_RETURN(
      Message resp,
      client_->Invoke(EncodeMapKeyOp(kMapRemove, map, k.data, k.partition), Call(false, op)));
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<std::string> old, DecodeNullableDataResponse(resp));
  return old.has_value();
}

Status HazelcastBus::Delete(std::string_view map, std::string_view key) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "delete"));
  KeyRef k = MakeKey(key);
  const std::string op = fmt::format("hazelcast delete {}[{}]", map, key);
  return client_->Invoke(EncodeMapKeyOp(kMapDelete, map, k.data, k.partition), Call(false, op))
      .status();
}

Result<bool> HazelcastBus::ContainsKey(std::string_view map, std::string_view key) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "containsKey"));
  KeyRef k = MakeKey(key);
  const std::string op = fmt::format("hazelcast containsKey {}[{}]", map, key);
  DOLPHIN_ASSIGN_OR_RETURN(
      Message resp,
      client_->Invoke(EncodeMapKeyOp(kMapContainsKey, map, k.data, k.partition), Call(true, op)));
  return DecodeBoolResponse(resp);
}

Result<int32_t> HazelcastBus::Size(std::string_view map) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "size"));
  const std::string op = fmt::format("hazelcast size {}", map);
  DOLPHIN_ASSIGN_OR_RETURN(Message resp,
                           client_->Invoke(EncodeMapNameOp(kMapSize, map), Call(true, op)));
  return DecodeInt32Response(resp);
}

Result<std::vector<std::string>> HazelcastBus::Keys(std::string_view map) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "keys"));
  const std::string op = fmt::format("hazelcast keySet {}", map);
  DOLPHIN_ASSIGN_OR_RETURN(Message resp,
                           client_->Invoke(EncodeMapNameOp(kMapKeySet, map), Call(true, op)));
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<std::string> items, DecodeListDataResponse(resp));
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (const std::string& item : items) {
    auto key = DecodeStringData(item);
    if (!key.ok()) {
      logger_.Warn(kComponent, "non-string key skipped",
                   {{"map", map}, {"error", key.status().message()}});
      continue;
    }
    keys.push_back(std::move(key).value());
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

Result<std::map<std::string, std::string>> HazelcastBus::EntrySet(std::string_view map) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "entrySet"));
  const std::string op = fmt::format("hazelcast entrySet {}", map);
  DOLPHIN_ASSIGN_OR_RETURN(Message resp,
                           client_->Invoke(EncodeMapNameOp(kMapEntrySet, map), Call(true, op)));
  DOLPHIN_ASSIGN_OR_RETURN(auto items, DecodeEntryListResponse(resp));
  std::map<std::string, std::string> entries;
  for (const auto& [kd, vd] : items) {
    auto key = DecodeStringData(kd);
    auto value = DecodeStringData(vd);
    if (!key.ok() || !value.ok()) {
      logger_.Warn(kComponent, "non-string entry skipped",
                   {{"map", map}, {"error", (key.ok() ? value.status() : key.status()).message()}});
      continue;
    }
    entries.emplace(std::move(key).value(), std::move(value).value());
  }
  return entries;
}

Result<std::vector<std::string>> HazelcastBus::Maps() {
  DOLPHIN_ASSIGN_OR_RETURN(Message resp, client_->Invoke(EncodeGetDistributedObjects(),
                                                         Call(true, "hazelcast list maps")));
  DOLPHIN_ASSIGN_OR_RETURN(auto objects, DecodeDistributedObjectsResponse(resp));
  std::vector<std::string> names;
  for (const auto& [service, name] : objects) {
    if (service != kMapService) continue;
    DOLPHIN_ASSIGN_OR_RETURN(int32_t size, Size(name));
    if (size > 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// ---- Listeners ------------------------------------------------------------------------------

Result<ListenerId> HazelcastBus::AddKeyListener(std::string_view map, std::string_view key,
                                                ListenerCallback callback,
                                                ListenerOptions options) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "listener"));
  return AddListener(map, std::string(key), std::move(callback), std::move(options));
}

Result<ListenerId> HazelcastBus::AddMapListener(std::string_view map, ListenerCallback callback,
                                                ListenerOptions options) {
  DOLPHIN_RETURN_IF_ERROR(NoEmptyMap(map, "listener"));
  return AddListener(map, std::nullopt, std::move(callback), std::move(options));
}

Result<ListenerId> HazelcastBus::AddListener(std::string_view map, std::optional<std::string> key,
                                             ListenerCallback callback, ListenerOptions options) {
  auto l = std::make_shared<Listener>();
  l->map = std::string(map);
  l->single_key = key.has_value();
  l->key = key.value_or("");
  if (options.queue_capacity == 0) options.queue_capacity = listener_queue_capacity_;
  l->queue = ListenerQueue::Start(std::move(callback), std::move(options));
  std::lock_guard<std::mutex> reg(register_mu_);
  ListenerId id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    listeners_.emplace(id, l);
  }
  Status s = Register(l);
  if (!s.ok()) {
    (void)RemoveListener(id);
    return s;
  }
  return id;
}

Status HazelcastBus::Register(const std::shared_ptr<Listener>& l) {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (l->removed) return Status::Ok();
    generation = ++l->generation;
    l->priming = true;
    l->held.clear();
    l->registered = false;
  }
  DOLPHIN_RETURN_IF_ERROR(EnsureProxy(l->map));
  std::string request;
  std::optional<KeyRef> key;
  if (l->single_key) {
    key = MakeKey(l->key);
    request = EncodeAddEntryListenerToKey(l->map, key->data);
  } else {
    request = EncodeAddEntryListener(l->map);
  }
  const std::string op = l->single_key
                             ? fmt::format("hazelcast add key listener {}[{}]", l->map, l->key)
                             : fmt::format("hazelcast add map listener {}", l->map);
  std::weak_ptr<Listener> weak = l;
  int64_t correlation = 0;
  CallOptions call = Call(false, op);
  call.on_event = [this, weak, generation](const Message& m) { OnEvent(weak, generation, m); };
  DOLPHIN_ASSIGN_OR_RETURN(Message resp, client_->Invoke(std::move(request), call, &correlation));
  DOLPHIN_ASSIGN_OR_RETURN(Uuid registration, DecodeUuidResponse(resp));
  {
    std::lock_guard<std::mutex> lock(mu_);
    l->registered = true;
    l->correlation = correlation;
    l->registration = registration;
  }
  // Now read the current value(s); events arriving meanwhile are held back.
  std::map<std::string, std::string> current;
  Status read;
  if (l->single_key) {
    auto v = Get(l->map, l->key);
    if (v.ok() && v->has_value()) current.emplace(l->key, **v);
    read = v.status();
  } else {
    auto entries = EntrySet(l->map);
    if (entries.ok()) current = std::move(entries).value();
    read = entries.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (l->generation != generation || l->removed) return Status::Ok();  // Superseded.
  if (!read.ok()) {
    // Deliver what arrived so nothing is lost; the snapshot is missing (logged).
    logger_.Warn(kComponent, "listener snapshot read failed",
                 {{"op", op}, {"error", read.ToString()}});
    for (auto& e : l->held) l->queue->Push(std::move(e));
    l->held.clear();
    l->priming = false;
    return read.WithPrefix(op + " (snapshot)");
  }
  DeliverPrimed(*l, current);
  return Status::Ok();
}

std::vector<BusEvent> PrimedEvents(const std::string& map, std::vector<BusEvent> held,
                                   const std::map<std::string, std::string>& current) {
  std::map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < held.size(); ++i) by_key[held[i].key].push_back(i);
  std::vector<bool> seen(held.size(), false);
  for (const auto& [key, idx] : by_key) {
    auto it = current.find(key);
    std::optional<std::string> read_state;
    if (it != current.end()) read_state = it->second;
    // The longest prefix of this key's events whose resulting state is what the read saw.
    size_t skip = 0;
    for (size_t j = idx.size(); j >= 1; --j) {
      const BusEvent& e = held[idx[j - 1]];
      std::optional<std::string> state;
      if (e.type != EventType::kRemoved) state = e.value;
      if (state == read_state) {
        skip = j;
        break;
      }
    }
    for (size_t j = 0; j < skip; ++j) seen[idx[j]] = true;
  }
  std::vector<BusEvent> out;
  out.reserve(current.size() + held.size());
  for (const auto& [key, value] : current) {
    out.push_back(BusEvent{EventType::kSnapshot, map, key, value});
  }
  for (size_t i = 0; i < held.size(); ++i) {
    if (!seen[i]) out.push_back(std::move(held[i]));
  }
  return out;
}

void HazelcastBus::DeliverPrimed(Listener& l, const std::map<std::string, std::string>& current) {
  for (BusEvent& e : PrimedEvents(l.map, std::move(l.held), current)) l.queue->Push(std::move(e));
  l.held.clear();
  l.priming = false;
}

void HazelcastBus::OnEvent(const std::weak_ptr<Listener>& weak, uint64_t generation,
                           const Message& msg) {
  auto l = weak.lock();
  if (!l) return;
  auto header = DecodeHeader(msg);
  if (!header.ok() || (header->type != kEntryEvent && header->type != kEntryEventToKey)) return;
  auto ev = DecodeEntryEvent(msg);
  if (!ev.ok()) {
    logger_.Warn(kComponent, "undecodable entry event dropped",
                 {{"map", l->map}, {"error", ev.status().message()}});
    return;
  }
  std::optional<EventType> type = BusEventType(ev->event_type);
  if (!type || !ev->key) return;
  auto key = DecodeStringData(*ev->key);
  if (!key.ok()) {
    logger_.Warn(kComponent, "event for a non-string key dropped",
                 {{"map", l->map}, {"error", key.status().message()}});
    return;
  }
  BusEvent event{*type, l->map, std::move(key).value(), ""};
  if (*type != EventType::kRemoved) {
    if (!ev->value) return;
    auto value = DecodeStringData(*ev->value);
    if (!value.ok()) {
      logger_.Warn(kComponent, "event with a non-string value dropped",
                   {{"map", l->map}, {"key", event.key}, {"error", value.status().message()}});
      return;
    }
    event.value = std::move(value).value();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (l->generation != generation || l->removed) return;
  if (l->single_key && event.key != l->key) return;
  if (l->priming) {
    l->held.push_back(std::move(event));
  } else {
    l->queue->Push(std::move(event));
  }
}

Status HazelcastBus::RemoveListener(ListenerId id) {
  std::shared_ptr<Listener> l;
  bool registered;
  int64_t correlation;
  Uuid registration;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return NotFoundError(fmt::format("no listener with id {}", id));
    l = it->second;
    listeners_.erase(it);
    l->removed = true;
    ++l->generation;
    registered = l->registered;
    correlation = l->correlation;
    registration = l->registration;
  }
  client_->RemoveEventHandler(correlation);
  if (registered && client_->connected()) {
    auto resp = client_->Invoke(EncodeRemoveEntryListener(l->map, registration),
                                Call(true, "hazelcast remove listener"));
    if (!resp.ok()) {
      logger_.Debug(kComponent, "remove listener on the member failed",
                    {{"error", resp.status().ToString()}});
    }
  }
  l->queue->Stop();
  return Status::Ok();
}

Result<ListenerStats> HazelcastBus::GetListenerStats(ListenerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = listeners_.find(id);
  if (it == listeners_.end()) return NotFoundError(fmt::format("no listener with id {}", id));
  return it->second->queue->Stats();
}

Result<ListenerId> HazelcastBus::AddConnectionListener(ConnectionCallback callback) {
  if (!callback) return InvalidArgumentError("bus connection listener: empty callback");
  ListenerId id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;  // One id space with the entry listeners.
  }
  ListenerOptions options;
  options.name = "connection";
  auto queue = ListenerQueue::Start(
      [cb = std::move(callback)](const BusEvent& e) {
        cb(static_cast<ConnectionEvent>(std::stoi(e.value)));
      },
      std::move(options));
  std::lock_guard<std::mutex> lock(conn_mu_);
  connection_listeners_.emplace(id, std::move(queue));
  return id;
}

Status HazelcastBus::RemoveConnectionListener(ListenerId id) {
  std::shared_ptr<ListenerQueue> queue;
  {
    std::lock_guard<std::mutex> lock(conn_mu_);
    auto it = connection_listeners_.find(id);
    if (it == connection_listeners_.end()) {
      return NotFoundError(fmt::format("no connection listener with id {}", id));
    }
    queue = std::move(it->second);
    connection_listeners_.erase(it);
  }
  queue->Stop();  // Outside conn_mu_: the callback may be calling into the bus right now.
  return Status::Ok();
}

void HazelcastBus::PushConnectionEvent(ConnectionEvent event) {
  std::lock_guard<std::mutex> lock(conn_mu_);
  // A unique key per event: the queue coalesces same-key events only, so none is lost.
  const std::string seq = std::to_string(++connection_seq_);
  for (auto& [id, queue] : connection_listeners_) {
    queue->Push(BusEvent{EventType::kUpdated, "", seq, std::to_string(static_cast<int>(event))});
  }
}

void HazelcastBus::OnReconnect(bool cluster_changed) {
  std::lock_guard<std::mutex> reg(register_mu_);
  std::vector<std::shared_ptr<Listener>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, l] : listeners_) all.push_back(l);
  }
  size_t ok = 0;
  for (auto& l : all) {
    Status s = Register(l);
    if (s.ok()) {
      ++ok;
    } else {
      logger_.Error(kComponent, "re-registering a listener after reconnect failed",
                    {{"map", l->map}, {"key", l->key}, {"error", s.ToString()}});
    }
  }
  logger_.Info(kComponent, "listeners re-registered after reconnect",
               {{"ok", ok}, {"total", all.size()}});
  cluster_changed_pending_ = cluster_changed_pending_ || cluster_changed;
  // Lost again meanwhile: the next reconnect reports (and carries a cluster change over).
  if (!client_->connected()) return;
  const bool changed = cluster_changed_pending_;
  cluster_changed_pending_ = false;
  if (changed) {
    logger_.Warn(kComponent, "reconnected to a different cluster (restarted: its maps are empty)",
                 {{"member", client_->member()}, {"cluster_id", client_->cluster_id()}});
  }
  PushConnectionEvent(changed ? ConnectionEvent::kClusterChanged : ConnectionEvent::kReconnected);
}

}  // namespace hazelcast
}  // namespace dolphin::bus
