// sd_notify in a real `dolphin run` (docs/services.md "sd_notify"): the test plays systemd. It
// binds an AF_UNIX datagram socket, starts dolphin with NOTIFY_SOCKET and WATCHDOG_USEC, and
// receives READY=1 with STATUS=, then WATCHDOG=1 at half the timeout. A scan file whose read
// hangs (a FIFO nobody writes: a hung network mount) stalls the bridge: the pings stop and
// STATUS says why; once the read returns they resume; SIGTERM sends STOPPING=1.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;  // determinism-ok: an integration test against real time
using testing::DolphinBinary;
using ::testing::HasSubstr;
using testing::Subprocess;

struct Message {
  Clock::time_point at;
  std::string text;
};

// The service manager's end of NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }

  // Receives until `until` holds for a received message or `timeout` passes; every message is
  // kept in messages().
  bool ReceiveUntil(const std::function<bool(const Message&)>& until,
                    std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      messages_.push_back({Clock::now(), std::string(buf, static_cast<size_t>(n))});
      if (until(messages_.back())) return true;
    }
    return false;
  }
  // Receives for the whole `d`.
  void ReceiveFor(std::chrono::milliseconds d) {
    (void)ReceiveUntil([](const Message&) { return false; }, d);
  }
  const std::vector<Message>& messages() const { return messages_; }
  size_t Count(std::string_view needle, size_t from = 0) const {
    size_t n = 0;
    for (size_t i = from; i < messages_.size(); ++i)
      n += messages_[i].text.find(needle) != std::string::npos;
    return n;
  }
  std::vector<Clock::time_point> Times(std::string_view needle, size_t from = 0) const {
    std::vector<Clock::time_point> out;
    for (size_t i = from; i < messages_.size(); ++i) {
      if (messages_[i].text.find(needle) != std::string::npos) out.push_back(messages_[i].at);
    }
    return out;
  }

 private:
  fs::path path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<Message> messages_;
};

auto Has(std::string needle) {
  return [needle](const Message& m) { return m.text.find(needle) != std::string::npos; };
}

TEST(SdNotifyTest, ReadyThenWatchdogAtHalfTheTimeoutStopsWhileTheBridgeStallsThenStopping) {
  testing::TempDir dir;
  const fs::path day = dir.path() / "scans" / "2026-01-05";
  fs::create_directories(day);
  std::ofstream(dir.path() / "dolphin.toml") << fmt::format(R"(heartbeat_interval_s = 0.5
state_dir = "var"
[api]
listen = "127.0.0.1:0"
[sim]
enabled = false
[bridge]
scan_dir = "{}"
read_timeout_ms = 300
[trader.BLUE]
posture = "TURTLE"
)",
                                                            (dir.path() / "scans").string());
  NotifySocket notify(dir.path() / "notify.sock");
  ASSERT_TRUE(notify.bound()) << "cannot bind " << (dir.path() / "notify.sock");
  constexpr auto kWatchdog = std::chrono::seconds(2);  // WATCHDOG_USEC: pings every 1 s
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir.path(),
                 {"NOTIFY_SOCKET=" + (dir.path() / "notify.sock").string(),
                  fmt::format("WATCHDOG_USEC={}", std::chrono::microseconds(kWatchdog).count())});

  // READY=1 with the one-line state, once every service started.
  ASSERT_TRUE(notify.ReceiveUntil(Has("READY=1"), std::chrono::seconds(60))) << run.Stderr();
  const Message ready = notify.messages().back();
  EXPECT_THAT(ready.text, HasSubstr("STATUS=ok: trader.BLUE ok, bridge ok, health ok"));
  EXPECT_EQ(notify.Count("READY=1"), 1u);
  EXPECT_THAT(run.Stderr(), HasSubstr("watchdog armed timeout=2.00s ping_every=1.00s"));

  // WATCHDOG=1 at half the timeout: over 6 s, about 6 pings, never a gap the watchdog would trip
  // on.
  const size_t from = notify.messages().size();
  notify.ReceiveFor(std::chrono::seconds(6));
  auto pings = notify.Times("WATCHDOG=1", from);
  EXPECT_GE(pings.size(), 4u);
  EXPECT_LE(pings.size(), 8u);  // not faster than asked
  pings.insert(pings.begin(), ready.at);
  for (size_t i = 1; i < pings.size(); ++i) {
    EXPECT_LT(pings[i] - pings[i - 1], kWatchdog) << "ping " << i;
  }

  // A scan file whose read never returns: a FIFO without a writer, renamed into the day folder.
  const fs::path fifo_tmp = dir.path() / "hung.fifo";
  const fs::path fifo = day / "scan_1_000000.arrow";
  ASSERT_EQ(::mkfifo(fifo_tmp.c_str(), 0600), 0);
  fs::rename(fifo_tmp, fifo);
  ASSERT_TRUE(notify.ReceiveUntil(Has("watchdog pings withheld"), std::chrono::seconds(30)))
      << run.Stderr();
  EXPECT_THAT(notify.messages().back().text,
              HasSubstr("STATUS=stalled: trader.BLUE ok, bridge stalled (1 file read(s) hung"));
  // No ping while it lasts: 2 x the timeout, when systemd would long have killed the process.
  const size_t stalled_from = notify.messages().size();
  notify.ReceiveFor(2 * kWatchdog);
  EXPECT_EQ(notify.Count("WATCHDOG=1", stalled_from), 0u);
  EXPECT_THAT(run.Stderr(), HasSubstr("no progress: watchdog pings withheld"));
  EXPECT_THAT(run.Stderr(), HasSubstr("reason=\"bridge: stalled: 1 file read(s) hung"));

  // The read returns (a writer opens and closes the FIFO: EOF) and the file goes away (else its
  // retry would hang again): progress again, the pings resume.
  const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(w, 0) << "the bridge's read is not waiting on the FIFO";
  fs::remove(fifo);
  ::close(w);
  ASSERT_TRUE(notify.ReceiveUntil(Has("WATCHDOG=1"), std::chrono::seconds(30))) << run.Stderr();
  EXPECT_THAT(run.Stderr(), HasSubstr("watchdog pings resumed"));
  EXPECT_GE(notify.Count("STATUS=ok:", stalled_from), 1u);

  // SIGTERM: STOPPING=1 before the services stop, then a clean exit.
  const size_t stopping_from = notify.messages().size();
  run.Signal(SIGTERM);
  EXPECT_TRUE(notify.ReceiveUntil(Has("STOPPING=1"), std::chrono::seconds(30)));
  EXPECT_EQ(run.Wait(std::chrono::seconds(30)).exit_code, 0) << run.Stderr();
  EXPECT_EQ(notify.Count("READY=1", stopping_from), 0u);
}

// Without NOTIFY_SOCKET nothing is sent and nothing is armed: the start line says so.
TEST(SdNotifyTest, WithoutNotifySocketNoServiceManagerIsUsed) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "dolphin.toml") << R"([api]
listen = "127.0.0.1:0"
[sim]
enabled = false
)";
  auto r = testing::RunProcess({DolphinBinary(), "run", "-c", "dolphin.toml", "--duration", "1"},
                               dir.path(), std::chrono::seconds(60), {"WATCHDOG_USEC=1000000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("service_manager=none"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("watchdog armed")));
}

}  // namespace
}  // namespace dolphin
