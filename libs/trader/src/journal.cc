// The trader's journal on SQLite (journal.h; docs/journal.md has the schema).
//
// One connection per Journal. The writer holds "<journal>-lock" (flock) for its lifetime, so a
// second writer is refused instead of doubling orders, and it prepares its write statements
// once: a CommitScan is one BEGIN IMMEDIATE ... COMMIT over cached statements (plus one fsync
// of the WAL with sync = full). Readers open the file read-only and never take the lock; WAL
// lets them read while the writer commits.
#include "dolphin/trader/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <sqlite3.h>

namespace dolphin::trader {

namespace {

namespace fs = std::filesystem;

constexpr int64_t kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 5000;

// Created in one transaction with the meta rows. The comments stay in sqlite_master, where
// `sqlite3 <journal> .schema` shows them.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value NOT NULL  -- schema_version (integer), color (text)
);
-- Doubles live in untyped columns checked to hold a real: SQLite keeps the exact IEEE value
-- there, where a REAL column would store integral values as integers and lose the sign of -0.0.
-- NaN cannot be stored (SQLite turns it into NULL, which the checks refuse).
-- Timestamps are RFC 3339 text, UTC, six fraction digits (nine when the instant has
-- nanoseconds). `id` is commit order: listings are ordered by it.
CREATE TABLE intents (
  id INTEGER PRIMARY KEY,
  client_order_id TEXT NOT NULL UNIQUE,
  epoch INTEGER NOT NULL,
  scan_number INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  asset TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  qty NOT NULL CHECK (typeof(qty) = 'real'),
  reducing INTEGER NOT NULL CHECK (reducing IN (0, 1)),
  reason TEXT NOT NULL,
  ts TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'filled', 'cancelled')),
  status_reason TEXT NOT NULL,
  attempts INTEGER NOT NULL
);
CREATE TABLE fills (
  id INTEGER PRIMARY KEY,
  client_order_id TEXT NOT NULL UNIQUE REFERENCES intents (client_order_id),
  epoch INTEGER NOT NULL,
  scan_number INTEGER NOT NULL,
  asset TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  qty NOT NULL CHECK (typeof(qty) = 'real'),
  price NOT NULL CHECK (typeof(price) = 'real'),
  fee NOT NULL CHECK (typeof(fee) = 'real'),
  realized_pnl NOT NULL CHECK (typeof(realized_pnl) = 'real'),
  ts TEXT NOT NULL
);
CREATE TABLE processed (
  id INTEGER PRIMARY KEY,
  epoch INTEGER NOT NULL,
  scan_number INTEGER NOT NULL,
  scan_ts TEXT NOT NULL,
  file TEXT NOT NULL,
  posture TEXT NOT NULL CHECK (posture IN ('APEX', 'STALKER', 'TURTLE', 'HIBERNATE')),
  rm NOT NULL CHECK (typeof(rm) = 'real'),
  posture_stale INTEGER NOT NULL CHECK (posture_stale IN (0, 1)),
  halted INTEGER NOT NULL CHECK (halted IN (0, 1)),
  flatten INTEGER NOT NULL CHECK (flatten IN (0, 1)),
  stale INTEGER NOT NULL CHECK (stale IN (0, 1)),
  outcome TEXT NOT NULL CHECK (outcome IN ('processed', 'stale')),
  signal TEXT NOT NULL,
  processed_at TEXT NOT NULL,
  UNIQUE (epoch, scan_number)
);
CREATE TABLE gaps (
  id INTEGER PRIMARY KEY,
  epoch INTEGER NOT NULL,
  from_scan INTEGER NOT NULL,
  to_scan INTEGER NOT NULL,
  detected_at TEXT NOT NULL,
  CHECK (from_scan <= to_scan)
);
CREATE TABLE snapshot (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL,  -- the scan after which it was taken
  scan_number INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE control_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  halted INTEGER NOT NULL CHECK (halted IN (0, 1)),
  flatten INTEGER NOT NULL CHECK (flatten IN (0, 1))
);
CREATE TABLE controls (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL
);
)sql";

// Re-committing an id re-opens it, except a filled one: that would be a second order.
constexpr const char* kUpsertIntent = R"sql(
INSERT INTO intents (client_order_id, epoch, scan_number, seq, asset, side, qty, reducing, reason,
                     ts, status, status_reason, attempts)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open', '', 1)
