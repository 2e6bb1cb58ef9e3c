// sqlite::WriterLock: one writer per file, released when the holder goes.
#include "dolphin/sqlite/writer_lock.h"

#include "dolphin/testing/testing.h"

namespace dolphin::sqlite {
namespace {

using ::testing::HasSubstr;

TEST(WriterLockTest, LockPathIsTheDatabaseWithALockSuffix) {
  EXPECT_EQ(WriterLock::LockPathFor("/var/j.db"), std::filesystem::path("/var/j.db-lock"));
}

TEST(WriterLockTest, SecondAcquireIsRefusedUntilTheFirstIsReleased) {
  testing::TempDir dir;
  const auto lock_path = WriterLock::LockPathFor(dir.path() / "j.db");
  {
    Result<WriterLock> first = WriterLock::Acquire(lock_path);
    ASSERT_OK(first);
    EXPECT_TRUE(first->held());
    EXPECT_TRUE(std::filesystem::exists(lock_path));
    Result<WriterLock> second = WriterLock::Acquire(lock_path);
    EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_THAT(second.status().message(), HasSubstr("another writer has it open"));
    EXPECT_THAT(second.status().message(), HasSubstr(lock_path.string()));

    WriterLock moved = std::move(*first);  // the claim moves with the value
    EXPECT_TRUE(moved.held());
    EXPECT_FALSE(WriterLock::Acquire(lock_path).ok());
  }
  Result<WriterLock> again = WriterLock::Acquire(lock_path);
  EXPECT_OK(again);
}

TEST(WriterLockTest, UnopenableLockFileIsAnError) {
  testing::TempDir dir;
  Result<WriterLock> lock = WriterLock::Acquire(dir.path() / "missing" / "j.db-lock");
  EXPECT_FALSE(lock.ok());
  EXPECT_THAT(lock.status().message(), HasSubstr("cannot open"));
}

}  // namespace
}  // namespace dolphin::sqlite
