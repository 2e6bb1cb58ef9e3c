#include "dolphin/core/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace dolphin {

std::string ErrnoText(int errnum) {
  const char* name = ::strerrorname_np(errnum);
  return fmt::format("{} ({})", std::strerror(errnum), name != nullptr ? name : "errno?");
}

Status FileErrnoError(std::string_view what, int errnum) {
  std::string msg = fmt::format("{}: {}", what, ErrnoText(errnum));
  return errnum == ENOENT ? NotFoundError(msg) : IoError(msg);
}

namespace {

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view bytes) override {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return FileErrnoError(fmt::format("write {}", path_.string()), errno);
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fsync(fd_) != 0) return FileErrnoError(fmt::format("fsync {}", path_.string()), errno);
    return Status::Ok();
  }

  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return FileErrnoError(fmt::format("close {}", path_.string()), errno);
    return Status::Ok();
  }

 private:
  int fd_;
  std::filesystem::path path_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                        uint32_t mode) override {
    int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) return FileErrnoError(fmt::format("open {}", path.string()), errno);
    // The umask may have narrowed the bits; a secret must never end up wider than asked.
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
      int err = errno;
      ::close(fd);
      return FileErrnoError(fmt::format("chmod {}", path.string()), err);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::filesystem::path& path,
                                                          uint32_t mode) override {
    int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) return FileErrnoError(fmt::format("open {}", path.string()), errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<uint64_t> FileSize(const std::filesystem::path& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return FileErrnoError(fmt::format("stat {}", path.string()), errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status SyncDir(const std::filesystem::path& dir) override {
    const std::filesystem::path d = dir.empty() ? std::filesystem::path(".") : dir;
    int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return FileErrnoError(fmt::format("open folder {}", d.string()), errno);
    int r = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (r != 0) return FileErrnoError(fmt::format("fsync folder {}", d.string()), err);
    return Status::Ok();
  }

  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return FileErrnoError(fmt::format("rename {} -> {}", from.string(), to.string()), errno);
    }
    return Status::Ok();
  }

  Status Remove(const std::filesystem::path& path) override {
    if (::remove(path.c_str()) != 0) {
      return FileErrnoError(fmt::format("remove {}", path.string()), errno);
    }
    return Status::Ok();
  }

  Result<std::string> ReadFile(const std::filesystem::path& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return FileErrnoError(fmt::format("open {}", path.string()), errno);
    std::string out;
    char buf[64 * 1024];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return FileErrnoError(fmt::format("read {}", path.string()), err);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return FileErrnoError(fmt::format("list {}", dir.string()), errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
      errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return FileErrnoError(fmt::format("list {}", dir.string()), err);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirs(const std::filesystem::path& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return FileErrnoError(fmt::format("create folder {}", dir.string()), ec.value());
    return Status::Ok();
  }

  Result<bool> Exists(const std::filesystem::path& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return FileErrnoError(fmt::format("stat {}", path.string()), errno);
  }
};

// Unique within the process; the pid makes it unique across processes sharing a folder.
std::filesystem::path TempPathFor(const std::filesystem::path& path) {
  static std::atomic<uint64_t> counter{0};
  std::filesystem::path tmp = path.parent_path();
  tmp /= fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(),
                     counter.fetch_add(1, std::memory_order_relaxed));
  return tmp;
}

}  // namespace

FileSystem& FileSystem::Default() {
  static PosixFileSystem* fs = new PosixFileSystem();  // Never destroyed: used until exit.
  return *fs;
}

Status FileSystem::WriteAtomically(const std::filesystem::path& path, std::string_view bytes,
                                   const WriteOptions& options) {
  if (path.filename().empty()) {
    return InvalidArgumentError(fmt::format("write {}: not a file name", path.string()));
  }
  const std::filesystem::path tmp = TempPathFor(path);
  auto file = NewWritableFile(tmp, options.mode);
  if (!file.ok()) return file.status();
  auto fail = [&](Status s) {
    Remove(tmp).IgnoreError();  // Best effort; the original error is the one worth reporting.
    return s;
  };
  if (Status s = (*file)->Append(bytes); !s.ok()) return fail(s);
  if (options.sync) {
    if (Status s = (*file)->Sync(); !s.ok()) return fail(s);
  }
  if (Status s = (*file)->Close(); !s.ok()) return fail(s);
  file->reset();
  if (Status s = Rename(tmp, path); !s.ok()) return fail(s);
  if (options.sync) {
    // The new content is in place; a failed folder sync only weakens durability, but the
    // caller asked for it, so it is reported.
    DOLPHIN_RETURN_IF_ERROR(SyncDir(path.parent_path()));
  }
  return Status::Ok();
}

}  // namespace dolphin
