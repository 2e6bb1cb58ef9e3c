#include "dolphin/sim/scan_sink.h"

#include <fmt/format.h>

namespace dolphin::sim {

std::string ScanFileName(int64_t scan_number, Timestamp timestamp) {
  const int64_t secs = timestamp.UnixSeconds();
  const int64_t day_secs = ((secs % 86400) + 86400) % 86400;
  return fmt::format("scan_{:06d}_{:02d}{:02d}{:02d}.arrow", scan_number, day_secs / 3600,
                     (day_secs / 60) % 60, day_secs % 60);
}

namespace {

class ScanFileSink final : public ScanSink {
 public:
  ScanFileSink(FileSystem& fs, std::filesystem::path scan_dir, ScanEncoder encoder)
      : fs_(fs), scan_dir_(std::move(scan_dir)), encoder_(std::move(encoder)) {}

  Result<std::string> Write(const ScanFeatures& scan) override {
    DOLPHIN_ASSIGN_OR_RETURN(std::string bytes, encoder_(scan));
    const std::string day = FormatUtcDate(scan.timestamp);
    const std::filesystem::path dir = scan_dir_ / day;
    if (day != current_day_) {
      if (Status s = fs_.CreateDirs(dir); !s.ok()) return s;
      current_day_ = day;
    }
    const std::filesystem::path final_path = dir / ScanFileName(scan.scan_number, scan.timestamp);
    Status written = fs_.WriteAtomically(final_path, bytes, {.sync = false, .mode = 0644});
    if (!written.ok()) {
      // The day folder may have been removed under us: forget it so the next scan recreates it.
      current_day_.clear();
      return written;
    }
    return final_path.string();
  }

 private:
  FileSystem& fs_;
  const std::filesystem::path scan_dir_;
  const ScanEncoder encoder_;
  std::string current_day_;
};

}  // namespace

std::unique_ptr<ScanSink> NewScanFileSink(FileSystem& fs, std::filesystem::path scan_dir,
                                          ScanEncoder encoder) {
  return std::make_unique<ScanFileSink>(fs, std::move(scan_dir), std::move(encoder));
}

}  // namespace dolphin::sim
