#include "dolphin/supervisor/process_ops.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dolphin/core/file_system.h"

extern char** environ;

namespace dolphin::supervisor {

Status ErrnoStatus(std::string_view what, int errnum) {
  return IoError(fmt::format("{}: {}", what, ErrnoText(errnum)));
}

namespace {

// Closes an fd on scope exit.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// The program's path: argv[0] itself when it has a '/', else the first executable match in
// `path` (the child's PATH). Resolved before the fork (no allocation afterwards).
SysResult<std::string> ResolveProgram(const std::string& name, std::string_view path) {
  if (name.find('/') != std::string::npos) return name;
  std::string dirs = path.empty() ? "/usr/local/bin:/usr/bin:/bin" : std::string(path);
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return SysResult<std::string>::Errno(fmt::format("spawn {}: not found in PATH", name), ENOENT);
}

// What the child reports through the error pipe when it cannot exec.
struct ChildFailure {
  int stage;  // 1 = chdir, 2 = execve, 3 = dup2, 4 = setpgid
  int errnum;
};

[[noreturn]] void ChildFail(int fd, int stage) {
  ChildFailure f{stage, errno};
  ssize_t unused = ::write(fd, &f, sizeof(f));
  (void)unused;
  ::_exit(127);
}

class ProcessOpsImpl final : public ProcessOps {
 public:
  SysResult<SpawnedProcess> Spawn(const SpawnSpec& spec) override {
    using R = SysResult<SpawnedProcess>;
    if (spec.argv.empty() || spec.argv.front().empty()) {
      return R(InvalidArgumentError("spawn: empty command"), EINVAL);
    }
    // Everything the child needs, built before the fork.
    std::vector<char*> argv;
    for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    if (!spec.clear_env) {
      for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view kv(*e);
        std::string name(kv.substr(0, kv.find('=')));
        if (spec.env.count(name) == 0) env_strings.emplace_back(kv);
      }
    }
    for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
    std::string_view child_path;
    for (const std::string& e : env_strings) {
      if (e.rfind("PATH=", 0) == 0) child_path = std::string_view(e).substr(5);
    }
    auto program = ResolveProgram(spec.argv.front(), child_path);
    if (!program.ok()) return R(program.status(), program.errnum());
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string dir = spec.working_dir.string();

    Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (devnull.get() < 0) return R::Errno("open /dev/null", errno);
    Fd out, pipe_read;
    switch (spec.output) {
      case OutputMode::kInherit: break;
      case OutputMode::kNull: out.Reset(::dup(devnull.get())); break;
      case OutputMode::kFile: {
        int fd = ::open(spec.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) return R::Errno(fmt::format("open {}", spec.output_file.string()), errno);
        out.Reset(fd);
        break;
      }
      case OutputMode::kPipe: {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) return R::Errno("pipe2", errno);
        pipe_read.Reset(p[0]);
        out.Reset(p[1]);
        break;
      }
    }
    int go[2], err[2];
    if (::pipe2(go, O_CLOEXEC) != 0) return R::Errno("pipe2", errno);
    Fd go_read(go[0]), go_write(go[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) return R::Errno("pipe2", errno);
    Fd err_read(err[0]), err_write(err[1]);

    const pid_t pid = ::fork();
    if (pid < 0) return R::Errno(fmt::format("fork for {}", spec.argv.front()), errno);
    if (pid == 0) {
      // The child: async-signal-safe calls only until execve.
      if (::setpgid(0, 0) != 0) ChildFail(err_write.get(), 4);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
        ::signal(sig, SIG_DFL);
      }
      char byte = 0;
      ssize_t n;
      do {
        n = ::read(go_read.get(), &byte, 1);
      } while (n < 0 && errno == EINTR);
      if (n != 1) ::_exit(127);  // the supervisor gave up on this child
      if (::dup2(devnull.get(), 0) < 0) ChildFail(err_write.get(), 3);
      if (out.get() >= 0) {
        if (::dup2(out.get(), 1) < 0 || ::dup2(out.get(), 2) < 0) ChildFail(err_write.get(), 3);
      }
      // Nothing of the supervisor's leaks into the program (sockets, journals, pipes).
      ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
      if (!dir.empty() && ::chdir(dir.c_str()) != 0) ChildFail(err_write.get(), 1);
      ::execve(program->c_str(), argv.data(), envp.data());
      ChildFail(err_write.get(), 2);
    }
    // The parent. Either side may set the group first; both do, so neither races.
    if (::setpgid(pid, pid) != 0 && errno != EACCES && errno != ESRCH) {
      // EACCES: the child already exec'd (cannot happen before "go"); ESRCH: it died.
    }
    go_read.Reset();
    err_write.Reset();
    out.Reset();
    auto reap = [pid] {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    };
    if (spec.place) {
      Status placed = spec.place(pid);
      if (!placed.ok()) {
        ::kill(pid, SIGKILL);
        reap();
        return R(placed, 0);
      }
    }
    char go_byte = 1;
    if (::write(go_write.get(), &go_byte, 1) != 1) {
      int e = errno;
      ::kill(pid, SIGKILL);
      reap();
      return R::Errno("spawn: release the child", e);
    }
    go_write.Reset();
    ChildFailure failure{};
    ssize_t n;
    do {
      n = ::read(err_read.get(), &failure, sizeof(failure));
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof(failure))) {
      reap();
      const char* what = failure.stage == 1   ? "chdir"
                         : failure.stage == 2 ? "execve"
                         : failure.stage == 3 ? "dup2"
                                              : "setpgid";
      std::string target = failure.stage == 1 ? dir : *program;
      return R::Errno(fmt::format("spawn {}: {} {}", spec.argv.front(), what, target),
                      failure.errnum);
    }
    return SpawnedProcess{pid, pipe_read.Release()};
  }

  SysResult<> SignalGroup(pid_t pgid, int sig) override {
    if (pgid <= 1) return SysResult<>(InvalidArgumentError("signal: refusing group <= 1"), EINVAL);
    if (::kill(-pgid, sig) != 0) {
      return SysResult<>::Errno(fmt::format("kill -{} group {}", sig, pgid), errno);
    }
    return std::monostate{};
  }

  SysResult<> Signal(pid_t pid, int sig) override {
    if (pid <= 1) return SysResult<>(InvalidArgumentError("signal: refusing pid <= 1"), EINVAL);
    if (::kill(pid, sig) != 0) {
      return SysResult<>::Errno(fmt::format("kill -{} {}", sig, pid), errno);
    }
    return std::monostate{};
  }

  SysResult<std::optional<ExitInfo>> TryWait(pid_t pid) override {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      return SysResult<std::optional<ExitInfo>>::Errno(fmt::format("waitpid {}", pid), errno);
    }
    if (r == 0) return std::optional<ExitInfo>();
    ExitInfo e;
    if (WIFEXITED(status)) e.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
    return std::optional<ExitInfo>(e);
  }
};

}  // namespace

std::unique_ptr<ProcessOps> NewProcessOps() { return std::make_unique<ProcessOpsImpl>(); }

}  // namespace dolphin::supervisor
