#include "client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "dolphin/core/host_port.h"
#include "dolphin/core/random.h"

namespace dolphin::bus::hazelcast {

namespace {

constexpr std::string_view kComponent = "bus.hazelcast";
constexpr size_t kMaxOutBuffer = 256u << 20;

Uuid NewClientUuid(Clock& clock) {
  std::string hex = SecureRandomHex(16);
  Uuid u;
  u.is_null = false;
  if (hex.size() == 32) {
    u.msb = std::stoull(hex.substr(0, 16), nullptr, 16);
    u.lsb = std::stoull(hex.substr(16), nullptr, 16);
  } else {  // No OS randomness: an identifier only needs to be unlikely to repeat.
    u.msb = static_cast<uint64_t>(clock.Now().UnixNanos()) ^ 0x9e3779b97f4a7c15ULL;
    u.lsb = static_cast<uint64_t>(getpid()) * 0xbf58476d1ce4e5b9ULL;
  }
  u.msb = (u.msb & ~0xf000ULL) | 0x4000ULL;        // version 4
  u.lsb = (u.lsb & ~(3ULL << 62)) | (2ULL << 62);  // IETF variant
  return u;
}

std::chrono::nanoseconds Remaining(const Clock& clock, MonoTime deadline) {
  return std::max(Duration::zero(), deadline - clock.MonotonicNow());
}

int32_t RequestType(const std::string& wire) {
  if (wire.size() < 10) return -1;
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(wire[6 + i]);
  return static_cast<int32_t>(v);
}

std::string AuthStatusName(uint8_t status) {
  switch (status) {
    case 1: return "CREDENTIALS_FAILED";
    case 2: return "SERIALIZATION_VERSION_MISMATCH";
    case 3: return "NOT_ALLOWED_IN_CLUSTER";
    default: return fmt::format("status {}", status);
  }
}

// Waits for `events` on `fd` until `deadline`; an error when it does not come.
Status PollUntil(int fd, short events, const Clock& clock, MonoTime deadline,
                 std::string_view what) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(Remaining(clock, deadline));
    if (left.count() <= 0) return DeadlineExceededError(fmt::format("{}: timed out", what));
    pollfd p{fd, events, 0};
    // determinism-ok: a kernel wait on the socket; the deadline itself is on the Clock.
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, 1000)));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(what, errno);
    }
    if (r > 0) return Status::Ok();
  }
}

}  // namespace

std::string Endpoint::ToString() const { return fmt::format("{}:{}", host, port); }

Result<Endpoint> ParseEndpoint(std::string_view text) {
  Result<HostPort> hp = ParseHostPort(text);
  if (!hp.ok()) return InvalidArgumentError("hazelcast member " + hp.status().message());
  if (hp->port == 0) {
    return InvalidArgumentError(fmt::format("hazelcast member \"{}\": bad port 0", text));
  }
  return Endpoint{std::move(hp->host), hp->port};
}

Client::Client(ClientConfig config, Env& env)
    : config_(std::move(config)),
      clock_(env.clock),
      logger_(env.logger),
      client_uuid_(NewClientUuid(env.clock)) {}

Result<std::unique_ptr<Client>> Client::Connect(ClientConfig config, Env& env) {
  if (config.members.empty()) return InvalidArgumentError("hazelcast: no member addresses");
  std::unique_ptr<Client> client(new Client(std::move(config), env));
  client->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (client->wake_fd_ < 0) return ErrnoError("hazelcast: eventfd", errno);
  DOLPHIN_ASSIGN_OR_RETURN(Connection conn, client->ConnectAny());
  client->Install(std::move(conn), /*reconnect=*/false);
  client->io_thread_ = std::thread([c = client.get()] {  // determinism-ok: the I/O thread
    ::pthread_setname_np(::pthread_self(), "hz-io");
    c->IoLoop();
  });
  client->worker_thread_ = std::thread([c = client.get()] {  // determinism-ok: reconnect worker
    ::pthread_setname_np(::pthread_self(), "hz-worker");
    c->WorkerLoop();
  });
  return client;
}

