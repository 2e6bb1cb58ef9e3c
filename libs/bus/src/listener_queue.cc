#include "dolphin/bus/listener_queue.h"

#include <pthread.h>

namespace dolphin::bus {

ListenerQueue::ListenerQueue(ListenerCallback callback, ListenerOptions options)
    : callback_(std::move(callback)), options_(std::move(options)) {}

std::shared_ptr<ListenerQueue> ListenerQueue::Start(ListenerCallback callback,
                                                    ListenerOptions options) {
  if (options.queue_capacity == 0) options.queue_capacity = kDefaultListenerQueueCapacity;
  std::shared_ptr<ListenerQueue> q(new ListenerQueue(std::move(callback), std::move(options)));
  // determinism-ok: one dispatch thread per listener, by contract.
  q->thread_ = std::thread([self = q] { self->Run(); });  // determinism-ok: dispatch thread
  return q;
}

ListenerQueue::~ListenerQueue() {
  Stop();
  if (thread_.joinable()) thread_.detach();  // Last reference dropped on our own thread.
}

void ListenerQueue::Push(BusEvent event) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    auto& slots = by_key_[event.key];
    if (queue_.size() >= options_.queue_capacity && !slots.empty()) {
      BusEvent& last = *slots.back();
      if (event.type == EventType::kRemoved) {
        if (last.type != EventType::kRemoved) {
          // The pending value is superseded by the removal.
          ++stats_.coalesced;
          if (slots.size() >= 2 && slots[slots.size() - 2]->type == EventType::kRemoved) {
            // REMOVED, value, REMOVED collapses to the REMOVED already pending: both the value
            // and the new REMOVED are absorbed.
            ++stats_.coalesced;
            queue_.erase(slots.back());
            slots.pop_back();
          } else {
            last.type = EventType::kRemoved;
            last.value.clear();
          }
          return;
        }
        // REMOVED after REMOVED (only reachable through coalescing): keep the pending one.
        ++stats_.coalesced;
        return;
      }
      if (last.type != EventType::kRemoved) {
        // Replace the pending value; SNAPSHOT/ADDED keep their type.
        last.value = std::move(event.value);
        ++stats_.coalesced;
        return;
      }
      // The last pending event is a REMOVED: append so it is never coalesced away.
    }
    queue_.push_back(std::move(event));
    slots.push_back(std::prev(queue_.end()));
  }
  cv_.notify_one();
}

void ListenerQueue::Run() {
  // Named for top -H and the thread budget (docs/services.md §2): "bus:<listener name>".
  const std::string thread_name =
      "bus:" + (options_.name.empty() ? std::string("listener") : options_.name);
  ::pthread_setname_np(::pthread_self(), thread_name.substr(0, 15).c_str());
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    BusEvent event = std::move(queue_.front());
    auto it = by_key_.find(event.key);
    it->second.pop_front();
    if (it->second.empty()) by_key_.erase(it);
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    callback_(event);
    lock.lock();
    busy_ = false;
    ++stats_.delivered;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  busy_ = false;
  idle_cv_.notify_all();
}

void ListenerQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
    by_key_.clear();
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();  // Called from our own callback: Run() exits after it returns.
  } else {
    thread_.join();
  }
}

ListenerStats ListenerQueue::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ListenerStats s = stats_;
  s.pending = queue_.size();
  s.capacity = options_.queue_capacity;
  return s;
}

void ListenerQueue::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return stopping_ || (queue_.empty() && !busy_); });
}

}  // namespace dolphin::bus