ON CONFLICT (client_order_id) DO UPDATE
  SET status = 'open', status_reason = '', attempts = attempts + 1
  WHERE status <> 'filled'
)sql";
// Only open intents: a filled one stays filled, a cancelled one keeps its first reason.
constexpr const char* kCancelIntent =
    "UPDATE intents SET status = 'cancelled', status_reason = ?2 "
    "WHERE client_order_id = ?1 AND status = 'open'";
constexpr const char* kFillIntent =
    "UPDATE intents SET status = 'filled', status_reason = '' WHERE client_order_id = ?1";
constexpr const char* kInsertFill = R"sql(
INSERT INTO fills (client_order_id, epoch, scan_number, asset, side, qty, price, fee,
                   realized_pnl, ts)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
)sql";
constexpr const char* kInsertProcessed = R"sql(
INSERT INTO processed (epoch, scan_number, scan_ts, file, posture, rm, posture_stale, halted,
                       flatten, stale, outcome, signal, processed_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
)sql";
constexpr const char* kInsertGap =
    "INSERT INTO gaps (epoch, from_scan, to_scan, detected_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kReplaceSnapshot =
    "REPLACE INTO snapshot (id, epoch, scan_number, json) VALUES (1, ?1, ?2, ?3)";
constexpr const char* kReplaceControlState =
    "REPLACE INTO control_state (id, halted, flatten) VALUES (1, ?1, ?2)";
constexpr const char* kInsertControl =
    "INSERT INTO controls (ts, action, detail) VALUES (?1, ?2, ?3)";

// The same column order as kInsertProcessed, for ReadProcessed.
constexpr const char* kSelectProcessed =
    "SELECT epoch, scan_number, scan_ts, file, posture, rm, posture_stale, halted, flatten, "
    "stale, outcome, signal, processed_at FROM processed";

// RFC 3339 as dolphin writes it (microseconds), with three more fraction digits when the
// instant has sub-microsecond nanoseconds, so that every Timestamp reads back exactly.
std::string TimeText(Timestamp ts) {
  std::string text = FormatRfc3339(ts);
  const int64_t nanos = (ts.UnixNanos() % 1000 + 1000) % 1000;
  if (nanos != 0) text.insert(text.size() - 6, fmt::format("{:03d}", nanos));  // before +00:00
  return text;
}

StatusCode CodeOf(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
                 ? StatusCode::kAlreadyExists
                 : StatusCode::kInvalidArgument;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruption;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return StatusCode::kIoError;
    default:
      return StatusCode::kInternal;
  }
}

// `db` may be null (a failed open without a handle).
Status SqliteError(sqlite3* db, int rc) {
  return Status(CodeOf(rc), db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

Status InFile(const fs::path& path, const Status& status) {
  return status.WithPrefix(fmt::format("journal {}", path.string()));
}

template <typename T>
Result<T> InFile(const fs::path& path, Result<T> result) {
  if (!result.ok()) return InFile(path, result.status());
  return result;
}

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

// A prepared statement. Run() binds its arguments to ?1, ?2, ... and steps to the end; a
// SELECT is stepped with Step() and read with the column getters.
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

  // Binds, executes and resets (so a cached statement holds no lock between uses).
  template <typename... Values>
  Status Run(const Values&... values) {
    DOLPHIN_RETURN_IF_ERROR(Bind(values...));
    const int rc = sqlite3_step(stmt_.get());
    Status status = rc == SQLITE_DONE || rc == SQLITE_ROW ? Status() : SqliteError(db(), rc);
    sqlite3_reset(stmt_.get());
    return status;
  }

  template <typename... Values>
  Status Bind(const Values&... values) {
    int index = 0;
    int rc = SQLITE_OK;
    ((rc = rc == SQLITE_OK ? BindOne(++index, values) : rc), ...);  // stops at the first error
    return rc == SQLITE_OK ? Status() : SqliteError(db(), rc);
  }

  // True when a row is ready, false at the end.
  Result<bool> Step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db(), rc);
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  bool Bool(int col) const { return Int(col) != 0; }
  double Double(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  int Type(int col) const { return sqlite3_column_type(stmt_.get(), col); }
  std::string Text(int col) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
    return text == nullptr ? std::string()
                           : std::string(text, sqlite3_column_bytes(stmt_.get(), col));
  }
  Result<Timestamp> Time(int col) const { return ParseRfc3339(Text(col)); }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };

  sqlite3* db() const { return sqlite3_db_handle(stmt_.get()); }

  int BindText(int index, std::string_view text) {
    return sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  }

  template <typename T>
  int BindOne(int index, const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      return sqlite3_bind_int(stmt_.get(), index, value ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      return sqlite3_bind_int64(stmt_.get(), index, static_cast<sqlite3_int64>(value));
    } else if constexpr (std::is_same_v<T, double>) {
      return sqlite3_bind_double(stmt_.get(), index, value);
    } else if constexpr (std::is_same_v<T, Timestamp>) {
      return BindText(index, TimeText(value));
    } else if constexpr (std::is_same_v<T, Side>) {
      return BindText(index, SideName(value));
    } else if constexpr (std::is_same_v<T, Posture>) {
      return BindText(index, PostureName(value));
    } else {
      return BindText(index, std::string_view(value));
    }
  }

  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