Client::~Client() {
  Shutdown();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Client::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !io_thread_.joinable() && !worker_thread_.joinable()) return;
    stopping_ = true;
  }
  cancel_.Cancel();
  Wake();
  state_cv_.notify_all();
  worker_cv_.notify_all();
  if (io_thread_.joinable()) io_thread_.join();
  if (worker_thread_.joinable()) worker_thread_.join();
  std::unordered_map<int64_t, std::shared_ptr<Call>> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    connected_ = false;
    calls.swap(calls_);
    handlers_.clear();
  }
  for (auto& [id, call] : calls) Complete(*call, CancelledError("hazelcast client shut down"));
}

void Client::Complete(Call& call, Status status, Message response) {
  std::lock_guard<std::mutex> lock(call.batch->mu);
  if (call.done) return;
  call.done = true;
  call.status = std::move(status);
  call.response = std::move(response);
  if (--call.batch->pending == 0) call.batch->cv.notify_all();
}

void Client::Wake() {
  uint64_t one = 1;
  if (wake_fd_ >= 0) {
    ssize_t r = ::write(wake_fd_, &one, sizeof(one));
    (void)r;
  }
}

Result<Client::Connection> Client::Handshake(const Endpoint& endpoint) {
  const MonoTime deadline = clock_.MonotonicNow() + config_.tuning.connect_timeout;
  const std::string where = endpoint.ToString();

  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(endpoint.port);
  int gai = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0 || res == nullptr) {
    return UnavailableError(
        fmt::format("hazelcast: cannot resolve {}: {}", where, ::gai_strerror(gai)));
  }
  sockaddr_in addr{};
  std::memcpy(&addr, res->ai_addr, std::min<size_t>(sizeof(addr), res->ai_addrlen));
  ::freeaddrinfo(res);

  Connection conn;
  conn.endpoint = endpoint;
  conn.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (conn.fd < 0) return ErrnoError("hazelcast: socket", errno);
  auto fail = [&](Status s) {
    ::close(conn.fd);
    return s;
  };
  int one = 1;
  ::setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(conn.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      return fail(UnavailableError(
          fmt::format("hazelcast: connect to {}: {}", where, std::strerror(errno))));
    }
    Status s = PollUntil(conn.fd, POLLOUT, clock_, deadline,
                         fmt::format("hazelcast: connect to {}", where));
    if (!s.ok()) return fail(UnavailableError(s.message()));
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(conn.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      return fail(
          UnavailableError(fmt::format("hazelcast: connect to {}: {}", where, std::strerror(err))));
    }
  }

  AuthRequest auth;
  auth.cluster_name = config_.cluster_name;
  auth.username = config_.username;
  auth.password = config_.password;
  auth.client_uuid = client_uuid_;
  auth.client_name = config_.tuning.client_name.empty() ? fmt::format("dolphin-{}", getpid())
                                                        : config_.tuning.client_name;
  int64_t correlation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    correlation = next_correlation_++;
  }
  std::string request = EncodeAuthentication(auth);
  SetCorrelationId(request, correlation);
  const std::string wire = "CP2" + request;  // The preamble, once per connection.
  size_t off = 0;
  while (off < wire.size()) {
    ssize_t n = ::send(conn.fd, wire.data() + off, wire.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      Status s = PollUntil(conn.fd, POLLOUT, clock_, deadline,
                           fmt::format("hazelcast: authenticate to {}", where));
      if (!s.ok()) return fail(UnavailableError(s.message()));
    } else {
      return fail(
          UnavailableError(fmt::format("hazelcast: send to {}: {}", where, std::strerror(errno))));
    }
  }

  std::vector<Message> messages;
  char buf[4096];
  while (messages.empty()) {
    Status s = PollUntil(conn.fd, POLLIN, clock_, deadline,
                         fmt::format("hazelcast: authentication response from {}", where));
    if (!s.ok()) return fail(UnavailableError(s.message()));
    ssize_t n = ::recv(conn.fd, buf, sizeof(buf), 0);
    if (n == 0) {
      return fail(UnavailableError(fmt::format(
          "hazelcast: {} closed the connection during authentication (is it a Hazelcast "
          "member?)",
          where)));
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return fail(UnavailableError(
          fmt::format("hazelcast: recv from {}: {}", where, std::strerror(errno))));
    }
    Status fs = conn.reader.Feed(std::string_view(buf, static_cast<size_t>(n)), messages);
    if (!fs.ok()) return fail(fs.WithPrefix(fmt::format("hazelcast: {}", where)));
  }
  auto header = DecodeHeader(messages[0]);
  if (!header.ok()) return fail(header.status());
  if (header->type == kErrorResponse) {
    return fail(
        ErrorResponseToStatus(messages[0], fmt::format("hazelcast: authenticate to {}", where)));
  }
  if (header->type != kAuthentication + 1) {
    return fail(CorruptionError(fmt::format(
        "hazelcast: {} answered authentication with message type {:#x}", where, header->type)));
  }
  auto resp = DecodeAuthResponse(messages[0]);
  if (!resp.ok()) return fail(resp.status());
  if (resp->status != 0) {
    return fail(FailedPreconditionError(fmt::format(
        "hazelcast: member {} refused authentication ({}): wrong cluster name '{}'{}", where,
        AuthStatusName(resp->status), config_.cluster_name,
        config_.username ? fmt::format(" or wrong credentials for user '{}'", *config_.username)
                         : " (no credentials sent)")));
  }
  conn.auth = *resp;
  // Anything after the auth response stays buffered in conn.reader for the I/O thread.
  for (size_t i = 1; i < messages.size(); ++i) {
    logger_.Debug(kComponent, "message right after authentication ignored");
  }
  return conn;
}

