// FileSystem: the POSIX implementation over a temporary folder, WriteAtomically's guarantees
// at every failure step (FaultInjectingFileSystem over the real and the fake file system), and
// FakeFileSystem itself.
#include "dolphin/core/file_system.h"

#include <sys/stat.h>

#include <cerrno>
#include <fstream>

#include "dolphin/testing/file_system_fakes.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using testing::FakeFileSystem;
using testing::FaultInjectingFileSystem;
using testing::FsOp;
using testing::StatusHasMessage;

// Appending keeps what is there (logs); FileSize reports it; both the same on the real and
// the fake file system.
void ExpectAppendAndSize(FileSystem& fs, const fs::path& dir) {
  const fs::path path = dir / "service.log";
  EXPECT_EQ(fs.FileSize(path).status().code(), StatusCode::kNotFound);
  for (const char* line : {"one\n", "two\n"}) {
    auto f = fs.NewAppendableFile(path, 0644);
    ASSERT_OK(f);
    ASSERT_OK((*f)->Append(line));
    ASSERT_OK((*f)->Close());
  }
  EXPECT_THAT(fs.ReadFile(path), testing::IsOkAndHolds(std::string("one\ntwo\n")));
  EXPECT_THAT(fs.FileSize(path), testing::IsOkAndHolds(uint64_t{8}));
  EXPECT_THAT(fs.NewAppendableFile(dir / "missing" / "x.log", 0644), StatusHasMessage("ENOENT"));
}

TEST(PosixFileSystemTest, AppendableFileKeepsContentAndFileSizeCountsIt) {
  testing::TempDir dir;
  ExpectAppendAndSize(FileSystem::Default(), dir.path());
}

TEST(FakeFileSystemTest, AppendableFileKeepsContentAndFileSizeCountsIt) {
  FakeFileSystem fake;
  ASSERT_OK(fake.CreateDirs("/var"));
  ExpectAppendAndSize(fake, "/var");
}

TEST(PosixFileSystemTest, WriteAtomicallyReplacesContentAndLeavesNoTemporaryFile) {
  testing::TempDir dir;
  FileSystem& real = FileSystem::Default();
  const fs::path path = dir.path() / "state.json";
  ASSERT_OK(real.WriteAtomically(path, "old\n"));
  ASSERT_OK(real.WriteAtomically(path, "new content\n"));
  EXPECT_THAT(real.ReadFile(path), testing::IsOkAndHolds(std::string("new content\n")));
  EXPECT_THAT(real.ListDir(dir.path()), testing::IsOkAndHolds(ElementsAre("state.json")));
}

TEST(PosixFileSystemTest, WriteAtomicallySetsTheRequestedMode) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "api.token";
  ASSERT_OK(FileSystem::Default().WriteAtomically(path, "secret\n", {.sync = true, .mode = 0600}));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(PosixFileSystemTest, ErrorsNameThePathAndTheErrno) {
  testing::TempDir dir;
  FileSystem& real = FileSystem::Default();
  const fs::path missing = dir.path() / "no" / "such" / "file";
  Status s = real.WriteAtomically(missing, "x");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s, StatusHasMessage((dir.path() / "no" / "such").string()));
  EXPECT_THAT(s, StatusHasMessage("No such file or directory (ENOENT)"));
  EXPECT_THAT(real.ReadFile(missing), StatusHasMessage("(ENOENT)"));
  EXPECT_EQ(real.ReadFile(missing).status().code(), StatusCode::kNotFound);
  EXPECT_THAT(real.Remove(missing), StatusHasMessage("remove " + missing.string()));
  EXPECT_THAT(real.Rename(missing, dir.path() / "b"),
              StatusHasMessage("rename " + missing.string()));
  EXPECT_THAT(real.ListDir(missing), StatusHasMessage("list " + missing.string()));
}

TEST(PosixFileSystemTest, DirectoryOperations) {
  testing::TempDir dir;
  FileSystem& real = FileSystem::Default();
  const fs::path nested = dir.path() / "a" / "b";
  ASSERT_OK(real.CreateDirs(nested));
  ASSERT_OK(real.CreateDirs(nested));  // Already there: fine.
  EXPECT_THAT(real.Exists(nested), testing::IsOkAndHolds(true));
  ASSERT_OK(real.WriteAtomically(nested / "z", "1", {.sync = false, .mode = 0644}));
  ASSERT_OK(real.WriteAtomically(nested / "y", "2", {.sync = false, .mode = 0644}));
  EXPECT_THAT(real.ListDir(nested), testing::IsOkAndHolds(ElementsAre("y", "z")));
  ASSERT_OK(real.Rename(nested / "z", nested / "x"));
  EXPECT_THAT(real.ReadFile(nested / "x"), testing::IsOkAndHolds(std::string("1")));
  EXPECT_FALSE(real.Remove(nested).ok());  // Not empty.
  ASSERT_OK(real.Remove(nested / "x"));
  ASSERT_OK(real.Remove(nested / "y"));
  ASSERT_OK(real.Remove(nested));
  EXPECT_THAT(real.Exists(nested), testing::IsOkAndHolds(false));
}

