// sqlite::Database, Statement and Transaction: a small, Status-returning layer over one SQLite
// connection (docs/journal.md, "The SQLite layer").
//
//  - Database::Open opens (or creates) a file with the options every dolphin store wants: WAL,
//    PRAGMA synchronous FULL or NORMAL, foreign keys, a busy timeout, extended result codes.
//  - Statement is a prepared statement: Run() binds ?1, ?2, ... steps and resets; Step() and
//    the column getters read a SELECT. A statement prepared with kPersistent is meant to be
//    cached for the connection's lifetime (the hot path prepares nothing).
//  - Transaction is RAII: Begin() starts it, Commit() ends it, destruction without a commit
//    rolls back (unless SQLite already did, e.g. after a full disk).
//  - Every error is a Status whose code comes from StatusCodeOf(rc) and whose one-line message
//    is SQLite's, then the database file and the statement, e.g.
//    "UNIQUE constraint failed: fills.id (database /var/j.db, statement INSERT INTO fills ...)".
//    SQLite's words come first so that a caller's prefix ("fill for X: ") reads on into them.
//
// Thread-safety: a Database and its statements are used by one thread at a time (the connection
// is opened with SQLITE_OPEN_NOMUTEX). Other connections, in this process or others, may use the
// same file; WAL lets readers read while one writer commits.
// Ownership: Open returns the Database; a Statement or Transaction refers to its Database, which
// must outlive it (declare statements after the database they come from).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "dolphin/core/result.h"
#include "dolphin/core/status.h"
#include "dolphin/core/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace dolphin::sqlite {

// PRAGMA synchronous. kFull: every commit is durable when it returns (one fsync of the WAL per
// commit). kNormal: a power loss may lose the last commits, a process crash never does.
enum class Synchronous { kNormal, kFull };

struct DatabaseOptions {
  // Open the file read-only: it must exist; no pragma is written. Default: false.
  bool read_only = false;
  // Create the file when missing (read-write only). Default: true.
  bool create = true;
  // Switch the file to WAL journal mode (read-write only); Open fails when SQLite refuses.
  // Default: false (SQLite's rollback journal).
  bool wal = false;
  // PRAGMA synchronous (read-write only). Default: kFull.
  Synchronous synchronous = Synchronous::kFull;
  // PRAGMA foreign_keys = ON. Default: false (SQLite's default).
  bool foreign_keys = false;
  // How long a statement waits for another connection's lock before failing kUnavailable.
  // Default: 5 s.
  Duration busy_timeout = std::chrono::seconds(5);
};

// The StatusCode for a SQLite result code (primary or extended): BUSY/LOCKED -> kUnavailable,
// CONSTRAINT_UNIQUE/PRIMARYKEY -> kAlreadyExists, other CONSTRAINT -> kInvalidArgument,
// CORRUPT/NOTADB -> kCorruption, CANTOPEN/IOERR/FULL/PERM/READONLY -> kIoError, else kInternal.
StatusCode StatusCodeOf(int sqlite_rc);

// `sql` on one line (runs of whitespace become one space) and cut to about 60 characters, for
// error messages.
std::string ShortSql(std::string_view sql);

// The type of a column of the current row (sqlite3_column_type).
enum class ColumnType { kInteger, kReal, kText, kBlob, kNull };

class Database;