Result<Client::Connection> Client::ConnectAny() {
  Status last;
  for (const Endpoint& ep : config_.members) {
    auto conn = Handshake(ep);
    if (conn.ok()) return std::move(conn).value();
    last = conn.status();
    // A refusal is an answer, not an outage: trying other members of the same cluster would
    // get the same answer.
    if (last.code() == StatusCode::kFailedPrecondition) return last;
  }
  return last;
}

void Client::Install(Connection conn, bool reconnect) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (partition_count_ != 0 && partition_count_ != conn.auth.partition_count) {
      logger_.Error(kComponent, "partition count changed across reconnect",
                    {{"was", partition_count_}, {"now", conn.auth.partition_count}});
    }
    const bool cluster_restarted = reconnect && !(cluster_id_ == conn.auth.cluster_id);
    fd_ = conn.fd;
    connected_ = true;
    out_buf_.clear();
    endpoint_ = conn.endpoint;
    partition_count_ = conn.auth.partition_count;
    cluster_id_ = conn.auth.cluster_id;
    last_read_ = last_write_ = clock_.MonotonicNow();
    if (reconnect) {
      ++reconnects_;
      hook_pending_ = true;
      hook_cluster_changed_ = hook_cluster_changed_ || cluster_restarted;
    }
    logger_.Info(kComponent, reconnect ? "reconnected" : "connected",
                 {{"member", conn.endpoint.ToString()},
                  {"server_version", conn.auth.server_version},
                  {"partitions", conn.auth.partition_count},
                  {"cluster_id", UuidToString(conn.auth.cluster_id)},
                  {"cluster_restarted", cluster_restarted}});
  }
  reader_ = std::move(conn.reader);
  state_cv_.notify_all();
  worker_cv_.notify_all();
}

void Client::SetReconnectHook(std::function<void(bool cluster_changed)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

void Client::SetDisconnectHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  disconnect_hook_ = std::move(hook);
}