// `persistent` tells SQLite the statement is cached for the connection's lifetime.
Result<Statement> Prepare(sqlite3* db, std::string_view sql, bool persistent = false) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc);
  return Statement(stmt);
}

Status Exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : SqliteError(db, rc);
}

Result<DbHandle> OpenDb(const fs::path& path, int flags) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a Journal is used by one thread at a time (journal.h).
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  return db;
}

// The colour of the journal in `db`, or nullopt for an empty database (a new journal). Any
// other database, or a schema newer than this build's, is an error.
Result<std::optional<std::string>> ReadColor(sqlite3* db) {
  DOLPHIN_ASSIGN_OR_RETURN(
      Statement tables,
      Prepare(db, "SELECT count(*), count(*) FILTER (WHERE name = 'meta') FROM sqlite_master"));
  DOLPHIN_RETURN_IF_ERROR(tables.Step().status());
  if (tables.Int(0) == 0) return std::optional<std::string>();
  if (tables.Int(1) == 0) {
    return FailedPreconditionError("not a journal (a SQLite database without a meta table)");
  }
  DOLPHIN_ASSIGN_OR_RETURN(Statement meta,
                           Prepare(db,
                                   "SELECT (SELECT value FROM meta WHERE key = 'schema_version'), "
                                   "(SELECT value FROM meta WHERE key = 'color')"));
  DOLPHIN_RETURN_IF_ERROR(meta.Step().status());
  if (meta.Type(0) != SQLITE_INTEGER || meta.Type(1) != SQLITE_TEXT) {
    return FailedPreconditionError(
        "not a journal (meta has no integer schema_version and text color)");
  }
  const int64_t version = meta.Int(0);
  if (version > kSchemaVersion) {
    return FailedPreconditionError(fmt::format(
        "schema version {} is newer than this build reads ({})", version, kSchemaVersion));
  }
  if (version < 1) return CorruptionError(fmt::format("bad schema version {}", version));
  return std::optional<std::string>(meta.Text(1));
}

// Creates the schema in a new file, or checks the colour of an existing journal. One
// transaction: a crash leaves an empty file, never half a journal.
Status CreateOrCheck(sqlite3* db, const std::string& color) {
  DOLPHIN_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  Status status = [&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(std::optional<std::string> found, ReadColor(db));
    if (found) {
      if (*found == color) return Status();
      return FailedPreconditionError(
          fmt::format("the journal of colour {}, not {}", *found, color));
    }
    DOLPHIN_RETURN_IF_ERROR(Exec(db, kSchema));
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement meta,
        Prepare(db, "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('color', ?2)"));
    return meta.Run(kSchemaVersion, color);
  }();
  if (status.ok()) status = Exec(db, "COMMIT");
  if (!status.ok() && sqlite3_get_autocommit(db) == 0) Exec(db, "ROLLBACK").IgnoreError();
  return status;
}

