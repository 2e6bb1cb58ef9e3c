// The trader's journal on SQLite (journal.h; docs/journal.md has the schema).
//
// One connection per Journal. The writer holds "<journal>-lock" (flock) for its lifetime, so a
// second writer is refused instead of doubling orders, and it prepares its write statements
// once: a CommitScan is one BEGIN IMMEDIATE ... COMMIT over cached statements (plus one fsync
// of the WAL with sync = full). Readers open the file read-only and never take the lock; WAL
// lets them read while the writer commits. The SQLite plumbing (connection options, statements,
// transactions, error mapping, the writer's flock) is libs/sqlite; this file is the schema and
// the journal's rules.
#include "dolphin/trader/journal.h"

#include <cmath>
#include <iterator>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "dolphin/sqlite/database.h"
#include "dolphin/sqlite/writer_lock.h"
#include "dolphin/trader/indicator_inputs.h"

namespace dolphin::trader {

namespace {

namespace fs = std::filesystem;
using sqlite::ColumnType;
using sqlite::Database;
using sqlite::Statement;
using sqlite::WriterLock;

constexpr int64_t kSchemaVersion = 2;

// Version 1's schema, exactly as it shipped: a new journal is created at version 1 and brought
// to kSchemaVersion by the migrations below, so a new journal and a migrated one are the same.
// Created in one transaction with the meta rows. The comments stay in sqlite_master, where
// `sqlite3 <journal> .schema` shows them.
constexpr const char* kSchemaV1 = R"sql(
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

// Migration N takes a journal from version N - 1 to N, in the writer's open transaction (one
// transaction with the version bump: a crash leaves the old version, never half a migration).
// Shipped migrations are never edited; a schema change is a new entry.
struct Migration {
  int64_t to_version;
  const char* sql;
};
constexpr Migration kMigrations[] = {
    // 2: the indicator values the strategy saw at each decision (a JSON object of numbers,
    // trader::IndicatorsToJson), NULL when there were none; scans of version 1 have none.
    {2,
     "ALTER TABLE processed ADD COLUMN indicators TEXT "
     "CHECK (indicators IS NULL OR json_valid(indicators))"},
};
static_assert(std::size(kMigrations) == kSchemaVersion - 1, "one migration per version after 1");

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
                       flatten, stale, outcome, signal, processed_at, indicators)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
)sql";
constexpr const char* kInsertGap =
    "INSERT INTO gaps (epoch, from_scan, to_scan, detected_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kReplaceSnapshot =
    "REPLACE INTO snapshot (id, epoch, scan_number, json) VALUES (1, ?1, ?2, ?3)";
constexpr const char* kReplaceControlState =
    "REPLACE INTO control_state (id, halted, flatten) VALUES (1, ?1, ?2)";
constexpr const char* kInsertControl =
    "INSERT INTO controls (ts, action, detail) VALUES (?1, ?2, ?3)";

// The same column order as kInsertProcessed, for ReadProcessed. A version 1 journal opened
// read-only (not migrated) has no indicators column: NULL stands in.
std::string SelectProcessed(int64_t version) {
  return fmt::format(
      "SELECT epoch, scan_number, scan_ts, file, posture, rm, posture_stale, halted, flatten, "
      "stale, outcome, signal, processed_at, {} FROM processed",
      version >= 2 ? "indicators" : "NULL");
}

// RFC 3339 as dolphin writes it (microseconds), with three more fraction digits when the
// instant has sub-microsecond nanoseconds, so that every Timestamp reads back exactly.
std::string TimeText(Timestamp ts) {
  std::string text = FormatRfc3339(ts);
  const int64_t nanos = (ts.UnixNanos() % 1000 + 1000) % 1000;
  if (nanos != 0) text.insert(text.size() - 6, fmt::format("{:03d}", nanos));  // before +00:00
  return text;
}

Status InFile(const fs::path& path, const Status& status) {
  return status.WithPrefix(fmt::format("journal {}", path.string()));
}

template <typename T>
Result<T> InFile(const fs::path& path, Result<T> result) {
  if (!result.ok()) return InFile(path, result.status());
  return result;
}

Result<Timestamp> ReadTime(const Statement& row, int col) { return ParseRfc3339(row.Text(col)); }

struct JournalMeta {
  std::string color;
  int64_t version = 0;
};

