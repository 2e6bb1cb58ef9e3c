// Scan sinks: where the simulator puts each scan.
//
// NewScanFileSink() writes one Arrow IPC file per scan in the docs/architecture.md §8 layout:
//   <scan_dir>/YYYY-MM-DD/scan_<number>_<HHMMSS>.arrow
// (UTC day and time of the scan's timestamp; <number> zero-padded to at least 6 digits, e.g.
// scan_000123_103001.arrow). The bytes are written with FileSystem::WriteAtomically (not
// synced: a scan lost on power failure is harmless): a hidden temporary file in the same
// folder, `.scan_000123_103001.arrow.tmp.<pid>.<n>`, renamed into place, so a reader never
// sees a partial file. Consumers must order scans by (epoch, scan_number) from the file's content,
// never by the file name: numbers restart after an upstream restart and grow past 6 digits.
//
// Thread-safety: a sink is used by one thread at a time.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "dolphin/core/file_system.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"
#include "dolphin/sim/scanner.h"

namespace dolphin::sim {

class ScanSink {
 public:
  virtual ~ScanSink() = default;
  ScanSink(const ScanSink&) = delete;
  ScanSink& operator=(const ScanSink&) = delete;

  // Stores one scan. Returns where it went (a file path for the file sink). Errors: IoError
  // naming the path (the scan is lost; the caller logs, counts and carries on).
  virtual Result<std::string> Write(const ScanFeatures& scan) = 0;

 protected:
  ScanSink() = default;
};

// Serialises a scan to bytes.
using ScanEncoder = std::function<Result<std::string>(const ScanFeatures&)>;

// The Arrow IPC file of one scan: one record batch, one row, the docs/architecture.md §8 columns,
// and schema metadata synthetic=true.
Result<std::string> EncodeScanArrow(const ScanFeatures& scan);

// "scan_000123_103001.arrow" for scan 123 at 10:30:01 UTC.
std::string ScanFileName(int64_t scan_number, Timestamp timestamp);

// Writes files with `fs` (not owned; must outlive the sink) as described above, creating day
// folders as needed. `encoder` defaults to EncodeScanArrow.
std::unique_ptr<ScanSink> NewScanFileSink(FileSystem& fs, std::filesystem::path scan_dir,
                                          ScanEncoder encoder = EncodeScanArrow);

}  // namespace dolphin::sim
