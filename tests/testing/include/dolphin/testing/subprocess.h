// Subprocess: start a real process (the dolphin binary, python, a Hazelcast member) from an
// integration test, capture its output, signal it, and reap it. The destructor kills (SIGKILL)
// and reaps a process still running, so a failing test leaves nothing behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace dolphin::testing {

struct ProcessResult {
  int exit_code = -1;   // exit status, or -1 when killed by a signal
  int term_signal = 0;  // the signal that ended it, 0 when it exited
  bool timed_out = false;
  std::string out;
  std::string err;
};

class Subprocess {
 public:
  // Starts argv[0] (PATH is searched) in `cwd` (empty = inherit), with stdout/stderr captured
  // into files under a temporary folder and extra environment entries "KEY=VALUE".
  Subprocess(std::vector<std::string> argv, std::filesystem::path cwd = {},
             std::vector<std::string> env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int sig);
  // Waits for exit up to `timeout`; on timeout kills it (SIGKILL) and sets timed_out.
  ProcessResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Output so far.
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path dir_;
};

// Runs to completion (with a timeout) and returns the result.
ProcessResult RunProcess(std::vector<std::string> argv, std::filesystem::path cwd = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(30),
                         std::vector<std::string> env = {});

// The first of `paths` that is an executable file (a real peer a test needs: chromium, node).
std::optional<std::string> FindExecutable(std::initializer_list<const char*> paths);

// The dolphin binary under test ($DOLPHIN_BINARY, else the one this build made).
std::string DolphinBinary();
// The project's source folder ($DOLPHIN_SOURCE_DIR, else the one this build came from).
std::filesystem::path SourceDir();

// The control API address ("host:port", the first line) of <state_dir>/<file>, which a starting
// dolphin process writes; waited for up to `timeout`. Empty when it did not appear in time.
std::string WaitForApiAddr(const std::filesystem::path& state_dir,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60),
                           const std::string& file = "api.addr");

// Whether process `pid` exists and is not a zombie (its state in /proc/<pid>/stat).
bool ProcessAlive(pid_t pid);

// A loopback TCP port nothing listens on now (bound to port 0 and released again, so a server
// started moments later can bind it), or -1 when none could be had.
int FreeLoopbackPort();

}  // namespace dolphin::testing
