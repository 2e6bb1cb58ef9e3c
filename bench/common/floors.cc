#include "floors.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

namespace dolphin::bench {

namespace {

int64_t MonoNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now()
                 .time_since_epoch())  // determinism-ok: benchmark timing
      .count();
}

void Pause(double gap_ms) {
  if (gap_ms > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(
        static_cast<int64_t>(gap_ms * 1000)));  // determinism-ok: benchmark pacing
  }
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);  // determinism-ok: benchmark CPU accounting
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "tcp floor: %s\n", what);
  std::abort();
}

}  // namespace

Histogram InotifyFloor(const std::filesystem::path& dir, int n, double gap_ms, double unit_ns,
                       double* cpu_ns) {
  std::filesystem::create_directories(dir);
  int fd = inotify_init1(IN_CLOEXEC);
  inotify_add_watch(fd, dir.c_str(), IN_MOVED_TO);
  std::atomic<int64_t> sent{0};
  std::atomic<int> got{0};
  Histogram h;
  std::thread reader([&] {  // determinism-ok: benchmark
    alignas(struct inotify_event) char buf[4096];
    const int64_t cpu0 = ThreadCpuNs();
    int woke = 0;
    for (int i = 0; i < n; ++i) {
      ssize_t r = read(fd, buf, sizeof(buf));
      int64_t now = MonoNs();
      if (r <= 0) break;
      h.Add(static_cast<double>(now - sent.load()) / unit_ns);
      got.store(i + 1);
      ++woke;
    }
    if (cpu_ns != nullptr && woke > 0) {
      *cpu_ns = static_cast<double>(ThreadCpuNs() - cpu0) / woke;
    }
  });
  for (int i = 0; i < n; ++i) {
    std::filesystem::path tmp = dir / ("f" + std::to_string(i) + ".tmp");
    std::ofstream(tmp) << "x";
    sent.store(MonoNs());
    std::filesystem::rename(tmp, dir / ("f" + std::to_string(i) + ".arrow"));
    while (got.load() <= i) std::this_thread::yield();
    Pause(gap_ms);
  }
  reader.join();
  close(fd);
  std::filesystem::remove_all(dir);
  return h;
}

Histogram TcpFloor(int n, double gap_ms, double unit_ns, double* cpu_ns) {
  Histogram h;
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(lfd, 1);
  socklen_t len = sizeof(addr);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread server([lfd, cpu_ns] {  // determinism-ok: the echo server of a benchmark
    int c = ::accept(lfd, nullptr, nullptr);
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char buf[1024];
    const int64_t cpu0 = ThreadCpuNs();
    int echoed = 0;
    while (ReadAll(c, buf, sizeof(buf)) && WriteAll(c, buf, sizeof(buf))) ++echoed;
    if (cpu_ns != nullptr && echoed > 0) {
      *cpu_ns = static_cast<double>(ThreadCpuNs() - cpu0) / echoed;
    }
    ::close(c);
  });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("connect failed");
  char buf[1024];
  std::memset(buf, 'x', sizeof(buf));
  for (int i = 0; i < n + n / 10; ++i) {
    int64_t t0 = MonoNs();
    if (!WriteAll(fd, buf, sizeof(buf)) || !ReadAll(fd, buf, sizeof(buf))) Die("echo failed");
    if (i >= n / 10) h.Add(static_cast<double>(MonoNs() - t0) / unit_ns);  // first 10 % warm up
    Pause(gap_ms);
  }
  ::close(fd);
  server.join();
  ::close(lfd);
  return h;
}

Histogram CpuOfStep(const std::function<void()>& step, int n, double gap_ms, double unit_ns) {
  for (int i = 0; i < n / 10; ++i) step();
  Histogram h;
  h.Reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Pause(gap_ms);
    const int64_t cpu0 = ThreadCpuNs();
    step();
    h.Add(static_cast<double>(ThreadCpuNs() - cpu0) / unit_ns);
  }
  return h;
}

}  // namespace dolphin::bench
