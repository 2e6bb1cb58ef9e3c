#include "dolphin/supervisor/cgroup.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>

namespace dolphin::supervisor {

namespace {

constexpr int64_t kCpuPeriodUs = 100000;  // CPUQuotaPeriodSec= default: 100 ms
constexpr Duration kPollStep = std::chrono::milliseconds(10);

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::optional<int64_t> ToInt(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The value of `key` in a flat keyed file ("oom_kill 3\nmax 0\n").
std::optional<int64_t> KeyedValue(std::string_view text, std::string_view key) {
  for (const std::string& line : Split(text, '\n')) {
    auto w = Words(line);
    if (w.size() == 2 && w[0] == key) return ToInt(w[1]);
  }
  return std::nullopt;
}

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t j = 1; j <= 3; ++j) {
        char c = s[i + j];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct Mount {
  std::string root;  // the folder of the hierarchy mounted here
  std::string mountpoint;
  std::string fstype;
  std::set<std::string> super_options;
};

std::vector<Mount> ParseMountInfo(std::string_view text) {
  std::vector<Mount> out;
  for (const std::string& line : Split(text, '\n')) {
    auto w = Words(line);
    auto dash = std::find(w.begin(), w.end(), "-");
    if (w.size() < 5 || dash == w.end() || dash + 3 > w.end()) continue;
    Mount m;
    m.root = Unescape(w[3]);
    m.mountpoint = Unescape(w[4]);
    m.fstype = *(dash + 1);
    for (const std::string& o : Split(*(dash + 3), ',')) m.super_options.insert(o);
    if (m.fstype == "cgroup" || m.fstype == "cgroup2") out.push_back(std::move(m));
  }
  return out;
}

// The cgroup folder of a process whose path in the hierarchy is `path`, seen through `m`;
// nullopt when the mount does not show that part of the hierarchy.
std::optional<std::filesystem::path> FolderThrough(const Mount& m, const std::string& path) {
  std::string root = m.root == "/" ? "" : m.root;
  if (path.compare(0, root.size(), root) != 0) return std::nullopt;
  std::string rel = path.substr(root.size());
  std::filesystem::path dir = m.mountpoint;
  if (!rel.empty() && rel != "/") dir /= std::filesystem::path(rel).relative_path();
  return dir.lexically_normal();
}

std::string Bytes(std::optional<int64_t> v, std::string_view infinite) {
  return v ? std::to_string(*v) : std::string(infinite);
}

}  // namespace

std::string_view ControllerName(Controller c) {
  switch (c) {
    case Controller::kMemory: return "memory";
    case Controller::kPids: return "pids";
    case Controller::kCpu: return "cpu";
  }
  return "memory";
}

Status CgroupTree::WriteFile(const std::filesystem::path& path, std::string_view value) {
  // Append mode: no truncation or chmod of a kernel file; each value is one write().
  auto f = fs_.NewAppendableFile(path, 0644);
  if (!f.ok())
    return IoError(
        fmt::format("write \"{}\" to {}: {}", value, path.string(), f.status().message()));
  Status st = (*f)->Append(std::string(value) + "\n");
  Status closed = (*f)->Close();
  if (st.ok()) st = closed;
  if (!st.ok()) {
    return IoError(fmt::format("write \"{}\" to {}: {}", value, path.string(), st.message()));
  }
  return Status::Ok();
}

Result<std::unique_ptr<CgroupTree>> CgroupTree::Open(FileSystem& fs, ProcessOps& ops, Clock& clock,
                                                     CgroupTreeOptions options) {
  std::unique_ptr<CgroupTree> tree(new CgroupTree(fs, ops, clock, std::move(options)));
  DOLPHIN_RETURN_IF_ERROR(tree->Discover());
  return tree;
}

Status CgroupTree::Discover() {
  for (Controller c : kControllers) backends_[static_cast<int>(c)].controller = c;
  auto self = fs_.ReadFile(options_.self_cgroup);
  if (!self.ok()) return self.status();
  auto mountinfo = fs_.ReadFile(options_.mountinfo);
  std::vector<Mount> mounts = mountinfo.ok() ? ParseMountInfo(*mountinfo) : std::vector<Mount>{};

  // /proc/self/cgroup: "<id>:<controllers>:<path>"; v2 is "0::<path>".
  std::optional<std::string> v2_path;
  std::map<std::string, std::string> v1_paths;  // controller -> path
  for (const std::string& line : Split(*self, '\n')) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string list = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (line.substr(0, a) == "0" && list.empty()) {
      v2_path = path;
    } else {
      for (const std::string& c : Split(list, ',')) v1_paths[c] = path;
    }
  }

