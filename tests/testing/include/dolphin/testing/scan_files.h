// Scan files for tests that feed a real bridge (dolphin_sim_testing): the simulator's scans
// written as Arrow IPC files into a staging folder, ready to be renamed into the watched folder
// the way upstream delivers them. Thread-safety: none (call from the test's thread).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "dolphin/core/result.h"
#include "dolphin/sim/scanner.h"

namespace dolphin::testing {

struct StagedScan {
  int64_t number = 0;
  std::filesystem::path relative;  // <UTC day>/scan_<n>_<HHMMSS>.arrow
  std::filesystem::path staged;    // <staging>/<relative>
};

// Writes the next `count` scans of `scanner` to <staging>/<day>/<name> and creates the same day
// folders under `watched`, so a rename of `staged` to <watched>/<relative> delivers a scan.
// `edit`, when set, may change scan i (0-based) before it is encoded. Errors: the scanner ended
// (a CSV replay) or encoding failed, naming the scan.
Result<std::vector<StagedScan>> StageScanFiles(
    sim::Scanner& scanner, int count, const std::filesystem::path& staging,
    const std::filesystem::path& watched,
    const std::function<void(int, sim::ScanFeatures&)>& edit = nullptr);

}  // namespace dolphin::testing