// A prepared statement. Move-only; finalized on destruction.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds `values` to ?1, ?2, ..., steps once (a row or the end are both success) and resets,
  // so that a cached statement holds no lock between uses. Values: bool, integers, double,
  // anything convertible to std::string_view (bound as UTF-8 text), nullptr (NULL), and
  // std::optional of any of these (nullopt binds NULL).
  template <typename... Values>
  Status Run(const Values&... values) {
    DOLPHIN_RETURN_IF_ERROR(Bind(values...));
    return StepAndReset();
  }

  // Resets the statement and binds `values` to ?1, ?2, ... (for a SELECT read with Step()).
  template <typename... Values>
  Status Bind(const Values&... values) {
    Reset();
    int index = 0;
    int rc = 0;                                             // SQLITE_OK
    ((rc = rc == 0 ? BindOne(++index, values) : rc), ...);  // stops at the first error
    return rc == 0 ? Status() : Error(rc);
  }

  // True when a row is ready, false at the end. REQUIRES: a prepared statement.
  Result<bool> Step();
  // Back to before the first row; bindings stay. (SQLite's reset repeats the last step's
  // error, which Step() already returned, so there is nothing to report.)
  void Reset();

  // Columns of the current row (after Step() returned true), 0-based.
  int64_t Int(int col) const;
  bool Bool(int col) const { return Int(col) != 0; }
  double Double(int col) const;
  std::string Text(int col) const;
  ColumnType Type(int col) const;

  // The SQL text as prepared.
  std::string_view sql() const;
  bool prepared() const { return stmt_ != nullptr; }

 private:
  friend class Database;
  Statement(const Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  Status StepAndReset();
  Status Error(int rc) const;

  int BindInt(int index, int64_t value);
  int BindDouble(int index, double value);
  int BindText(int index, std::string_view text);
  int BindNull(int index);

  template <typename T>
  struct IsOptional : std::false_type {};
  template <typename T>
  struct IsOptional<std::optional<T>> : std::true_type {};

  template <typename T>
  int BindOne(int index, const T& value) {
    if constexpr (IsOptional<T>::value) {  // nullopt is NULL
      return value ? BindOne(index, *value) : BindNull(index);
    } else if constexpr (std::is_same_v<T, bool>) {
      return BindInt(index, value ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      return BindInt(index, static_cast<int64_t>(value));
    } else if constexpr (std::is_floating_point_v<T>) {
      return BindDouble(index, static_cast<double>(value));
    } else if constexpr (std::is_null_pointer_v<T>) {
      return BindNull(index);
    } else {
      return BindText(index, std::string_view(value));
    }
  }

  const Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// One connection to one database file.
class Database {
 public:
  // Opens `path` with `options`. Fails (one Status naming the file) when the file cannot be
  // opened or created, when WAL is asked for and refused, or when a pragma fails.
  static Result<std::unique_ptr<Database>> Open(const std::filesystem::path& path,
                                                const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Prepares one statement. kPersistent tells SQLite it is cached for the connection's lifetime.
  enum class Lifetime { kOnce, kPersistent };
  Result<Statement> Prepare(std::string_view sql, Lifetime lifetime = Lifetime::kOnce) const;
  // Runs one or more statements that return no rows (schema, pragmas).
  Status Exec(std::string_view sql) const;

  // Rows changed by the last INSERT, UPDATE or DELETE that completed on this connection.
  int64_t Changes() const;
  // True between BEGIN and COMMIT/ROLLBACK (also false after SQLite rolled back by itself).
  bool InTransaction() const;
  // The journal_mode SQLite reports ("wal", "delete", ...).
  Result<std::string> JournalMode() const;
  // Switches the file to WAL mode (what DatabaseOptions::wal does at open), for a store that
  // first checks the file is its own: the switch writes to the file. Fails kFailedPrecondition
  // when SQLite keeps another mode.
  Status EnableWal() const;

  const std::filesystem::path& path() const { return path_; }
  bool read_only() const { return read_only_; }

  // The Status for SQLite result code `rc` on this connection: "<SQLite's message> (database
  // <path>, statement <what>)"; without the statement part when `what` is empty.
  Status Error(int rc, std::string_view what) const;

 private:
  friend class Transaction;
  Database(std::filesystem::path path, sqlite3* db, bool read_only);

  const std::filesystem::path path_;
  sqlite3* const db_;
  const bool read_only_;
  // BEGIN IMMEDIATE / BEGIN / COMMIT / ROLLBACK, prepared on first use.
  mutable Statement begin_immediate_, begin_deferred_, commit_, rollback_;
};

// A transaction on a Database: rolls back on destruction unless committed.
class Transaction {
 public:
  // kImmediate takes the write lock at BEGIN (a writer's choice: no deadlock on upgrade);
  // kDeferred takes locks as statements need them (a reader's consistent snapshot).
  enum class Mode { kImmediate, kDeferred };
  static Result<Transaction> Begin(Database& db, Mode mode = Mode::kImmediate);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // COMMIT. On failure the transaction is still open and destruction rolls it back.
  Status Commit();
  // ROLLBACK now (also when SQLite already rolled back: then it does nothing).
  void Rollback();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;  // null once committed, rolled back or moved from
};

}  // namespace dolphin::sqlite