// An open file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// The writer's claim on a journal: flock on "<journal>-lock", released when the fd closes
// (also when the process dies). SQLite's own locks only serialise transactions; two writers
// would both re-open and send the same intents.
Result<UniqueFd> LockWriter(const fs::path& journal) {
  const std::string lock_path = journal.string() + "-lock";
  UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    const int err = errno;
    return ErrnoError(fmt::format("cannot open {}", lock_path), err);
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      return FailedPreconditionError(
          fmt::format("another writer has it open ({} is locked)", lock_path));
    }
    return ErrnoError(fmt::format("cannot lock {}", lock_path), err);
  }
  return fd;
}

Result<ProcessedScan> ReadProcessed(const Statement& row) {
  ProcessedScan p;
  p.epoch = row.Int(0);
  p.scan_number = row.Int(1);
  DOLPHIN_ASSIGN_OR_RETURN(p.scan_ts, row.Time(2));
  p.file = row.Text(3);
  DOLPHIN_ASSIGN_OR_RETURN(p.context.posture, ParsePosture(row.Text(4)));
  p.context.rm = row.Double(5);
  p.context.posture_stale = row.Bool(6);
  p.context.halted = row.Bool(7);
  p.context.flatten = row.Bool(8);
  p.context.stale = row.Bool(9);
  p.outcome = row.Text(10);
  p.signal = row.Text(11);
  DOLPHIN_ASSIGN_OR_RETURN(p.processed_at, row.Time(12));
  return p;
}

class JournalImpl final : public Journal {
 public:
  JournalImpl(fs::path path, UniqueFd writer_lock, DbHandle db, bool read_only)
      : path_(std::move(path)),
        read_only_(read_only),
        writer_lock_(std::move(writer_lock)),
        db_(std::move(db)) {}

  // Prepares the cached write statements (writer only).
  Status PrepareWrites() {
    struct Cached {
      Statement* stmt;
      const char* sql;
    };
    for (const Cached& c : {Cached{&begin_, "BEGIN IMMEDIATE"},
                            Cached{&commit_, "COMMIT"},
                            Cached{&rollback_, "ROLLBACK"},
                            Cached{&upsert_intent_, kUpsertIntent},
                            Cached{&cancel_intent_, kCancelIntent},
                            Cached{&fill_intent_, kFillIntent},
                            Cached{&insert_fill_, kInsertFill},
                            Cached{&insert_processed_, kInsertProcessed},
                            Cached{&insert_gap_, kInsertGap},
                            Cached{&replace_snapshot_, kReplaceSnapshot},
                            Cached{&replace_control_state_, kReplaceControlState},
                            Cached{&insert_control_, kInsertControl}}) {
      DOLPHIN_ASSIGN_OR_RETURN(*c.stmt, Prepare(db_.get(), c.sql, /*persistent=*/true));
    }
    return Status();
  }

  Status CommitIntents(std::span<const OrderIntent> intents) override {
    return InFile(path_, Transaction([&]() -> Status {
      for (const OrderIntent& in : intents) {
        Status status = upsert_intent_.Run(in.client_order_id, in.epoch, in.scan_number, in.seq,
                                           in.asset, in.side, in.qty, in.reducing, in.reason,
                                           in.ts);
        if (!status.ok()) return status.WithPrefix(fmt::format("intent {}", in.client_order_id));
        if (sqlite3_changes(db_.get()) == 0) {
          return FailedPreconditionError(fmt::format(
              "intent {} is already filled; re-committing it would send it again",
              in.client_order_id));
        }
      }
      return Status();
    }));
  }

  Status CommitScan(const ScanCommit& commit) override {
    return InFile(path_, Transaction([&]() -> Status {
      for (const Fill& fill : commit.fills) DOLPHIN_RETURN_IF_ERROR(WriteFill(fill));
      const ProcessedScan& p = commit.processed;
      const ScanContext& c = p.context;
      Status status = insert_processed_.Run(p.epoch, p.scan_number, p.scan_ts, p.file, c.posture,
                                            c.rm, c.posture_stale, c.halted, c.flatten, c.stale,
                                            p.outcome, p.signal, p.processed_at);
      if (!status.ok()) {
        const std::string scan = fmt::format("scan {} of epoch {}", p.scan_number, p.epoch);
        if (status.code() == StatusCode::kAlreadyExists) {
          return AlreadyExistsError(scan + " is already journaled");
        }
        return status.WithPrefix(scan);
      }
      if (commit.gap) {
        const Gap& g = *commit.gap;
        status = insert_gap_.Run(g.epoch, g.from_scan, g.to_scan, g.detected_at);
        if (!status.ok()) {
          return status.WithPrefix(
              fmt::format("gap {}..{} of epoch {}", g.from_scan, g.to_scan, g.epoch));
        }
      }
      status = replace_snapshot_.Run(p.epoch, p.scan_number, commit.snapshot_json);
      if (!status.ok()) return status.WithPrefix("snapshot");
      return WriteControls(commit.controls, commit.control_event);
    }));
  }

