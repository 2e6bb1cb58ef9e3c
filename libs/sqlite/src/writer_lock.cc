// The single-writer flock (writer_lock.h).
#include "dolphin/sqlite/writer_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

namespace dolphin::sqlite {

std::filesystem::path WriterLock::LockPathFor(const std::filesystem::path& database) {
  return database.string() + "-lock";
}

Result<WriterLock> WriterLock::Acquire(const std::filesystem::path& lock_path) {
  WriterLock lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock.held()) {
    const int err = errno;
    return ErrnoError(fmt::format("cannot open {}", lock_path.string()), err);
  }
  if (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      return FailedPreconditionError(
          fmt::format("another writer has it open ({} is locked)", lock_path.string()));
    }
    return ErrnoError(fmt::format("cannot lock {}", lock_path.string()), err);
  }
  return lock;
}

WriterLock::WriterLock(WriterLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

WriterLock& WriterLock::operator=(WriterLock&& other) noexcept {
  std::swap(fd_, other.fd_);
  return *this;
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace dolphin::sqlite
