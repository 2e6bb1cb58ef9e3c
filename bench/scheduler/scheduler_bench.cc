// Scheduling overhead (docs/scheduler.md; issue 14): a no-op flow through the engine and the
// SQLite store on disk (WAL, synchronous FULL), one worker.
//
//   scheduler.due_to_running   a run due now -> claimed (PENDING, leases taken) -> RUNNING, the
//                              worker's two calls; beside it, as the floor, one bare SQLite write
//                              transaction of the same file settings (one fsync'd commit).
//                              A real worker adds its poll wait on top: on average half of
//                              worker_poll_interval_s (1 s by default).
//   scheduler.cycle            a whole run: asked for, claimed, started, finished.
//   scheduler.runs_per_s       sequential whole runs per second.
//   scheduler.store_per_10k    store file size per 10,000 finished runs (history included).
//   scheduler.tick             one engine tick over that store (10k runs of history).
//   scheduler.worker.due_to_running  through one real worker (WorkerService, in-process
//                              engine client, real ProcessOps) running /bin/true: from the run
//                              being due (created) to RUNNING (the process spawned and its
//                              start recorded), runs one after another, worker_poll_interval_s
//                              = 10 ms (the poll wait is part of the figure).
//   scheduler.worker.runs_per_s      a burst of runs due at once through that worker (pool
//                              limit 1: one process after another), created -> COMPLETED.
// Each figure twice: store_sync = full (the default) and, suffixed .sync_normal, normal.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "dolphin/core/clock.h"
#include "dolphin/core/file_system.h"
#include "dolphin/core/logging.h"
#include "dolphin/core/random.h"
#include "dolphin/core/thread_factory.h"
#include "dolphin/scheduler/engine.h"
#include "dolphin/scheduler/store.h"
#include "dolphin/scheduler/worker.h"
#include "dolphin/sqlite/database.h"
#include "dolphin/supervisor/process_ops.h"
#include "histogram.h"

namespace {

using namespace dolphin;

constexpr int kWarmup = 200;
constexpr int kRuns = 10000;

double Ns(MonoTime a, MonoTime b) { return static_cast<double>((b - a).count()); }

uint64_t FileBytes(const std::filesystem::path& p) {
  std::error_code ec;
  uint64_t n = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    auto s = std::filesystem::file_size(p.string() + suffix, ec);
    if (!ec) n += s;
  }
  return n;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "scheduler bench: %s\n", s.ToString().c_str());
  return 1;
}

constexpr int kWorkerRuns = 300;

