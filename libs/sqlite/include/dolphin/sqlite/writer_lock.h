// sqlite::WriterLock: the single-writer claim on a database file, an exclusive flock on a
// sidecar file ("<database>-lock"). SQLite's own locks only serialise transactions; a store
// whose writer must be alone (the trader's journal: two writers would both re-send the same
// intents) takes this lock for its lifetime. The kernel releases it when the fd closes, also
// when the process dies, so a crash never leaves a stale lock.
//
// Thread-safety: a WriterLock is a value owned by one thread; flock locks are per open file, so
// a second Acquire in the same process is refused as well.
// Ownership: the lock is held until the WriterLock is destroyed or moved from.
#pragma once

#include <filesystem>

#include "dolphin/core/result.h"

namespace dolphin::sqlite {

class WriterLock {
 public:
  // "<database>-lock".
  static std::filesystem::path LockPathFor(const std::filesystem::path& database);

  // Creates `lock_path` (0644) when missing and locks it without waiting. Fails
  // kFailedPrecondition "another writer has it open (<lock_path> is locked)" when another
  // WriterLock holds it, or with the errno of open/flock.
  static Result<WriterLock> Acquire(const std::filesystem::path& lock_path);

  WriterLock() = default;  // holds nothing
  WriterLock(WriterLock&& other) noexcept;
  WriterLock& operator=(WriterLock&& other) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock();

  bool held() const { return fd_ >= 0; }

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace dolphin::sqlite
