// The SQLite store (store.h; schema in docs/scheduler.md "Store"). Times are INTEGER
// nanoseconds since the Unix epoch (UTC); JSON columns hold compact JSON text.
#include <fmt/format.h>

#include <map>
#include <system_error>

#include "dolphin/scheduler/store.h"
#include "dolphin/sqlite/database.h"
#include "dolphin/sqlite/writer_lock.h"

namespace dolphin::scheduler {

namespace {

using sqlite::Database;
using sqlite::Statement;

constexpr int64_t kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE pools (
  name TEXT PRIMARY KEY, concurrency_limit INTEGER NOT NULL, paused INTEGER NOT NULL,
  description TEXT NOT NULL);
CREATE TABLE deployments (
  name TEXT PRIMARY KEY, pool TEXT NOT NULL, spec TEXT NOT NULL, paused INTEGER NOT NULL,
  source TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE flow_runs (
  id INTEGER PRIMARY KEY, deployment TEXT NOT NULL, flow TEXT NOT NULL, pool TEXT NOT NULL,
  parameters TEXT NOT NULL, tags TEXT NOT NULL, state_type TEXT NOT NULL,
  state_name TEXT NOT NULL, state_message TEXT NOT NULL, state_ts INTEGER NOT NULL,
  expected_start INTEGER NOT NULL, due_at INTEGER NOT NULL, start_time INTEGER,
  end_time INTEGER, run_count INTEGER NOT NULL, worker TEXT NOT NULL, exit_code INTEGER,
  auto_scheduled INTEGER NOT NULL, idempotency_key TEXT UNIQUE, created_at INTEGER NOT NULL);
CREATE INDEX flow_runs_by_state ON flow_runs (state_type, due_at);
CREATE INDEX flow_runs_by_deployment ON flow_runs (deployment, id);
CREATE TABLE state_history (
  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
  from_type TEXT, from_name TEXT, to_type TEXT NOT NULL, to_name TEXT NOT NULL,
  message TEXT NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX state_history_by_run ON state_history (run_id, id);
CREATE TABLE leases (
  run_id INTEGER NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE, scope TEXT NOT NULL,
  key TEXT NOT NULL, worker TEXT NOT NULL, acquired_at INTEGER NOT NULL,
  renewed_at INTEGER NOT NULL, PRIMARY KEY (run_id, scope, key));
CREATE INDEX leases_by_key ON leases (scope, key);
CREATE TABLE tag_limits (tag TEXT PRIMARY KEY, concurrency_limit INTEGER NOT NULL);
CREATE TABLE workers (
  name TEXT PRIMARY KEY, pools TEXT NOT NULL, first_seen INTEGER NOT NULL,
  last_heartbeat INTEGER NOT NULL);
)sql";

constexpr const char* kRunColumns =
    "id, deployment, flow, pool, parameters, tags, state_type, state_name, state_message, "
    "state_ts, expected_start, due_at, start_time, end_time, run_count, worker, exit_code, "
    "auto_scheduled, idempotency_key, created_at";

int64_t Ns(Timestamp t) { return t.UnixNanos(); }
Timestamp Ts(int64_t ns) { return Timestamp::FromUnixNanos(ns); }

std::string TagsJson(const std::vector<std::string>& tags) { return DumpJson(Json(tags)); }
std::vector<std::string> TagsFrom(const std::string& text) {
  auto j = ParseJson(text, "tags");
  std::vector<std::string> out;
  if (j.ok() && j->is_array()) {
    for (const auto& e : *j) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

RunState StateFrom(const std::string& type, const std::string& name) {
  RunState s;
  s.type = ParseStateType(type).value_or(StateType::kCrashed);
  s.name = ParseStateName(name).value_or(StateOf(s.type).name);
  return s;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Database> db, sqlite::WriterLock lock)
      : db_(std::move(db)), lock_(std::move(lock)) {}

  Status Init(bool wal) {
    DOLPHIN_ASSIGN_OR_RETURN(Statement probe,
                             db_->Prepare("SELECT count(*), count(*) FILTER (WHERE name = 'meta') "
                                          "FROM sqlite_master"));
    DOLPHIN_ASSIGN_OR_RETURN(bool row, probe.Step());
    const int64_t tables = row ? probe.Int(0) : 0;
    const bool has_meta = row && probe.Int(1) > 0;
    probe = Statement();
    if (tables == 0) {
      DOLPHIN_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(*db_));
      DOLPHIN_RETURN_IF_ERROR(db_->Exec(kSchema));
      DOLPHIN_ASSIGN_OR_RETURN(
          Statement v, db_->Prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?1)"));
      DOLPHIN_RETURN_IF_ERROR(v.Run(kSchemaVersion));
      v = Statement();
      DOLPHIN_RETURN_IF_ERROR(txn.Commit());
    } else if (!has_meta) {
      return FailedPreconditionError(
          "not a scheduler store (a SQLite database without a meta table)");
    } else {
      DOLPHIN_ASSIGN_OR_RETURN(std::optional<int64_t> version, GetMeta("schema_version"));
      if (!version) return FailedPreconditionError("not a scheduler store (no schema_version)");
      if (*version > kSchemaVersion) {
        return FailedPreconditionError(fmt::format(
            "schema version {} is newer than this build reads ({})", *version, kSchemaVersion));
      }
    }
    if (wal) DOLPHIN_RETURN_IF_ERROR(db_->EnableWal());
    return Status::Ok();
  }

  Status Atomically(const std::function<Status()>& fn) override {
    if (db_->InTransaction()) return fn();
    DOLPHIN_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(*db_));
    DOLPHIN_RETURN_IF_ERROR(fn());
    return txn.Commit();
  }

  // --- pools
  Status UpsertPool(const PoolRecord& p) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * s, Stmt("INSERT INTO pools (name, concurrency_limit, paused, description) "
                            "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
                            "concurrency_limit = ?2, paused = ?3, description = ?4"));
    return s->Run(p.name, p.concurrency_limit, p.paused, p.description);
  }
  Result<std::vector<PoolRecord>> ListPools() override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s,
                             Stmt("SELECT name, concurrency_limit, paused, description "
                                  "FROM pools ORDER BY name"));
    DOLPHIN_RETURN_IF_ERROR(s->Bind());
    std::vector<PoolRecord> out;
    while (true) {
      DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({s->Text(0), static_cast<int>(s->Int(1)), s->Bool(2), s->Text(3)});
    }
    s->Reset();
    return out;
  }
  Result<PoolRecord> GetPool(const std::string& name) override {
    DOLPHIN_ASSIGN_OR_RETURN(std::vector<PoolRecord> all, ListPools());
    for (auto& p : all) {
      if (p.name == name) return p;
    }
    return NotFoundError(fmt::format("unknown pool \"{}\"", name));
  }
  Status DeletePool(const std::string& name) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt("DELETE FROM pools WHERE name = ?1"));
    return s->Run(name);
  }

  // --- deployments
  Status UpsertDeployment(const DeploymentRecord& d) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * s,
        Stmt("INSERT INTO deployments (name, pool, spec, paused, source, updated_at) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO UPDATE SET pool = ?2, "
             "spec = ?3, paused = ?4, source = ?5, updated_at = ?6"));
    return s->Run(d.options.full_name(), d.options.pool, DumpJson(DeploymentToJson(d.options)),
                  d.options.paused, d.source, Ns(d.updated_at));
  }
  Result<std::vector<DeploymentRecord>> ListDeployments() override {
    return SelectDeployments(
        "SELECT spec, paused, source, updated_at FROM deployments ORDER BY name", std::nullopt);
  }
  Result<DeploymentRecord> GetDeployment(const std::string& full_name) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        std::vector<DeploymentRecord> one,
        SelectDeployments(
            "SELECT spec, paused, source, updated_at FROM deployments WHERE name = ?1", full_name));
    if (one.empty()) return NotFoundError(fmt::format("unknown deployment \"{}\"", full_name));
    return one.front();
  }
  Status DeleteDeployment(const std::string& full_name) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt("DELETE FROM deployments WHERE name = ?1"));
    return s->Run(full_name);
  }

  // --- runs
  Result<int64_t> InsertRun(const FlowRun& r, std::string_view message) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * s,
        Stmt("INSERT INTO flow_runs (deployment, flow, pool, parameters, tags, state_type, "
             "state_name, state_message, state_ts, expected_start, due_at, start_time, end_time, "
             "run_count, worker, exit_code, auto_scheduled, idempotency_key, created_at) VALUES "
             "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL, ?12, ?13, NULL, ?14, ?15, "
             "?16) ON CONFLICT (idempotency_key) DO NOTHING"));
    const std::string idem = r.idempotency_key;
    Status st;
    if (idem.empty()) {
      st = s->Run(r.deployment, r.flow, r.pool, DumpJson(r.parameters), TagsJson(r.tags),
                  StateTypeText(r.state.type), StateNameText(r.state.name), r.state_message,
                  Ns(r.state_ts), Ns(r.expected_start), Ns(r.due_at), r.run_count, r.worker,
                  r.auto_scheduled, nullptr, Ns(r.created_at));
    } else {
      st = s->Run(r.deployment, r.flow, r.pool, DumpJson(r.parameters), TagsJson(r.tags),
                  StateTypeText(r.state.type), StateNameText(r.state.name), r.state_message,
                  Ns(r.state_ts), Ns(r.expected_start), Ns(r.due_at), r.run_count, r.worker,
                  r.auto_scheduled, idem, Ns(r.created_at));
    }
    DOLPHIN_RETURN_IF_ERROR(st);
    if (db_->Changes() == 0) return int64_t{0};
    DOLPHIN_ASSIGN_OR_RETURN(Statement * last, Stmt("SELECT last_insert_rowid()"));
    DOLPHIN_RETURN_IF_ERROR(last->Bind());
    DOLPHIN_ASSIGN_OR_RETURN(bool row, last->Step());
    const int64_t id = row ? last->Int(0) : 0;
    last->Reset();
    DOLPHIN_RETURN_IF_ERROR(AppendHistory(id, std::nullopt, r.state, message, r.state_ts));
    return id;
  }

  Result<FlowRun> GetRun(int64_t id) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * s, Stmt(fmt::format("SELECT {} FROM flow_runs WHERE id = ?1", kRunColumns)));
    DOLPHIN_RETURN_IF_ERROR(s->Bind(id));
    DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) {
      s->Reset();
      return NotFoundError(fmt::format("no flow run {}", id));
    }
    FlowRun r = ReadRun(*s);
    s->Reset();
    return r;
  }

  Result<std::vector<FlowRun>> ListRuns(const RunFilter& f) override {
    std::string sql = fmt::format("SELECT {} FROM flow_runs{}", kRunColumns, Where(f));
    sql += f.newest_first ? " ORDER BY id DESC" : " ORDER BY due_at, id";
    if (f.limit > 0) sql += fmt::format(" LIMIT {}", f.limit);
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt(sql));
    DOLPHIN_RETURN_IF_ERROR(BindFilter(*s, f));
    std::vector<FlowRun> out;
    while (true) {
      DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadRun(*s));
    }
    s->Reset();
    return out;
  }

  Result<int64_t> CountRuns(const RunFilter& f) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s,
                             Stmt(fmt::format("SELECT count(*) FROM flow_runs{}", Where(f))));
    DOLPHIN_RETURN_IF_ERROR(BindFilter(*s, f));
    DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
    const int64_t n = row ? s->Int(0) : 0;
    s->Reset();
    return n;
  }

  Status UpdateRun(const FlowRun& r, RunState expected, std::string_view message) override {
    // Optional times bind as -1 and become NULL through NULLIF (one cached statement).
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * u,
        Stmt("UPDATE flow_runs SET state_type = ?2, state_name = ?3, state_message = ?4, "
             "state_ts = ?5, due_at = ?6, start_time = NULLIF(?7, -1), end_time = NULLIF(?8, -1), "
             "run_count = ?9, worker = ?10, exit_code = CASE WHEN ?11 THEN ?12 ELSE NULL END, "
             "parameters = ?13 WHERE id = ?1 AND state_type = ?14 AND state_name = ?15"));
    DOLPHIN_RETURN_IF_ERROR(
        u->Run(r.id, StateTypeText(r.state.type), StateNameText(r.state.name), r.state_message,
               Ns(r.state_ts), Ns(r.due_at), r.start_time ? Ns(*r.start_time) : int64_t{-1},
               r.end_time ? Ns(*r.end_time) : int64_t{-1}, r.run_count, r.worker,
               r.exit_code.has_value(), r.exit_code.value_or(0), DumpJson(r.parameters),
               StateTypeText(expected.type), StateNameText(expected.name)));
    if (db_->Changes() == 0) {
      auto now = GetRun(r.id);
      if (!now.ok()) return now.status();
      return FailedPreconditionError(fmt::format("flow run {} is no longer {} (now {})", r.id,
                                                 expected.ToString(), now->state.ToString()));
    }
    if (!(expected == r.state)) {
      DOLPHIN_RETURN_IF_ERROR(AppendHistory(r.id, expected, r.state, message, r.state_ts));
    }
    return Status::Ok();
  }

  Status DeleteRun(int64_t id) override {
    for (const char* sql :
         {"DELETE FROM leases WHERE run_id = ?1", "DELETE FROM state_history WHERE run_id = ?1",
          "DELETE FROM flow_runs WHERE id = ?1"}) {
      DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt(sql));
      DOLPHIN_RETURN_IF_ERROR(s->Run(id));
    }
    return Status::Ok();
  }

  Result<std::vector<StateChange>> History(int64_t run_id) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * s,
        Stmt("SELECT id, run_id, from_type, from_name, to_type, to_name, message, ts "
             "FROM state_history WHERE run_id = ?1 ORDER BY id"));
    DOLPHIN_RETURN_IF_ERROR(s->Bind(run_id));
    std::vector<StateChange> out;
    while (true) {
      DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      StateChange c;
      c.id = s->Int(0);
      c.run_id = s->Int(1);
      if (s->Type(2) != sqlite::ColumnType::kNull) c.from = StateFrom(s->Text(2), s->Text(3));
      c.to = StateFrom(s->Text(4), s->Text(5));
      c.message = s->Text(6);
      c.ts = Ts(s->Int(7));
      out.push_back(std::move(c));
    }
    s->Reset();
    return out;
  }

  // --- leases
  Status AddLease(const Lease& l) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * s,
        Stmt("INSERT OR REPLACE INTO leases (run_id, scope, key, worker, acquired_at, "
             "renewed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    return s->Run(l.run_id, l.scope, l.key, l.worker, Ns(l.acquired_at), Ns(l.renewed_at));
  }
  Result<int64_t> CountLeases(const std::string& scope, const std::string& key) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s,
                             Stmt("SELECT count(*) FROM leases WHERE scope = ?1 AND key = ?2"));
    DOLPHIN_RETURN_IF_ERROR(s->Bind(scope, key));
    DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
    const int64_t n = row ? s->Int(0) : 0;
    s->Reset();
    return n;
  }
  Result<std::vector<Lease>> ListLeases() override {
    return SelectLeases(
        "SELECT run_id, scope, key, worker, acquired_at, renewed_at FROM leases "
        "ORDER BY run_id, scope, key",
        std::nullopt);
  }
  Result<std::vector<Lease>> ExpiredLeases(Timestamp before) override {
    return SelectLeases(
        "SELECT run_id, scope, key, worker, acquired_at, renewed_at FROM leases "
        "WHERE renewed_at <= ?1 ORDER BY renewed_at, run_id",
        Ns(before));
  }
  Status DeleteLeases(int64_t run_id) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt("DELETE FROM leases WHERE run_id = ?1"));
    return s->Run(run_id);
  }
  Result<int64_t> RenewLeases(const std::string& worker, Timestamp now) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s,
                             Stmt("UPDATE leases SET renewed_at = ?2 WHERE worker = ?1"));
    DOLPHIN_RETURN_IF_ERROR(s->Run(worker, Ns(now)));
    return db_->Changes();
  }
  Status RenewRunLeases(int64_t run_id, Timestamp now) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s,
                             Stmt("UPDATE leases SET renewed_at = ?2 WHERE run_id = ?1"));
    return s->Run(run_id, Ns(now));
  }

  // --- workers
  Status UpsertWorker(const WorkerRecord& w) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * s,
        Stmt(
            "INSERT INTO workers (name, pools, first_seen, last_heartbeat) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (name) DO UPDATE SET pools = ?2, last_heartbeat = ?4"));
    return s->Run(w.name, TagsJson(w.pools), Ns(w.first_seen), Ns(w.last_heartbeat));
  }
  Result<std::vector<WorkerRecord>> ListWorkers() override {
    return SelectWorkers(
        "SELECT name, pools, first_seen, last_heartbeat FROM workers ORDER BY name", std::nullopt);
  }
  Result<std::optional<WorkerRecord>> GetWorker(const std::string& name) override {
    DOLPHIN_ASSIGN_OR_RETURN(
        std::vector<WorkerRecord> one,
        SelectWorkers("SELECT name, pools, first_seen, last_heartbeat FROM workers WHERE name = ?1",
                      name));
    if (one.empty()) return std::optional<WorkerRecord>();
    return std::optional<WorkerRecord>(one.front());
  }

  // --- tag limits
  Status SetTagLimit(const TagLimit& t) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s,
                             Stmt("INSERT INTO tag_limits (tag, concurrency_limit) VALUES (?1, ?2) "
                                  "ON CONFLICT (tag) DO UPDATE SET concurrency_limit = ?2"));
    return s->Run(t.tag, t.concurrency_limit);
  }
  Status DeleteTagLimit(const std::string& tag) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt("DELETE FROM tag_limits WHERE tag = ?1"));
    DOLPHIN_RETURN_IF_ERROR(s->Run(tag));
    if (db_->Changes() == 0) {
      return NotFoundError(fmt::format("no concurrency limit for tag \"{}\"", tag));
    }
    return Status::Ok();
  }
  Result<std::vector<TagLimit>> ListTagLimits() override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s,
                             Stmt("SELECT tag, concurrency_limit FROM tag_limits ORDER BY tag"));
    DOLPHIN_RETURN_IF_ERROR(s->Bind());
    std::vector<TagLimit> out;
    while (true) {
      DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({s->Text(0), static_cast<int>(s->Int(1))});
    }
    s->Reset();
    return out;
  }

  Status SetMeta(const std::string& key, int64_t value) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt("INSERT INTO meta (key, value) VALUES (?1, ?2) "
                                                 "ON CONFLICT (key) DO UPDATE SET value = ?2"));
    return s->Run(key, value);
  }
  Result<std::optional<int64_t>> GetMeta(const std::string& key) override {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt("SELECT value FROM meta WHERE key = ?1"));
    DOLPHIN_RETURN_IF_ERROR(s->Bind(key));
    DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
    std::optional<int64_t> v;
    if (row) v = s->Int(0);
    s->Reset();
    return v;
  }

 private:
  Result<Statement*> Stmt(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      DOLPHIN_ASSIGN_OR_RETURN(Statement s, db_->Prepare(sql, Database::Lifetime::kPersistent));
      it = cache_.emplace(sql, std::move(s)).first;
    }
    return &it->second;
  }

  Status AppendHistory(int64_t run_id, std::optional<RunState> from, RunState to,
                       std::string_view message, Timestamp ts) {
    DOLPHIN_ASSIGN_OR_RETURN(
        Statement * s, Stmt("INSERT INTO state_history (run_id, from_type, from_name, to_type, "
                            "to_name, message, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    if (from) {
      return s->Run(run_id, StateTypeText(from->type), StateNameText(from->name),
                    StateTypeText(to.type), StateNameText(to.name), message, Ns(ts));
    }
    return s->Run(run_id, nullptr, nullptr, StateTypeText(to.type), StateNameText(to.name), message,
                  Ns(ts));
  }

  // ?1 deployment, ?2 pool, ?3 worker, ?4 due_before; types are inlined (a fixed vocabulary).
  static std::string Where(const RunFilter& f) {
    std::vector<std::string> parts;
    if (!f.types.empty()) {
      std::string list;
      for (StateType t : f.types) {
        if (!list.empty()) list += ", ";
        list += fmt::format("'{}'", StateTypeText(t));
      }
      parts.push_back(fmt::format("state_type IN ({})", list));
    }
    if (!f.deployment.empty()) parts.push_back("deployment = ?1");
    if (!f.pool.empty()) parts.push_back("pool = ?2");
    if (!f.worker.empty()) parts.push_back("worker = ?3");
    if (f.due_before) parts.push_back("due_at <= ?4");
    if (f.auto_scheduled_only) parts.push_back("auto_scheduled = 1");
    // ?1..?4 are always bound; a clause that is absent compares nothing.
    parts.push_back(
        "(?1 IS NULL OR 1) AND (?2 IS NULL OR 1) AND (?3 IS NULL OR 1) AND (?4 IS NULL OR 1)");
    return " WHERE " + fmt::format("{}", fmt::join(parts, " AND "));
  }
  static Status BindFilter(Statement& s, const RunFilter& f) {
    return s.Bind(f.deployment, f.pool, f.worker, f.due_before ? Ns(*f.due_before) : int64_t{0});
  }

  static FlowRun ReadRun(const Statement& s) {
    FlowRun r;
    r.id = s.Int(0);
    r.deployment = s.Text(1);
    r.flow = s.Text(2);
    r.pool = s.Text(3);
    r.parameters = ParseJson(s.Text(4), "parameters").value_or(Json::object());
    r.tags = TagsFrom(s.Text(5));
    r.state = StateFrom(s.Text(6), s.Text(7));
    r.state_message = s.Text(8);
    r.state_ts = Ts(s.Int(9));
    r.expected_start = Ts(s.Int(10));
    r.due_at = Ts(s.Int(11));
    if (s.Type(12) != sqlite::ColumnType::kNull) r.start_time = Ts(s.Int(12));
    if (s.Type(13) != sqlite::ColumnType::kNull) r.end_time = Ts(s.Int(13));
    r.run_count = static_cast<int>(s.Int(14));
    r.worker = s.Text(15);
    if (s.Type(16) != sqlite::ColumnType::kNull) r.exit_code = static_cast<int>(s.Int(16));
    r.auto_scheduled = s.Bool(17);
    if (s.Type(18) != sqlite::ColumnType::kNull) r.idempotency_key = s.Text(18);
    r.created_at = Ts(s.Int(19));
    return r;
  }

  Result<std::vector<DeploymentRecord>> SelectDeployments(const std::string& sql,
                                                          std::optional<std::string> key) {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt(sql));
    DOLPHIN_RETURN_IF_ERROR(key ? s->Bind(*key) : s->Bind());
    std::vector<DeploymentRecord> out;
    while (true) {
      DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      auto spec = ParseJson(s->Text(0), "deployment spec");
      Result<DeploymentOptions> d =
          spec.ok() ? DeploymentFromJson(*spec) : Result<DeploymentOptions>(spec.status());
      if (!d.ok()) {
        s->Reset();
        return CorruptionError(fmt::format("stored deployment: {}", d.status().message()));
      }
      DeploymentRecord rec;
      rec.options = std::move(*d);
      rec.options.paused = s->Bool(1);
      rec.source = s->Text(2);
      rec.updated_at = Ts(s->Int(3));
      out.push_back(std::move(rec));
    }
    s->Reset();
    return out;
  }

  Result<std::vector<Lease>> SelectLeases(const std::string& sql, std::optional<int64_t> before) {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt(sql));
    DOLPHIN_RETURN_IF_ERROR(before ? s->Bind(*before) : s->Bind());
    std::vector<Lease> out;
    while (true) {
      DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({s->Int(0), s->Text(1), s->Text(2), s->Text(3), Ts(s->Int(4)), Ts(s->Int(5))});
    }
    s->Reset();
    return out;
  }

  Result<std::vector<WorkerRecord>> SelectWorkers(const std::string& sql,
                                                  std::optional<std::string> name) {
    DOLPHIN_ASSIGN_OR_RETURN(Statement * s, Stmt(sql));
    DOLPHIN_RETURN_IF_ERROR(name ? s->Bind(*name) : s->Bind());
    std::vector<WorkerRecord> out;
    while (true) {
      DOLPHIN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({s->Text(0), TagsFrom(s->Text(1)), Ts(s->Int(2)), Ts(s->Int(3))});
    }
    s->Reset();
    return out;
  }

  std::unique_ptr<Database> db_;
  sqlite::WriterLock lock_;
  std::map<std::string, Statement> cache_;  // declared after db_: finalized first
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& path, StoreSync sync) {
  auto fail = [&](const Status& s) {
    return Status(s.code(), fmt::format("scheduler store {}: {}", path.string(), s.message()));
  };
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return fail(IoError(
        fmt::format("cannot create folder {}: {}", path.parent_path().string(), ec.message())));
  auto lock = sqlite::WriterLock::Acquire(sqlite::WriterLock::LockPathFor(path));
  if (!lock.ok()) return fail(lock.status());
  sqlite::DatabaseOptions options;
  options.synchronous =
      sync == StoreSync::kNormal ? sqlite::Synchronous::kNormal : sqlite::Synchronous::kFull;
  options.foreign_keys = true;
  auto db = Database::Open(path, options);
  if (!db.ok()) return fail(db.status());
  auto store = std::make_unique<SqliteStore>(std::move(*db), std::move(*lock));
  if (Status s = store->Init(/*wal=*/true); !s.ok()) return fail(s);
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenInMemoryStore() {
  sqlite::DatabaseOptions options;
  options.foreign_keys = true;
  DOLPHIN_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(":memory:", options));
  auto store = std::make_unique<SqliteStore>(std::move(db), sqlite::WriterLock());
  DOLPHIN_RETURN_IF_ERROR(store->Init(/*wal=*/false));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace dolphin::scheduler