  Status CancelIntents(std::span<const std::string> client_order_ids,
                       std::string_view reason) override {
    return InFile(path_, Transaction([&]() -> Status {
      for (const std::string& id : client_order_ids) {
        Status status = cancel_intent_.Run(id, reason);
        if (!status.ok()) return status.WithPrefix(fmt::format("intent {}", id));
      }
      return Status();
    }));
  }

  Status RecordControl(const ControlEvent& event, const ControlState& state) override {
    return InFile(path_, Transaction([&] { return WriteControls(state, event); }));
  }

  Result<std::optional<std::string>> LoadSnapshot() override {
    return InFile(path_, [&]() -> Result<std::optional<std::string>> {
      DOLPHIN_ASSIGN_OR_RETURN(Statement stmt,
                               Prepare(db_.get(), "SELECT json FROM snapshot WHERE id = 1"));
      DOLPHIN_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) return std::optional<std::string>();
      return std::optional<std::string>(stmt.Text(0));
    }());
  }

  Result<ControlState> LoadControlState() override {
    return InFile(path_, [&]() -> Result<ControlState> {
      DOLPHIN_ASSIGN_OR_RETURN(
          Statement stmt,
          Prepare(db_.get(), "SELECT halted, flatten FROM control_state WHERE id = 1"));
      DOLPHIN_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) return ControlState{};
      return ControlState{.halted = stmt.Bool(0), .flatten = stmt.Bool(1)};
    }());
  }

  Result<std::optional<ProcessedScan>> LastProcessed() override {
    DOLPHIN_ASSIGN_OR_RETURN(
        std::vector<ProcessedScan> last,
        List<ProcessedScan>(std::string(kSelectProcessed) + " ORDER BY id DESC LIMIT 1",
                            ReadProcessed));
    if (last.empty()) return std::optional<ProcessedScan>();
    return std::optional<ProcessedScan>(std::move(last.front()));
  }

  Result<std::vector<IntentRow>> Intents() override {
    return List<IntentRow>(
        "SELECT client_order_id, epoch, scan_number, seq, asset, side, qty, reducing, reason, ts, "
        "status, status_reason, attempts FROM intents ORDER BY id",
        [](const Statement& row) -> Result<IntentRow> {
          IntentRow r;
          OrderIntent& in = r.intent;
          in.client_order_id = row.Text(0);
          in.epoch = row.Int(1);
          in.scan_number = row.Int(2);
          in.seq = static_cast<int>(row.Int(3));
          in.asset = row.Text(4);
          DOLPHIN_ASSIGN_OR_RETURN(in.side, ParseSide(row.Text(5)));
          in.qty = row.Double(6);
          in.reducing = row.Bool(7);
          in.reason = row.Text(8);
          DOLPHIN_ASSIGN_OR_RETURN(in.ts, row.Time(9));
          r.status = row.Text(10);
          r.status_reason = row.Text(11);
          r.attempts = static_cast<int>(row.Int(12));
          return r;
        });
  }

  Result<std::vector<Fill>> Fills() override {
    return List<Fill>(
        "SELECT client_order_id, epoch, scan_number, asset, side, qty, price, fee, realized_pnl, "
        "ts FROM fills ORDER BY id",
        [](const Statement& row) -> Result<Fill> {
          Fill f;
          f.client_order_id = row.Text(0);
          f.epoch = row.Int(1);
          f.scan_number = row.Int(2);
          f.asset = row.Text(3);
          DOLPHIN_ASSIGN_OR_RETURN(f.side, ParseSide(row.Text(4)));
          f.qty = row.Double(5);
          f.price = row.Double(6);
          f.fee = row.Double(7);
          f.realized_pnl = row.Double(8);
          DOLPHIN_ASSIGN_OR_RETURN(f.ts, row.Time(9));
          return f;
        });
  }

  Result<std::vector<ProcessedScan>> Processed() override {
    return List<ProcessedScan>(std::string(kSelectProcessed) + " ORDER BY id", ReadProcessed);
  }

  Result<std::vector<Gap>> Gaps() override {
    return List<Gap>("SELECT epoch, from_scan, to_scan, detected_at FROM gaps ORDER BY id",
                     [](const Statement& row) -> Result<Gap> {
                       Gap g;
                       g.epoch = row.Int(0);
                       g.from_scan = row.Int(1);
                       g.to_scan = row.Int(2);
                       DOLPHIN_ASSIGN_OR_RETURN(g.detected_at, row.Time(3));
                       return g;
                     });
  }

  Result<std::vector<ControlEvent>> Controls() override {
    return List<ControlEvent>("SELECT id, ts, action, detail FROM controls ORDER BY id",
                              [](const Statement& row) -> Result<ControlEvent> {
                                ControlEvent e;
                                e.id = row.Int(0);
                                DOLPHIN_ASSIGN_OR_RETURN(e.ts, row.Time(1));
                                e.action = row.Text(2);
                                e.detail = row.Text(3);
                                return e;
                              });
  }

  Result<JournalCounts> Counts() override {
    // One statement, so every count comes from the same snapshot of the file.
    DOLPHIN_ASSIGN_OR_RETURN(
        std::vector<JournalCounts> counts,
        List<JournalCounts>(
            "SELECT (SELECT count(*) FROM processed WHERE outcome = 'processed'), "
            "(SELECT count(*) FROM processed WHERE outcome = 'stale'), "
            "(SELECT coalesce(sum(to_scan - from_scan + 1), 0) FROM gaps), "
            "(SELECT count(*) FROM intents), "
            "(SELECT count(*) FROM intents WHERE status = 'open'), "
            "(SELECT count(*) FROM fills)",
            [](const Statement& row) -> Result<JournalCounts> {
              return JournalCounts{.processed = row.Int(0),
                                   .stale = row.Int(1),
                                   .missed_scans = row.Int(2),
                                   .intents = row.Int(3),
                                   .open_intents = row.Int(4),
                                   .fills = row.Int(5)};
            }));
    return counts.front();
  }

  const fs::path& path() const override { return path_; }

 private:
  // Runs `body` between BEGIN IMMEDIATE and COMMIT; on any error nothing of it is written.
  template <typename Body>
  Status Transaction(Body&& body) {
    if (read_only_) return FailedPreconditionError("opened read-only");
    DOLPHIN_RETURN_IF_ERROR(begin_.Run());
    Status status = body();
    if (status.ok()) status = commit_.Run();
    // SQLite rolls back by itself after some errors (a full disk, say); otherwise we do.
    if (!status.ok() && sqlite3_get_autocommit(db_.get()) == 0) rollback_.Run().IgnoreError();
    return status;
  }

  // The fill's intent becomes "filled" (even when reconciliation had cancelled it: the venue
  // did fill it); a fill without an intent breaks the intent-before-order rule.
  Status WriteFill(const Fill& f) {
    Status status = fill_intent_.Run(f.client_order_id);
    if (status.ok() && sqlite3_changes(db_.get()) == 0) {
      return FailedPreconditionError(fmt::format("fill for {} has no intent", f.client_order_id));
    }
    if (status.ok()) {
      status = insert_fill_.Run(f.client_order_id, f.epoch, f.scan_number, f.asset, f.side, f.qty,
                                f.price, f.fee, f.realized_pnl, f.ts);
    }
    if (status.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError(
          fmt::format("a fill for {} is already journaled", f.client_order_id));
    }
    return status.WithPrefix(fmt::format("fill for {}", f.client_order_id));
  }

  Status WriteControls(const std::optional<ControlState>& state,
                       const std::optional<ControlEvent>& event) {
    if (state) {
      Status status = replace_control_state_.Run(state->halted, state->flatten);
      if (!status.ok()) return status.WithPrefix("control state");
    }
    if (event) {
      Status status = insert_control_.Run(event->ts, event->action, event->detail);
      if (!status.ok()) return status.WithPrefix(fmt::format("control {}", event->action));
    }
    return Status();
  }

  // Runs a SELECT and converts every row with `read_row` (a Statement -> Result<T>).
  template <typename T, typename ReadRow>
  Result<std::vector<T>> List(const std::string& sql, ReadRow read_row) {
    return InFile(path_, [&]() -> Result<std::vector<T>> {
      DOLPHIN_ASSIGN_OR_RETURN(Statement stmt, Prepare(db_.get(), sql));
      std::vector<T> rows;
      while (true) {
        DOLPHIN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
        if (!has_row) return rows;
        DOLPHIN_ASSIGN_OR_RETURN(T row, read_row(stmt));
        rows.push_back(std::move(row));
      }
    }());
  }

  const fs::path path_;
  const bool read_only_;
  UniqueFd writer_lock_;  // released after the connection closes (members die in reverse order)
  DbHandle db_;           // outlives the statements below
  Statement begin_, commit_, rollback_;
  Statement upsert_intent_, cancel_intent_, fill_intent_, insert_fill_, insert_processed_,
      insert_gap_, replace_snapshot_, replace_control_state_, insert_control_;
};

