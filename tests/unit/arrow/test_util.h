// Shared helpers of the arrow tests: paths of the reference data and small file utilities.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "dolphin/arrow/ipc_reader.h"

namespace dolphin::arrow::testing {

inline std::filesystem::path SourceDir() {
  const char* dir = std::getenv("DOLPHIN_SOURCE_DIR");
  return dir != nullptr ? std::filesystem::path(dir)
                        : std::filesystem::path(DOLPHIN_TEST_SOURCE_DIR);
}

// /work/shared/testdata/arrow, seen from the project as ../shared/testdata/arrow.
inline std::filesystem::path SharedArrowData() {
  return SourceDir() / ".." / "shared" / "testdata" / "arrow";
}

inline std::vector<std::filesystem::path> ListFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Output of a shell command (for `gzip -dc`, python, node); empty on failure.
inline std::string RunCommand(const std::string& cmd, int* exit_code = nullptr) {
  std::string out;
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (exit_code != nullptr) *exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q.push_back(c);
  }
  return q + "'";
}

}  // namespace dolphin::arrow::testing
