#include "dolphin/testing/file_system_fakes.h"

#include <fmt/format.h>

#include <cerrno>

namespace dolphin::testing {

namespace fs = std::filesystem;

// ---- FakeFileSystem ----

class FakeWritableFile final : public WritableFile {
 public:
  FakeWritableFile(FakeFileSystem& owner, std::string key, uint64_t generation)
      : owner_(owner), key_(std::move(key)), generation_(generation) {}

  Status Append(std::string_view bytes) override {
    std::lock_guard<std::mutex> lock(owner_.mu_);
    FakeFileSystem::File* f = FileLocked();
    if (f == nullptr) return FileErrnoError(fmt::format("write {}", key_), ESTALE);
    f->content.append(bytes);
    f->synced = false;
    return Status::Ok();
  }
  Status Sync() override {
    std::lock_guard<std::mutex> lock(owner_.mu_);
    FakeFileSystem::File* f = FileLocked();
    if (f == nullptr) return FileErrnoError(fmt::format("fsync {}", key_), ESTALE);
    f->synced = true;
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }

 private:
  // The file this handle created, wherever a rename moved it; null once removed or replaced.
  FakeFileSystem::File* FileLocked() {
    for (auto& [k, f] : owner_.files_) {
      if (f.generation == generation_) return &f;
    }
    return nullptr;
  }
  FakeFileSystem& owner_;
  const std::string key_;
  const uint64_t generation_;
};

FakeFileSystem::FakeFileSystem() { dirs_.insert("/"); }

std::string FakeFileSystem::Key(const fs::path& p) {
  fs::path n = p.lexically_normal();
  if (n.is_relative()) n = fs::path("/") / n;
  std::string s = n.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

bool FakeFileSystem::DirExistsLocked(const std::string& dir) const { return dirs_.count(dir) > 0; }

bool FakeFileSystem::HasChildrenLocked(const std::string& dir) const {
  const std::string prefix = dir == "/" ? "/" : dir + "/";
  auto f = files_.lower_bound(prefix);
  if (f != files_.end() && f->first.starts_with(prefix)) return true;
  auto d = dirs_.lower_bound(prefix);
  return d != dirs_.end() && d->starts_with(prefix) && *d != dir;
}

Status FakeFileSystem::CheckOpenLocked(const std::string& key, const fs::path& path) const {
  if (!DirExistsLocked(Key(fs::path(key).parent_path()))) {
    return FileErrnoError(fmt::format("open {}", path.string()), ENOENT);
  }
  if (DirExistsLocked(key)) return FileErrnoError(fmt::format("open {}", path.string()), EISDIR);
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> FakeFileSystem::NewWritableFile(const fs::path& path,
                                                                      uint32_t mode) {
  const std::string key = Key(path);
  std::lock_guard<std::mutex> lock(mu_);
  DOLPHIN_RETURN_IF_ERROR(CheckOpenLocked(key, path));
  File& f = files_[key];
  f = File{};
  f.mode = mode;
  f.generation = next_generation_++;
  return std::unique_ptr<WritableFile>(new FakeWritableFile(*this, key, f.generation));
}

Result<std::unique_ptr<WritableFile>> FakeFileSystem::NewAppendableFile(const fs::path& path,
                                                                        uint32_t mode) {
  const std::string key = Key(path);
  std::lock_guard<std::mutex> lock(mu_);
  DOLPHIN_RETURN_IF_ERROR(CheckOpenLocked(key, path));
  auto it = files_.find(key);
  if (it == files_.end()) {
    File f;
    f.mode = mode;
    f.generation = next_generation_++;
    it = files_.emplace(key, std::move(f)).first;
  }
  return std::unique_ptr<WritableFile>(new FakeWritableFile(*this, key, it->second.generation));
}

Result<uint64_t> FakeFileSystem::FileSize(const fs::path& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(Key(path));
  if (it == files_.end()) return FileErrnoError(fmt::format("stat {}", path.string()), ENOENT);
  return static_cast<uint64_t>(it->second.content.size());
}

Status FakeFileSystem::SyncDir(const fs::path& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!DirExistsLocked(Key(dir))) {
    return FileErrnoError(fmt::format("open folder {}", dir.string()), ENOENT);
  }
  ++dir_syncs_;
  return Status::Ok();
}

Status FakeFileSystem::Rename(const fs::path& from, const fs::path& to) {
  const std::string a = Key(from), b = Key(to);
  const std::string what = fmt::format("rename {} -> {}", from.string(), to.string());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(a);
  if (it == files_.end()) {
    return FileErrnoError(what, DirExistsLocked(a) ? EXDEV : ENOENT);  // Folders: not modelled.
  }
  if (!DirExistsLocked(Key(fs::path(b).parent_path()))) return FileErrnoError(what, ENOENT);
  if (DirExistsLocked(b)) return FileErrnoError(what, EISDIR);
  if (a == b) return Status::Ok();
  File f = std::move(it->second);
  files_.erase(it);
  files_[b] = std::move(f);
  return Status::Ok();
}

Status FakeFileSystem::Remove(const fs::path& path) {
  const std::string key = Key(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(key) > 0) return Status::Ok();
  if (DirExistsLocked(key)) {
    if (HasChildrenLocked(key) || key == "/") {
      return FileErrnoError(fmt::format("remove {}", path.string()), ENOTEMPTY);
    }
    dirs_.erase(key);
    return Status::Ok();
  }
  return FileErrnoError(fmt::format("remove {}", path.string()), ENOENT);
}

Result<std::string> FakeFileSystem::ReadFile(const fs::path& path) {
  const std::string key = Key(path);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(key);
  if (it == files_.end()) {
    return FileErrnoError(fmt::format("open {}", path.string()),
                          DirExistsLocked(key) ? EISDIR : ENOENT);
  }
  return it->second.content;
}

Result<std::vector<std::string>> FakeFileSystem::ListDir(const fs::path& dir) {
  const std::string key = Key(dir);
  std::lock_guard<std::mutex> lock(mu_);
  if (!DirExistsLocked(key)) {
    return FileErrnoError(fmt::format("list {}", dir.string()),
                          files_.count(key) > 0 ? ENOTDIR : ENOENT);
  }
  std::set<std::string> names;
  auto child = [&](const std::string& p) {
    if (p == key || Key(fs::path(p).parent_path()) != key) return;
    names.insert(fs::path(p).filename().string());
  };
  for (const auto& [p, f] : files_) child(p);
  for (const auto& d : dirs_) child(d);
  return std::vector<std::string>(names.begin(), names.end());
}

Status FakeFileSystem::CreateDirs(const fs::path& dir) {
  const std::string key = Key(dir);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> missing;
  for (fs::path p = key; Key(p) != "/"; p = p.parent_path()) {
    const std::string k = Key(p);
    if (files_.count(k) > 0) {
      return FileErrnoError(fmt::format("create folder {}", dir.string()), ENOTDIR);
    }
    if (!DirExistsLocked(k)) missing.push_back(k);
  }
  for (const auto& k : missing) dirs_.insert(k);
  return Status::Ok();
}

Result<bool> FakeFileSystem::Exists(const fs::path& path) {
  const std::string key = Key(path);
  std::lock_guard<std::mutex> lock(mu_);
  return files_.count(key) > 0 || DirExistsLocked(key);
}

std::vector<std::string> FakeFileSystem::FilesForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [k, f] : files_) out.push_back(k);
  return out;
}

