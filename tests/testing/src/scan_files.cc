#include "dolphin/testing/scan_files.h"

#include <fmt/format.h>

#include <fstream>

#include "dolphin/core/status.h"
#include "dolphin/core/time.h"
#include "dolphin/sim/scan_sink.h"

namespace dolphin::testing {

namespace fs = std::filesystem;

Result<std::vector<StagedScan>> StageScanFiles(
    sim::Scanner& scanner, int count, const fs::path& staging, const fs::path& watched,
    const std::function<void(int, sim::ScanFeatures&)>& edit) {
  std::vector<StagedScan> out;
  for (int i = 0; i < count; ++i) {
    auto f = scanner.Next();
    if (!f)
      return InvalidArgumentError(fmt::format("StageScanFiles: the scanner ended at scan {}", i));
    if (edit) edit(i, *f);
    auto bytes = sim::EncodeScanArrow(*f);
    if (!bytes.ok()) return bytes.status();
    StagedScan s;
    s.number = f->scan_number;
    s.relative =
        fs::path(FormatUtcDate(f->timestamp)) / sim::ScanFileName(f->scan_number, f->timestamp);
    s.staged = staging / s.relative;
    fs::create_directories(s.staged.parent_path());
    fs::create_directories((watched / s.relative).parent_path());
    std::ofstream(s.staged, std::ios::binary) << *bytes;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace dolphin::testing
