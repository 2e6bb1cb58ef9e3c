// File system fakes for tests (STYLE section I):
//
// FakeFileSystem: a FileSystem held in memory (files, folders, permission bits, which bytes were
// synced), for tests that want no real disk. Paths are compared after lexical normalisation;
// "/" always exists. Rename and Remove work on files and empty folders as POSIX does.
//
// FaultInjectingFileSystem: wraps any FileSystem (the real one over a TempDir, or a
// FakeFileSystem) and makes the Nth call of one operation fail with a chosen errno, the way
// to drive every failure path of FileSystem::WriteAtomically and of its callers.
//
// Thread-safety: both are thread-safe. Ownership: a FaultInjectingFileSystem does not own the
// wrapped file system, which must outlive it; WritableFiles must not outlive their FileSystem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "dolphin/core/file_system.h"

namespace dolphin::testing {

class FakeFileSystem final : public FileSystem {
 public:
  FakeFileSystem();

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                        uint32_t mode) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::filesystem::path& path,
                                                          uint32_t mode) override;
  Result<uint64_t> FileSize(const std::filesystem::path& path) override;
  Status SyncDir(const std::filesystem::path& dir) override;
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status Remove(const std::filesystem::path& path) override;
  Result<std::string> ReadFile(const std::filesystem::path& path) override;
  Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) override;
  Status CreateDirs(const std::filesystem::path& dir) override;
  Result<bool> Exists(const std::filesystem::path& path) override;

  // Every file's full path, sorted.
  std::vector<std::string> FilesForTest() const;
  // The permission bits a file was created with; -1 when it does not exist.
  int64_t ModeForTest(const std::filesystem::path& path) const;
  // True when the file's current content was fsynced.
  bool SyncedForTest(const std::filesystem::path& path) const;
  // How often SyncDir() succeeded.
  int64_t dir_syncs() const;

 private:
  friend class FakeWritableFile;
  struct File {
    std::string content;
    uint32_t mode = 0644;
    bool synced = false;
    uint64_t generation = 0;  // Which NewWritableFile() created it; a stale handle fails.
  };
  static std::string Key(const std::filesystem::path& p);
  bool DirExistsLocked(const std::string& dir) const;
  // Opening `key` needs its folder and must not name a folder (ENOENT / EISDIR as POSIX).
  Status CheckOpenLocked(const std::string& key, const std::filesystem::path& path) const;
  bool HasChildrenLocked(const std::string& dir) const;

  mutable std::mutex mu_;
  std::map<std::string, File> files_;  // guarded by mu_
  std::set<std::string> dirs_;         // guarded by mu_
  uint64_t next_generation_ = 1;       // guarded by mu_
  int64_t dir_syncs_ = 0;              // guarded by mu_
};

// The operations a FaultInjectingFileSystem can fail.
enum class FsOp {
  kOpen,   // NewWritableFile
  kWrite,  // WritableFile::Append
  kSync,   // WritableFile::Sync
  kClose,  // WritableFile::Close
  kSyncDir,
  kRename,
  kRemove,
  kRead,  // ReadFile
  kList,  // ListDir
  kCreateDirs,
};

class FaultInjectingFileSystem final : public FileSystemWrapper {
 public:
  explicit FaultInjectingFileSystem(FileSystem& target) : FileSystemWrapper(target) {}

  // The `n`th call (1-based, counted from now) of `op` fails with `errnum` (the wrapped file
  // system is not called). Replaces an earlier plan for the same op.
  void FailNth(FsOp op, int n, int errnum);
  // Every call of `op` from now on fails with `errnum`, until Clear().
  void FailAll(FsOp op, int errnum);
  // Forgets every planned failure (the counts stay).
  void Clear();
  // How often `op` was called (failed calls included).
  int64_t calls(FsOp op) const;
  // How many injected failures happened.
  int64_t injected() const;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                        uint32_t mode) override;
  Status SyncDir(const std::filesystem::path& dir) override;
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status Remove(const std::filesystem::path& path) override;
  Result<std::string> ReadFile(const std::filesystem::path& path) override;
  Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) override;
  Status CreateDirs(const std::filesystem::path& dir) override;

 private:
  friend class FaultyWritableFile;
  struct Plan {
    int64_t calls = 0;
    int64_t fail_at = 0;  // 0: none
    bool fail_all = false;
    int errnum = 0;
  };
  // Counts a call of `op`; an error when it must fail ("injected <what>: <errno text>").
  Status Check(FsOp op, const std::string& what);

  mutable std::mutex mu_;
  std::map<FsOp, Plan> plans_;  // guarded by mu_
  int64_t injected_ = 0;        // guarded by mu_
};

}  // namespace dolphin::testing
