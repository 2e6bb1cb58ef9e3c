#include "dolphin/sim/scan_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include <fmt/format.h>

namespace dolphin::sim {

std::string ScanFileName(int64_t scan_number, Timestamp timestamp) {
  const int64_t secs = timestamp.UnixSeconds();
  const int64_t day_secs = ((secs % 86400) + 86400) % 86400;
  return fmt::format("scan_{:06d}_{:02d}{:02d}{:02d}.arrow", scan_number, day_secs / 3600,
                     (day_secs / 60) % 60, day_secs % 60);
}

namespace {

Status WriteWhole(const std::filesystem::path& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(fmt::format("open {}", path.string()), errno);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return ErrnoError(fmt::format("write {}", path.string()), err);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return ErrnoError(fmt::format("close {}", path.string()), errno);
  return Status::Ok();
}

class ScanFileSink final : public ScanSink {
 public:
  ScanFileSink(std::filesystem::path scan_dir, ScanEncoder encoder)
      : scan_dir_(std::move(scan_dir)), encoder_(std::move(encoder)) {}

  Result<std::string> Write(const ScanFeatures& scan) override {
    DOLPHIN_ASSIGN_OR_RETURN(std::string bytes, encoder_(scan));
    const std::string day = FormatUtcDate(scan.timestamp);
    const std::filesystem::path dir = scan_dir_ / day;
    if (day != current_day_) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        return IoError(fmt::format("create directory {}: {}", dir.string(), ec.message()));
      }
      current_day_ = day;
    }
    const std::string name = ScanFileName(scan.scan_number, scan.timestamp);
    const std::filesystem::path tmp = dir / ("." + name + ".tmp");
    const std::filesystem::path final_path = dir / name;
    Status written = WriteWhole(tmp, bytes);
    if (!written.ok()) {
      ::unlink(tmp.c_str());
      // The day folder may have been removed under us: forget it so the next scan recreates it.
      current_day_.clear();
      return written;
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      current_day_.clear();
      return ErrnoError(fmt::format("rename {} -> {}", tmp.string(), final_path.string()), err);
    }
    return final_path.string();
  }

 private:
  const std::filesystem::path scan_dir_;
  const ScanEncoder encoder_;
  std::string current_day_;
};

}  // namespace

std::unique_ptr<ScanSink> NewScanFileSink(std::filesystem::path scan_dir, ScanEncoder encoder) {
  return std::make_unique<ScanFileSink>(std::move(scan_dir), std::move(encoder));
}

}  // namespace dolphin::sim
