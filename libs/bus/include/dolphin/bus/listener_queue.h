// ListenerQueue: the bounded, coalescing event queue and dispatch thread behind one listener.
//
// Shared by every backend so they all keep the same contract: Push() never blocks the caller;
// a dedicated thread runs the callback for each event in order. When more than `capacity`
// events are pending, a new event for a key that already has a pending event replaces the
// newest pending one for that key (type kept: SNAPSHOT/ADDED stay, so a listener still learns
// the key exists). A REMOVED is never dropped: a value after it is appended, and a REMOVED
// replaces a pending value (dropping that value, counted). Per-key order is preserved.
// Thread-safety: Push/Stop/Stats are thread-safe. Stop() from the dispatch thread itself is
// allowed (the thread is then detached instead of joined).
#pragma once

#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "dolphin/bus/kv_bus.h"

namespace dolphin::bus {

class ListenerQueue : public std::enable_shared_from_this<ListenerQueue> {
 public:
  // Starts the dispatch thread. The thread holds a reference, so the queue outlives a Stop()
  // issued from inside its own callback.
  static std::shared_ptr<ListenerQueue> Start(ListenerCallback callback, ListenerOptions options);
  ~ListenerQueue();
  ListenerQueue(const ListenerQueue&) = delete;
  ListenerQueue& operator=(const ListenerQueue&) = delete;

  void Push(BusEvent event);
  // Stops the dispatch thread; pending events are discarded.
  void Stop();
  ListenerStats Stats() const;
  const ListenerOptions& options() const { return options_; }
  // Blocks until the queue is empty and no callback is running (for tests and benchmarks).
  void Drain();

 private:
  ListenerQueue(ListenerCallback callback, ListenerOptions options);
  using Slot = std::list<BusEvent>::iterator;
  void Run();

  const ListenerCallback callback_;
  const ListenerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::list<BusEvent> queue_;                                 // guarded by mu_
  std::unordered_map<std::string, std::deque<Slot>> by_key_;  // guarded by mu_
  bool stopping_ = false;                                     // guarded by mu_
  bool busy_ = false;                                         // guarded by mu_
  ListenerStats stats_;                                       // guarded by mu_
  std::thread thread_;
};

}  // namespace dolphin::bus
