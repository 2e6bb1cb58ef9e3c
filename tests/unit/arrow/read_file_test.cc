// arrow::ReadFileBytes: one read of the fstat size for a regular file, growth for anything
// else, and errors that name the path.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/testing/testing.h"

namespace dolphin::arrow {
namespace {

using ::dolphin::testing::StatusHasMessage;

void WriteFile(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

TEST(ReadFileBytesTest, ReadsRegularFilesWholeWhateverTheirSize) {
  testing::TempDir dir;
  for (size_t size : {size_t{0}, size_t{1}, size_t{4096}, size_t{200 * 1024 + 7}}) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 31 + 7);
    const auto p = dir.path() / ("f" + std::to_string(size));
    WriteFile(p, bytes);
    auto got = ReadFileBytes(p.string());
    ASSERT_OK(got);
    EXPECT_EQ(std::string(got->begin(), got->end()), bytes) << size;
  }
}

TEST(ReadFileBytesTest, ReadsAFifoOfUnknownSizeToItsEnd) {
  testing::TempDir dir;
  const auto p = dir.path() / "fifo";
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  const std::string bytes(150 * 1024, 'x');  // more than the first 64 KB buffer
  std::thread writer([&] {
    const int fd = ::open(p.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
      ASSERT_GT(n, 0);
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  auto got = ReadFileBytes(p.string());
  writer.join();
  ASSERT_OK(got);
  EXPECT_EQ(got->size(), bytes.size());
}

TEST(ReadFileBytesTest, ErrorsNameThePath) {
  testing::TempDir dir;
  const auto missing = dir.path() / "missing.arrow";
  EXPECT_THAT(ReadFileBytes(missing.string()), StatusHasMessage(missing.string()));
  EXPECT_THAT(ReadFileBytes(dir.path().string()), StatusHasMessage(dir.path().string()));
  EXPECT_THAT(ReadIpcFile(missing.string()), StatusHasMessage("missing.arrow"));
}

}  // namespace
}  // namespace dolphin::arrow