  // cgroup v2: the supervisor's own folder and what its cgroup.controllers offers.
  std::optional<std::filesystem::path> v2_dir;
  std::set<std::string> v2_offers;
  std::string v2_note = "no cgroup2 mount";
  if (v2_path) {
    for (const Mount& m : mounts) {
      if (m.fstype != "cgroup2") continue;
      v2_dir = FolderThrough(m, *v2_path);
      if (v2_dir) break;
    }
    if (v2_dir) {
      auto offered = fs_.ReadFile(*v2_dir / "cgroup.controllers");
      if (offered.ok()) {
        for (const std::string& w : Words(*offered)) v2_offers.insert(w);
        v2_note = fmt::format("not in {}/cgroup.controllers", v2_dir->string());
      } else {
        v2_note = offered.status().message();
      }
    }
  }

  std::vector<Controller> v2_wanted;
  for (Controller c : kControllers) {
    if (v2_offers.count(std::string(ControllerName(c))) > 0) v2_wanted.push_back(c);
  }
  if (!v2_wanted.empty()) {
    // The no-internal-processes rule: leave <own> for the leaf <own>/supervisor first.
    const std::filesystem::path leaf = *v2_dir / "supervisor";
    Status moved = fs_.CreateDirs(leaf);
    if (moved.ok()) {
      moved = options_.self_pid > 0
                  ? WriteFile(leaf / "cgroup.procs", std::to_string(options_.self_pid))
                  : FailedPreconditionError("no supervisor pid to move into the v2 leaf");
    }
    const std::filesystem::path group = *v2_dir / options_.group;
    for (Controller c : v2_wanted) {
      ControllerBackend& b = backends_[static_cast<int>(c)];
      const std::string plus = fmt::format("+{}", ControllerName(c));
      Status st = moved;
      if (st.ok()) st = WriteFile(*v2_dir / "cgroup.subtree_control", plus);
      if (st.ok()) st = fs_.CreateDirs(group);
      if (st.ok()) st = WriteFile(group / "cgroup.subtree_control", plus);
      if (st.ok()) {
        b.version = CgroupVersion::kV2;
        b.group_dir = group;
        b.detail = fmt::format("v2 {}", group.string());
      } else {
        v2_note = fmt::format("v2 offers it but: {}", st.message());
      }
    }
  }