Result<std::unique_ptr<Journal>> OpenWriter(const fs::path& path, const JournalOptions& options) {
  if (options.color.empty()) return InvalidArgumentError("empty colour");
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return IoError(
          fmt::format("cannot create folder {}: {}", path.parent_path().string(), ec.message()));
    }
  }
  DOLPHIN_ASSIGN_OR_RETURN(UniqueFd lock, LockWriter(path));
  DOLPHIN_ASSIGN_OR_RETURN(DbHandle db, OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  DOLPHIN_RETURN_IF_ERROR(CreateOrCheck(db.get(), options.color));
  DOLPHIN_ASSIGN_OR_RETURN(Statement wal, Prepare(db.get(), "PRAGMA journal_mode = WAL"));
  DOLPHIN_RETURN_IF_ERROR(wal.Step().status());
  if (wal.Text(0) != "wal") {
    return FailedPreconditionError(
        fmt::format("cannot switch to WAL mode (journal_mode stays {})", wal.Text(0)));
  }
  DOLPHIN_RETURN_IF_ERROR(Exec(db.get(), options.sync == JournalSync::kFull
                                             ? "PRAGMA synchronous = FULL"
                                             : "PRAGMA synchronous = NORMAL"));
  DOLPHIN_RETURN_IF_ERROR(Exec(db.get(), "PRAGMA foreign_keys = ON"));
  auto journal = std::make_unique<JournalImpl>(path, std::move(lock), std::move(db),
                                               /*read_only=*/false);
  DOLPHIN_RETURN_IF_ERROR(journal->PrepareWrites());
  return std::unique_ptr<Journal>(std::move(journal));
}

