// Chart.js (Debian libjs-chart.js), compiled into the library at build time
// (cmake/EmbedAssets.cmake) and inlined into every HTML report, so a report opens offline.
#pragma once

#include <cstddef>
#include <vector>

namespace dolphin::report {

struct EmbeddedAsset {
  const char* path;  // "chart.js"
  const char* content_type;
  const unsigned char* data;
  size_t size;
};

const std::vector<EmbeddedAsset>& ReportAssets();

}  // namespace dolphin::report
