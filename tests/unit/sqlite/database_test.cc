// sqlite::Database, Statement and Transaction on real files in a temporary folder.
#include "dolphin/sqlite/database.h"

#include <cmath>
#include <fstream>

#include "dolphin/testing/testing.h"

namespace dolphin::sqlite {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kSqliteBusy = 5;                 // SQLITE_BUSY
constexpr int kSqliteConstraintUnique = 2067;  // SQLITE_CONSTRAINT_UNIQUE
constexpr int kSqliteConstraintCheck = 275;    // SQLITE_CONSTRAINT_CHECK
constexpr int kSqliteNotADb = 26;              // SQLITE_NOTADB
constexpr int kSqliteFull = 13;                // SQLITE_FULL
constexpr int kSqliteMisuse = 21;              // SQLITE_MISUSE

class DatabaseTest : public ::testing::Test {
 protected:
  std::filesystem::path Path(const char* name) const { return dir_.path() / name; }

  std::unique_ptr<Database> OpenOrDie(const std::filesystem::path& path,
                                      const DatabaseOptions& options = {}) {
    Result<std::unique_ptr<Database>> db = Database::Open(path, options);
    EXPECT_OK(db);
    return db.ok() ? std::move(*db) : nullptr;
  }

  testing::TempDir dir_;
};

TEST(StatusCodeOfTest, MapsSqliteCodes) {
  EXPECT_EQ(StatusCodeOf(kSqliteBusy), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeOf(kSqliteConstraintUnique), StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeOf(kSqliteConstraintCheck), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeOf(kSqliteNotADb), StatusCode::kCorruption);
  EXPECT_EQ(StatusCodeOf(kSqliteFull), StatusCode::kIoError);
  EXPECT_EQ(StatusCodeOf(kSqliteMisuse), StatusCode::kInternal);
}

TEST(ShortSqlTest, OneLineAndShort) {
  EXPECT_EQ(ShortSql("  SELECT\n  a,\tb\nFROM t  "), "SELECT a, b FROM t");
  const std::string long_sql = "INSERT INTO t VALUES (" + std::string(200, '1') + ")";
  const std::string short_sql = ShortSql(long_sql);
  EXPECT_LE(short_sql.size(), 64u);
  EXPECT_THAT(short_sql, HasSubstr("..."));
}

TEST_F(DatabaseTest, CreatesWritesAndReadsBack) {
  auto db = OpenOrDie(Path("a.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->Exec("CREATE TABLE t (i INTEGER, d, s TEXT, b INTEGER, n)"));
  Result<Statement> insert =
      db->Prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", Database::Lifetime::kPersistent);
  ASSERT_OK(insert);
  EXPECT_OK(insert->Run(int64_t{-7}, -0.0, std::string("text"), true, nullptr));
  EXPECT_EQ(db->Changes(), 1);
  EXPECT_OK(insert->Run(3, 2.5, "more", false, nullptr));  // a cached statement runs again

  Result<Statement> select = db->Prepare("SELECT i, d, s, b, n FROM t ORDER BY rowid");
  ASSERT_OK(select);
  ASSERT_THAT(select->Step(), testing::IsOkAndHolds(true));
  EXPECT_EQ(select->Int(0), -7);
  EXPECT_EQ(select->Type(1), ColumnType::kReal);
  EXPECT_TRUE(std::signbit(select->Double(1)));
  EXPECT_EQ(select->Text(2), "text");
  EXPECT_TRUE(select->Bool(3));
  EXPECT_EQ(select->Type(4), ColumnType::kNull);
  ASSERT_THAT(select->Step(), testing::IsOkAndHolds(true));
  EXPECT_EQ(select->Int(0), 3);
  EXPECT_FALSE(select->Bool(3));
  EXPECT_THAT(select->Step(), testing::IsOkAndHolds(false));
}

TEST_F(DatabaseTest, BindResetsASelectForTheNextUse) {
  auto db = OpenOrDie(Path("a.db"));
  ASSERT_OK(
      db->Exec("CREATE TABLE t (k TEXT, v INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2)"));
  Result<Statement> get = db->Prepare("SELECT v FROM t WHERE k = ?1");
  ASSERT_OK(get);
  ASSERT_OK(get->Bind("a"));
  ASSERT_THAT(get->Step(), testing::IsOkAndHolds(true));
  EXPECT_EQ(get->Int(0), 1);
  ASSERT_OK(get->Bind("b"));  // mid-result: Bind resets first
  ASSERT_THAT(get->Step(), testing::IsOkAndHolds(true));
  EXPECT_EQ(get->Int(0), 2);
}

TEST_F(DatabaseTest, ErrorsNameTheFileAndTheStatementOnOneLine) {
  const auto path = Path("e.db");
  auto db = OpenOrDie(path);
  ASSERT_OK(db->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER CHECK (v > 0))"));
  Result<Statement> insert = db->Prepare("INSERT INTO t\n  (k, v)\n  VALUES (?1, ?2)");
  ASSERT_OK(insert);
  ASSERT_OK(insert->Run("a", 1));

  Status dup = insert->Run("a", 2);
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup.ToString();
  EXPECT_THAT(dup.message(), HasSubstr("UNIQUE constraint failed: t.k (database " + path.string() +
                                       ", statement INSERT INTO t (k, v) VALUES (?1, ?2))"));
  EXPECT_THAT(dup.message(), Not(HasSubstr("\n")));

  Status check = insert->Run("b", -1);
  EXPECT_EQ(check.code(), StatusCode::kInvalidArgument) << check.ToString();
  EXPECT_THAT(check.message(), HasSubstr("CHECK constraint failed"));

  Result<Statement> bad = db->Prepare("SELEKT 1");
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("(database " + path.string() + ", statement SELEKT 1)"));

  EXPECT_THAT(db->Exec("DROP TABLE nope"),
              testing::StatusHasMessage("no such table: nope (database " + path.string() +
                                        ", statement DROP TABLE nope)"));
}

TEST_F(DatabaseTest, GarbageIsCorruption) {
  const auto path = Path("garbage.db");
  std::ofstream(path) << std::string(4096, 'x');
  // Read-write: the first pragma reads the header.
  Result<std::unique_ptr<Database>> rw = Database::Open(path, {});
  EXPECT_EQ(rw.status().code(), StatusCode::kCorruption) << rw.status().ToString();
  EXPECT_THAT(rw.status().message(), HasSubstr("file is not a database"));
  // Read-only opens lazily: the first statement finds out.
  auto ro = OpenOrDie(path, {.read_only = true});
  ASSERT_NE(ro, nullptr);
  Status status = ro->Exec("SELECT * FROM sqlite_master");
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.ToString();
}

TEST_F(DatabaseTest, MissingFileReadOnlyOrWithoutCreateFails) {
  Result<std::unique_ptr<Database>> ro = Database::Open(Path("none.db"), {.read_only = true});
  EXPECT_EQ(ro.status().code(), StatusCode::kIoError);
  EXPECT_THAT(ro.status().message(), HasSubstr(Path("none.db").string()));
  Result<std::unique_ptr<Database>> nc = Database::Open(Path("none.db"), {.create = false});
  EXPECT_EQ(nc.status().code(), StatusCode::kIoError);
  EXPECT_FALSE(std::filesystem::exists(Path("none.db")));
}

TEST_F(DatabaseTest, WalAndPragmasFromOptions) {
  const auto path = Path("w.db");
  {
    auto db =
        OpenOrDie(path, {.wal = true, .synchronous = Synchronous::kNormal, .foreign_keys = true});
    EXPECT_THAT(db->JournalMode(), testing::IsOkAndHolds(std::string("wal")));
    Result<Statement> sync = db->Prepare("PRAGMA synchronous");
    ASSERT_OK(sync);
    ASSERT_THAT(sync->Step(), testing::IsOkAndHolds(true));
    EXPECT_EQ(sync->Int(0), 1);  // NORMAL
    Result<Statement> fk = db->Prepare("PRAGMA foreign_keys");
    ASSERT_OK(fk);
    ASSERT_THAT(fk->Step(), testing::IsOkAndHolds(true));
    EXPECT_EQ(fk->Int(0), 1);
  }
  auto db = OpenOrDie(path, {.synchronous = Synchronous::kFull});
  EXPECT_THAT(db->JournalMode(), testing::IsOkAndHolds(std::string("wal")));  // persistent
  Result<Statement> sync = db->Prepare("PRAGMA synchronous");
  ASSERT_OK(sync);
  ASSERT_THAT(sync->Step(), testing::IsOkAndHolds(true));
  EXPECT_EQ(sync->Int(0), 2);  // FULL
}

TEST_F(DatabaseTest, ReadOnlyConnectionRefusesWrites) {
  const auto path = Path("r.db");
  ASSERT_OK(OpenOrDie(path)->Exec("CREATE TABLE t (v)"));
  auto db = OpenOrDie(path, {.read_only = true});
  EXPECT_TRUE(db->read_only());
  Status status = db->Exec("INSERT INTO t VALUES (1)");
  EXPECT_EQ(status.code(), StatusCode::kIoError) << status.ToString();
}

int64_t CountRows(const Database& db) {
  Result<Statement> count = db.Prepare("SELECT count(*) FROM t");
  EXPECT_OK(count);
  EXPECT_THAT(count->Step(), testing::IsOkAndHolds(true));
  return count->Int(0);
}

TEST_F(DatabaseTest, TransactionCommits) {
  auto db = OpenOrDie(Path("t.db"));
  ASSERT_OK(db->Exec("CREATE TABLE t (v)"));
  Result<Transaction> txn = Transaction::Begin(*db);
  ASSERT_OK(txn);
  EXPECT_TRUE(db->InTransaction());
  ASSERT_OK(db->Exec("INSERT INTO t VALUES (1)"));
  ASSERT_OK(txn->Commit());
  EXPECT_FALSE(db->InTransaction());
  EXPECT_EQ(CountRows(*db), 1);
  EXPECT_EQ(txn->Commit().code(), StatusCode::kFailedPrecondition);  // already ended
}

TEST_F(DatabaseTest, TransactionRollsBackWhenDestroyedUncommitted) {
  auto db = OpenOrDie(Path("t.db"));
  ASSERT_OK(db->Exec("CREATE TABLE t (v)"));
  {
    Result<Transaction> txn = Transaction::Begin(*db, Transaction::Mode::kDeferred);
    ASSERT_OK(txn);
    ASSERT_OK(db->Exec("INSERT INTO t VALUES (1)"));
  }
  EXPECT_FALSE(db->InTransaction());
  EXPECT_EQ(CountRows(*db), 0);
  {
    Result<Transaction> txn = Transaction::Begin(*db);
    ASSERT_OK(txn);
    ASSERT_OK(db->Exec("INSERT INTO t VALUES (1)"));
    txn->Rollback();
    EXPECT_FALSE(db->InTransaction());
  }
  EXPECT_EQ(CountRows(*db), 0);
}

TEST_F(DatabaseTest, SecondWriterTransactionIsUnavailable) {
  const auto path = Path("busy.db");
  auto first = OpenOrDie(path, {.wal = true});
  ASSERT_OK(first->Exec("CREATE TABLE t (v)"));
  auto second = OpenOrDie(path, {.busy_timeout = std::chrono::milliseconds(0)});
  Result<Transaction> held = Transaction::Begin(*first);
  ASSERT_OK(held);
  Result<Transaction> refused = Transaction::Begin(*second);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();
  EXPECT_THAT(refused.status().message(), HasSubstr("BEGIN IMMEDIATE"));
  ASSERT_OK(held->Commit());
  Result<Transaction> now = Transaction::Begin(*second);
  EXPECT_OK(now);
}

}  // namespace
}  // namespace dolphin::sqlite
