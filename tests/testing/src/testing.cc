#include "dolphin/testing/testing.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

namespace dolphin::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "dolphin-test-XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestEnv::TestEnv() : random(TestSeed()) {}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  // determinism-ok: integration tests wait on real threads and processes.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();  // determinism-ok
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // determinism-ok: polling wait
  }
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

uint64_t TestSeed() {
  static std::atomic<bool> printed{false};
  uint64_t seed = static_cast<uint64_t>(::testing::UnitTest::GetInstance()->random_seed());
  if (seed == 0) seed = 42;
  if (!printed.exchange(true))
    std::fprintf(stderr, "[dolphin] test seed %llu\n", static_cast<unsigned long long>(seed));
  return seed;
}

std::string UniqueName(const std::string& base) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = base;
  if (info != nullptr) {
    name += "_";
    name += info->test_suite_name();
    name += "_";
    name += info->name();
  }
  name += "_" + std::to_string(getpid());
  for (char& c : name) {
    if (c == '/' || c == ' ') c = '_';
  }
  return name;
}

}  // namespace dolphin::testing
