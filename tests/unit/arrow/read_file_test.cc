// arrow::ReadFileBytes: one read of the fstat size for a regular file, growth for anything
// else, and errors that name the path.
#include <fcntl.h>
#include <poll.h>
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
  // A reader that never reads keeps the FIFO open, so the write end opens at once (and so
  // does ReadFileBytes' read end) and a write never raises SIGPIPE; writes wait at most 10 s.
  const int keeper = ::open(p.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(keeper, 0);
  const int wfd = ::open(p.c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(wfd, 0);
  Result<std::vector<uint8_t>> got = InternalError("not read");
  std::thread reader([&] { got = ReadFileBytes(p.string()); });
  const std::string bytes(150 * 1024, 'x');  // more than the pipe and the first 64 KB buffer
  size_t off = 0;
  while (off < bytes.size()) {
    pollfd pfd{wfd, POLLOUT, 0};
    if (::poll(&pfd, 1, 10000) != 1) break;
    const ssize_t n = ::write(wfd, bytes.data() + off, bytes.size() - off);
    if (n > 0) off += static_cast<size_t>(n);
  }
  ::close(wfd);  // the end of the data for the reader
  reader.join();
  ::close(keeper);
  EXPECT_EQ(off, bytes.size());
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