  for (Controller c : kControllers) {
    ControllerBackend& b = backends_[static_cast<int>(c)];
    if (b.version == CgroupVersion::kV2) continue;
    const std::string name(ControllerName(c));
    std::string v1_note = "no v1 hierarchy";
    auto path = v1_paths.find(name);
    for (const Mount& m : mounts) {
      if (m.fstype != "cgroup" || m.super_options.count(name) == 0 || path == v1_paths.end()) {
        continue;
      }
      auto own = FolderThrough(m, path->second);
      if (!own) {
        v1_note = fmt::format("v1 {} does not show {}", m.mountpoint, path->second);
        continue;
      }
      const std::filesystem::path group = *own / options_.group;
      Status st = fs_.CreateDirs(group);
      auto probe = st.ok() ? fs_.Exists(group / "cgroup.procs") : Result<bool>(st);
      if (probe.ok() && *probe) {
        b.version = CgroupVersion::kV1;
        b.group_dir = group;
        b.detail = fmt::format("v1 {}", group.string());
        if (c == Controller::kCpu) {
          // cpuacct holds the usage counter; on its own mount it needs a folder of its own.
          auto acct_path = v1_paths.find("cpuacct");
          for (const Mount& a : mounts) {
            if (a.fstype != "cgroup" || a.super_options.count("cpuacct") == 0 ||
                acct_path == v1_paths.end()) {
              continue;
            }
            if (a.mountpoint == m.mountpoint) {
              b.cpuacct_group_dir = group;
            } else if (auto acct = FolderThrough(a, acct_path->second)) {
              if (fs_.CreateDirs(*acct / options_.group).ok()) {
                b.cpuacct_group_dir = *acct / options_.group;
              }
            }
            break;
          }
        }
        break;
      }
      v1_note = fmt::format("v1 {} not writable: {}", own->string(),
                            probe.ok() ? "no cgroup.procs" : probe.status().message());
    }
    if (b.version == CgroupVersion::kNone) b.detail = fmt::format("{}; {}", v2_note, v1_note);
  }
  return Status::Ok();
}

bool CgroupTree::fully_enforced() const {
  return std::all_of(backends_.begin(), backends_.end(),
                     [](const ControllerBackend& b) { return b.version != CgroupVersion::kNone; });
}

std::string CgroupTree::UnenforcedSummary() const {
  std::string out;
  for (const ControllerBackend& b : backends_) {
    if (b.version != CgroupVersion::kNone) continue;
    out +=
        fmt::format("{}{} ({})", out.empty() ? "" : ", ", ControllerName(b.controller), b.detail);
  }
  return out.empty() ? out : "limits not enforced: " + out;
}

std::vector<std::string> CgroupTree::Describe() const {
  std::vector<std::string> out;
  for (const ControllerBackend& b : backends_) {
    out.push_back(fmt::format("{}: {}{}", ControllerName(b.controller),
                              b.version == CgroupVersion::kNone ? "not enforced: " : "", b.detail));
  }
  return out;
}

std::unique_ptr<ServiceCgroup> CgroupTree::Handle(const std::string& service) {
  std::unique_ptr<ServiceCgroup> cg(new ServiceCgroup(*this, service));
  for (const ControllerBackend& b : backends_) {
    if (b.version == CgroupVersion::kNone) continue;
    std::filesystem::path dir = b.group_dir / service;
    cg->by_controller_[static_cast<int>(b.controller)] = dir;
    if (std::find(cg->dirs_.begin(), cg->dirs_.end(), dir) == cg->dirs_.end()) {
      cg->dirs_.push_back(dir);
    }
    if (b.version == CgroupVersion::kV2) cg->v2_kill_ = true;
    if (!b.cpuacct_group_dir.empty()) {
      cg->cpuacct_dir_ = b.cpuacct_group_dir / service;
      if (std::find(cg->dirs_.begin(), cg->dirs_.end(), *cg->cpuacct_dir_) == cg->dirs_.end()) {
        cg->dirs_.push_back(*cg->cpuacct_dir_);
      }
    }
  }
  return cg;
}

bool CgroupTree::HasKill(const ServiceCgroup& cg) {
  for (const ControllerBackend& b : backends_) {
    if (b.version != CgroupVersion::kV2) continue;
    auto e = fs_.Exists(b.group_dir / cg.service() / "cgroup.kill");
    return e.ok() && *e;
  }
  return false;
}

Result<std::unique_ptr<ServiceCgroup>> CgroupTree::Create(const std::string& service,
                                                          const ServiceOptions& limits) {
  if (service.empty() || service.find('/') != std::string::npos || service[0] == '.') {
    return InvalidArgumentError(fmt::format("cgroup: bad service name \"{}\"", service));
  }
  std::unique_ptr<ServiceCgroup> cg = Handle(service);
  for (const auto& dir : cg->dirs_) DOLPHIN_RETURN_IF_ERROR(fs_.CreateDirs(dir));
  if (cg->v2_kill_) cg->v2_kill_ = HasKill(*cg);
  for (const ControllerBackend& b : backends_) {
    if (b.version == CgroupVersion::kNone) continue;
    const std::filesystem::path dir = b.group_dir / service;
    const bool v2 = b.version == CgroupVersion::kV2;
    auto exists = [&](const char* file) {
      auto e = fs_.Exists(dir / file);
      return e.ok() && *e;
    };
    switch (b.controller) {
      case Controller::kMemory:
        if (v2) {
          DOLPHIN_RETURN_IF_ERROR(WriteFile(dir / "memory.max", Bytes(limits.memory_max, "max")));
          if (exists("memory.swap.max")) {
            DOLPHIN_RETURN_IF_ERROR(
                WriteFile(dir / "memory.swap.max", Bytes(limits.memory_swap_max, "max")));
          }
          // OOMPolicy=kill: one OOM kill takes the whole service down together, cleanly.
          if (exists("memory.oom.group")) {
            DOLPHIN_RETURN_IF_ERROR(WriteFile(dir / "memory.oom.group", "1"));
          }
        } else {
          const bool memsw = exists("memory.memsw.limit_in_bytes");
          // memsw >= limit at every step: lift memsw first, then set both.
          if (memsw) DOLPHIN_RETURN_IF_ERROR(WriteFile(dir / "memory.memsw.limit_in_bytes", "-1"));
          DOLPHIN_RETURN_IF_ERROR(
              WriteFile(dir / "memory.limit_in_bytes", Bytes(limits.memory_max, "-1")));
          if (memsw && limits.memory_max && limits.memory_swap_max) {
            DOLPHIN_RETURN_IF_ERROR(
                WriteFile(dir / "memory.memsw.limit_in_bytes",
                          std::to_string(*limits.memory_max + *limits.memory_swap_max)));
          }
          if (limits.memory_swap_max == 0 && exists("memory.swappiness")) {
            DOLPHIN_RETURN_IF_ERROR(WriteFile(dir / "memory.swappiness", "0"));
          }
        }
        break;
      case Controller::kPids:
        DOLPHIN_RETURN_IF_ERROR(WriteFile(dir / "pids.max", Bytes(limits.tasks_max, "max")));
        break;
      case Controller::kCpu: {
        std::optional<int64_t> quota;
        if (limits.cpu_quota_percent) {
          quota = std::max<int64_t>(1000,
                                    std::llround(*limits.cpu_quota_percent / 100.0 * kCpuPeriodUs));
        }
        if (v2) {
          DOLPHIN_RETURN_IF_ERROR(
              WriteFile(dir / "cpu.max", fmt::format("{} {}", Bytes(quota, "max"), kCpuPeriodUs)));
        } else {
          DOLPHIN_RETURN_IF_ERROR(
              WriteFile(dir / "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)));
          DOLPHIN_RETURN_IF_ERROR(WriteFile(dir / "cpu.cfs_quota_us", Bytes(quota, "-1")));
        }
        break;
      }
    }
  }
  return cg;
}

Result<std::unique_ptr<ServiceCgroup>> CgroupTree::Find(const std::string& service) {
  std::unique_ptr<ServiceCgroup> cg = Handle(service);
  bool any = false;
  for (const auto& dir : cg->dirs_) {
    auto e = fs_.Exists(dir / "cgroup.procs");
    if (e.ok() && *e) any = true;
  }
  if (!any) return NotFoundError(fmt::format("no cgroup of service {}", service));
  if (cg->v2_kill_) cg->v2_kill_ = HasKill(*cg);
  return cg;
}

std::vector<std::string> CgroupTree::ServiceNames() {
  std::set<std::string> names;
  for (const ControllerBackend& b : backends_) {
    if (b.version == CgroupVersion::kNone) continue;
    auto entries = fs_.ListDir(b.group_dir);
    if (!entries.ok()) continue;
    for (const std::string& e : *entries) {
      auto is_group = fs_.Exists(b.group_dir / e / "cgroup.procs");
      if (is_group.ok() && *is_group) names.insert(e);
    }
  }
  return {names.begin(), names.end()};
}

Status CgroupTree::RemoveGroup() {
  std::set<std::filesystem::path> dirs;
  for (const ControllerBackend& b : backends_) {
    if (b.version == CgroupVersion::kNone) continue;
    dirs.insert(b.group_dir);
    if (!b.cpuacct_group_dir.empty()) dirs.insert(b.cpuacct_group_dir);
  }
  Status first = Status::Ok();
  for (const auto& d : dirs) {
    Status st = fs_.Remove(d);
    if (!st.ok() && st.code() != StatusCode::kNotFound && first.ok()) first = st;
  }
  return first;
}

std::optional<std::filesystem::path> ServiceCgroup::DirOf(Controller c) const {
  return by_controller_[static_cast<int>(c)];
}

Status ServiceCgroup::AddProcess(pid_t pid) {
  for (const auto& dir : dirs_) {
    DOLPHIN_RETURN_IF_ERROR(tree_.WriteFile(dir / "cgroup.procs", std::to_string(pid)));
  }
  return Status::Ok();
}

Result<std::vector<pid_t>> ServiceCgroup::Pids() {
  std::set<pid_t> pids;
  for (const auto& dir : dirs_) {
    auto text = tree_.fs_.ReadFile(dir / "cgroup.procs");
    if (!text.ok()) {
      if (text.status().code() == StatusCode::kNotFound) continue;
      return text.status();
    }
    for (const std::string& line : Split(*text, '\n')) {
      if (auto v = ToInt(line); v && *v > 0) pids.insert(static_cast<pid_t>(*v));
    }
  }
  return std::vector<pid_t>(pids.begin(), pids.end());
}

Result<std::optional<int64_t>> ServiceCgroup::OomKills() {
  auto dir = DirOf(Controller::kMemory);
  if (!dir) return std::optional<int64_t>();
  const bool v2 = tree_.backend(Controller::kMemory).version == CgroupVersion::kV2;
  auto text = tree_.fs_.ReadFile(*dir / (v2 ? "memory.events" : "memory.oom_control"));
  if (!text.ok()) return text.status();
  return std::optional<int64_t>(KeyedValue(*text, "oom_kill").value_or(0));
}

Result<CgroupStats> ServiceCgroup::Stats() {
  CgroupStats s;
  FileSystem& fs = tree_.fs_;
  auto read = [&](const std::filesystem::path& p) -> std::optional<std::string> {
    auto t = fs.ReadFile(p);
    return t.ok() ? std::optional<std::string>(*t) : std::nullopt;
  };
  if (auto dir = DirOf(Controller::kPids)) {
    if (auto t = read(*dir / "pids.current")) s.tasks = ToInt(*t);
    if (auto t = read(*dir / "pids.events")) s.tasks_refused = KeyedValue(*t, "max");
  }
  if (auto dir = DirOf(Controller::kMemory)) {
    const bool v2 = tree_.backend(Controller::kMemory).version == CgroupVersion::kV2;
    if (auto t = read(*dir / (v2 ? "memory.current" : "memory.usage_in_bytes"))) {
      s.memory_bytes = ToInt(*t);
    }
    DOLPHIN_ASSIGN_OR_RETURN(s.oom_kills, OomKills());
  }
  if (auto dir = DirOf(Controller::kCpu)) {
    const bool v2 = tree_.backend(Controller::kCpu).version == CgroupVersion::kV2;
    if (auto t = read(*dir / "cpu.stat")) {
      s.nr_throttled = KeyedValue(*t, "nr_throttled");
      if (v2) {
        if (auto us = KeyedValue(*t, "usage_usec")) s.cpu_usage_ns = *us * 1000;
      }
    }
    if (!v2 && cpuacct_dir_) {
      if (auto t = read(*cpuacct_dir_ / "cpuacct.usage")) s.cpu_usage_ns = ToInt(*t);
    }
  }
  return s;
}

Status ServiceCgroup::KillAll(Duration timeout) {
  const MonoTime deadline = tree_.clock_.MonotonicNow() + timeout;
  CancelToken never;
  while (true) {
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<pid_t> pids, Pids());
    if (pids.empty()) return Status::Ok();
    if (v2_kill_) {
      for (const ControllerBackend& b : tree_.backends_) {
        if (b.version != CgroupVersion::kV2) continue;
        tree_.WriteFile(b.group_dir / service_ / "cgroup.kill", "1").IgnoreError();
        break;  // one v2 folder holds every v2 controller
      }
    }
    for (pid_t pid : pids) {
      auto r = tree_.ops_.Signal(pid, SIGKILL);
      if (!r.ok() && r.errnum() != ESRCH) return r.status();
    }
    DOLPHIN_ASSIGN_OR_RETURN(pids, Pids());
    if (pids.empty()) return Status::Ok();
    if (tree_.clock_.MonotonicNow() >= deadline) {
      return DeadlineExceededError(
          fmt::format("cgroup of {}: {} processes left after SIGKILL", service_, pids.size()));
    }
    tree_.clock_.WaitFor(kPollStep, never);
  }
}

Status ServiceCgroup::Remove(Duration timeout) {
  const MonoTime deadline = tree_.clock_.MonotonicNow() + timeout;
  DOLPHIN_RETURN_IF_ERROR(KillAll(timeout));
  CancelToken never;
  for (const auto& dir : dirs_) {
    while (true) {
      Status st = tree_.fs_.Remove(dir);
      if (st.ok() || st.code() == StatusCode::kNotFound) break;
      if (tree_.clock_.MonotonicNow() >= deadline) return st;
      tree_.clock_.WaitFor(kPollStep, never);
    }
  }
  return Status::Ok();
}

}  // namespace dolphin::supervisor
