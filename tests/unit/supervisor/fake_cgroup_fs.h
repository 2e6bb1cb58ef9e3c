// FakeCgroupFs: cgroupfs as far as the supervisor sees it, over a FakeFileSystem, for the
// cgroup and supervisor unit tests. Thread-safety: as the wrapped FakeFileSystem.
#pragma once

#include <errno.h>
#include <sys/types.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dolphin/core/file_system.h"
#include "dolphin/testing/file_system_fakes.h"

namespace dolphin::testing {

// cgroupfs as far as the supervisor sees it: mkdir creates the controller files, rmdir
// removes a folder with its files, writing cgroup.kill empties cgroup.procs.
class FakeCgroupFs final : public FileSystemWrapper {
 public:
  FakeCgroupFs(FakeFileSystem& fs, std::map<std::string, std::vector<std::string>> files_by_root)
      : FileSystemWrapper(fs), fake_(fs), files_by_root_(std::move(files_by_root)) {}

  Status CreateDirs(const std::filesystem::path& dir) override {
    if (denied_.count(dir.parent_path().string()) > 0) {
      return FileErrnoError("mkdir " + dir.string(), EACCES);
    }
    std::vector<std::filesystem::path> fresh;
    for (auto p = dir; !p.empty() && p != p.root_path(); p = p.parent_path()) {
      auto e = target().Exists(p);
      if (e.ok() && *e) break;
      fresh.push_back(p);
    }
    DOLPHIN_RETURN_IF_ERROR(target().CreateDirs(dir));
    for (const auto& p : fresh) {
      for (const auto& [root, files] : files_by_root_) {
        if (p.string().rfind(root, 0) != 0 || p.string() == root) continue;
        for (const std::string& f : files) {
          DOLPHIN_RETURN_IF_ERROR(target().WriteAtomically(p / f, ""));
        }
      }
    }
    return Status::Ok();
  }
  Status Remove(const std::filesystem::path& path) override {
    auto entries = target().ListDir(path);
    if (entries.ok()) {
      auto procs = target().ReadFile(path / "cgroup.procs");
      if (procs.ok() && !procs->empty()) return FileErrnoError("rmdir " + path.string(), EBUSY);
      for (const std::string& e : *entries) {
        target().Remove(path / e).IgnoreError();
      }
    }
    return target().Remove(path);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::filesystem::path& path,
                                                          uint32_t mode) override {
    if (path.filename() == "cgroup.kill") {
      ++kills_;
      DOLPHIN_RETURN_IF_ERROR(target().WriteAtomically(path.parent_path() / "cgroup.procs", ""));
    }
    auto e = target().Exists(path);
    if (path.filename() != "cgroup.procs" && e.ok() && *e) {
      // Kernel files hold one value: a write replaces it.
      DOLPHIN_RETURN_IF_ERROR(target().WriteAtomically(path, ""));
    }
    return target().NewAppendableFile(path, mode);
  }
  // mkdir below `dir` fails with EACCES (a read-only hierarchy).
  void DenyMkdirBelow(const std::string& dir) { denied_.insert(dir); }
  // Removes `pid` from every cgroup.procs under `root` (the kernel after a kill).
  void DropPid(const std::filesystem::path& root, pid_t pid) {
    for (const std::string& f : fake_.FilesForTest()) {
      if (f.rfind(root.string(), 0) != 0 || std::filesystem::path(f).filename() != "cgroup.procs") {
        continue;
      }
      auto text = target().ReadFile(f);
      std::string kept, line;
      std::istringstream in(*text);
      while (std::getline(in, line)) {
        if (!line.empty() && line != std::to_string(pid)) kept += line + "\n";
      }
      target().WriteAtomically(f, kept).IgnoreError();
    }
  }
  int kills() const { return kills_; }

 private:
  FakeFileSystem& fake_;
  std::map<std::string, std::vector<std::string>> files_by_root_;
  std::set<std::string> denied_;
  int kills_ = 0;
};

}  // namespace dolphin::testing