// The colour and schema version of the journal in `db`, or nullopt for an empty database (a
// new journal). Any other database, or a schema newer than this build's, is an error.
Result<std::optional<JournalMeta>> ReadMeta(const Database& db) {
  DOLPHIN_ASSIGN_OR_RETURN(
      Statement tables,
      db.Prepare("SELECT count(*), count(*) FILTER (WHERE name = 'meta') FROM sqlite_master"));
  DOLPHIN_RETURN_IF_ERROR(tables.Step().status());
  if (tables.Int(0) == 0) return std::optional<JournalMeta>();
  if (tables.Int(1) == 0) {
    return FailedPreconditionError("not a journal (a SQLite database without a meta table)");
  }
  DOLPHIN_ASSIGN_OR_RETURN(
      Statement meta, db.Prepare("SELECT (SELECT value FROM meta WHERE key = 'schema_version'), "
                                 "(SELECT value FROM meta WHERE key = 'color')"));
  DOLPHIN_RETURN_IF_ERROR(meta.Step().status());
  if (meta.Type(0) != ColumnType::kInteger || meta.Type(1) != ColumnType::kText) {
    return FailedPreconditionError(
        "not a journal (meta has no integer schema_version and text color)");
  }
  const int64_t version = meta.Int(0);
  if (version > kSchemaVersion) {
    return FailedPreconditionError(fmt::format(
        "schema version {} is newer than this build reads ({})", version, kSchemaVersion));
  }
  if (version < 1) return CorruptionError(fmt::format("bad schema version {}", version));
  return std::optional<JournalMeta>(JournalMeta{meta.Text(1), version});
}

// Brings `db` from `version` to kSchemaVersion (inside the caller's transaction).
Status Migrate(Database& db, int64_t version) {
  for (const Migration& m : kMigrations) {
    if (m.to_version <= version) continue;
    Status st = db.Exec(m.sql);
    if (!st.ok()) {
      return st.WithPrefix(fmt::format("migrating the schema from version {} to {}",
                                       m.to_version - 1, m.to_version));
    }
  }
  DOLPHIN_ASSIGN_OR_RETURN(Statement bump,
                           db.Prepare("UPDATE meta SET value = ?1 WHERE key = 'schema_version'"));
  return bump.Run(kSchemaVersion);
}

// Creates the schema in a new file, or checks the colour of an existing journal and migrates
// an older schema. One transaction: a crash leaves an empty file or the old version, never half
// a journal. Returns the version the file had before (0 for a new journal).
Result<int64_t> CreateOrCheck(Database& db, const std::string& color) {
  DOLPHIN_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db));
  int64_t before = 0;
  DOLPHIN_RETURN_IF_ERROR([&]() -> Status {
    DOLPHIN_ASSIGN_OR_RETURN(std::optional<JournalMeta> found, ReadMeta(db));
    if (found) {
      if (found->color != color) {
        return FailedPreconditionError(
            fmt::format("the journal of colour {}, not {}", found->color, color));
      }
      before = found->version;
      return before == kSchemaVersion ? Status() : Migrate(db, before);
    }
    DOLPHIN_RETURN_IF_ERROR(db.Exec(kSchemaV1));
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement meta,
        db.Prepare("INSERT INTO meta (key, value) VALUES ('schema_version', 1), ('color', ?1)"));
    DOLPHIN_RETURN_IF_ERROR(meta.Run(color));
    return Migrate(db, 1);
  }());
  DOLPHIN_RETURN_IF_ERROR(txn.Commit());  // on any error above, txn rolls back
  return before;
}

Result<ProcessedScan> ReadProcessed(const Statement& row) {
  ProcessedScan p;
  p.epoch = row.Int(0);
  p.scan_number = row.Int(1);
  DOLPHIN_ASSIGN_OR_RETURN(p.scan_ts, ReadTime(row, 2));
  p.file = row.Text(3);
  DOLPHIN_ASSIGN_OR_RETURN(p.context.posture, ParsePosture(row.Text(4)));
  p.context.rm = row.Double(5);
  p.context.posture_stale = row.Bool(6);
  p.context.halted = row.Bool(7);
  p.context.flatten = row.Bool(8);
  p.context.stale = row.Bool(9);
  p.outcome = row.Text(10);
  p.signal = row.Text(11);
  DOLPHIN_ASSIGN_OR_RETURN(p.processed_at, ReadTime(row, 12));
  if (row.Type(13) != ColumnType::kNull) {
    auto values = IndicatorsFromJson(row.Text(13));
    if (!values.ok()) {
      return CorruptionError(fmt::format("scan {} of epoch {}: {}", p.scan_number, p.epoch,
                                         values.status().message()));
    }
    p.context.indicators = std::move(*values);
  }
  return p;
}

class JournalImpl final : public Journal {
 public:
  JournalImpl(fs::path path, WriterLock writer_lock, std::unique_ptr<Database> db, bool read_only,
              int64_t version, int64_t migrated_from)
      : path_(std::move(path)),
        read_only_(read_only),
        version_(version),
        migrated_from_(migrated_from),
        writer_lock_(std::move(writer_lock)),
        db_(std::move(db)) {}