Result<std::unique_ptr<Journal>> OpenReader(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFoundError("no such file");
  DOLPHIN_ASSIGN_OR_RETURN(DbHandle db, OpenDb(path, SQLITE_OPEN_READONLY));
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<std::string> color, ReadColor(db.get()));
  if (!color) return FailedPreconditionError("not a journal (an empty file)");
  return std::unique_ptr<Journal>(
      std::make_unique<JournalImpl>(path, UniqueFd(), std::move(db), /*read_only=*/true));
}

// At open, a corruption error from SQLite means garbage or a damaged journal: say so.
Result<std::unique_ptr<Journal>> OpenError(const fs::path& path,
                                           Result<std::unique_ptr<Journal>> opened) {
  if (opened.ok() || opened.status().code() != StatusCode::kCorruption) {
    return InFile(path, std::move(opened));
  }
  return InFile(path, opened.status().WithPrefix("not a readable journal"));
}

}  // namespace

Result<std::unique_ptr<Journal>> OpenJournal(const std::filesystem::path& path,
                                             JournalOptions options) {
  return OpenError(path, OpenWriter(path, options));
}

Result<std::unique_ptr<Journal>> OpenJournalReadOnly(const std::filesystem::path& path) {
  return OpenError(path, OpenReader(path));
}

}  // namespace dolphin::trader
