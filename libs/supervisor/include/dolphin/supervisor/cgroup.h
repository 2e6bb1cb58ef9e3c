// Cgroups: the hard limits of supervised services (docs/supervisor.md, "Cgroup backends").
//
// A CgroupTree is the supervisor's own group of cgroups, `<group>` (e.g. "dolphin", or
// "dolphin-test-<pid>" in tests), with one ServiceCgroup per service below it. The backend is
// chosen PER CONTROLLER (memory, pids, cpu):
//   - cgroup v2 when the supervisor's own v2 cgroup's `cgroup.controllers` lists it: the
//     supervisor first moves itself into the leaf `<own>/supervisor` (the no-internal-processes
//     rule), enables the controller in `<own>/cgroup.subtree_control` and in
//     `<own>/<group>/cgroup.subtree_control`; files memory.max, memory.swap.max,
//     memory.oom.group, pids.max, cpu.max; counters memory.events (oom_kill), pids.events,
//     cpu.stat; cgroup.kill to kill a whole service;
//   - else cgroup v1 when that controller's hierarchy is writable (a probe mkdir of
//     `<mount><own path>/<group>` succeeds): memory.limit_in_bytes, memory.memsw.limit_in_bytes
//     (when present), memory.swappiness = 0 (no swap allowed), memory.oom_control (oom_kill);
//     pids.max, pids.events; cpu.cfs_period_us/cfs_quota_us, cpu.stat (nr_throttled) and the
//     cpuacct hierarchy's cpuacct.usage when it is mounted separately;
//   - else unenforced, named in one line by UnenforcedSummary().
// Every file access goes through the FileSystem (a FakeFileSystem holds a fake cgroup tree in
// tests); /proc/self/mountinfo and /proc/self/cgroup are read through it too.
//
// Thread-safety: not thread-safe; one supervisor thread uses a tree and its cgroups.
// Ownership: the FileSystem, ProcessOps and Clock must outlive the tree and its cgroups; a
// ServiceCgroup must not outlive its tree.
#pragma once

#include <sys/types.h>

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dolphin/core/clock.h"
#include "dolphin/core/file_system.h"
#include "dolphin/core/result.h"
#include "dolphin/supervisor/process_ops.h"
#include "dolphin/supervisor/service_options.h"

namespace dolphin::supervisor {

enum class Controller { kMemory, kPids, kCpu };
inline constexpr std::array<Controller, 3> kControllers = {Controller::kMemory, Controller::kPids,
                                                           Controller::kCpu};
std::string_view ControllerName(Controller c);  // "memory", "pids", "cpu"

enum class CgroupVersion { kNone, kV1, kV2 };

// Where one controller is enforced.
struct ControllerBackend {
  Controller controller = Controller::kMemory;
  CgroupVersion version = CgroupVersion::kNone;
  // The group folder `<...>/<group>` under which the services' cgroups are made.
  std::filesystem::path group_dir;
  // v1 cpu only: the cpuacct hierarchy's group folder when cpuacct is mounted on its own.
  std::filesystem::path cpuacct_group_dir;
  // What was found: "v2 at /sys/fs/cgroup/x", "v1 at /sys/fs/cgroup/memory/...", or why not.
  std::string detail;
};

struct CgroupTreeOptions {
  // The name of the supervisor's group. Default: "dolphin".
  std::string group = "dolphin";
  // Where the kernel describes mounts and the process's cgroups (tests point them elsewhere).
  std::filesystem::path mountinfo = "/proc/self/mountinfo";
  std::filesystem::path self_cgroup = "/proc/self/cgroup";
  // The supervisor's pid, moved into the v2 leaf. REQUIRES: set (> 0) when v2 may be used.
  pid_t self_pid = 0;
};

// Readings of one service's cgroup; nullopt where its controller is not enforced.
struct CgroupStats {
  std::optional<int64_t> tasks;          // pids.current
  std::optional<int64_t> tasks_refused;  // pids.events "max": forks refused by pids.max
  std::optional<int64_t> memory_bytes;   // memory.current / memory.usage_in_bytes
  std::optional<int64_t> oom_kills;      // memory.events / memory.oom_control "oom_kill"
  std::optional<int64_t> nr_throttled;   // cpu.stat
  std::optional<int64_t> cpu_usage_ns;   // cpu.stat usage_usec * 1000 / cpuacct.usage
};

class CgroupTree;

// One service's cgroup: a folder per enforced controller.
class ServiceCgroup {
 public:
  ServiceCgroup(const ServiceCgroup&) = delete;
  ServiceCgroup& operator=(const ServiceCgroup&) = delete;
  ~ServiceCgroup() = default;

