#include "dolphin/scheduler/store.h"

#include <gtest/gtest.h>

#include "dolphin/sqlite/database.h"
#include "dolphin/testing/testing.h"

namespace dolphin::scheduler {
namespace {

using ::dolphin::testing::StatusHasMessage;
using ::dolphin::testing::TempDir;

const Timestamp kT0 = Timestamp::FromUnixSeconds(1774434600);

FlowRun NewRun(std::string deployment, Timestamp due, std::string idem = "") {
  FlowRun r;
  r.deployment = deployment;
  r.flow = deployment.substr(0, deployment.find('/'));
  r.pool = "dolphin";
  r.parameters = Json{{"k", "v"}};
  r.tags = {"t1"};
  r.state = kScheduled;
  r.state_ts = kT0;
  r.expected_start = due;
  r.due_at = due;
  r.created_at = kT0;
  r.auto_scheduled = !idem.empty();
  r.idempotency_key = idem;
  return r;
}

void ExerciseStore(Store& store) {
  // Pools and deployments.
  ASSERT_OK(store.UpsertPool({"dolphin", 1, false, "daily"}));
  ASSERT_OK(store.UpsertPool({"dolphin", 2, true, "daily batch"}));
  auto pool = store.GetPool("dolphin");
  ASSERT_OK(pool);
  EXPECT_EQ(pool->concurrency_limit, 2);
  EXPECT_TRUE(pool->paused);
  EXPECT_THAT(store.GetPool("x"), StatusHasMessage("unknown pool \"x\""));
  DeploymentRecord d;
  d.options.flow = "daily-backtest";
  d.options.name = "daily";
  d.options.schedule = Schedule::Cron(*CronExpr::Parse("0 3 * * *"));
  d.options.tags = {"heavy"};
  d.options.timeout = std::chrono::seconds(60);
  d.updated_at = kT0;
  ASSERT_OK(store.UpsertDeployment(d));
  auto got = store.GetDeployment("daily-backtest/daily");
  ASSERT_OK(got);
  EXPECT_EQ(got->options.schedule->ToString(), "cron 0 3 * * *");
  EXPECT_EQ(got->options.tags, d.options.tags);
  EXPECT_EQ(got->options.timeout, std::chrono::seconds(60));
  EXPECT_THAT(store.GetDeployment("a/b"), StatusHasMessage("unknown deployment \"a/b\""));

  // Runs: an idempotency key is inserted once.
  auto id = store.InsertRun(NewRun("daily-backtest/daily", kT0, "daily-backtest/daily@1"),
                            "from schedule");
  ASSERT_OK(id);
  EXPECT_GT(*id, 0);
  auto dup =
      store.InsertRun(NewRun("daily-backtest/daily", kT0, "daily-backtest/daily@1"), "again");
  ASSERT_OK(dup);
  EXPECT_EQ(*dup, 0);
  auto manual =
      store.InsertRun(NewRun("daily-backtest/daily", kT0 + std::chrono::seconds(5)), "asked");
  ASSERT_OK(manual);

  // Compare-and-set on the state; history grows by one row per change.
  FlowRun r = *store.GetRun(*id);
  EXPECT_EQ(DumpJson(r.parameters), R"({"k":"v"})");
  r.state = kPending;
  r.state_ts = kT0 + std::chrono::seconds(1);
  r.worker = "w1";
  r.run_count = 1;
  ASSERT_OK(store.UpdateRun(r, kScheduled, "claimed by w1"));
  EXPECT_THAT(
      store.UpdateRun(r, kScheduled, "claimed by w2"),
      StatusHasMessage("flow run 1 is no longer SCHEDULED/Scheduled (now PENDING/Pending)"));
  r.state = kRunning;
  r.start_time = kT0 + std::chrono::seconds(2);
  r.state_ts = *r.start_time;
  ASSERT_OK(store.UpdateRun(r, kPending, "started"));
  r.state = kCompleted;
  r.end_time = kT0 + std::chrono::seconds(3);
  r.state_ts = *r.end_time;
  r.exit_code = 0;
  ASSERT_OK(store.UpdateRun(r, kRunning, "exit code 0"));
  auto back = store.GetRun(*id);
  ASSERT_OK(back);
  EXPECT_EQ(back->state, kCompleted);
  EXPECT_EQ(back->exit_code, 0);
  EXPECT_EQ(back->start_time, kT0 + std::chrono::seconds(2));
  EXPECT_EQ(back->worker, "w1");
  auto history = store.History(*id);
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 4u);
  EXPECT_FALSE((*history)[0].from.has_value());
  EXPECT_EQ((*history)[0].message, "from schedule");
  EXPECT_EQ((*history)[1].to, kPending);
  EXPECT_EQ((*history)[3].from, kRunning);
  EXPECT_EQ((*history)[3].ts, kT0 + std::chrono::seconds(3));

