#include "dolphin/report/housekeeping.h"

#include <gtest/gtest.h>

#include <fstream>

#include "dolphin/testing/testing.h"

namespace dolphin::report {
namespace {

namespace fs = std::filesystem;

class HousekeepingTest : public ::testing::Test {
 protected:
  // The SimulatedClock's 2026-03-25 10:30 UTC; every path below the temp folder.
  fs::path Root() const { return t_.dir.path(); }
  fs::path Write(const fs::path& rel, size_t bytes = 100) {
    const fs::path p = Root() / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << std::string(bytes, 'x');
    return p;
  }
  // Sets a file's modification time `days` before the clock's now.
  void Age(const fs::path& p, int days) {
    const Timestamp t = t_.clock.Now() - std::chrono::hours(24) * days;
    const auto sys = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(t.UnixNanos())));
    fs::last_write_time(p, std::chrono::file_clock::from_sys(sys));
  }
  HousekeepingOptions Options() const {
    HousekeepingOptions o;
    o.scan_dirs = {Root() / "var/scans"};
    o.quarantine_dir = Root() / "var/quarantine";
    o.run_logs_dir = Root() / "var/run_logs";
    o.reports_dir = Root() / "var/reports";
    return o;
  }
  testing::TestEnv t_;
};

TEST_F(HousekeepingTest, RemovesOnlyOldFilesDolphinWroteAndLeavesTheRestAlone) {
  // Scans: retention 3 days on 2026-03-25 keeps 03-22 .. 03-25.
  const auto old_scan = Write("var/scans/2026-03-21/scan_000001_235959.arrow", 1000);
  const auto kept_scan = Write("var/scans/2026-03-22/scan_000002_000000.arrow", 1000);
  const auto foreign_in_old_day = Write("var/scans/2026-03-20/notes.txt");
  const auto old_day_scan = Write("var/scans/2026-03-20/scan_1234567_120000.arrow", 1000);
  const auto foreign_folder = Write("var/scans/upstream/scan_000003_120000.arrow");
  // An upstream scanner's folder not configured: never touched even when old.
  const auto upstream = Write("upstream/2026-01-01/scan_000001_000000.arrow");
  // Quarantine: by the .reason's age (30 days).
  const auto q_old = Write("var/quarantine/bad.arrow");
  const auto q_old_reason = Write("var/quarantine/bad.arrow.reason");
  Age(q_old_reason, 31);
  const auto q_new = Write("var/quarantine/new.arrow");
  const auto q_new_reason = Write("var/quarantine/new.arrow.reason");
  Age(q_new_reason, 2);
  const auto q_foreign = Write("var/quarantine/README");
  Age(q_foreign, 400);
  // Run logs: flow-run logs by age, the health history by its day (30 days).
  const auto log_old = Write("var/run_logs/flow_runs/17.log");
  Age(log_old, 40);
  const auto log_new = Write("var/run_logs/flow_runs/18.log");
  const auto service_log = Write("var/run_logs/meta_health.log");
  Age(service_log, 400);
  const auto hist_old = Write("var/run_logs/health_history/2026-02-01.jsonl");
  const auto hist_new = Write("var/run_logs/health_history/2026-03-20.jsonl");
  // Reports (365 days), the newest state of each colour always kept.
  const auto rep_old = Write("var/reports/2025-01-01.json");
  const auto rep_old_html = Write("var/reports/2025-01-01.html");
  const auto state_old = Write("var/reports/2025-01-01.state.BLUE.json");
  const auto state_newest_old = Write("var/reports/2025-01-01.state.RED.json");
  const auto state_blue_newer = Write("var/reports/2025-01-02.state.BLUE.json");
  const auto rep_new = Write("var/reports/2026-03-24.json");
  const auto rep_foreign = Write("var/reports/2025-01-01-notes.txt");
  // The journal is never touched.
  const auto journal = Write("var/journal/trader_BLUE.sqlite");
  Age(journal, 4000);

  HousekeepingOptions o = Options();
  o.reports_days = 365;
  Timestamp prune_cutoff;
  o.prune_flow_runs = [&](Timestamp cutoff) -> Result<int64_t> {
    prune_cutoff = cutoff;
    return int64_t{7};
  };
  const HousekeepingResult r = Housekeep(o, t_.env);

  for (const auto& p : {old_scan, old_day_scan, q_old, q_old_reason, log_old, hist_old, rep_old,
                        rep_old_html, state_old}) {
    EXPECT_FALSE(fs::exists(p)) << p;
  }
  EXPECT_FALSE(fs::exists(Root() / "var/scans/2026-03-21")) << "an emptied day folder goes";
  for (const auto& p : {kept_scan, foreign_in_old_day, foreign_folder, upstream, q_new,
                        q_new_reason, q_foreign, log_new, service_log, hist_new, state_newest_old,
                        state_blue_newer, rep_new, rep_foreign, journal}) {
    EXPECT_TRUE(fs::exists(p)) << p;
  }
  EXPECT_EQ(prune_cutoff, t_.clock.Now() - std::chrono::hours(24) * 90);
  ASSERT_EQ(r.categories.size(), 5u);
  EXPECT_EQ(r.categories[0].name, "scans");
  EXPECT_EQ(r.categories[0].removed, 2);
  EXPECT_EQ(r.categories[0].bytes, 2000u);
  EXPECT_EQ(r.categories[1].removed, 2);  // bad.arrow and its reason
  EXPECT_EQ(r.categories[2].removed, 2);
  EXPECT_EQ(r.categories[3].removed, 3);
  EXPECT_EQ(r.categories[4].removed, 7);
  EXPECT_EQ(r.Summary().rfind("freed ", 0), 0u) << r.Summary();
  EXPECT_NE(r.Summary().find("flow_runs 7 runs"), std::string::npos) << r.Summary();
}

TEST_F(HousekeepingTest, DryRunRemovesNothingAndZeroRetentionKeepsForever) {
  const auto old_scan = Write("var/scans/2026-01-01/scan_000001_000000.arrow", 10);
  const auto old_report = Write("var/reports/2020-01-01.json");
  HousekeepingOptions o = Options();
  o.dry_run = true;
  HousekeepingResult r = Housekeep(o, t_.env);
  EXPECT_TRUE(fs::exists(old_scan));
  EXPECT_EQ(r.categories[0].removed, 1) << "counted as what would go";
  o.dry_run = false;
  o.scans_days = 0;
  o.reports_days = 0;
  r = Housekeep(o, t_.env);
  EXPECT_TRUE(fs::exists(old_scan));
  EXPECT_TRUE(fs::exists(old_report));
  EXPECT_NE(r.Summary().find("scans kept (retention_days = 0)"), std::string::npos) << r.Summary();
}

TEST_F(HousekeepingTest, MissingFoldersAreNotErrors) {
  HousekeepingResult r = Housekeep(Options(), t_.env);
  for (const auto& c : r.categories) EXPECT_TRUE(c.errors.empty()) << c.name;
  EXPECT_EQ(r.removed(), 0);
}

}  // namespace
}  // namespace dolphin::report