// One real worker over the engine of this process: sequential runs for the latency, then a
// burst for the rate.
int WorkerBench(Env env, const std::filesystem::path& dir, scheduler::StoreSync sync) {
  const std::string suffix = sync == scheduler::StoreSync::kFull ? "" : ".sync_normal";
  auto store = scheduler::OpenSqliteStore(dir / ("worker" + suffix + ".sqlite"), sync);
  if (!store.ok()) return Fail(store.status());
  scheduler::SchedulerSetup setup = scheduler::DefaultSchedulerSetup();
  setup.scheduler.worker_poll_interval = std::chrono::milliseconds(10);
  scheduler::DeploymentOptions d;
  d.flow = "noop";
  d.name = "true";
  d.command = {"/bin/true"};
  setup.deployments[d.full_name()] = d;
  scheduler::Engine engine(setup.scheduler, **store, env);
  if (Status s = engine.Sync(setup, env.clock.Now()); !s.ok()) return Fail(s);
  auto ops = supervisor::NewProcessOps();
  scheduler::WorkerSetup w;
  w.name = "bench";
  w.pools = {"dolphin"};
  w.poll_interval = setup.scheduler.worker_poll_interval;
  w.state_dir = dir / ("worker-state" + suffix);
  scheduler::WorkerService worker(
      w, scheduler::NewEnginePoolClient([&] { return &engine; }, env.clock), *ops, env);
  if (Status s = worker.Start(); !s.ok()) return Fail(s);
  auto terminal = [&](int64_t id) {
    auto r = engine.WithStore([&](scheduler::Store& st) { return st.GetRun(id); });
    return r.ok() && scheduler::IsTerminal(r->state.type);
  };
  CancelToken never;
  auto wait_all = [&](const std::vector<int64_t>& ids) {
    for (int64_t id : ids) {
      while (!terminal(id))
        env.clock.WaitUntil(env.clock.MonotonicNow() + std::chrono::microseconds(200), never);
    }
  };
  bench::Histogram latency;
  for (int i = 0; i < kWorkerRuns; ++i) {
    auto run = engine.RunDeployment("noop/true", Json::object(), env.clock.Now());
    if (!run.ok()) return Fail(run.status());
    wait_all({run->id});
    auto done = engine.WithStore([&](scheduler::Store& st) { return st.GetRun(run->id); });
    if (!done.ok() || !done->start_time) return Fail(InternalError("a run ended without starting"));
    latency.Add(static_cast<double>((*done->start_time - run->due_at).count()));
  }
  std::vector<int64_t> ids;
  const MonoTime t0 = env.clock.MonotonicNow();
  for (int i = 0; i < kWorkerRuns; ++i) {
    auto run = engine.RunDeployment("noop/true", Json::object(), env.clock.Now());
    if (!run.ok()) return Fail(run.status());
    ids.push_back(run->id);
  }
  wait_all(ids);
  const double rate =
      kWorkerRuns / std::chrono::duration<double>(env.clock.MonotonicNow() - t0).count();
  worker.Stop();
  bench::Append(
      bench::FromHistogram("scheduler.worker.due_to_running" + suffix, "us", latency, 1e-3));
  bench::Record r;
  r.name = "scheduler.worker.runs_per_s" + suffix;
  r.unit = "runs/s";
  r.n = kWorkerRuns;
  r.p50 = rate;
  bench::Append(r);
  std::printf(
      "worker, store_sync %s: due -> RUNNING p50 %.0f us, p99 %.0f us (poll 10 ms); %.0f runs/s (/bin/true)\n",
      suffix.empty() ? "full" : "normal", latency.Percentile(50) * 1e-3,
      latency.Percentile(99) * 1e-3, rate);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  SystemClock clock;
  NullLogger logger;
  Random random(7);
  Env env{clock, logger, FileSystem::Default(), random, ThreadFactory::Default()};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dolphin-scheduler-bench-" + std::to_string(clock.Now().UnixNanos()));
  std::filesystem::create_directories(dir);

  // Floor: one bare write transaction on a file opened like the store.
  bench::Histogram floor;
  {
    sqlite::DatabaseOptions o;
    o.wal = true;
    auto db = sqlite::Database::Open(dir / "floor.sqlite", o);
    if (!db.ok()) return Fail(db.status());
    if (Status s = (*db)->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); !s.ok())
      return Fail(s);
    auto ins =
        (*db)->Prepare("INSERT INTO t (v) VALUES (?1)", sqlite::Database::Lifetime::kPersistent);
    if (!ins.ok()) return Fail(ins.status());
    for (int i = 0; i < kWarmup + 2000; ++i) {
      const MonoTime t0 = clock.MonotonicNow();
      auto txn = sqlite::Transaction::Begin(**db);
      if (!txn.ok()) return Fail(txn.status());
      if (Status s = ins->Run("x"); !s.ok()) return Fail(s);
      if (Status s = txn->Commit(); !s.ok()) return Fail(s);
      if (i >= kWarmup) floor.Add(Ns(t0, clock.MonotonicNow()));
    }
  }

  for (scheduler::StoreSync sync : {scheduler::StoreSync::kFull, scheduler::StoreSync::kNormal}) {
    const std::string suffix = sync == scheduler::StoreSync::kFull ? "" : ".sync_normal";
    const auto path = dir / ("scheduler" + suffix + ".sqlite");
    bench::Histogram due_to_running, cycle, tick;
    double runs_per_s = 0;
    {
      auto store = scheduler::OpenSqliteStore(path, sync);
      if (!store.ok()) return Fail(store.status());
      scheduler::SchedulerSetup setup = scheduler::DefaultSchedulerSetup();
      scheduler::DeploymentOptions d;
      d.flow = "noop";
      d.name = "bench";
      d.pool = "dolphin";
      d.tags = {"bench"};
      d.parameters = Json{{"n", 1}};
      setup.deployments[d.full_name()] = d;
      scheduler::Engine engine(setup.scheduler, **store, env);
      if (Status s = engine.Sync(setup, clock.Now()); !s.ok()) return Fail(s);
      const MonoTime start = clock.MonotonicNow();
      for (int i = 0; i < kWarmup + kRuns; ++i) {
        const MonoTime c0 = clock.MonotonicNow();
        auto run = engine.RunDeployment("noop/bench", Json::object(), clock.Now());
        if (!run.ok()) return Fail(run.status());
        const MonoTime due = clock.MonotonicNow();  // the run is due from here
        auto claimed = engine.Claim("w1", {"dolphin"}, clock.Now(), 1);
        if (!claimed.ok()) return Fail(claimed.status());
        if (claimed->size() != 1) return Fail(InternalError("the due run was not claimed"));
        if (Status s = engine.Started(run->id, "w1", clock.Now()); !s.ok()) return Fail(s);
        const MonoTime running = clock.MonotonicNow();
        if (Status s = engine.Finished(run->id, "w1", 0, clock.Now()); !s.ok()) return Fail(s);
        const MonoTime done = clock.MonotonicNow();
        if (i >= kWarmup) {
          due_to_running.Add(Ns(due, running));
          cycle.Add(Ns(c0, done));
        }
      }
      runs_per_s =
          (kWarmup + kRuns) / std::chrono::duration<double>(clock.MonotonicNow() - start).count();
      for (int i = 0; i < 200; ++i) {
        const MonoTime t0 = clock.MonotonicNow();
        auto r = engine.Tick(clock.Now());
        if (!r.ok()) return Fail(r.status());
        tick.Add(Ns(t0, clock.MonotonicNow()));
      }
    }
    const uint64_t bytes = FileBytes(path);  // closed: the WAL is checkpointed into the file

    auto r = bench::FromHistogram("scheduler.due_to_running" + suffix, "us", due_to_running, 1e-3);
    r.floor_p99 = floor.Percentile(99) * 1e-3;
    r.ratio = due_to_running.Percentile(99) / floor.Percentile(99);
    bench::Append(r);
    bench::Append(bench::FromHistogram("scheduler.cycle" + suffix, "us", cycle, 1e-3));
    bench::Append(bench::FromHistogram("scheduler.tick" + suffix, "us", tick, 1e-3));
    bench::Record rate;
    rate.name = "scheduler.runs_per_s" + suffix;
    rate.unit = "runs/s";
    rate.n = kWarmup + kRuns;
    rate.p50 = runs_per_s;
    bench::Append(rate);
    bench::Record size;
    size.name = "scheduler.store_per_10k" + suffix;
    size.unit = "MB";
    size.n = kWarmup + kRuns;
    size.max = static_cast<double>(bytes) / 1e6 * 10000.0 / (kWarmup + kRuns);
    bench::Append(size);
    std::printf(
        "store_sync %s: due -> RUNNING p50 %.0f us, p99 %.0f us (bare FULL commit p99 %.0f us); "
        "%.0f runs/s; store %.2f MB per 10k runs; tick p50 %.0f us\n",
        suffix.empty() ? "full" : "normal", due_to_running.Percentile(50) * 1e-3,
        due_to_running.Percentile(99) * 1e-3, floor.Percentile(99) * 1e-3, runs_per_s, *size.max,
        tick.Percentile(50) * 1e-3);
  }
  bench::Append(bench::FromHistogram("scheduler.sqlite_commit_floor", "us", floor, 1e-3));
  for (scheduler::StoreSync sync : {scheduler::StoreSync::kFull, scheduler::StoreSync::kNormal}) {
    if (int rc = WorkerBench(env, dir, sync); rc != 0) return rc;
  }
  std::filesystem::remove_all(dir);
  return 0;
}