int32_t Client::partition_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return partition_count_;
}
bool Client::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}
uint64_t Client::reconnects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reconnects_;
}
std::string Client::member() const {
  std::lock_guard<std::mutex> lock(mu_);
  return endpoint_.ToString();
}
std::string Client::cluster_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return UuidToString(cluster_id_);
}

void Client::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    worker_cv_.wait(lock, [&] { return stopping_ || hook_pending_; });
    if (stopping_) return;
    hook_pending_ = false;
    const bool cluster_changed = hook_cluster_changed_;
    hook_cluster_changed_ = false;
    auto hook = hook_;
    lock.unlock();
    if (hook) hook(cluster_changed);
    lock.lock();
  }
}

Status Client::WriteLocked(std::string_view bytes) {
  if (fd_ < 0 || !connected_) return UnavailableError("hazelcast: not connected");
  if (!out_buf_.empty()) {
    if (out_buf_.size() + bytes.size() > kMaxOutBuffer) {
      return UnavailableError("hazelcast: send buffer full (member not reading)");
    }
    out_buf_.append(bytes.data(), bytes.size());
    return Status::Ok();
  }
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {
      int err = errno;
      ::shutdown(fd_, SHUT_RDWR);  // The I/O thread notices and reconnects.
      return UnavailableError(fmt::format("hazelcast: send: {}", std::strerror(err)));
    }
  }
  last_write_ = clock_.MonotonicNow();
  if (off < bytes.size()) {
    out_buf_.append(bytes.data() + off, bytes.size() - off);
    Wake();
  }
  return Status::Ok();
}

void Client::FlushLocked() {
  size_t off = 0;
  while (off < out_buf_.size() && fd_ >= 0) {
    ssize_t n = ::send(fd_, out_buf_.data() + off, out_buf_.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && errno != EAGAIN) ::shutdown(fd_, SHUT_RDWR);
      break;
    }
  }
  out_buf_.erase(0, off);
  if (off > 0) last_write_ = clock_.MonotonicNow();
}

Result<Message> Client::Invoke(std::string request, const CallOptions& options,
                               int64_t* correlation_out) {
  std::vector<std::string> one;
  one.push_back(std::move(request));
  DOLPHIN_ASSIGN_OR_RETURN(std::vector<Message> responses,
                           InvokeBatch(std::move(one), options, correlation_out));
  return std::move(responses.front());
}

Result<std::vector<Message>> Client::InvokeAll(std::vector<std::string> requests,
                                               const CallOptions& options) {
  if (requests.empty()) return std::vector<Message>();
  if (options.on_event) {
    return InvalidArgumentError(fmt::format("{}: InvokeAll takes no event handler", options.op));
  }
  return InvokeBatch(std::move(requests), options, nullptr);
}

