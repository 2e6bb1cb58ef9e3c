#include "dolphin/testing/kv_bus_fakes.h"

#include <fmt/format.h>

#include "dolphin/bus/in_memory_bus.h"

namespace dolphin::testing {

FakeKvBus::FakeKvBus() : owned_(bus::NewInMemoryBus()), inner_(*owned_) {}
FakeKvBus::FakeKvBus(bus::KvBus& inner) : inner_(inner) {}
FakeKvBus::~FakeKvBus() = default;

void FakeKvBus::FailNextPuts(int n, std::optional<Status> error) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
  error_ = std::move(error);
}

void FakeKvBus::SetPutsFailing(bool failing, std::optional<Status> error) {
  std::lock_guard<std::mutex> lock(mu_);
  failing_ = failing;
  error_ = std::move(error);
}

Status FakeKvBus::InjectedError() const {
  if (error_) return *error_;
  return UnavailableError("fake bus: member unreachable (injected)");
}

Status FakeKvBus::Put(std::string_view map, std::string_view key, std::string_view value) {
  ++puts_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failing_ || fail_next_ > 0) {
      if (fail_next_ > 0) --fail_next_;
      ++put_failures_;
      return InjectedError();
    }
  }
  return inner_.Put(map, key, value);
}

Result<bus::ListenerId> FakeKvBus::AddConnectionListener(bus::ConnectionCallback callback) {
  std::lock_guard<std::mutex> lock(mu_);
  const bus::ListenerId id = next_connection_id_++;
  connection_[id] = std::move(callback);
  return id;
}

Status FakeKvBus::RemoveConnectionListener(bus::ListenerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (connection_.erase(id) == 0) {
    return NotFoundError(fmt::format("fake bus: no connection listener {}", id));
  }
  return Status::Ok();
}

bool FakeKvBus::HasConnectionListener() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !connection_.empty();
}

void FakeKvBus::FireConnectionEvent(bus::ConnectionEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, callback] : connection_) callback(event);
}

}  // namespace dolphin::testing