  // Prepares the cached write statements (writer only).
  Status PrepareWrites() {
    struct Cached {
      Statement* stmt;
      const char* sql;
    };
    for (const Cached& c :
         {Cached{&upsert_intent_, kUpsertIntent}, Cached{&cancel_intent_, kCancelIntent},
          Cached{&fill_intent_, kFillIntent}, Cached{&insert_fill_, kInsertFill},
          Cached{&insert_processed_, kInsertProcessed}, Cached{&insert_gap_, kInsertGap},
          Cached{&replace_snapshot_, kReplaceSnapshot},
          Cached{&replace_control_state_, kReplaceControlState},
          Cached{&insert_control_, kInsertControl}}) {
      DOLPHIN_ASSIGN_OR_RETURN(*c.stmt, db_->Prepare(c.sql, Database::Lifetime::kPersistent));
    }
    return Status();
  }

  Status CommitIntents(std::span<const OrderIntent> intents) override {
    return InFile(path_, Transaction([&]() -> Status {
                    for (const OrderIntent& in : intents) {
                      Status status = upsert_intent_.Run(
                          in.client_order_id, in.epoch, in.scan_number, in.seq, in.asset,
                          SideName(in.side), in.qty, in.reducing, in.reason, TimeText(in.ts));
                      if (!status.ok())
                        return status.WithPrefix(fmt::format("intent {}", in.client_order_id));
                      if (db_->Changes() == 0) {
                        return FailedPreconditionError(fmt::format(
                            "intent {} is already filled; re-committing it would send it again",
                            in.client_order_id));
                      }
                    }
                    return Status();
                  }));
  }

  Status CommitScan(const ScanCommit& commit) override {
    return InFile(
        path_, Transaction([&]() -> Status {
          for (const Fill& fill : commit.fills) DOLPHIN_RETURN_IF_ERROR(WriteFill(fill));
          const ProcessedScan& p = commit.processed;
          const ScanContext& c = p.context;
          for (const auto& [name, v] : c.indicators) {
            if (!std::isfinite(v)) {
              return InvalidArgumentError(
                  fmt::format("scan {} of epoch {}: indicator {} is {}, not a finite number",
                              p.scan_number, p.epoch, name, v));
            }
          }
          const std::optional<std::string> indicators =
              c.indicators.empty() ? std::nullopt
                                   : std::optional<std::string>(IndicatorsToJson(c.indicators));
          Status status = insert_processed_.Run(p.epoch, p.scan_number, TimeText(p.scan_ts), p.file,
                                                PostureName(c.posture), c.rm, c.posture_stale,
                                                c.halted, c.flatten, c.stale, p.outcome, p.signal,
                                                TimeText(p.processed_at), indicators);
          if (!status.ok()) {
            const std::string scan = fmt::format("scan {} of epoch {}", p.scan_number, p.epoch);
            if (status.code() == StatusCode::kAlreadyExists) {
              return AlreadyExistsError(scan + " is already journaled");
            }
            return status.WithPrefix(scan);
          }
          if (commit.gap) {
            const Gap& g = *commit.gap;
            status = insert_gap_.Run(g.epoch, g.from_scan, g.to_scan, TimeText(g.detected_at));
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
                               db_->Prepare("SELECT json FROM snapshot WHERE id = 1"));
      DOLPHIN_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) return std::optional<std::string>();
      return std::optional<std::string>(stmt.Text(0));
    }());
  }