// WriteAtomically over the real file system and over the fake one, failing each step in turn.
class WriteAtomicallyFaultTest : public ::testing::TestWithParam<bool> {
 protected:
  WriteAtomicallyFaultTest() : faulty_(GetParam() ? fake_ : FileSystem::Default()) {}
  void SetUp() override {
    if (GetParam()) {
      root_ = "/state";
      ASSERT_OK(fake_.CreateDirs(root_));
    } else {
      root_ = dir_.path();
    }
    path_ = root_ / "bridge_state.json";
    ASSERT_OK(faulty_.WriteAtomically(path_, "old"));
  }
  void ExpectOldContentAndNoTemporary() {
    EXPECT_THAT(faulty_.target().ReadFile(path_), testing::IsOkAndHolds(std::string("old")));
    EXPECT_THAT(faulty_.target().ListDir(root_),
                testing::IsOkAndHolds(ElementsAre("bridge_state.json")));
  }

  testing::TempDir dir_;
  FakeFileSystem fake_;
  FaultInjectingFileSystem faulty_;
  fs::path root_;
  fs::path path_;
};

TEST_P(WriteAtomicallyFaultTest, FailureAtEachStepKeepsTheOldFileAndRemovesTheTemporary) {
  const struct {
    FsOp op;
    int errnum;
    const char* text;
  } steps[] = {{FsOp::kOpen, EACCES, "(EACCES)"},
               {FsOp::kWrite, ENOSPC, "(ENOSPC)"},
               {FsOp::kSync, EIO, "(EIO)"},
               {FsOp::kClose, EIO, "(EIO)"},
               {FsOp::kRename, EXDEV, "(EXDEV)"}};
  for (const auto& step : steps) {
    SCOPED_TRACE(static_cast<int>(step.op));
    faulty_.FailNth(step.op, 1, step.errnum);
    Status s = faulty_.WriteAtomically(path_, "new");
    EXPECT_THAT(s, StatusHasMessage(step.text));
    EXPECT_THAT(s, StatusHasMessage(".bridge_state.json.tmp."));  // Names the file it was at.
    ExpectOldContentAndNoTemporary();
    faulty_.Clear();
  }
  EXPECT_EQ(faulty_.injected(), 5);
  // And with nothing failing it goes through.
  ASSERT_OK(faulty_.WriteAtomically(path_, "new"));
  EXPECT_THAT(faulty_.ReadFile(path_), testing::IsOkAndHolds(std::string("new")));
}

TEST_P(WriteAtomicallyFaultTest, FailedFolderSyncIsReportedAfterTheRename) {
  faulty_.FailNth(FsOp::kSyncDir, 1, EIO);
  Status s = faulty_.WriteAtomically(path_, "new");
  EXPECT_THAT(s, StatusHasMessage("fsync folder " + root_.string()));
  // The rename happened: the new content is in place, and no temporary file is left.
  EXPECT_THAT(faulty_.ReadFile(path_), testing::IsOkAndHolds(std::string("new")));
  EXPECT_THAT(faulty_.ListDir(root_), testing::IsOkAndHolds(ElementsAre("bridge_state.json")));
}

TEST_P(WriteAtomicallyFaultTest, SyncOptionControlsBothFsyncs) {
  const int64_t syncs = faulty_.calls(FsOp::kSync), dir_syncs = faulty_.calls(FsOp::kSyncDir);
  ASSERT_OK(faulty_.WriteAtomically(path_, "unsynced", {.sync = false, .mode = 0644}));
  EXPECT_EQ(faulty_.calls(FsOp::kSync), syncs);
  EXPECT_EQ(faulty_.calls(FsOp::kSyncDir), dir_syncs);
  ASSERT_OK(faulty_.WriteAtomically(path_, "synced", {.sync = true, .mode = 0644}));
  EXPECT_EQ(faulty_.calls(FsOp::kSync), syncs + 1);
  EXPECT_EQ(faulty_.calls(FsOp::kSyncDir), dir_syncs + 1);
  // One rename per write: SetUp, the unsynced and the synced one.
  EXPECT_EQ(faulty_.calls(FsOp::kRename), 3);
}

TEST_P(WriteAtomicallyFaultTest, FailsTheNthCallOnly) {
  faulty_.FailNth(FsOp::kRename, 2, EIO);
  ASSERT_OK(faulty_.WriteAtomically(path_, "first"));
  EXPECT_FALSE(faulty_.WriteAtomically(path_, "second").ok());
  ASSERT_OK(faulty_.WriteAtomically(path_, "third"));
  EXPECT_THAT(faulty_.ReadFile(path_), testing::IsOkAndHolds(std::string("third")));
}

