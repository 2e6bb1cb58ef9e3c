// Helpers for tests of bus listeners: an event recorder and a gate to block a callback.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/testing/testing.h"

namespace dolphin::testing {

// Records every event a listener receives, and on which thread.
class EventRecorder {
 public:
  bus::ListenerCallback Callback() {
    return [this](const bus::BusEvent& e) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(e);
      threads_.insert(std::this_thread::get_id());
      cv_.notify_all();
    };
  }
  std::vector<bus::BusEvent> Events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  size_t Count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }
  bool WaitForCount(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return WaitFor([&] { return Count() >= n; }, timeout);
  }
  // Waits until some event satisfies `pred`.
  bool WaitForEvent(const std::function<bool(const bus::BusEvent&)>& pred) {
    return WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& e : events_) {
        if (pred(e)) return true;
      }
      return false;
    });
  }
  std::set<std::thread::id> Threads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bus::BusEvent> events_;
  std::set<std::thread::id> threads_;
};

// A gate a callback can block on until the test opens it.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitForWaiter() {
    return WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu_);
      return waiting_ > 0;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

}  // namespace dolphin::testing
