#include "dolphin/report/housekeeping.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <system_error>

#include "dolphin/report/daily.h"

namespace dolphin::report {

namespace {

namespace fs = std::filesystem;

std::string Bytes(uint64_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.1f} GB", static_cast<double>(b) / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MB", static_cast<double>(b) / (1ull << 20));
  if (b >= (1ull << 10)) return fmt::format("{:.1f} kB", static_cast<double>(b) / (1ull << 10));
  return fmt::format("{} B", b);
}

// The first instant of the UTC day in a name that starts with YYYY-MM-DD, or nullopt.
std::optional<Timestamp> DayOfName(const std::string& name) {
  if (name.size() < 10) return std::nullopt;
  auto t = ParseDay(name.substr(0, 10));
  if (!t.ok()) return std::nullopt;
  if (name.size() > 10 && name[10] != '.') return std::nullopt;
  return *t;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool EndsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// scan_NNNNNN_HHMMSS.arrow (sim::ScanFileName; the number has 6 digits or more).
bool IsSimScanName(std::string_view n) {
  if (n.rfind("scan_", 0) != 0 || !EndsWith(n, ".arrow")) return false;
  n = n.substr(5, n.size() - 5 - 6);
  const size_t us = n.find('_');
  return us != std::string_view::npos && us >= 6 && AllDigits(n.substr(0, us)) &&
         n.size() - us - 1 == 6 && AllDigits(n.substr(us + 1));
}

// <id>.log of a flow run.
bool IsRunLogName(std::string_view n) {
  return EndsWith(n, ".log") && AllDigits(n.substr(0, n.size() - 4));
}

// D.json, D.html or D.state.<COLOR>.json; `color` gets the colour of a state file ("" else).
bool IsReportName(const std::string& n, std::string* color) {
  if (!DayOfName(n) || n.size() < 11) return false;
  const std::string_view rest = std::string_view(n).substr(10);
  color->clear();
  if (rest == ".json" || rest == ".html") return true;
  if (rest.rfind(".state.", 0) != 0 || !EndsWith(rest, ".json")) return false;
  const std::string_view c = rest.substr(7, rest.size() - 7 - 5);
  if (c.empty() || !std::all_of(c.begin(), c.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
      })) {
    return false;
  }
  *color = std::string(c);
  return true;
}

std::optional<Timestamp> ModifiedAt(const fs::path& p) {
  std::error_code ec;
  const auto ft = fs::last_write_time(p, ec);
  if (ec) return std::nullopt;
  const auto sys = std::chrono::file_clock::to_sys(ft);
  return Timestamp::FromUnixNanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(sys.time_since_epoch()).count());
}

class Pruner {
 public:
  Pruner(HousekeepingCategory& c, Env env, bool dry_run) : c_(c), env_(env), dry_run_(dry_run) {}
  // A whole day (a file or folder whose day ended) is old when the day ended more than
  // retention_days ago: with 3 days, on 2026-03-10 the folders of 2026-03-06 and before go.
  // A day is old when it ended more than retention_days ago: with 3, on 2026-03-10 the days up
  // to 2026-03-06 go and 03-07 .. 03-10 stay.
  bool DayExpired(Timestamp day_begin) const {
    return c_.retention_days > 0 &&
           day_begin + std::chrono::hours(24) * (c_.retention_days + 1) <= env_.clock.Now();
  }
  bool TimeExpired(Timestamp t) const {
    return c_.retention_days > 0 &&
           t + std::chrono::hours(24) * c_.retention_days <= env_.clock.Now();
  }
  void Remove(const fs::path& p) {
    std::error_code ec;
    const uint64_t size = fs::is_regular_file(p, ec) ? fs::file_size(p, ec) : 0;
    if (!dry_run_) {
      if (Status st = env_.fs.Remove(p); !st.ok()) {
        c_.errors.push_back(std::string(st.message()));
        return;
      }
    }
    ++c_.removed;
    c_.bytes += size;
  }
  void RemoveDirIfEmpty(const fs::path& dir) {
    if (dry_run_) return;
    auto left = env_.fs.ListDir(dir);
    if (left.ok() && left->empty()) (void)env_.fs.Remove(dir);
  }
  std::vector<std::string> List(const fs::path& dir) {
    if (dir.empty()) return {};
    auto names = env_.fs.ListDir(dir);
    if (!names.ok()) {
      if (names.status().code() != StatusCode::kNotFound) {
        c_.errors.push_back(std::string(names.status().message()));
      }
      return {};
    }
    return *names;
  }

 private:
  HousekeepingCategory& c_;
  Env env_;
  bool dry_run_;
};

void Scans(const HousekeepingOptions& o, Env env, HousekeepingCategory& c) {
  Pruner p(c, env, o.dry_run);
  for (const fs::path& dir : o.scan_dirs) {
    for (const std::string& day : p.List(dir)) {
      auto begin = DayOfName(day);
      if (!begin || day.size() != 10 || !p.DayExpired(*begin)) continue;
      for (const std::string& name : p.List(dir / day)) {
        if (IsSimScanName(name)) p.Remove(dir / day / name);
      }
      p.RemoveDirIfEmpty(dir / day);  // a folder holding foreign files stays
    }
  }
}