INSTANTIATE_TEST_SUITE_P(RealAndFake, WriteAtomicallyFaultTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Fake" : "Real"; });

TEST(FakeFileSystemTest, BehavesLikeAFileSystem) {
  FakeFileSystem fake;
  EXPECT_THAT(fake.Exists("/"), testing::IsOkAndHolds(true));
  EXPECT_EQ(fake.WriteAtomically("/var/x", "1").code(), StatusCode::kNotFound);  // No /var.
  ASSERT_OK(fake.CreateDirs("/var/state"));
  ASSERT_OK(fake.WriteAtomically("/var/state/api.token", "t", {.sync = true, .mode = 0600}));
  ASSERT_OK(
      fake.WriteAtomically("/var/state/../state/api.addr", "a", {.sync = false, .mode = 0644}));
  EXPECT_EQ(fake.FilesForTest(),
            (std::vector<std::string>{"/var/state/api.addr", "/var/state/api.token"}));
  EXPECT_EQ(fake.ModeForTest("/var/state/api.token"), 0600);
  EXPECT_TRUE(fake.SyncedForTest("/var/state/api.token"));
  EXPECT_FALSE(fake.SyncedForTest("/var/state/api.addr"));
  EXPECT_EQ(fake.dir_syncs(), 1);
  EXPECT_THAT(fake.ListDir("/var"), testing::IsOkAndHolds(ElementsAre("state")));
  EXPECT_THAT(fake.ListDir("/var/state"),
              testing::IsOkAndHolds(ElementsAre("api.addr", "api.token")));
  EXPECT_THAT(fake.ReadFile("/var/state/api.token"), testing::IsOkAndHolds(std::string("t")));
  EXPECT_THAT(fake.Remove("/var/state"), StatusHasMessage("(ENOTEMPTY)"));
  ASSERT_OK(fake.Rename("/var/state/api.addr", "/var/addr"));
  EXPECT_THAT(fake.ReadFile("/var/addr"), testing::IsOkAndHolds(std::string("a")));
  EXPECT_THAT(fake.ReadFile("/var/state/api.addr"), StatusHasMessage("(ENOENT)"));
  EXPECT_THAT(fake.CreateDirs("/var/addr/sub"), StatusHasMessage("(ENOTDIR)"));
  ASSERT_OK(fake.Remove("/var/state/api.token"));
  ASSERT_OK(fake.Remove("/var/state"));
  EXPECT_THAT(fake.Exists("/var/state"), testing::IsOkAndHolds(false));
}

TEST(FakeFileSystemTest, AppendsGoToTheFileTheHandleCreated) {
  FakeFileSystem fake;
  auto f = fake.NewWritableFile("/a", 0644);
  ASSERT_OK(f);
  ASSERT_OK((*f)->Append("he"));
  ASSERT_OK(fake.Rename("/a", "/b"));  // A renamed open file keeps receiving writes.
  ASSERT_OK((*f)->Append("llo"));
  ASSERT_OK((*f)->Close());
  EXPECT_THAT(fake.ReadFile("/b"), testing::IsOkAndHolds(std::string("hello")));
  auto g = fake.NewWritableFile("/c", 0644);
  ASSERT_OK(g);
  ASSERT_OK(fake.Remove("/c"));
  EXPECT_THAT((*g)->Append("x"), StatusHasMessage("(ESTALE)"));
}

TEST(FaultInjectingFileSystemTest, FailAllUntilClearedAndCountsCalls) {
  FakeFileSystem fake;
  FaultInjectingFileSystem faulty(fake);
  faulty.FailAll(FsOp::kCreateDirs, EROFS);
  EXPECT_THAT(faulty.CreateDirs("/a"), StatusHasMessage("injected create folder /a"));
  EXPECT_THAT(faulty.CreateDirs("/a"), StatusHasMessage("(EROFS)"));
  EXPECT_THAT(fake.Exists("/a"), testing::IsOkAndHolds(false));  // The target was not called.
  faulty.Clear();
  ASSERT_OK(faulty.CreateDirs("/a"));
  EXPECT_EQ(faulty.calls(FsOp::kCreateDirs), 3);
  EXPECT_EQ(faulty.injected(), 2);
  faulty.FailNth(FsOp::kRead, 1, EIO);
  EXPECT_EQ(faulty.ReadFile("/a").status().code(), StatusCode::kIoError);
  faulty.FailNth(FsOp::kList, 1, EACCES);
  EXPECT_THAT(faulty.ListDir("/a"), StatusHasMessage("(EACCES)"));
  faulty.FailNth(FsOp::kRemove, 1, EBUSY);
  EXPECT_THAT(faulty.Remove("/a"), StatusHasMessage("(EBUSY)"));
  ASSERT_OK(faulty.Remove("/a"));
}

}  // namespace
}  // namespace dolphin
