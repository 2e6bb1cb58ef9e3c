// ThreadFactory: the one way dolphin code starts a thread (STYLE section F bans a bare
// std::thread outside core). Start() runs `body` on a new named thread and returns a handle
// that must be joined or detached before it is destroyed (a destroyed joinable handle is a
// programming error and aborts, as with std::thread).
//
// Ownership: libraries receive a ThreadFactory& through Env and never call Default(); only
// the composition root (apps/dolphin/wiring.cc) and tests do. A test factory may wrap the
// default one to count or name threads.
// Thread-safety: Start() may be called from any thread. A ThreadHandle is used by one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dolphin/core/result.h"

namespace dolphin {

class ThreadHandle {
 public:
  virtual ~ThreadHandle() = default;
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;

  // Blocks until the thread's body returned. REQUIRES: joinable().
  virtual void Join() = 0;
  // Lets the thread run on unowned. REQUIRES: joinable().
  virtual void Detach() = 0;
  virtual bool joinable() const = 0;

 protected:
  ThreadHandle() = default;
};

class ThreadFactory {
 public:
  virtual ~ThreadFactory() = default;
  ThreadFactory(const ThreadFactory&) = delete;
  ThreadFactory& operator=(const ThreadFactory&) = delete;

  // The POSIX factory, a process-wide object that lives forever. Only wiring.cc and tests.
  static ThreadFactory& Default();

  // Starts `body` on a new thread named `name` (the POSIX factory sets the kernel thread name,
  // truncated to 15 bytes, as shown by top -H). An error when the thread cannot be created.
  virtual Result<std::unique_ptr<ThreadHandle>> Start(std::string name,
                                                      std::function<void()> body) = 0;

 protected:
  ThreadFactory() = default;
};

}  // namespace dolphin
