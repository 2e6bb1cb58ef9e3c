// dolphin_limits_helper: the process the cgroup tests put under limits. Built WITHOUT the
// sanitizers (their exit-time threads would need free task slots under pids.max). Every loop
// is counted: on a machine without limits it does bounded harm and ends.
//
//   spawn N HOLD_MS   fork N children (each sleeps HOLD_MS, then exits); prints
//                     "spawned=<ok> eagain=<n> other=<n>", holds them HOLD_MS, kills, reaps
//   touch MB          allocate and touch MB MiB, 1 MiB at a time; prints "touched=<MB>" at the end
//   busy MS           spin on the CPU for MS milliseconds of wall time
//   crash             SIGSEGV
//   sleep MS          sleep MS milliseconds, exit 0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vector>

namespace {

long long NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void SleepMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int Spawn(long n, long hold_ms) {
  if (n < 0 || n > 1000) n = 1000;  // the counted loop's hard bound
  std::vector<pid_t> kids;
  long ok = 0, eagain = 0, other = 0;
  for (long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      SleepMs(hold_ms * 2);
      _exit(0);
    }
    if (pid > 0) {
      ++ok;
      kids.push_back(pid);
    } else if (errno == EAGAIN) {
      ++eagain;
    } else {
      ++other;
    }
  }
  printf("spawned=%ld eagain=%ld other=%ld\n", ok, eagain, other);
  fflush(stdout);
  SleepMs(hold_ms);
  for (pid_t k : kids) kill(k, SIGKILL);
  for (pid_t k : kids) waitpid(k, nullptr, 0);
  return 0;
}

int Touch(long mb) {
  if (mb < 0 || mb > 4096) mb = 4096;
  std::vector<char*> blocks;
  for (long i = 0; i < mb; ++i) {
    char* p = static_cast<char*>(malloc(1 << 20));
    if (p == nullptr) {
      printf("malloc failed at %ld MB\n", i);
      return 1;
    }
    memset(p, static_cast<int>(i) | 1, 1 << 20);
    blocks.push_back(p);
  }
  printf("touched=%ld\n", mb);
  fflush(stdout);
  for (char* p : blocks) free(p);
  return 0;
}

int Busy(long ms) {
  const long long end = NowMs() + ms;
  volatile unsigned long x = 0;
  while (NowMs() < end) {
    for (int i = 0; i < 100000; ++i) x = x + static_cast<unsigned long>(i);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(
        stderr,
        "usage: dolphin_limits_helper spawn N HOLD_MS | touch MB | busy MS | crash | sleep MS\n");
    return 2;
  }
  const char* mode = argv[1];
  long a = argc > 2 ? strtol(argv[2], nullptr, 10) : 0;
  long b = argc > 3 ? strtol(argv[3], nullptr, 10) : 0;
  if (strcmp(mode, "spawn") == 0) return Spawn(a, b);
  if (strcmp(mode, "touch") == 0) return Touch(a);
  if (strcmp(mode, "busy") == 0) return Busy(a);
  if (strcmp(mode, "crash") == 0) {
    raise(SIGSEGV);
    return 1;
  }
  if (strcmp(mode, "sleep") == 0) {
    SleepMs(a);
    return 0;
  }
  fprintf(stderr, "dolphin_limits_helper: unknown mode %s\n", mode);
  return 2;
}
