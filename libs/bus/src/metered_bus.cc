#include "dolphin/bus/metered_bus.h"

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace dolphin::bus {

namespace {

// Measures one call on the injected clock's monotonic time.
class OpTimer {
 public:
  explicit OpTimer(const Clock& clock) : clock_(clock), start_(clock.MonotonicNow()) {}
  double Seconds() const {
    return std::chrono::duration<double>(clock_.MonotonicNow() - start_).count();
  }

 private:
  const Clock& clock_;
  const MonoTime start_;
};

class MeteredBus final : public KvBus {
 public:
  MeteredBus(std::unique_ptr<KvBus> inner, const Clock& clock, Metrics& metrics)
      : inner_(std::move(inner)),
        clock_(clock),
        metrics_(metrics),
        put_(metrics, "put"),
        get_(metrics, "get"),
        remove_(metrics, "remove"),
        keys_(metrics, "keys"),
        maps_(metrics, "maps"),
        listeners_gauge_(metrics.Gauge("dolphin_bus_listeners", "Registered bus entry listeners")) {
    hook_ = metrics_.AddCollectHook([this] { Collect(); });
  }
  ~MeteredBus() override { metrics_.RemoveCollectHook(hook_); }

  Status Put(std::string_view map, std::string_view key, std::string_view value) override {
    OpTimer t(clock_);
    Status st = inner_->Put(map, key, value);
    put_.Done(st.ok(), t.Seconds());
    return st;
  }
  // One timed operation per put (the batch's time each), so put counts stay comparable.
  Status PutAll(std::span<const KvPut> puts) override {
    OpTimer t(clock_);
    Status st = inner_->PutAll(puts);
    for (size_t i = 0; i < puts.size(); ++i) put_.Done(st.ok(), t.Seconds());
    return st;
  }
  Result<std::optional<std::string>> Get(std::string_view map, std::string_view key) override {
    OpTimer t(clock_);
    auto r = inner_->Get(map, key);
    get_.Done(r.ok(), t.Seconds());
    return r;
  }
  Result<bool> Remove(std::string_view map, std::string_view key) override {
    OpTimer t(clock_);
    auto r = inner_->Remove(map, key);
    remove_.Done(r.ok(), t.Seconds());
    return r;
  }
  Result<std::vector<std::string>> Keys(std::string_view map) override {
    OpTimer t(clock_);
    auto r = inner_->Keys(map);
    keys_.Done(r.ok(), t.Seconds());
    return r;
  }
  Result<ListenerId> AddKeyListener(std::string_view map, std::string_view key,
                                    ListenerCallback callback, ListenerOptions options) override {
    std::string name = options.name.empty() ? "unnamed" : options.name;
    auto id = inner_->AddKeyListener(map, key, std::move(callback), std::move(options));
    if (id.ok()) Track(*id, std::move(name));
    return id;
  }
  Result<ListenerId> AddMapListener(std::string_view map, ListenerCallback callback,
                                    ListenerOptions options) override {
    std::string name = options.name.empty() ? "unnamed" : options.name;
    auto id = inner_->AddMapListener(map, std::move(callback), std::move(options));
    if (id.ok()) Track(*id, std::move(name));
    return id;
  }
  Status RemoveListener(ListenerId id) override {
    // Its last counts are taken first, so the totals never go back.
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = listeners_.find(id);
      if (it != listeners_.end()) {
        if (auto stats = inner_->GetListenerStats(id); stats.ok())
          ExportLocked(it->second, *stats, true);
        listeners_.erase(it);
        listeners_gauge_.Set(static_cast<double>(listeners_.size()));
      }
    }
    return inner_->RemoveListener(id);
  }
  Result<ListenerStats> GetListenerStats(ListenerId id) override {
    return inner_->GetListenerStats(id);
  }
  Result<ListenerId> AddConnectionListener(ConnectionCallback callback) override {
    return inner_->AddConnectionListener(std::move(callback));
  }
  Status RemoveConnectionListener(ListenerId id) override {
    return inner_->RemoveConnectionListener(id);
  }
  Result<std::vector<std::string>> Maps() override {
    OpTimer t(clock_);
    auto r = inner_->Maps();
    maps_.Done(r.ok(), t.Seconds());
    return r;
  }
  std::string Describe() const override { return inner_->Describe(); }

 private:
  struct Op {
    Op(Metrics& m, const char* op)
        : ok(m.Counter("dolphin_bus_operations_total", "Bus operations, by operation and result",
                       {{"op", op}, {"result", "ok"}})),
          error(m.Counter("dolphin_bus_operations_total", "Bus operations, by operation and result",
                          {{"op", op}, {"result", "error"}})),
          seconds(m.Histogram("dolphin_bus_operation_seconds",
                              "Bus operation latency, by operation", MetricBuckets::kLatency,
                              {{"op", op}})) {}
    void Done(bool success, double s) {
      (success ? ok : error).Increment();
      seconds.Observe(s);
    }
    MetricCounter& ok;
    MetricCounter& error;
    MetricHistogram& seconds;
  };

  struct Tracked {
    std::string name;
    uint64_t delivered = 0;  // already counted
    uint64_t coalesced = 0;
  };

  void Track(ListenerId id, std::string name) {
    std::lock_guard<std::mutex> lock(mu_);
    listeners_[id] = Tracked{std::move(name)};
    listeners_gauge_.Set(static_cast<double>(listeners_.size()));
  }

  // Adds what `t` delivered and coalesced since last time; `depth` sums the queue depth per name.
  void ExportLocked(Tracked& t, const ListenerStats& s, bool removing,
                    std::map<std::string, double>* depth = nullptr) {
    const MetricLabels l{{"listener", t.name}};
    // Taken even when nothing changed, so every listener's series exist from the start.
    MetricCounter& delivered =
        metrics_.Counter("dolphin_bus_listener_delivered_total", "Listener callbacks run", l);
    MetricCounter& coalesced =
        metrics_.Counter("dolphin_bus_listener_coalesced_total",
                         "Listener events replaced by a newer one for the same key", l);
    if (s.delivered > t.delivered) {
      delivered.Increment(static_cast<double>(s.delivered - t.delivered));
      t.delivered = s.delivered;
    }
    if (s.coalesced > t.coalesced) {
      coalesced.Increment(static_cast<double>(s.coalesced - t.coalesced));
      t.coalesced = s.coalesced;
    }
    if (depth != nullptr && !removing) (*depth)[t.name] += static_cast<double>(s.pending);
  }

  void Collect() {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, double> depth;
    for (const auto& [id, t] : listeners_) depth[t.name] += 0;
    for (auto& [id, t] : listeners_) {
      if (auto stats = inner_->GetListenerStats(id); stats.ok())
        ExportLocked(t, *stats, false, &depth);
    }
    for (const auto& [name, d] : depth) {
      metrics_
          .Gauge("dolphin_bus_listener_queue_depth", "Listener events pending now",
                 {{"listener", name}})
          .Set(d);
      known_names_[name] = true;
    }
    // A name whose listeners all went away shows an empty queue, not its last depth.
    for (const auto& [name, known] : known_names_) {
      if (depth.count(name) == 0) {
        metrics_
            .Gauge("dolphin_bus_listener_queue_depth", "Listener events pending now",
                   {{"listener", name}})
            .Set(0);
      }
    }
  }

  std::unique_ptr<KvBus> inner_;
  const Clock& clock_;
  Metrics& metrics_;
  Op put_, get_, remove_, keys_, maps_;
  MetricGauge& listeners_gauge_;
  uint64_t hook_ = 0;
  std::mutex mu_;
  std::map<ListenerId, Tracked> listeners_;  // guarded by mu_
  std::map<std::string, bool> known_names_;  // guarded by mu_
};

}  // namespace

std::unique_ptr<KvBus> NewMeteredBus(std::unique_ptr<KvBus> inner, Env env) {
  return std::make_unique<MeteredBus>(std::move(inner), env.clock, env.metrics);
}

}  // namespace dolphin::bus