  // Filters.
  RunFilter scheduled;
  scheduled.types = {StateType::kScheduled};
  EXPECT_EQ(store.ListRuns(scheduled)->size(), 1u);
  RunFilter by_deployment;
  by_deployment.deployment = "daily-backtest/daily";
  by_deployment.newest_first = true;
  EXPECT_EQ(store.ListRuns(by_deployment)->front().id, *manual);
  RunFilter due;
  due.due_before = kT0;
  EXPECT_EQ(*store.CountRuns(due), 1);

  // Leases, renewal, expiry.
  ASSERT_OK(store.AddLease({*manual, "pool", "dolphin", "w1", kT0, kT0}));
  ASSERT_OK(store.AddLease({*manual, "tag", "t1", "w1", kT0, kT0}));
  EXPECT_EQ(*store.CountLeases("pool", "dolphin"), 1);
  EXPECT_EQ(*store.RenewLeases("w1", kT0 + std::chrono::seconds(30)), 2);
  EXPECT_TRUE(store.ExpiredLeases(kT0 + std::chrono::seconds(29))->empty());
  EXPECT_EQ(store.ExpiredLeases(kT0 + std::chrono::seconds(30))->size(), 2u);
  ASSERT_OK(store.DeleteLeases(*manual));
  EXPECT_EQ(*store.CountLeases("pool", "dolphin"), 0);

  // Workers, tag limits, meta.
  ASSERT_OK(store.UpsertWorker({"w1", {"dolphin"}, kT0, kT0}));
  ASSERT_OK(
      store.UpsertWorker({"w1", {"dolphin", "dolphin-obf"}, kT0, kT0 + std::chrono::seconds(9)}));
  auto w = store.GetWorker("w1");
  ASSERT_OK(w);
  ASSERT_TRUE(w->has_value());
  EXPECT_EQ((*w)->pools.size(), 2u);
  EXPECT_EQ((*w)->last_heartbeat, kT0 + std::chrono::seconds(9));
  EXPECT_FALSE(store.GetWorker("w2")->has_value());
  ASSERT_OK(store.SetTagLimit({"heavy", 1}));
  EXPECT_EQ(store.ListTagLimits()->size(), 1u);
  ASSERT_OK(store.DeleteTagLimit("heavy"));
  EXPECT_THAT(store.DeleteTagLimit("heavy"),
              StatusHasMessage("no concurrency limit for tag \"heavy\""));
  ASSERT_OK(store.SetMeta("last_tick", 42));
  EXPECT_EQ(*store.GetMeta("last_tick"), 42);

  // Atomically: an error rolls everything back.
  Status s = store.Atomically([&] {
    DOLPHIN_RETURN_IF_ERROR(store.SetMeta("last_tick", 43));
    return InternalError("boom");
  });
  EXPECT_THAT(s, StatusHasMessage("boom"));
  EXPECT_EQ(*store.GetMeta("last_tick"), 42);
  ASSERT_OK(store.DeleteRun(*manual));
  EXPECT_FALSE(store.GetRun(*manual).ok());
}

TEST(InMemoryStoreTest, KeepsEverything) {
  auto store = OpenInMemoryStore();
  ASSERT_OK(store);
  ExerciseStore(**store);
}

TEST(SqliteStoreTest, KeepsEverythingAndReopensWithHistoryIntact) {
  TempDir dir;
  const auto path = dir.path() / "state" / "scheduler.sqlite";
  {
    auto store = OpenSqliteStore(path);
    ASSERT_OK(store);
    ExerciseStore(**store);
    // A second writer is refused while the first is open.
    EXPECT_THAT(OpenSqliteStore(path), StatusHasMessage("is locked"));
  }
  auto again = OpenSqliteStore(path);
  ASSERT_OK(again);
  auto history = (*again)->History(1);
  ASSERT_OK(history);
  EXPECT_EQ(history->size(), 4u);
  EXPECT_EQ((*again)->GetRun(1)->state, kCompleted);
  EXPECT_EQ((*again)->GetPool("dolphin")->concurrency_limit, 2);
  EXPECT_EQ(*(*again)->GetMeta("last_tick"), 42);
  auto reader = sqlite::Database::Open(path, {.read_only = true});
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->JournalMode().value_or(""), "wal");
}

TEST(SqliteStoreTest, RefusesAFileThatIsNotAStore) {
  TempDir dir;
  const auto path = dir.path() / "other.sqlite";
  {
    auto db = OpenSqliteStore(path);
    ASSERT_OK(db);
  }
  // Garbage is refused with the path named.
  const auto junk = dir.path() / "junk.sqlite";
  ASSERT_OK(FileSystem::Default().WriteAtomically(junk, std::string(4096, 'x')));
  EXPECT_THAT(OpenSqliteStore(junk), StatusHasMessage("scheduler store " + junk.string()));
}

}  // namespace
}  // namespace dolphin::scheduler
