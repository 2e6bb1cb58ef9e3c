#include "member_environment.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "dolphin/testing/testing.h"

namespace dolphin::bus::hazelcast::testing {
namespace {

// 0 when the port cannot be bound on 127.0.0.1 (busy); the bound port otherwise.
int TryBind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int got = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    got = ntohs(addr.sin_port);
  }
  ::close(fd);
  return got;
}

// Runs a shell command; returns its exit code and combined output.
int Run(const std::string& cmd, std::string& output) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 512> buf;
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) output += buf.data();
  int rc = ::pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

SystemClock& TheClock() {
  static SystemClock clock;
  return clock;
}

Logger& TheLogger() {
  static StreamLogger logger(TheClock(), stderr, LogFormat::kHuman, LogLevel::kWarn);
  return logger;
}

// Empty when java and the member jar are there; else what is missing.
std::string MissingPrerequisites() {
  if (const char* ext = std::getenv("DOLPHIN_HAZELCAST_MEMBER"); ext != nullptr && *ext) return "";
  std::string missing;
  const char* jar_env = std::getenv("HAZELCAST_JAR");
  const std::string jar =
      jar_env != nullptr ? jar_env : Member::SourceDir() + "/.cache/hazelcast/hazelcast.jar";
  if (!std::filesystem::exists(jar)) missing += "member jar " + jar + " missing; ";
  if (std::system("command -v java >/dev/null 2>&1") != 0) missing += "java missing; ";
  return missing;
}

// The member itself starts lazily, on the first test that needs it (protocol tests do not),
// and stops when the binary's tests are done.
class MemberEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string missing = MissingPrerequisites();
    if (missing.empty()) return;
    if (dolphin::testing::InCi()) {
      FAIL() << "no Hazelcast member possible under CI=true: " << missing << "run scripts/setup.sh";
    }
    std::fprintf(stderr,
                 "\n*** SKIPPING every test of this binary: %s\n*** run scripts/setup.sh to "
                 "install java and the Hazelcast member jar\n\n",
                 missing.c_str());
    GTEST_SKIP() << missing;
  }
  void TearDown() override {
    auto& m = Member::Get();
    if (m.started() && m.available() && !m.external()) {
      Status s = m.Stop();
      if (!s.ok()) std::fprintf(stderr, "hazelcast member stop: %s\n", s.ToString().c_str());
    }
  }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new MemberEnvironment);

}  // namespace

Member& Member::Get() {
  static Member* member = [] {
    auto* m = new Member;  // Never destroyed: the environment's TearDown stops it.
    m->shared_ = true;
    return m;
  }();
  return *member;
}

Member& Member::Started() {
  Member& m = Get();
  std::call_once(m.once_, [&m] {
    m.Init();
    m.started_ = true;
  });
  return m;
}

Env& Member::env() {
  static Random random(::dolphin::testing::TestSeed());
  static Env env{TheClock(), TheLogger(), FileSystem::Default(), random, ThreadFactory::Default()};
  return env;
}

std::string Member::SourceDir() {
  const char* src = std::getenv("DOLPHIN_SOURCE_DIR");
  return src != nullptr ? src : DOLPHIN_SOURCE_DIR_FALLBACK;
}

void Member::Init() {
  if (const char* ext = std::getenv("DOLPHIN_HAZELCAST_MEMBER"); ext != nullptr && *ext) {
    std::string a = ext;
    auto colon = a.rfind(':');
    host_ = a.substr(0, colon);
    port_ = std::atoi(a.substr(colon + 1).c_str());
    external_ = true;
    available_ = true;
    return;
  }
  // A free port, never 5701: concurrent test processes (ctest -j) and other work on this
  // machine must not collide. The snippet test starts its own member on 5701.
  Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    s = StartOn(TryBind(0));
    if (s.ok()) break;
  }
  if (!s.ok()) {
    error_ = s.message();
    return;
  }
  available_ = true;
}

Status Member::StartOn(int port) {
  if (port <= 0) return UnavailableError("no free port on 127.0.0.1");
  port_ = port;
  if (dir_.empty()) {
    char tmpl[] = "/tmp/dolphin-hz-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return ErrnoError("mkdtemp", errno);
    dir_ = tmpl;
  }
  Status s = Start();
  available_ = s.ok();
  started_ = true;
  return s;
}

bool Member::PortFree(int port) { return TryBind(port) == port; }

Member::~Member() {
  if (!shared_ && started_ && !external_) (void)Stop();
}

Status Member::RunScript(const std::string& verb) {
  std::string cmd = SourceDir() + "/scripts/hazelcast.sh " + verb + " --port " +
                    std::to_string(port_) + " --dir " + dir_;
  if (verb == "start") cmd += " --watch-pid " + std::to_string(::getpid());
  std::string out;
  int rc = Run(cmd, out);
  if (rc != 0) {
    return UnavailableError("`" + cmd + "` exited with " + std::to_string(rc) + ": " + out);
  }
  return Status::Ok();
}

Status Member::Start() { return RunScript("start"); }
Status Member::Stop() {
  // SIGKILL: a test member holds nothing worth a graceful shutdown, and it is faster.
  Status s = RunScript("kill");
  if (s.ok() && !dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  return s;
}
Status Member::Kill() { return RunScript("kill"); }

Result<std::unique_ptr<KvBus>> Member::NewBus(HazelcastOptions tuning) {
  BusOptions options;
  options.backend = "hazelcast";
  options.members = {address()};
  options.cluster_name = "dolphin";
  return NewHazelcastBus(options, env(), std::move(tuning));
}

}  // namespace dolphin::bus::hazelcast::testing
