#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "dolphin/health/probes.h"

namespace dolphin::health {

namespace {

class TcpPortProbe final : public PortProbe {
 public:
  Status Check(const std::string& host, uint16_t port, Duration timeout) override {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
      return UnavailableError(fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc)));
    }
    Status result = UnavailableError("no address");
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      result = TryOne(ai, timeout);
      if (result.ok()) break;
    }
    ::freeaddrinfo(res);
    return result;
  }

 private:
  static Status TryOne(const addrinfo* ai, Duration timeout) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) return UnavailableError(fmt::format("socket: {}", std::strerror(errno)));
    Status st;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        st = UnavailableError(std::strerror(errno));
      } else {
        pollfd p{fd, POLLOUT, 0};
        const int ms = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
        // determinism-ok: a kernel wait on one socket, bounded by the probe's timeout
        int n;
        do {
          n = ::poll(&p, 1, ms);
        } while (n < 0 && errno == EINTR);
        if (n == 0) {
          st = DeadlineExceededError(fmt::format("no answer within {}", FormatDuration(timeout)));
        } else if (n < 0) {
          st = UnavailableError(fmt::format("poll: {}", std::strerror(errno)));
        } else {
          int err = 0;
          socklen_t len = sizeof(err);
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0) st = UnavailableError(std::strerror(err));
        }
      }
    }
    ::close(fd);
    return st;
  }
};

}  // namespace

std::unique_ptr<PortProbe> NewTcpPortProbe() { return std::make_unique<TcpPortProbe>(); }

}  // namespace dolphin::health
