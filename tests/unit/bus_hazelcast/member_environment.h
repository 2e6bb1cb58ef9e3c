// One real Hazelcast member per test process (started lazily by the first test that needs it,
// stopped by a gtest Environment), run by scripts/hazelcast.sh on 127.0.0.1 on a free port.
// DOLPHIN_HAZELCAST_MEMBER=host:port uses an already running member instead (then
// nothing is started or stopped, and the kill/restart tests skip).
// When the jar or java is missing: under CI=true every test fails; elsewhere they skip, loudly.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/bus_hazelcast/hazelcast_bus.h"
#include "dolphin/core/clock.h"
#include "dolphin/core/logging.h"
#include "dolphin/core/result.h"

namespace dolphin::bus::hazelcast::testing {

class Member {
 public:
  // A member of one's own (started with StartOn, killed by the destructor).
  Member() = default;
  ~Member();
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  // The shared member, started on first call (once per process).
  static Member& Started();
  // The shared member without starting it.
  static Member& Get();

  bool available() const { return available_; }
  bool started() const { return started_; }
  const std::string& error() const { return error_; }
  bool external() const { return external_; }
  int port() const { return port_; }
  std::string address() const { return host_ + ":" + std::to_string(port_); }

  // SIGKILL of the member we started (only that pid), then a start on the same port.
  Status Kill();
  Status Start();
  Status Stop();
  // Starts on `port` (in a fresh temporary directory).
  Status StartOn(int port);
  static bool PortFree(int port);

  // A bus connected to this member (Warn-level log to stderr).
  Result<std::unique_ptr<KvBus>> NewBus(HazelcastOptions tuning = {});
  Env& env();

  static std::string SourceDir();
  void Init();

 private:
  Status RunScript(const std::string& verb);
  bool available_ = false;
  bool external_ = false;
  std::string error_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::string dir_;
  std::once_flag once_;
  bool started_ = false;
  bool shared_ = false;
};

// For fixtures: fails (CI) or skips (developer machine) when no member is available.
#define DOLPHIN_REQUIRE_MEMBER()                                       \
  do {                                                                 \
    auto& m_ = ::dolphin::bus::hazelcast::testing::Member::Started();  \
    if (!m_.available()) {                                             \
      if (::dolphin::testing::InCi()) {                                \
        FAIL() << "no Hazelcast member under CI=true: " << m_.error(); \
      }                                                                \
      GTEST_SKIP() << "SKIPPING: no Hazelcast member (" << m_.error()  \
                   << "); run scripts/setup.sh";                       \
    }                                                                  \
  } while (false)

}  // namespace dolphin::bus::hazelcast::testing
