// The Hazelcast client's request timeouts run on its Clock: driven by a SimulatedClock against a
// stand-in member (a loopback socket that answers the authentication and nothing else), with no
// Java member and no real-time wait for the timeout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "client.h"
#include "dolphin/testing/testing.h"
#include "protocol.h"

namespace dolphin::bus::hazelcast {
namespace {

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Accepts one client, answers its authentication request, then reads (and ignores) everything
// until the client hangs up.
class SilentMember {
 public:
  SilentMember() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SilentMember() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // Unblocks accept() if no client ever came.
    thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::string in;
    char buf[4096];
    // "CP2", then the authentication request's first frame: length (4), flags (2), type (4),
    // correlation id (8).
    bool answered = false;
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      if (!answered && in.size() >= 3 + 6 + 12) {
        uint64_t correlation = 0;
        for (int i = 7; i >= 0; --i) {
          correlation = (correlation << 8) | static_cast<uint8_t>(in[3 + 6 + 4 + i]);
        }
        std::string payload;
        PutLe(payload, kAuthentication + 1, 4);
        PutLe(payload, correlation, 8);
        payload.push_back(0);  // backup acks
        payload.push_back(0);  // status: authenticated
        payload.push_back(0);  // member uuid: not null
        PutLe(payload, 7, 8);
        PutLe(payload, 8, 8);
        payload.push_back(1);    // serialization version
        PutLe(payload, 271, 4);  // partition count
        payload.push_back(0);    // cluster id: not null
        PutLe(payload, 1, 8);
        PutLe(payload, 2, 8);
        payload.push_back(0);
        std::string frame;
        PutLe(frame, payload.size() + 6, 4);
        PutLe(frame, kUnfragmented | kIsFinal, 2);
        frame += payload;
        EXPECT_EQ(::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(frame.size()));
        answered = true;
      }
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(HazelcastClientClockTest, RequestTimeoutRunsOnTheSimulatedClock) {
  testing::TestEnv t;
  SilentMember member;
  ClientConfig config;
  config.members.push_back(Endpoint{"127.0.0.1", member.port()});
  config.cluster_name = "dev";
  config.tuning.request_timeout = std::chrono::seconds(30);
  auto client = Client::Connect(config, t.env);
  ASSERT_OK(client);

  CallOptions options;
  options.op = "hazelcast test";
  std::future<Result<Message>> reply = std::async(std::launch::async, [&] {
    return (*client)->Invoke(EncodeGetDistributedObjects(), options);
  });
  t.clock.BlockUntilWaiters(1);
  // 29.9 s of simulated time: still waiting for the response the member never sends.
  t.clock.AdvanceBy(std::chrono::milliseconds(29900));
  EXPECT_EQ(t.clock.WaitersForTest(), 1);
  EXPECT_EQ(reply.wait_for(std::chrono::seconds(0)),
            std::future_status::timeout);  // determinism-ok: a non-blocking readiness check
  // The deadline passes only when the clock says so.
  t.clock.AdvanceBy(std::chrono::milliseconds(100));
  Result<Message> r = reply.get();
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r, testing::StatusHasMessage("hazelcast test: no response from hazelcast member"));
  EXPECT_THAT(r, testing::StatusHasMessage("within 30000 ms"));
  (*client)->Shutdown();
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
