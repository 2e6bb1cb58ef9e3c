#include "dolphin/testing/subprocess.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "dolphin/testing/testing.h"

extern char** environ;

namespace dolphin::testing {

namespace {

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, std::filesystem::path cwd,
                       std::vector<std::string> env) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "dolphin-proc-XXXXXX").string();
  dir_ = mkdtemp(tmpl.data());
  const std::string out_path = (dir_ / "stdout").string();
  const std::string err_path = (dir_ / "stderr").string();
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
  for (auto& e : env) envs.push_back(e);
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool Subprocess::running() {
  if (status_) return false;
  int st;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    return false;
  }
  return true;
}

void Subprocess::Signal(int sig) {
  if (running()) kill(pid_, sig);
}

ProcessResult Subprocess::Wait(std::chrono::milliseconds timeout) {
  ProcessResult r;
  if (!WaitFor([&] { return !running(); }, timeout)) {
    r.timed_out = true;
    kill(pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
    status_ = st;
  }
  if (WIFEXITED(*status_)) {
    r.exit_code = WEXITSTATUS(*status_);
  } else if (WIFSIGNALED(*status_)) {
    r.term_signal = WTERMSIG(*status_);
  }
  r.out = Stdout();
  r.err = Stderr();
  return r;
}

std::string Subprocess::Stdout() const { return ReadAll(dir_ / "stdout"); }
std::string Subprocess::Stderr() const { return ReadAll(dir_ / "stderr"); }

std::optional<std::string> FindExecutable(std::initializer_list<const char*> paths) {
  for (const char* p : paths) {
    if (::access(p, X_OK) == 0) return std::string(p);
  }
  return std::nullopt;
}

ProcessResult RunProcess(std::vector<std::string> argv, std::filesystem::path cwd,
                         std::chrono::milliseconds timeout, std::vector<std::string> env) {
  Subprocess p(std::move(argv), std::move(cwd), std::move(env));
  return p.Wait(timeout);
}

std::string DolphinBinary() {
  const char* b = std::getenv("DOLPHIN_BINARY");
  return b != nullptr ? b : DOLPHIN_BINARY_PATH;
}

std::filesystem::path SourceDir() {
  const char* s = std::getenv("DOLPHIN_SOURCE_DIR");
  return s != nullptr ? s : DOLPHIN_SOURCE_DIR_PATH;
}

std::string WaitForApiAddr(const std::filesystem::path& state_dir,
                           std::chrono::milliseconds timeout, const std::string& file) {
  std::string addr;
  WaitFor(
      [&] {
        const std::string text = ReadAll(state_dir / file);
        addr = text.substr(0, text.find('\n'));
        return !addr.empty();
      },
      timeout);
  return addr;
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  const std::string stat = ReadAll("/proc/" + std::to_string(pid) + "/stat");
  // "<pid> (<comm>) <state> ...": comm may hold spaces and parentheses, so the last ')'.
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace dolphin::testing