  Result<ControlState> LoadControlState() override {
    return InFile(path_, [&]() -> Result<ControlState> {
      DOLPHIN_ASSIGN_OR_RETURN(
          Statement stmt, db_->Prepare("SELECT halted, flatten FROM control_state WHERE id = 1"));
      DOLPHIN_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) return ControlState{};
      return ControlState{.halted = stmt.Bool(0), .flatten = stmt.Bool(1)};
    }());
  }

  Result<std::optional<ProcessedScan>> LastProcessed() override {
    DOLPHIN_ASSIGN_OR_RETURN(
        std::vector<ProcessedScan> last,
        List<ProcessedScan>(SelectProcessed(version_) + " ORDER BY id DESC LIMIT 1",
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
          DOLPHIN_ASSIGN_OR_RETURN(in.ts, ReadTime(row, 9));
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
          DOLPHIN_ASSIGN_OR_RETURN(f.ts, ReadTime(row, 9));
          return f;
        });
  }

  Result<std::vector<ProcessedScan>> Processed() override {
    return List<ProcessedScan>(SelectProcessed(version_) + " ORDER BY id", ReadProcessed);
  }

  Result<std::vector<Gap>> Gaps() override {
    return List<Gap>("SELECT epoch, from_scan, to_scan, detected_at FROM gaps ORDER BY id",
                     [](const Statement& row) -> Result<Gap> {
                       Gap g;
                       g.epoch = row.Int(0);
                       g.from_scan = row.Int(1);
                       g.to_scan = row.Int(2);
                       DOLPHIN_ASSIGN_OR_RETURN(g.detected_at, ReadTime(row, 3));
                       return g;
                     });
  }

  Result<std::vector<ControlEvent>> Controls() override {
    return List<ControlEvent>("SELECT id, ts, action, detail FROM controls ORDER BY id",
                              [](const Statement& row) -> Result<ControlEvent> {
                                ControlEvent e;
                                e.id = row.Int(0);
                                DOLPHIN_ASSIGN_OR_RETURN(e.ts, ReadTime(row, 1));
                                e.action = row.Text(2);
                                e.detail = row.Text(3);
                                return e;
                              });
  }

  Result<JournalCounts> Counts() override {
    // One statement, so every count comes from the same snapshot of the file.
    DOLPHIN_ASSIGN_OR_RETURN(
        std::vector<JournalCounts> counts,
        List<JournalCounts>("SELECT (SELECT count(*) FROM processed WHERE outcome = 'processed'), "
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
  int64_t schema_version() const override { return version_; }
  int64_t migrated_from() const override { return migrated_from_; }

 private:
  // Runs `body` between BEGIN IMMEDIATE and COMMIT; on any error nothing of it is written.
  template <typename Body>
  Status Transaction(Body&& body) {
    if (read_only_) return FailedPreconditionError("opened read-only");
    DOLPHIN_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(*db_));
    DOLPHIN_RETURN_IF_ERROR(body());
    return txn.Commit();  // on any error, txn rolls back when it goes
  }

  // The fill's intent becomes "filled" (even when reconciliation had cancelled it: the venue
  // did fill it); a fill without an intent breaks the intent-before-order rule.
  Status WriteFill(const Fill& f) {
    Status status = fill_intent_.Run(f.client_order_id);
    if (status.ok() && db_->Changes() == 0) {
      return FailedPreconditionError(fmt::format("fill for {} has no intent", f.client_order_id));
    }
    if (status.ok()) {
      status =
          insert_fill_.Run(f.client_order_id, f.epoch, f.scan_number, f.asset, SideName(f.side),
                           f.qty, f.price, f.fee, f.realized_pnl, TimeText(f.ts));
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
      Status status = insert_control_.Run(TimeText(event->ts), event->action, event->detail);
      if (!status.ok()) return status.WithPrefix(fmt::format("control {}", event->action));
    }
    return Status();
  }

  // Runs a SELECT and converts every row with `read_row` (a Statement -> Result<T>).
  template <typename T, typename ReadRow>
  Result<std::vector<T>> List(const std::string& sql, ReadRow read_row) {
    return InFile(path_, [&]() -> Result<std::vector<T>> {
      DOLPHIN_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql));
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
  const int64_t version_;        // the file's schema version (kSchemaVersion for a writer)
  const int64_t migrated_from_;  // the version this open migrated from; 0 = none
  WriterLock writer_lock_;  // released after the connection closes (members die in reverse order)
  std::unique_ptr<Database> db_;  // outlives the statements below
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
  DOLPHIN_ASSIGN_OR_RETURN(WriterLock lock, WriterLock::Acquire(WriterLock::LockPathFor(path)));
  // WAL is switched on after the check: the switch writes to the file, which must be ours.
  DOLPHIN_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                           Database::Open(path, {.synchronous = options.sync == JournalSync::kFull
                                                                    ? sqlite::Synchronous::kFull
                                                                    : sqlite::Synchronous::kNormal,
                                                 .foreign_keys = true}));
  DOLPHIN_ASSIGN_OR_RETURN(int64_t before, CreateOrCheck(*db, options.color));
  DOLPHIN_RETURN_IF_ERROR(db->EnableWal());
  auto journal = std::make_unique<JournalImpl>(
      path, std::move(lock), std::move(db), /*read_only=*/false, kSchemaVersion,
      before != 0 && before != kSchemaVersion ? before : 0);
  DOLPHIN_RETURN_IF_ERROR(journal->PrepareWrites());
  return std::unique_ptr<Journal>(std::move(journal));
}

Result<std::unique_ptr<Journal>> OpenReader(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFoundError("no such file");
  DOLPHIN_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path, {.read_only = true}));
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<JournalMeta> meta, ReadMeta(*db));
  if (!meta) return FailedPreconditionError("not a journal (an empty file)");
  return std::unique_ptr<Journal>(std::make_unique<JournalImpl>(
      path, WriterLock(), std::move(db), /*read_only=*/true, meta->version, 0));
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
