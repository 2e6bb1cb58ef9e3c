// The dashboard's static assets, compiled into the binary at build time (cmake/EmbedAssets.cmake
// over libs/api/dashboard/ and Chart.js from Debian's libjs-chart.js): no file is read at run
// time and no npm is involved. Thread-safety: immutable.
#pragma once

#include <cstddef>
#include <vector>

namespace dolphin::api {

struct EmbeddedAsset {
  const char* path;          // the URL path it is served at ("/", "/dashboard/chart.js")
  const char* content_type;  // "text/html; charset=utf-8", ...
  const unsigned char* data;
  size_t size;
};

const std::vector<EmbeddedAsset>& DashboardAssets();

}  // namespace dolphin::api
