#include "dolphin/sim/scan_sink.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dolphin/testing/testing.h"

namespace dolphin::sim {
namespace {

namespace fs = std::filesystem;

Result<std::string> TextEncoder(const ScanFeatures& scan) {
  return "scan " + std::to_string(scan.scan_number);
}

ScanFeatures At(int64_t number, const char* rfc3339) {
  ScanFeatures s;
  s.scan_number = number;
  s.timestamp = *ParseRfc3339(rfc3339);
  return s;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Listing(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    out.push_back(fs::relative(e.path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ScanFileNameTest, ZeroPadsNumberAndUsesUtcTimeOfDay) {
  EXPECT_EQ(ScanFileName(123, *ParseRfc3339("2026-03-25T10:30:01.9Z")), "scan_000123_103001.arrow");
  EXPECT_EQ(ScanFileName(1234567, *ParseRfc3339("2026-03-25T23:59:59+02:00")),
            "scan_1234567_215959.arrow");
}

TEST(ScanFileSinkTest, WritesAtomicallyIntoDayFoldersAcrossMidnight) {
  testing::TempDir dir;
  auto sink = NewScanFileSink(FileSystem::Default(), dir.path() / "scans", TextEncoder);
  auto a = sink->Write(At(1, "2026-03-25T23:59:59Z"));
  ASSERT_OK(a);
  EXPECT_EQ(*a, (dir.path() / "scans/2026-03-25/scan_000001_235959.arrow").string());
  ASSERT_OK(sink->Write(At(2, "2026-03-26T00:00:00.5Z")));
  EXPECT_EQ(Slurp(*a), "scan 1");
  // No temporary file is left behind.
  EXPECT_EQ(Listing(dir.path() / "scans"),
            (std::vector<std::string>{"2026-03-25", "2026-03-25/scan_000001_235959.arrow",
                                      "2026-03-26", "2026-03-26/scan_000002_000000.arrow"}));
}

TEST(ScanFileSinkTest, RecreatesADayFolderRemovedUnderIt) {
  testing::TempDir dir;
  auto sink = NewScanFileSink(FileSystem::Default(), dir.path(), TextEncoder);
  ASSERT_OK(sink->Write(At(1, "2026-03-25T10:00:00Z")));
  fs::remove_all(dir.path() / "2026-03-25");
  EXPECT_FALSE(sink->Write(At(2, "2026-03-25T10:00:01Z")).ok());
  ASSERT_OK(sink->Write(At(3, "2026-03-25T10:00:02Z")));
  EXPECT_TRUE(fs::exists(dir.path() / "2026-03-25/scan_000003_100002.arrow"));
}

TEST(ScanFileSinkTest, ReportsUnwritableScanDirAndEncoderErrors) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  auto sink = NewScanFileSink(FileSystem::Default(), dir.path() / "file", TextEncoder);
  EXPECT_THAT(sink->Write(At(1, "2026-03-25T10:00:00Z")), testing::StatusHasMessage("file"));
  auto failing = NewScanFileSink(
      FileSystem::Default(), dir.path(),
      [](const ScanFeatures&) -> Result<std::string> { return InternalError("encoder broke"); });
  EXPECT_THAT(failing->Write(At(1, "2026-03-25T10:00:00Z")),
              testing::StatusHasMessage("encoder broke"));
}

}  // namespace
}  // namespace dolphin::sim
