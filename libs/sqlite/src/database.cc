// The SQLite layer (database.h). Errors are built only on failure paths: a cached statement's
// Run() on the hot path is bind + step + reset and nothing else.
#include "dolphin/sqlite/database.h"

#include <sqlite3.h>

#include <utility>

#include <fmt/format.h>

namespace dolphin::sqlite {

namespace {

// How much of a statement an error message shows.
constexpr size_t kShortSqlChars = 60;

}  // namespace

StatusCode StatusCodeOf(int sqlite_rc) {
  switch (sqlite_rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return sqlite_rc == SQLITE_CONSTRAINT_UNIQUE || sqlite_rc == SQLITE_CONSTRAINT_PRIMARYKEY
                 ? StatusCode::kAlreadyExists
                 : StatusCode::kInvalidArgument;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return StatusCode::kCorruption;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PERM:
    case SQLITE_READONLY: return StatusCode::kIoError;
    default: return StatusCode::kInternal;
  }
}

std::string ShortSql(std::string_view sql) {
  std::string out;
  bool space = false;
  for (const char c : sql) {
    const bool is_space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (is_space) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
    if (out.size() >= kShortSqlChars) {
      out += "...";
      break;
    }
  }
  return out;
}

// --- Statement ---

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  std::swap(db_, other.db_);
  std::swap(stmt_, other.stmt_);
  return *this;
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(rc);
}

void Statement::Reset() { sqlite3_reset(stmt_); }

Status Statement::StepAndReset() {
  const int rc = sqlite3_step(stmt_);
  // The message is read before the reset, which keeps it but is cheaper to reason about.
  Status status = rc == SQLITE_DONE || rc == SQLITE_ROW ? Status() : Error(rc);
  sqlite3_reset(stmt_);
  return status;
}

Status Statement::Error(int rc) const { return db_->Error(rc, ShortSql(sql())); }

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::Text(int col) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return text == nullptr ? std::string()
                         : std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

ColumnType Statement::Type(int col) const {
  switch (sqlite3_column_type(stmt_, col)) {
    case SQLITE_INTEGER: return ColumnType::kInteger;
    case SQLITE_FLOAT: return ColumnType::kReal;
    case SQLITE_TEXT: return ColumnType::kText;
    case SQLITE_BLOB: return ColumnType::kBlob;
    default: return ColumnType::kNull;
  }
}

std::string_view Statement::sql() const {
  const char* text = stmt_ == nullptr ? nullptr : sqlite3_sql(stmt_);
  return text == nullptr ? std::string_view() : std::string_view(text);
}

int Statement::BindInt(int index, int64_t value) {
  return sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
}

int Statement::BindDouble(int index, double value) {
  return sqlite3_bind_double(stmt_, index, value);
}

int Statement::BindText(int index, std::string_view text) {
  return sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

int Statement::BindNull(int index) { return sqlite3_bind_null(stmt_, index); }

// --- Database ---

Database::Database(std::filesystem::path path, sqlite3* db, bool read_only)
    : path_(std::move(path)), db_(db), read_only_(read_only) {}

Database::~Database() {
  // The cached statements first: a connection with live statements does not close.
  begin_immediate_ = Statement();
  begin_deferred_ = Statement();
  commit_ = Statement();
  rollback_ = Statement();
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Database>> Database::Open(const std::filesystem::path& path,
                                                 const DatabaseOptions& options) {
  int flags = SQLITE_OPEN_NOMUTEX;  // one thread at a time (database.h)
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0);
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    // A failed open may or may not leave a handle; either way it must be closed.
    Status status(
        StatusCodeOf(rc),
        fmt::format("cannot open: {} (database {})",
                    raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc), path.string()));
    sqlite3_close_v2(raw);
    return status;
  }
  std::unique_ptr<Database> db(new Database(path, raw, options.read_only));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(
      raw,
      static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(options.busy_timeout).count()));
  if (options.read_only) return db;
  if (options.wal) DOLPHIN_RETURN_IF_ERROR(db->EnableWal());
  DOLPHIN_RETURN_IF_ERROR(db->Exec(options.synchronous == Synchronous::kFull
                                       ? "PRAGMA synchronous = FULL"
                                       : "PRAGMA synchronous = NORMAL"));
  if (options.foreign_keys) DOLPHIN_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  return db;
}

Result<Statement> Database::Prepare(std::string_view sql, Lifetime lifetime) const {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(
      db_, sql.data(), static_cast<int>(sql.size()),
      lifetime == Lifetime::kPersistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, ShortSql(sql));
  }
  return Statement(this, stmt);
}

Status Database::Exec(std::string_view sql) const {
  const std::string text(sql);  // sqlite3_exec wants a terminated string
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : Error(rc, ShortSql(sql));
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Result<std::string> Database::JournalMode() const {
  DOLPHIN_ASSIGN_OR_RETURN(Statement stmt, Prepare("PRAGMA journal_mode"));
  DOLPHIN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return InternalError(fmt::format("no journal_mode (database {})", path_.string()));
  return stmt.Text(0);
}

Status Database::EnableWal() const {
  DOLPHIN_ASSIGN_OR_RETURN(Statement wal, Prepare("PRAGMA journal_mode = WAL"));
  DOLPHIN_ASSIGN_OR_RETURN(bool row, wal.Step());
  const std::string mode = row ? wal.Text(0) : std::string();
  if (mode != "wal") {
    return FailedPreconditionError(fmt::format(
        "cannot switch to WAL mode (journal_mode stays {}) (database {})", mode, path_.string()));
  }
  return Status();
}

Status Database::Error(int rc, std::string_view what) const {
  // Called right after the failing call, so the connection's message describes `rc`.
  const char* message = sqlite3_errmsg(db_);
  // SQLite's words first, so that a caller's prefix ("scan 7: ") reads on into them.
  if (what.empty()) {
    return Status(StatusCodeOf(rc), fmt::format("{} (database {})", message, path_.string()));
  }
  return Status(StatusCodeOf(rc),
                fmt::format("{} (database {}, statement {})", message, path_.string(), what));
}

// --- Transaction ---

Result<Transaction> Transaction::Begin(Database& db, Mode mode) {
  Statement& begin = mode == Mode::kImmediate ? db.begin_immediate_ : db.begin_deferred_;
  if (!begin.prepared()) {
    DOLPHIN_ASSIGN_OR_RETURN(begin,
                             db.Prepare(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN",
                                        Database::Lifetime::kPersistent));
  }
  DOLPHIN_RETURN_IF_ERROR(begin.Run());
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() { Rollback(); }

Status Transaction::Commit() {
  if (db_ == nullptr) return FailedPreconditionError("transaction already ended");
  if (!db_->commit_.prepared()) {
    DOLPHIN_ASSIGN_OR_RETURN(db_->commit_, db_->Prepare("COMMIT", Database::Lifetime::kPersistent));
  }
  DOLPHIN_RETURN_IF_ERROR(db_->commit_.Run());  // still open on failure: the destructor rolls back
  db_ = nullptr;
  return Status();
}

void Transaction::Rollback() {
  if (db_ == nullptr) return;
  Database* db = std::exchange(db_, nullptr);
  // SQLite rolls back by itself after some errors (a full disk, say); otherwise we do.
  if (!db->InTransaction()) return;
  if (!db->rollback_.prepared()) {
    Result<Statement> rollback = db->Prepare("ROLLBACK", Database::Lifetime::kPersistent);
    if (!rollback.ok()) return;
    db->rollback_ = std::move(*rollback);
  }
  db->rollback_.Run().IgnoreError();
}

}  // namespace dolphin::sqlite