Result<std::vector<Message>> Client::InvokeBatch(std::vector<std::string> requests,
                                                 const CallOptions& options,
                                                 int64_t* correlation_out) {
  const Duration timeout = config_.tuning.request_timeout;
  const MonoTime deadline = clock_.MonotonicNow() + timeout;
  const size_t n = requests.size();
  std::vector<int32_t> request_types(n);
  for (size_t i = 0; i < n; ++i) request_types[i] = RequestType(requests[i]);
  std::vector<int64_t> ids(n);
  std::vector<std::shared_ptr<Call>> calls(n);
  std::string wire;  // several requests go out as one write
  while (true) {
    auto batch = std::make_shared<Batch>();
    batch->pending = n;
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (!connected_ && !stopping_) {
        if (!clock_.WaitUntil(deadline, lock, state_cv_, [&] { return connected_ || stopping_; })) {
          return DeadlineExceededError(
              fmt::format("{}: not connected to hazelcast member {} for {} ms (reconnecting)",
                          options.op, endpoint_.ToString(),
                          std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
        }
      }
      if (stopping_) {
        return CancelledError(fmt::format("{}: hazelcast client shut down", options.op));
      }
      wire.clear();
      for (size_t i = 0; i < n; ++i) {
        ids[i] = next_correlation_++;
        SetCorrelationId(requests[i], ids[i]);
        calls[i] = std::make_shared<Call>();
        calls[i]->batch = batch;
        calls_[ids[i]] = calls[i];
        if (n > 1) wire += requests[i];
      }
      if (options.on_event) handlers_[ids[0]] = std::make_shared<EventHandler>(options.on_event);
      if (correlation_out != nullptr) *correlation_out = ids[0];
      Status s = WriteLocked(n > 1 ? std::string_view(wire) : std::string_view(requests[0]));
      if (!s.ok()) {
        for (int64_t id : ids) calls_.erase(id);
        handlers_.erase(ids[0]);
        if (options.retryable) continue;
        return s.WithPrefix(options.op);
      }
    }
    bool done;
    {
      std::unique_lock<std::mutex> lock(batch->mu);
      done = clock_.WaitUntil(deadline, lock, batch->cv, [&] { return batch->pending == 0; });
    }
    if (!done) {
      std::lock_guard<std::mutex> lock(mu_);
      for (int64_t id : ids) calls_.erase(id);
      handlers_.erase(ids[0]);
      return DeadlineExceededError(fmt::format(
          "{}: no response from hazelcast member {} within {} ms", options.op, endpoint_.ToString(),
          std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
    }
    // Every call is done and written under batch->mu, which this thread took after.
    bool resend = false;
    for (const auto& call : calls) {
      if (call->status.ok()) continue;
      if (options.retryable && call->status.code() == StatusCode::kUnavailable &&
          clock_.MonotonicNow() < deadline) {
        resend = true;  // Connection lost while in flight; the requests are safe to resend.
        continue;
      }
      return call->status.WithPrefix(options.op);
    }
    if (resend) continue;  // Drop() already removed the handlers of the lost connection.
    std::vector<Message> responses;
    responses.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      Message& response = calls[i]->response;
      // In a batch, the error names the request that failed.
      auto what = [&] {
        return n > 1 ? fmt::format("{} (request {} of {})", options.op, i + 1, n)
                     : std::string(options.op);
      };
      auto header = DecodeHeader(response);
      if (!header.ok()) return header.status().WithPrefix(what());
      if (header->type == kErrorResponse) return ErrorResponseToStatus(response, what());
      if (header->type != request_types[i] + 1) {
        return CorruptionError(fmt::format("{}: response type {:#x} for request type {:#x}", what(),
                                           header->type, request_types[i]));
      }
      responses.push_back(std::move(response));
    }
    return responses;
  }
}

void Client::RemoveEventHandler(int64_t correlation) {
  std::lock_guard<std::mutex> lock(mu_);
  handlers_.erase(correlation);
}

void Client::Drop(std::string_view reason) {
  std::unordered_map<int64_t, std::shared_ptr<Call>> calls;
  std::string where;
  std::function<void()> disconnect_hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (connected_) disconnect_hook = disconnect_hook_;
    connected_ = false;
    out_buf_.clear();
    calls.swap(calls_);
    handlers_.clear();
    where = endpoint_.ToString();
  }
  logger_.Warn(kComponent, "connection lost",
               {{"member", where}, {"reason", reason}, {"failed_calls", calls.size()}});
  if (disconnect_hook) disconnect_hook();
  const Status status =
      UnavailableError(fmt::format("connection to hazelcast member {} lost: {}", where, reason));
  for (auto& [id, call] : calls) Complete(*call, status);
}

bool Client::Reconnect() {
  Duration backoff = config_.tuning.initial_backoff;
  int attempt = 0;
  while (!cancel_.cancelled()) {
    ++attempt;
    auto conn = ConnectAny();
    if (conn.ok()) {
      Install(std::move(conn).value(), /*reconnect=*/true);
      return true;
    }
    logger_.Warn(
        kComponent, "reconnect failed",
        {{"attempt", attempt},
         {"error", conn.status().ToString()},
         {"retry_in_ms", std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count()}});
    if (!clock_.WaitFor(backoff, cancel_)) return false;
    backoff =
        std::min<Duration>(config_.tuning.max_backoff,
                           Duration(static_cast<int64_t>(static_cast<double>(backoff.count()) *
                                                         config_.tuning.backoff_multiplier)));
  }
  return false;
}

void Client::ReadAvailable(int fd) {
  char buf[64 * 1024];
  std::vector<Message> messages;
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0) {
      Drop("closed by the member");
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      Drop(std::strerror(errno));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_read_ = clock_.MonotonicNow();
    }
    Status s = reader_.Feed(std::string_view(buf, static_cast<size_t>(n)), messages);
    if (!s.ok()) {
      Drop(s.message());
      return;
    }
    for (auto& m : messages) Dispatch(std::move(m));
    messages.clear();
    if (static_cast<size_t>(n) < sizeof(buf)) break;
  }
}