  const std::string& service() const { return service_; }
  // The folders, one per enforced controller (cpuacct's included on v1).
  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }

  // Moves `pid` into every folder (writes cgroup.procs). For SpawnSpec::place.
  Status AddProcess(pid_t pid);
  // Every pid in any of the folders, sorted, without duplicates.
  Result<std::vector<pid_t>> Pids();
  // The oom_kill counter; nullopt when memory is not enforced.
  Result<std::optional<int64_t>> OomKills();
  Result<CgroupStats> Stats();
  // SIGKILL to every member: cgroup.kill on v2 where it exists (race-free against forks), else
  // each listed pid, repeated until the folders are empty (a fork racing the kill is caught
  // by the next round). Gives up with DeadlineExceeded after `timeout`.
  Status KillAll(Duration timeout);
  // KillAll, then removes every folder (rmdir; retried while the kernel still reports EBUSY).
  Status Remove(Duration timeout);

 private:
  friend class CgroupTree;
  ServiceCgroup(CgroupTree& tree, std::string service)
      : tree_(tree), service_(std::move(service)) {}
  std::optional<std::filesystem::path> DirOf(Controller c) const;

  CgroupTree& tree_;
  std::string service_;
  std::vector<std::filesystem::path> dirs_;
  std::array<std::optional<std::filesystem::path>, 3> by_controller_;
  std::optional<std::filesystem::path> cpuacct_dir_;
  bool v2_kill_ = false;  // cgroup.kill exists in the v2 folder
};

class CgroupTree {
 public:
  // Discovers the backend of each controller and creates the group folders (moving the
  // supervisor into the v2 leaf first when any controller uses v2). Never fails for lack of
  // cgroups: an unusable controller is kNone with the reason in its detail. Fails only when
  // /proc/self/cgroup cannot be read at all.
  static Result<std::unique_ptr<CgroupTree>> Open(FileSystem& fs, ProcessOps& ops, Clock& clock,
                                                  CgroupTreeOptions options);
  CgroupTree(const CgroupTree&) = delete;
  CgroupTree& operator=(const CgroupTree&) = delete;

  const std::array<ControllerBackend, 3>& backends() const { return backends_; }
  const ControllerBackend& backend(Controller c) const { return backends_[static_cast<int>(c)]; }
  // True when every controller is enforced.
  bool fully_enforced() const;
  // "" when fully enforced, else one line: "limits not enforced: cpu (no v2 controller, v1
  // hierarchy not writable: ...)".
  std::string UnenforcedSummary() const;
  // One line per controller: "memory: v1 /sys/fs/cgroup/memory/.../dolphin".
  std::vector<std::string> Describe() const;

  // Creates (or reuses) the cgroup of `service` and writes its limits. An existing cgroup of
  // the same name (a previous supervisor's) is reused: call Remove() on it first to start
  // clean. Errors name the file and the value.
  Result<std::unique_ptr<ServiceCgroup>> Create(const std::string& service,
                                                const ServiceOptions& limits);
  // A handle on an existing service cgroup without touching its limits (to find and stop what
  // a previous supervisor left); NotFound when no folder of it exists.
  Result<std::unique_ptr<ServiceCgroup>> Find(const std::string& service);
  // Names of the service cgroups present under the group (a previous supervisor's included).
  std::vector<std::string> ServiceNames();
  // Removes the group folders (REQUIRES: every service cgroup removed first).
  Status RemoveGroup();

 private:
  friend class ServiceCgroup;
  CgroupTree(FileSystem& fs, ProcessOps& ops, Clock& clock, CgroupTreeOptions options)
      : fs_(fs), ops_(ops), clock_(clock), options_(std::move(options)) {}
  Status Discover();
  Status WriteFile(const std::filesystem::path& path, std::string_view value);
  std::unique_ptr<ServiceCgroup> Handle(const std::string& service);
  bool HasKill(const ServiceCgroup& cg);

  FileSystem& fs_;
  ProcessOps& ops_;
  Clock& clock_;
  const CgroupTreeOptions options_;
  std::array<ControllerBackend, 3> backends_;
};

}  // namespace dolphin::supervisor
