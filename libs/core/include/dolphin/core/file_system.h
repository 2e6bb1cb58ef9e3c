// FileSystem: the one way dolphin code touches files it owns (state files, tokens, scan files).
//
// The interface is a handful of primitives (open a file for writing, sync a folder, rename,
// remove, read, list, create folders, stat) plus WriteAtomically(), the one algorithm that
// replaces a file's content so a reader sees either the old or the new bytes, never a mix:
//   1. write the bytes to a temporary file in the same folder (".<name>.tmp.<pid>.<n>"),
//   2. fsync it (when WriteOptions::sync),
//   3. rename it over the target,
//   4. fsync the folder so the rename itself is durable (when WriteOptions::sync).
// A failure at any step removes the temporary file and leaves the old content in place.
// WriteAtomically() is built on the virtual primitives, so a FileSystemWrapper that fails one
// primitive (tests/testing FaultInjectingFileSystem) exercises every failure path.
//
// Every error is a Status naming the operation, the path and the errno by name, for example
// "rename /s/.api.addr.tmp.12.0 -> /s/api.addr: No such file or directory (ENOENT)".
//
// Ownership: libraries receive a FileSystem& through Env and never call Default(); only the
// composition root (apps/dolphin/wiring.cc) and tests do.
// Thread-safety: every method of the POSIX implementation may be called from any thread;
// implementations must be at least as safe. A WritableFile is used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/core/result.h"
#include "dolphin/core/status.h"

namespace dolphin {

struct WriteOptions {
  // fsync the file before the rename and the folder after it. Default: true. Turn it off only
  // for files whose loss on power failure is harmless (e.g. the simulator's scan files).
  bool sync = true;
  // Permission bits of the new file (before the umask). Default: 0644; 0600 for secrets.
  uint32_t mode = 0644;
};

// A file open for writing. Close() reports the last error; the destructor closes silently.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  // Appends all of `bytes` (retrying short writes) or returns an error.
  virtual Status Append(std::string_view bytes) = 0;
  // fsync: the bytes written so far are on stable storage.
  virtual Status Sync() = 0;
  // Closes the file. REQUIRES: called at most once; no other call afterwards.
  virtual Status Close() = 0;

 protected:
  WritableFile() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;

  // The POSIX file system, a process-wide object that lives forever. Only wiring.cc and tests.
  static FileSystem& Default();

  // ---- primitives ----
  // Creates (or truncates) `path` for writing with permission bits `mode`.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                                uint32_t mode) = 0;
  // Opens `path` for appending (created with `mode` when missing; existing content kept):
  // for logs. Errors name the path and errno.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::filesystem::path& path,
                                                                  uint32_t mode) = 0;
  // The size of a file in bytes. NotFound when it does not exist.
  virtual Result<uint64_t> FileSize(const std::filesystem::path& path) = 0;
  // fsync of the folder `dir`, making renames and creations inside it durable.
  virtual Status SyncDir(const std::filesystem::path& dir) = 0;
  // rename(2): atomically replaces `to` when it exists. Both on the same file system.
  virtual Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // Removes a file or an empty folder. NotFound when it does not exist.
  virtual Status Remove(const std::filesystem::path& path) = 0;
  // The whole content of a file. NotFound when it does not exist.
  virtual Result<std::string> ReadFile(const std::filesystem::path& path) = 0;
  // The names (not paths) of the entries of folder `dir`, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) = 0;
  // mkdir -p: creates `dir` and missing parents; OK when it already is a folder.
  virtual Status CreateDirs(const std::filesystem::path& dir) = 0;
  // True when `path` exists (any type); an error only when it cannot be determined.
  virtual Result<bool> Exists(const std::filesystem::path& path) = 0;

  // ---- built on the primitives ----
  // Replaces the content of `path` atomically (see the header comment). On error the old
  // content (or absence) of `path` is unchanged and no temporary file is left behind.
  Status WriteAtomically(const std::filesystem::path& path, std::string_view bytes,
                         const WriteOptions& options = {});

 protected:
  FileSystem() = default;
};

// Forwards every primitive to `target` (not owned; must outlive the wrapper), so a test fake
// overrides only the method it is about.
class FileSystemWrapper : public FileSystem {
 public:
  explicit FileSystemWrapper(FileSystem& target) : target_(target) {}
  FileSystem& target() { return target_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                        uint32_t mode) override {
    return target_.NewWritableFile(path, mode);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::filesystem::path& path,
                                                          uint32_t mode) override {
    return target_.NewAppendableFile(path, mode);
  }
  Result<uint64_t> FileSize(const std::filesystem::path& path) override {
    return target_.FileSize(path);
  }
  Status SyncDir(const std::filesystem::path& dir) override { return target_.SyncDir(dir); }
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    return target_.Rename(from, to);
  }
  Status Remove(const std::filesystem::path& path) override { return target_.Remove(path); }
  Result<std::string> ReadFile(const std::filesystem::path& path) override {
    return target_.ReadFile(path);
  }
  Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) override {
    return target_.ListDir(dir);
  }
  Status CreateDirs(const std::filesystem::path& dir) override { return target_.CreateDirs(dir); }
  Result<bool> Exists(const std::filesystem::path& path) override { return target_.Exists(path); }

 private:
  FileSystem& target_;
};

// "No such file or directory (ENOENT)": strerror plus the errno's name, for error messages.
std::string ErrnoText(int errnum);
// The Status for a failed system call: NotFound for ENOENT, IoError otherwise, with the
// message "<what>: <ErrnoText(errnum)>".
Status FileErrnoError(std::string_view what, int errnum);

}  // namespace dolphin