void Client::Dispatch(Message msg) {
  auto header = DecodeHeader(msg);
  if (!header.ok()) {
    logger_.Warn(kComponent, "undecodable message dropped", {{"error", header.status().message()}});
    return;
  }
  if (header->is_event) {
    std::shared_ptr<EventHandler> handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = handlers_.find(header->correlation_id);
      if (it != handlers_.end()) handler = it->second;
    }
    if (handler) (*handler)(msg);
    return;
  }
  std::shared_ptr<Call> call;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = calls_.find(header->correlation_id);
    if (it == calls_.end()) return;  // A heartbeat's answer, or a call that timed out.
    call = std::move(it->second);
    calls_.erase(it);
  }
  Complete(*call, Status::Ok(), std::move(msg));
}

void Client::IoLoop() {
  // Idle, the loop wakes only to check the heartbeat deadlines (a ping after
  // heartbeat_interval without a write, a drop after heartbeat_timeout without a read): every
  // half interval (2.5 s by default). Data, the wake fd and Stop() wake it at once; every
  // Drop() runs on this thread.
  const auto tick =
      std::max<Duration>(std::chrono::milliseconds(10), config_.tuning.heartbeat_interval / 2);
  const int tick_ms =
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(tick).count());
  while (true) {
    int fd;
    bool want_write;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      fd = fd_;
      want_write = !out_buf_.empty();
    }
    if (fd < 0) {
      if (!Reconnect()) return;
      continue;
    }
    pollfd fds[2] = {{fd, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0},
                     {wake_fd_, POLLIN, 0}};
    // determinism-ok: a kernel wait on the socket and the wake fd (the put->event hot path);
    // heartbeat and idle deadlines below are read from the Clock.
    int r = ::poll(fds, 2, tick_ms);
    if (r < 0 && errno != EINTR) {
      Drop(std::strerror(errno));
      continue;
    }
    if (fds[1].revents & POLLIN) {
      uint64_t v;
      ssize_t n = ::read(wake_fd_, &v, sizeof(v));
      (void)n;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ReadAvailable(fd);
    }
    std::string reason;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      if (fd_ != fd) continue;  // Dropped while reading.
      if (!out_buf_.empty()) FlushLocked();
      const MonoTime now = clock_.MonotonicNow();
      if (now - last_read_ >= config_.tuning.heartbeat_timeout) {
        reason = fmt::format(
            "nothing read for {} ms (heartbeat timeout)",
            std::chrono::duration_cast<std::chrono::milliseconds>(now - last_read_).count());
      } else if (now - last_write_ >= config_.tuning.heartbeat_interval) {
        std::string ping = EncodePing();
        SetCorrelationId(ping, next_correlation_++);
        Status s = WriteLocked(ping);
        if (!s.ok()) reason = s.message();
      }
    }
    if (!reason.empty()) Drop(reason);
  }
}

}  // namespace dolphin::bus::hazelcast
