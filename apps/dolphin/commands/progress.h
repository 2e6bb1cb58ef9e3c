// ProgressBar: long CLI work shows progress on stderr (backtest, report, the daily batch): a
// bar on a terminal, one line per 10 % otherwise (a flow run's log). Thread-safety: none.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>

namespace dolphin::cli {

// A progress bar on a terminal, one line per 10 % otherwise.
class ProgressBar {
 public:
  ProgressBar(std::string label, bool quiet)
      : label_(std::move(label)), quiet_(quiet), tty_(::isatty(2) == 1) {}
  void operator()(size_t done, size_t total) {
    if (quiet_ || total == 0) return;
    int pct = static_cast<int>(done * 100 / total);
    if (tty_) {
      if (pct == last_ && done != total) return;
      int width = 30, filled = pct * width / 100;
      std::fprintf(stderr, "\r%s [%s%s] %3d%% %zu/%zu", label_.c_str(),
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), pct,
                   done, total);
      if (done == total) std::fprintf(stderr, "\n");
    } else if (pct / 10 != last_ / 10 || done == total) {
      std::fprintf(stderr, "%s: %d%% (%zu/%zu)\n", label_.c_str(), pct, done, total);
    }
    last_ = pct;
  }

 private:
  std::string label_;
  bool quiet_;
  bool tty_;
  int last_ = -1;
};

}  // namespace dolphin::cli
