// KvBus test doubles (STYLE section I):
//
// MockKvBus: a gmock mock of every KvBus method (use StrictMock by default, NiceMock when the
// bus is not what the test is about). PutAll keeps KvBus's default (one Put per entry), so
// expectations on Put cover it; FakeKvBus's put failures apply to it the same way.
//
// FakeKvBus: a working in-memory KvBus (its own InMemoryBus, or a wrapper around a bus the test
// keeps reading directly) with failure injection for puts, and connection events the test
// fires by hand, replacing the hand-written flaky buses of single tests.
//   FailNextPuts(n)        the next n Put() calls fail (UnavailableError, or a chosen status)
//   SetPutsFailing(true)   every Put() fails until SetPutsFailing(false)
//   FireConnectionEvent()  runs the registered connection listeners on the caller's thread
// Everything else forwards to the underlying bus unchanged.
// Thread-safety: FakeKvBus is thread-safe. Connection callbacks run under the fake's lock, so
// after RemoveConnectionListener() returns no callback of that listener runs; a callback must
// not call back into the fake's connection-listener methods.
#pragma once

#include <gmock/gmock.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/bus/kv_bus.h"

namespace dolphin::testing {

class MockKvBus : public bus::KvBus {
 public:
  MOCK_METHOD(Status, Put, (std::string_view, std::string_view, std::string_view), (override));
  MOCK_METHOD(Result<std::optional<std::string>>, Get, (std::string_view, std::string_view),
              (override));
  MOCK_METHOD(Result<bool>, Remove, (std::string_view, std::string_view), (override));
  MOCK_METHOD(Result<std::vector<std::string>>, Keys, (std::string_view), (override));
  MOCK_METHOD(Result<bus::ListenerId>, AddKeyListener,
              (std::string_view, std::string_view, bus::ListenerCallback, bus::ListenerOptions),
              (override));
  MOCK_METHOD(Result<bus::ListenerId>, AddMapListener,
              (std::string_view, bus::ListenerCallback, bus::ListenerOptions), (override));
  MOCK_METHOD(Status, RemoveListener, (bus::ListenerId), (override));
  MOCK_METHOD(Result<bus::ListenerStats>, GetListenerStats, (bus::ListenerId), (override));
  MOCK_METHOD(Result<bus::ListenerId>, AddConnectionListener, (bus::ConnectionCallback),
              (override));
  MOCK_METHOD(Status, RemoveConnectionListener, (bus::ListenerId), (override));
  MOCK_METHOD(Result<std::vector<std::string>>, Maps, (), (override));
  MOCK_METHOD(std::string, Describe, (), (const, override));
};

class FakeKvBus final : public bus::KvBus {
 public:
  // Over its own in-memory bus.
  FakeKvBus();
  // Over `inner` (not owned; must outlive the fake).
  explicit FakeKvBus(bus::KvBus& inner);
  ~FakeKvBus() override;

  // The next `n` puts fail with `error` (default: UnavailableError naming the fake).
  void FailNextPuts(int n, std::optional<Status> error = std::nullopt);
  // Every put fails (with `error`, as above) while `failing`.
  void SetPutsFailing(bool failing, std::optional<Status> error = std::nullopt);
  // Put() calls so far, and how many of them failed by injection.
  int64_t puts() const { return puts_.load(); }
  int64_t put_failures() const { return put_failures_.load(); }

  // Runs every registered connection listener with `event` on this thread.
  void FireConnectionEvent(bus::ConnectionEvent event);
  bool HasConnectionListener() const;
  // The bus the fake forwards to.
  bus::KvBus& inner() { return inner_; }

  Status Put(std::string_view map, std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> Get(std::string_view map, std::string_view key) override {
    return inner_.Get(map, key);
  }
  Result<bool> Remove(std::string_view map, std::string_view key) override {
    return inner_.Remove(map, key);
  }
  Result<std::vector<std::string>> Keys(std::string_view map) override { return inner_.Keys(map); }
  Result<bus::ListenerId> AddKeyListener(std::string_view map, std::string_view key,
                                         bus::ListenerCallback callback,
                                         bus::ListenerOptions options = {}) override {
    return inner_.AddKeyListener(map, key, std::move(callback), std::move(options));
  }
  Result<bus::ListenerId> AddMapListener(std::string_view map, bus::ListenerCallback callback,
                                         bus::ListenerOptions options = {}) override {
    return inner_.AddMapListener(map, std::move(callback), std::move(options));
  }
  Status RemoveListener(bus::ListenerId id) override { return inner_.RemoveListener(id); }
  Result<bus::ListenerStats> GetListenerStats(bus::ListenerId id) override {
    return inner_.GetListenerStats(id);
  }
  Result<bus::ListenerId> AddConnectionListener(bus::ConnectionCallback callback) override;
  Status RemoveConnectionListener(bus::ListenerId id) override;
  Result<std::vector<std::string>> Maps() override { return inner_.Maps(); }
  std::string Describe() const override { return "fake(" + inner_.Describe() + ")"; }

 private:
  Status InjectedError() const;  // REQUIRES: mu_ held

  std::unique_ptr<bus::KvBus> owned_;
  bus::KvBus& inner_;
  mutable std::mutex mu_;
  int fail_next_ = 0;                                              // guarded by mu_
  bool failing_ = false;                                           // guarded by mu_
  std::optional<Status> error_;                                    // guarded by mu_
  std::map<bus::ListenerId, bus::ConnectionCallback> connection_;  // guarded by mu_
  bus::ListenerId next_connection_id_ = 1;                         // guarded by mu_
  std::atomic<int64_t> puts_{0};
  std::atomic<int64_t> put_failures_{0};
};

}  // namespace dolphin::testing