int64_t FakeFileSystem::ModeForTest(const fs::path& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(Key(path));
  return it == files_.end() ? -1 : static_cast<int64_t>(it->second.mode);
}

bool FakeFileSystem::SyncedForTest(const fs::path& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(Key(path));
  return it != files_.end() && it->second.synced;
}

int64_t FakeFileSystem::dir_syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dir_syncs_;
}

// ---- FaultInjectingFileSystem ----

class FaultyWritableFile final : public WritableFile {
 public:
  FaultyWritableFile(FaultInjectingFileSystem& owner, std::unique_ptr<WritableFile> inner,
                     std::string path)
      : owner_(owner), inner_(std::move(inner)), path_(std::move(path)) {}

  Status Append(std::string_view bytes) override {
    DOLPHIN_RETURN_IF_ERROR(owner_.Check(FsOp::kWrite, "write " + path_));
    return inner_->Append(bytes);
  }
  Status Sync() override {
    DOLPHIN_RETURN_IF_ERROR(owner_.Check(FsOp::kSync, "fsync " + path_));
    return inner_->Sync();
  }
  Status Close() override {
    Status injected = owner_.Check(FsOp::kClose, "close " + path_);
    Status closed = inner_->Close();  // A failed close still releases the descriptor.
    return injected.ok() ? closed : injected;
  }