void Quarantine(const HousekeepingOptions& o, Env env, HousekeepingCategory& c) {
  Pruner p(c, env, o.dry_run);
  const std::vector<std::string> names = p.List(o.quarantine_dir);
  for (const std::string& name : names) {
    // The bridge writes <file> and <file>.reason: both go with the .reason's age.
    if (name.size() <= 7 || name.substr(name.size() - 7) != ".reason") continue;
    const fs::path reason = o.quarantine_dir / name;
    auto t = ModifiedAt(reason);
    if (!t || !p.TimeExpired(*t)) continue;
    const fs::path file = o.quarantine_dir / name.substr(0, name.size() - 7);
    std::error_code ec;
    if (fs::exists(file, ec)) p.Remove(file);
    p.Remove(reason);
  }
}

void RunLogs(const HousekeepingOptions& o, Env env, HousekeepingCategory& c) {
  Pruner p(c, env, o.dry_run);
  if (o.run_logs_dir.empty()) return;
  for (const std::string& name : p.List(o.run_logs_dir / "flow_runs")) {
    if (!IsRunLogName(name)) continue;
    auto t = ModifiedAt(o.run_logs_dir / "flow_runs" / name);
    if (t && p.TimeExpired(*t)) p.Remove(o.run_logs_dir / "flow_runs" / name);
  }
  for (const std::string& name : p.List(o.run_logs_dir / "health_history")) {
    if (name.size() != 16 || !EndsWith(name, ".jsonl")) continue;
    if (auto day = DayOfName(name); day && p.DayExpired(*day)) {
      p.Remove(o.run_logs_dir / "health_history" / name);
    }
  }
}

void Reports(const HousekeepingOptions& o, Env env, HousekeepingCategory& c) {
  Pruner p(c, env, o.dry_run);
  const std::vector<std::string> names = p.List(o.reports_dir);
  // The newest state of each colour is where the next daily replay starts: always kept.
  std::map<std::string, std::string> newest_state;
  std::string color;
  for (const std::string& name : names) {
    if (IsReportName(name, &color) && !color.empty()) {
      std::string& best = newest_state[color];
      best = std::max(best, name.substr(0, 10));
    }
  }
  for (const std::string& name : names) {
    if (!IsReportName(name, &color)) continue;
    if (!color.empty() && newest_state[color] == name.substr(0, 10)) continue;
    if (auto day = DayOfName(name); day && p.DayExpired(*day)) p.Remove(o.reports_dir / name);
  }
}

}  // namespace

int64_t HousekeepingResult::removed() const {
  int64_t n = 0;
  for (const auto& c : categories) n += c.removed;
  return n;
}

uint64_t HousekeepingResult::bytes() const {
  uint64_t n = 0;
  for (const auto& c : categories) n += c.bytes;
  return n;
}

std::string HousekeepingResult::Summary() const {
  std::string parts;
  for (const auto& c : categories) {
    if (!parts.empty()) parts += ", ";
    if (c.retention_days <= 0) {
      parts += c.name + " kept (retention_days = 0)";
    } else if (c.name == "flow_runs") {
      parts += fmt::format("{} {} runs", c.name, c.removed);
    } else {
      parts += fmt::format("{} {} files {}", c.name, c.removed, Bytes(c.bytes));
    }
    if (!c.errors.empty()) parts += fmt::format(" ({} errors)", c.errors.size());
  }
  return fmt::format("freed {}: {}", Bytes(bytes()), parts);
}

HousekeepingResult Housekeep(const HousekeepingOptions& o, Env env) {
  HousekeepingResult r;
  auto add = [&](std::string name, int days, auto fn) {
    HousekeepingCategory c;
    c.name = std::move(name);
    c.retention_days = days;
    if (days > 0) fn(o, env, c);
    env.logger.Info("housekeeping", "category done",
                    {{"category", c.name},
                     {"retention_days", static_cast<int64_t>(days)},
                     {"removed", c.removed},
                     {"bytes", static_cast<int64_t>(c.bytes)},
                     {"errors", static_cast<int64_t>(c.errors.size())}});
    r.categories.push_back(std::move(c));
  };
  add("scans", o.scans_days, Scans);
  add("quarantine", o.quarantine_days, Quarantine);
  add("run_logs", o.run_logs_days, RunLogs);
  add("reports", o.reports_days, Reports);
  add("flow_runs", o.flow_runs_days,
      [](const HousekeepingOptions& opt, Env e, HousekeepingCategory& c) {
        if (!opt.prune_flow_runs || opt.dry_run) return;
        auto n = opt.prune_flow_runs(e.clock.Now() - std::chrono::hours(24) * c.retention_days);
        if (n.ok()) {
          c.removed = *n;
        } else {
          c.errors.push_back(std::string(n.status().message()));
        }
      });
  return r;
}

}  // namespace dolphin::report
