#include "dolphin/core/thread_factory.h"

#include <pthread.h>

#include <fmt/format.h>

#include <cstdlib>
#include <system_error>
#include <thread>

namespace dolphin {

namespace {

class PosixThreadHandle final : public ThreadHandle {
 public:
  explicit PosixThreadHandle(std::thread t) : thread_(std::move(t)) {}
  ~PosixThreadHandle() override {
    if (thread_.joinable()) std::abort();  // Neither joined nor detached: a programming error.
  }
  void Join() override { thread_.join(); }
  void Detach() override { thread_.detach(); }
  bool joinable() const override { return thread_.joinable(); }

 private:
  std::thread thread_;
};

class PosixThreadFactory final : public ThreadFactory {
 public:
  Result<std::unique_ptr<ThreadHandle>> Start(std::string name,
                                              std::function<void()> body) override {
    std::thread t;
    try {
      t = std::thread([name = std::move(name), body = std::move(body)] {
        // The kernel keeps 15 bytes plus the terminator.
        ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
        body();
      });
    } catch (const std::system_error& e) {
      return UnavailableError(fmt::format("cannot start a thread: {}", e.what()));
    }
    return std::unique_ptr<ThreadHandle>(new PosixThreadHandle(std::move(t)));
  }
};

}  // namespace

ThreadFactory& ThreadFactory::Default() {
  static PosixThreadFactory* factory = new PosixThreadFactory();  // Never destroyed.
  return *factory;
}

}  // namespace dolphin