 private:
  FaultInjectingFileSystem& owner_;
  std::unique_ptr<WritableFile> inner_;
  const std::string path_;
};

void FaultInjectingFileSystem::FailNth(FsOp op, int n, int errnum) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan& p = plans_[op];
  p.fail_at = p.calls + n;
  p.fail_all = false;
  p.errnum = errnum;
}

void FaultInjectingFileSystem::FailAll(FsOp op, int errnum) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan& p = plans_[op];
  p.fail_at = 0;
  p.fail_all = true;
  p.errnum = errnum;
}

void FaultInjectingFileSystem::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [op, p] : plans_) {
    p.fail_at = 0;
    p.fail_all = false;
  }
}

int64_t FaultInjectingFileSystem::calls(FsOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = plans_.find(op);
  return it == plans_.end() ? 0 : it->second.calls;
}

int64_t FaultInjectingFileSystem::injected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

Status FaultInjectingFileSystem::Check(FsOp op, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  Plan& p = plans_[op];
  ++p.calls;
  if (p.fail_all || p.calls == p.fail_at) {
    ++injected_;
    return FileErrnoError("injected " + what, p.errnum);
  }
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::NewWritableFile(
    const fs::path& path, uint32_t mode) {
  DOLPHIN_RETURN_IF_ERROR(Check(FsOp::kOpen, "open " + path.string()));
  DOLPHIN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                           FileSystemWrapper::NewWritableFile(path, mode));
  return std::unique_ptr<WritableFile>(
      new FaultyWritableFile(*this, std::move(file), path.string()));
}

Status FaultInjectingFileSystem::SyncDir(const fs::path& dir) {
  DOLPHIN_RETURN_IF_ERROR(Check(FsOp::kSyncDir, "fsync folder " + dir.string()));
  return FileSystemWrapper::SyncDir(dir);
}

Status FaultInjectingFileSystem::Rename(const fs::path& from, const fs::path& to) {
  DOLPHIN_RETURN_IF_ERROR(Check(FsOp::kRename, "rename " + from.string() + " -> " + to.string()));
  return FileSystemWrapper::Rename(from, to);
}

Status FaultInjectingFileSystem::Remove(const fs::path& path) {
  DOLPHIN_RETURN_IF_ERROR(Check(FsOp::kRemove, "remove " + path.string()));
  return FileSystemWrapper::Remove(path);
}

Result<std::string> FaultInjectingFileSystem::ReadFile(const fs::path& path) {
  DOLPHIN_RETURN_IF_ERROR(Check(FsOp::kRead, "read " + path.string()));
  return FileSystemWrapper::ReadFile(path);
}

Result<std::vector<std::string>> FaultInjectingFileSystem::ListDir(const fs::path& dir) {
  DOLPHIN_RETURN_IF_ERROR(Check(FsOp::kList, "list " + dir.string()));
  return FileSystemWrapper::ListDir(dir);
}

Status FaultInjectingFileSystem::CreateDirs(const fs::path& dir) {
  DOLPHIN_RETURN_IF_ERROR(Check(FsOp::kCreateDirs, "create folder " + dir.string()));
  return FileSystemWrapper::CreateDirs(dir);
}

}  // namespace dolphin::testing
