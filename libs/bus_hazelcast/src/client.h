// Client: one authenticated connection to a Hazelcast member, its I/O thread, request/response
// correlation, event routing, heartbeats and reconnection.
//
// Threads: the I/O thread reads the socket, completes calls, routes events to their handlers
// (handlers run on the I/O thread and must only enqueue), sends heartbeats and reconnects with
// capped exponential back-off. A worker thread runs the reconnect hook after each successful
// reconnect (the hook may Invoke). Callers write requests themselves (non-blocking send under
// the state lock; the I/O thread flushes what the kernel did not take) and wait for the
// response on their own thread.
// Thread-safety: every public method is thread-safe. Ownership: owns the socket and threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dolphin/bus_hazelcast/hazelcast_bus.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/env.h"
#include "protocol.h"

namespace dolphin::bus::hazelcast {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string ToString() const;
};
// "host:port" (port 1..65535).
Result<Endpoint> ParseEndpoint(std::string_view text);

struct ClientConfig {
  std::vector<Endpoint> members;
  std::string cluster_name;
  std::optional<std::string> username;
  std::optional<std::string> password;
  HazelcastOptions tuning;
};

using EventHandler = std::function<void(const Message&)>;

struct CallOptions {
  // Safe to resend after the connection broke while the request was in flight.
  bool retryable = false;
  // When set, events carrying this request's correlation id go here (installed before the
  // request is sent, dropped when the connection breaks or RemoveEventHandler is called).
  EventHandler on_event;
  // For error messages, e.g. "hazelcast get DOLPHIN_FEATURES".
  std::string_view op = "hazelcast request";
};

class Client {
 public:
  // Connects and authenticates synchronously (first member that accepts), then starts the
  // I/O and worker threads.
  static Result<std::unique_ptr<Client>> Connect(ClientConfig config, Env& env);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Stops the threads, closes the socket and fails every pending call with Cancelled.
  // Idempotent.
  void Shutdown();

  // Sends `request` (from an Encode* function; the correlation id is assigned here) and waits
  // for its response. Error responses become a non-OK Status; a response whose type is not
  // the request's type + 1 is Corruption. `correlation_out`, when set, receives the id used.
  Result<Message> Invoke(std::string request, const CallOptions& options,
                         int64_t* correlation_out = nullptr);
  // Sends every request in one write and waits once for all the responses (one round trip,
  // one wakeup of the caller): the responses in request order, or the first error (the other
  // requests may have been applied). options.on_event must be empty.
  Result<std::vector<Message>> InvokeAll(std::vector<std::string> requests,
                                         const CallOptions& options);
  void RemoveEventHandler(int64_t correlation);

  // Runs on the worker thread after every successful reconnect (not after the first connect).
  // `cluster_changed`: the cluster id differs from the one before (a restarted cluster). When
  // several reconnects happen before the worker runs, the hook runs once and the flags are
  // or-ed. REQUIRES: set before the first reconnect can happen (right after Connect).
  void SetReconnectHook(std::function<void(bool cluster_changed)> hook);
  // Runs on the I/O thread when an established connection is lost (it must only enqueue).
  // REQUIRES: set right after Connect.
  void SetDisconnectHook(std::function<void()> hook);

  int32_t partition_count() const;
  bool connected() const;
  uint64_t reconnects() const;
  // "127.0.0.1:5701" of the current (or last) member.
  std::string member() const;
  // The id of the cluster of the current (or last) connection, from its auth response.
  std::string cluster_id() const;

 private:
  // The requests sent together by one Invoke/InvokeAll; its caller waits on `cv` until
  // `pending` is 0 (notified once, by the last completion).
  struct Batch {
    std::mutex mu;
    std::condition_variable cv;
    size_t pending = 0;  // guarded by mu
  };
  struct Call {
    std::shared_ptr<Batch> batch;
    bool done = false;  // these three guarded by batch->mu
    Status status;
    Message response;
  };
  // Completes `call` (with `response` when status is OK) and wakes its caller when it was the
  // batch's last.
  static void Complete(Call& call, Status status, Message response = {});
  Result<std::vector<Message>> InvokeBatch(std::vector<std::string> requests,
                                           const CallOptions& options, int64_t* correlation_out);
  struct Connection {
    int fd = -1;
    Endpoint endpoint;
    AuthResponse auth;
    MessageReader reader;
  };

  Client(ClientConfig config, Env& env);
  Result<Connection> Handshake(const Endpoint& endpoint);
  Result<Connection> ConnectAny();
  void Install(Connection conn, bool reconnect);
  void IoLoop();
  void WorkerLoop();
  bool Reconnect();  // false when shutting down
  void ReadAvailable(int fd);
  void Dispatch(Message msg);
  void Drop(std::string_view reason);
  Status WriteLocked(std::string_view bytes);  // REQUIRES: mu_ held
  void FlushLocked();                          // REQUIRES: mu_ held
  void Wake();

  const ClientConfig config_;
  Clock& clock_;
  Logger& logger_;
  const Uuid client_uuid_;
  CancelToken cancel_;
  int wake_fd_ = -1;

  mutable std::mutex mu_;
  std::condition_variable state_cv_;
  int fd_ = -1;                                                          // guarded by mu_
  bool connected_ = false;                                               // guarded by mu_
  bool stopping_ = false;                                                // guarded by mu_
  std::string out_buf_;                                                  // guarded by mu_
  int64_t next_correlation_ = 1;                                         // guarded by mu_
  std::unordered_map<int64_t, std::shared_ptr<Call>> calls_;             // guarded by mu_
  std::unordered_map<int64_t, std::shared_ptr<EventHandler>> handlers_;  // guarded by mu_
  MonoTime last_read_;                                                   // guarded by mu_
  MonoTime last_write_;                                                  // guarded by mu_
  Endpoint endpoint_;                                                    // guarded by mu_
  int32_t partition_count_ = 0;                                          // guarded by mu_
  Uuid cluster_id_;                                                      // guarded by mu_
  uint64_t reconnects_ = 0;                                              // guarded by mu_
  std::function<void(bool)> hook_;                                       // guarded by mu_
  bool hook_pending_ = false;                                            // guarded by mu_
  bool hook_cluster_changed_ = false;                                    // guarded by mu_
  std::function<void()> disconnect_hook_;                                // guarded by mu_
  std::condition_variable worker_cv_;

  MessageReader reader_;  // I/O thread only (set before it starts)
  std::thread io_thread_;
  std::thread worker_thread_;
};

}  // namespace dolphin::bus::hazelcast
