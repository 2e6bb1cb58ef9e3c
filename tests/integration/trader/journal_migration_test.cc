// The journal's versioned migration (issue 15) on a real journal written before it:
// tests/data/journal/v1 holds a journal, its scan files and its config, made by `dolphin run`
// at commit 33b7bb4 (schema version 1, tools/journal/make_v1_fixture.sh). It must open, replay
// and pass `dolphin backtest --parity` unchanged, read-only and after the writer migrated it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"
#include "dolphin/trader/journal.h"

namespace dolphin {
namespace {

namespace fs = std::filesystem;
using testing::DolphinBinary;
using ::testing::HasSubstr;
using ::testing::Not;

// One column of every row of `sql`, as text.
std::vector<std::string> Query(const fs::path& db_path, const char* sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

std::string ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class JournalMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path fixture = testing::SourceDir() / "tests" / "data" / "journal" / "v1";
    ASSERT_TRUE(fs::exists(fixture / "trader_BLUE.sqlite")) << fixture;
    fs::copy(fixture, dir_.path(), fs::copy_options::recursive);
  }

  testing::ProcessResult Parity() {
    return testing::RunProcess({DolphinBinary(), "backtest", "--parity", "--journal",
                                journal_.string(), "--scans", "scans", "-q", "-c", "dolphin.toml"},
                               dir_.path(), std::chrono::seconds(120));
  }

  std::string ParityLine(const testing::ProcessResult& r) {
    const size_t at = r.out.find("parity: ");
    return at == std::string::npos ? r.out : r.out.substr(at, r.out.find('\n', at) - at);
  }

  testing::TempDir dir_;
  const fs::path journal_ = dir_.path() / "trader_BLUE.sqlite";
};

TEST_F(JournalMigrationTest, AVersion1JournalReplaysReadOnlyThenMigratesAndStillPasses) {
  ASSERT_EQ(Query(journal_, "SELECT value FROM meta WHERE key = 'schema_version'"),
            std::vector<std::string>{"1"});
  const std::vector<std::string> v1_columns =
      Query(journal_, "SELECT name FROM pragma_table_info('processed')");
  ASSERT_THAT(v1_columns, Not(::testing::Contains("indicators")));
  const std::string bytes = ReadBytes(journal_);
  const int fills = std::stoi(Query(journal_, "SELECT count(*) FROM fills").at(0));
  ASSERT_GT(fills, 2) << "the fixture traded";

  // Read-only: the replay passes and the file is left exactly as it was (no migration).
  auto r = Parity();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string ok_line = ParityLine(r);
  EXPECT_THAT(ok_line, HasSubstr(fmt::format("parity: OK: {} fills identical", fills)));
  EXPECT_EQ(ReadBytes(journal_), bytes);
  {
    auto ro = trader::OpenJournalReadOnly(journal_);
    ASSERT_OK(ro);
    EXPECT_EQ((*ro)->schema_version(), 1);
    EXPECT_EQ((*ro)->migrated_from(), 0);
    auto processed = (*ro)->Processed();
    ASSERT_OK(processed);
    for (const trader::ProcessedScan& p : *processed) EXPECT_TRUE(p.context.indicators.empty());
  }

  // The writer migrates it: version 2, every row kept, the schema now the same as a new
  // journal's.
  std::vector<std::string> rows_before = Query(
      journal_, "SELECT epoch || ' ' || scan_number || ' ' || signal FROM processed ORDER BY id");
  {
    auto w = trader::OpenJournal(journal_, {.sync = trader::JournalSync::kFull, .color = "BLUE"});
    ASSERT_OK(w);
    EXPECT_EQ((*w)->schema_version(), 2);
    EXPECT_EQ((*w)->migrated_from(), 1);
  }
  EXPECT_EQ(Query(journal_, "SELECT value FROM meta WHERE key = 'schema_version'"),
            std::vector<std::string>{"2"});
  EXPECT_EQ(Query(journal_,
                  "SELECT epoch || ' ' || scan_number || ' ' || signal FROM processed ORDER BY id"),
            rows_before);
  EXPECT_EQ(Query(journal_, "SELECT count(*) FROM processed WHERE indicators IS NOT NULL"),
            std::vector<std::string>{"0"});
  const fs::path fresh = dir_.path() / "new.sqlite";
  ASSERT_OK(trader::OpenJournal(fresh, {.sync = trader::JournalSync::kFull, .color = "BLUE"}));
  const char* kSchemaSql =
      "SELECT type || ' ' || name || ': ' || coalesce(sql, '') "
      "FROM sqlite_master ORDER BY name";
  EXPECT_EQ(Query(journal_, kSchemaSql), Query(fresh, kSchemaSql));
  // A second open does not migrate again.
  {
    auto w = trader::OpenJournal(journal_, {.sync = trader::JournalSync::kFull, .color = "BLUE"});
    ASSERT_OK(w);
    EXPECT_EQ((*w)->migrated_from(), 0);
  }

  // And the migrated journal still passes, with the same verdict.
  r = Parity();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ParityLine(r), ok_line);
}

// A migration that fails is rolled back whole: the open fails naming the step and the file,
// and version 1 stays. (Here a column of that name was added behind the journal's back.)
TEST_F(JournalMigrationTest, AMigrationThatFailsLeavesTheOldVersionWhole) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(journal_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE processed ADD COLUMN indicators INTEGER", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto w = trader::OpenJournal(journal_, {.sync = trader::JournalSync::kFull, .color = "BLUE"});
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), HasSubstr("migrating the schema from version 1 to 2"));
  EXPECT_THAT(w.status().message(), HasSubstr(journal_.string()));
  EXPECT_EQ(Query(journal_, "SELECT value FROM meta WHERE key = 'schema_version'"),
            std::vector<std::string>{"1"});
}

}  // namespace
}  // namespace dolphin
