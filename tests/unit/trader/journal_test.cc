// The trader's SQLite journal on real files in a temporary folder.
#include "dolphin/trader/journal.h"

// Designated initializers leave the remaining fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <atomic>
#include <bit>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "dolphin/testing/testing.h"

namespace dolphin::trader {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::StatusHasMessage;

constexpr int64_t kEpoch = 7;
const Timestamp kBase = Timestamp::FromUnixMicros(1774434600000000);  // 2026-03-25T10:30:00Z

Timestamp ScanTime(int64_t scan) { return kBase + std::chrono::seconds(5 * scan); }

OrderIntent MakeIntent(int64_t scan, int seq, double qty = 0.5) {
  OrderIntent in;
  in.client_order_id = fmt::format("BLUE-{}-{}-{}", kEpoch, scan, seq);
  in.epoch = kEpoch;
  in.scan_number = scan;
  in.seq = seq;
  in.asset = "BTCUSDT";
  in.side = seq % 2 == 0 ? Side::kBuy : Side::kSell;
  in.qty = qty;
  in.reducing = seq % 2 == 1;
  in.reason = "entry: vel_div=-0.031 <= -0.02";
  in.ts = ScanTime(scan);
  return in;
}

Fill MakeFill(const OrderIntent& in, double price = 65000.25) {
  Fill f;
  f.client_order_id = in.client_order_id;
  f.epoch = in.epoch;
  f.scan_number = in.scan_number + 1;
  f.asset = in.asset;
  f.side = in.side;
  f.qty = in.qty;
  f.price = price;
  f.fee = 0.0004 * price * in.qty;
  f.realized_pnl = -1.5;
  f.ts = ScanTime(in.scan_number + 1);
  return f;
}

ScanCommit MakeScan(int64_t scan, std::vector<Fill> fills = {}) {
  ScanCommit c;
  c.processed.epoch = kEpoch;
  c.processed.scan_number = scan;
  c.processed.scan_ts = ScanTime(scan);
  c.processed.file = fmt::format("2026-03-25/scan_{:06d}.arrow", scan);
  c.processed.context = ScanContext{.posture = Posture::kStalker, .rm = 0.75};
  c.processed.outcome = "processed";
  c.processed.signal = "vel_div=-0.012: no entry";
  c.processed.processed_at = ScanTime(scan) + std::chrono::milliseconds(12);
  c.fills = std::move(fills);
  c.snapshot_json = fmt::format(R"({{"scan":{}}})", scan);
  return c;
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// Runs SQL on the file through a separate raw connection.
void Sql(const fs::path& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class JournalTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  const fs::path path_ = dir_.path() / "state" / "trader" / "BLUE.db";  // folders not made yet
};

// A failed open names the file and fits on one line.
void ExpectOpenError(const Status& status, StatusCode code, const fs::path& path,
                     const std::string& problem) {
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("journal " + path.string() + ": "));
  EXPECT_THAT(status.message(), HasSubstr(problem));
  EXPECT_THAT(status.message(), Not(HasSubstr("\n")));
}

TEST_F(JournalTest, CreatesFileAndFoldersEmptyAndInWalMode) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  EXPECT_EQ((*journal)->path(), path_);
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_THAT((*journal)->LoadSnapshot(), testing::IsOkAndHolds(std::nullopt));
  auto last = (*journal)->LastProcessed();
  ASSERT_OK(last);
  EXPECT_FALSE(last->has_value());
  auto controls = (*journal)->LoadControlState();
  ASSERT_OK(controls);
  EXPECT_FALSE(controls->halted);
  EXPECT_FALSE(controls->flatten);
  auto counts = (*journal)->Counts();
  ASSERT_OK(counts);
  EXPECT_EQ(counts->processed + counts->stale + counts->missed_scans + counts->intents +
                counts->open_intents + counts->fills,
            0);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(JournalTest, ReopenRestoresEverything) {
  const OrderIntent a = MakeIntent(1, 0), b = MakeIntent(1, 1);
  {
    auto journal = OpenJournal(path_, {.sync = JournalSync::kFull});
    ASSERT_OK(journal);
    ASSERT_OK((*journal)->CommitIntents(std::vector{a, b}));
    ScanCommit scan = MakeScan(2, {MakeFill(a)});
    scan.controls = ControlState{.halted = true};
    ASSERT_OK((*journal)->CommitScan(scan));
  }
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  EXPECT_THAT((*journal)->LoadSnapshot(), testing::IsOkAndHolds(R"({"scan":2})"));
  auto last = (*journal)->LastProcessed();
  ASSERT_OK(last);
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->scan_number, 2);
  EXPECT_EQ((*last)->context.posture, Posture::kStalker);
  EXPECT_EQ((*last)->file, "2026-03-25/scan_000002.arrow");
  auto controls = (*journal)->LoadControlState();
  ASSERT_OK(controls);
  EXPECT_TRUE(controls->halted);
  auto intents = (*journal)->Intents();
  ASSERT_OK(intents);
  ASSERT_EQ(intents->size(), 2u);
  EXPECT_EQ((*intents)[0].status, "filled");
  EXPECT_EQ((*intents)[1].status, "open");
  EXPECT_EQ((*intents)[1].intent.side, Side::kSell);
  EXPECT_TRUE((*intents)[1].intent.reducing);
  EXPECT_EQ((*intents)[1].intent.reason, b.reason);
}

TEST_F(JournalTest, RecommittedIntentReopensWithoutSecondRow) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Journal& j = **journal;
  const OrderIntent a = MakeIntent(3, 0);
  ASSERT_OK(j.CommitIntents(std::vector{a}));
  ASSERT_OK(j.CancelIntents(std::vector{a.client_order_id}, "unknown to the venue"));
  ASSERT_OK(j.CommitIntents(std::vector{a, MakeIntent(3, 1)}));
  auto intents = j.Intents();
  ASSERT_OK(intents);
  ASSERT_EQ(intents->size(), 2u);
  EXPECT_EQ((*intents)[0].intent.client_order_id, a.client_order_id);
  EXPECT_EQ((*intents)[0].status, "open");
  EXPECT_EQ((*intents)[0].status_reason, "");
  EXPECT_EQ((*intents)[0].attempts, 2);
  EXPECT_EQ((*intents)[1].attempts, 1);
}

TEST_F(JournalTest, RecommittingAFilledIntentIsRefused) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Journal& j = **journal;
  const OrderIntent a = MakeIntent(3, 0), b = MakeIntent(3, 1);
  ASSERT_OK(j.CommitIntents(std::vector{a}));
  ASSERT_OK(j.CommitScan(MakeScan(4, {MakeFill(a)})));
  Status status = j.CommitIntents(std::vector{b, a});
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(status, StatusHasMessage(a.client_order_id + " is already filled"));
  auto intents = j.Intents();
  ASSERT_OK(intents);
  ASSERT_EQ(intents->size(), 1u);  // b was rolled back with the rest
  EXPECT_EQ((*intents)[0].status, "filled");
  EXPECT_EQ((*intents)[0].attempts, 1);
}

TEST_F(JournalTest, DuplicateFillRollsBackTheWholeScan) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Journal& j = **journal;
  const OrderIntent a = MakeIntent(1, 0), b = MakeIntent(2, 0);
  ASSERT_OK(j.CommitIntents(std::vector{a, b}));
  ASSERT_OK(j.CommitScan(MakeScan(2, {MakeFill(a)})));

  ScanCommit bad = MakeScan(3, {MakeFill(b), MakeFill(a, 1.0)});
  bad.gap = Gap{.epoch = kEpoch, .from_scan = 10, .to_scan = 12, .detected_at = ScanTime(3)};
  bad.controls = ControlState{.halted = true, .flatten = true};
  bad.control_event = ControlEvent{.ts = ScanTime(3), .action = "flatten_done"};
  Status status = j.CommitScan(bad);
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(status, StatusHasMessage("a fill for " + a.client_order_id + " is already"));
  EXPECT_THAT(status, StatusHasMessage("journal " + path_.string()));

  auto counts = j.Counts();
  ASSERT_OK(counts);
  EXPECT_EQ(counts->fills, 1);
  EXPECT_EQ(counts->processed, 1);
  EXPECT_EQ(counts->missed_scans, 0);
  EXPECT_EQ(counts->open_intents, 1);  // b is still open
  EXPECT_THAT(j.LoadSnapshot(), testing::IsOkAndHolds(R"({"scan":2})"));
  auto controls = j.LoadControlState();
  ASSERT_OK(controls);
  EXPECT_FALSE(controls->halted);
  EXPECT_THAT(j.Controls(), testing::IsOkAndHolds(::testing::IsEmpty()));
  auto fills = j.Fills();
  ASSERT_OK(fills);
  ASSERT_EQ(fills->size(), 1u);
  EXPECT_EQ((*fills)[0].price, 65000.25);

  // The same scan without the duplicate goes through: nothing of the failed attempt lingers.
  bad.fills.pop_back();
  ASSERT_OK(j.CommitScan(bad));
  counts = j.Counts();
  ASSERT_OK(counts);
  EXPECT_EQ(counts->fills, 2);
  EXPECT_EQ(counts->open_intents, 0);
  EXPECT_EQ(counts->missed_scans, 3);
}

TEST_F(JournalTest, ProcessedMarkerIsWrittenOnce) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Journal& j = **journal;
  const OrderIntent a = MakeIntent(1, 0);
  ASSERT_OK(j.CommitIntents(std::vector{a}));
  ASSERT_OK(j.CommitScan(MakeScan(2)));
  ScanCommit again = MakeScan(2, {MakeFill(a)});
  again.snapshot_json = "{}";
  Status status = j.CommitScan(again);
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(status, StatusHasMessage("scan 2 of epoch 7 is already journaled"));
  EXPECT_THAT(j.Fills(), testing::IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(j.LoadSnapshot(), testing::IsOkAndHolds(R"({"scan":2})"));
  // Another epoch may reuse the scan number (the scanner restarted).
  again.processed.epoch = kEpoch + 1;
  EXPECT_OK(j.CommitScan(again));
}

TEST_F(JournalTest, FillWithoutIntentIsRefused) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Status status = (*journal)->CommitScan(MakeScan(2, {MakeFill(MakeIntent(1, 0))}));
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(status, StatusHasMessage("fill for BLUE-7-1-0 has no intent"));
  EXPECT_THAT((*journal)->Processed(), testing::IsOkAndHolds(::testing::IsEmpty()));
}

TEST_F(JournalTest, DoublesAndTimestampsRoundTripExactly) {
  const std::vector<double> values = {0.1 + 0.2,
                                      1e-300,
                                      -0.0,
                                      0.0,
                                      3.0,
                                      -1e300,
                                      123456789012345678.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
  const std::vector<Timestamp> times = {
      Timestamp::FromUnixMicros(1774434600123456),  // microseconds, as scans have
      Timestamp::FromUnixNanos(1774434600123456789),
      Timestamp::FromUnixNanos(-1),  // 1969-12-31T23:59:59.999999999
      Timestamp::FromUnixNanos(-1500), Timestamp()};
  {
    auto journal = OpenJournal(path_, {});
    ASSERT_OK(journal);
    for (size_t i = 0; i < values.size(); ++i) {
      OrderIntent in = MakeIntent(static_cast<int64_t>(i), 0, values[i]);
      in.ts = times[i % times.size()];
      ASSERT_OK((*journal)->CommitIntents(std::vector{in}));
      Fill f = MakeFill(in);
      f.price = values[i];
      f.fee = values[(i + 1) % values.size()];
      f.realized_pnl = values[(i + 2) % values.size()];
      f.ts = times[(i + 1) % times.size()];
      ScanCommit scan = MakeScan(static_cast<int64_t>(i), {f});
      scan.processed.context.rm = values[i];
      scan.processed.scan_ts = times[(i + 2) % times.size()];
      scan.processed.processed_at = times[(i + 3) % times.size()];
      ASSERT_OK((*journal)->CommitScan(scan));
    }
  }
  auto journal = OpenJournalReadOnly(path_);
  ASSERT_OK(journal);
  auto intents = (*journal)->Intents();
  auto fills = (*journal)->Fills();
  auto processed = (*journal)->Processed();
  ASSERT_OK(intents);
  ASSERT_OK(fills);
  ASSERT_OK(processed);
  ASSERT_EQ(fills->size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE(fmt::format("value {} ({})", i, values[i]));
    EXPECT_EQ(Bits((*intents)[i].intent.qty), Bits(values[i]));
    EXPECT_EQ(Bits((*fills)[i].qty), Bits(values[i]));
    EXPECT_EQ(Bits((*fills)[i].price), Bits(values[i]));
    EXPECT_EQ(Bits((*fills)[i].fee), Bits(values[(i + 1) % values.size()]));
    EXPECT_EQ(Bits((*fills)[i].realized_pnl), Bits(values[(i + 2) % values.size()]));
    EXPECT_EQ(Bits((*processed)[i].context.rm), Bits(values[i]));
    EXPECT_EQ((*intents)[i].intent.ts, times[i % times.size()]);
    EXPECT_EQ((*fills)[i].ts, times[(i + 1) % times.size()]);
    EXPECT_EQ((*processed)[i].scan_ts, times[(i + 2) % times.size()]);
    EXPECT_EQ((*processed)[i].processed_at, times[(i + 3) % times.size()]);
  }
}

// Issue 15: the indicator values of each decision are stored with its marker, exactly, and a
// scan without any is NULL (not "{}").
TEST_F(JournalTest, IndicatorValuesRoundTripExactlyAndNoneIsNull) {
  const IndicatorValues values = {{"obf.spread_bps", 0.1 + 0.2},
                                  {"obf.age_s", 1e-300},
                                  {"funding.rate", -0.0},
                                  {"funding.age_s", 123456789012345678.0},
                                  {"obf.depth_bid_10bps", std::numeric_limits<double>::max()},
                                  {"obf.mid", std::numeric_limits<double>::denorm_min()}};
  {
    auto journal = OpenJournal(path_, {});
    ASSERT_OK(journal);
    EXPECT_EQ((*journal)->schema_version(), 2);
    EXPECT_EQ((*journal)->migrated_from(), 0);
    ScanCommit with = MakeScan(1);
    with.processed.context.indicators = values;
    ASSERT_OK((*journal)->CommitScan(with));
    ASSERT_OK((*journal)->CommitScan(MakeScan(2)));
  }
  auto journal = OpenJournalReadOnly(path_);
  ASSERT_OK(journal);
  auto processed = (*journal)->Processed();
  ASSERT_OK(processed);
  ASSERT_EQ(processed->size(), 2u);
  const IndicatorValues& back = (*processed)[0].context.indicators;
  ASSERT_EQ(back.size(), values.size());
  for (const auto& [name, v] : values) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Bits(back.at(name)), Bits(v));
  }
  EXPECT_TRUE((*processed)[1].context.indicators.empty());
  auto last = (*journal)->LastProcessed();
  ASSERT_OK(last);
  EXPECT_TRUE((*last)->context.indicators.empty());
  journal->reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM processed WHERE indicators IS NULL", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// A damaged indicators column is a corruption naming the scan, never a silent empty map.
TEST_F(JournalTest, UnreadableIndicatorValuesAreNamed) {
  {
    auto journal = OpenJournal(path_, {});
    ASSERT_OK(journal);
    ScanCommit c = MakeScan(4);
    c.processed.context.indicators = {{"obf.spread_bps", 2.0}};
    ASSERT_OK((*journal)->CommitScan(c));
  }
  Sql(path_, R"(UPDATE processed SET indicators = '{"obf.spread_bps":"wide"}')");
  auto journal = OpenJournalReadOnly(path_);
  ASSERT_OK(journal);
  auto processed = (*journal)->Processed();
  EXPECT_EQ(processed.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(processed.status().message(),
              HasSubstr("scan 4 of epoch 7: indicator values: obf.spread_bps: expected a number"));
  // Not JSON at all: refused by the column's own check.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  EXPECT_NE(
      sqlite3_exec(db, "UPDATE processed SET indicators = 'not json'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
}

TEST_F(JournalTest, NanIsRefusedNotStoredAsNull) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  ScanCommit scan = MakeScan(1);
  scan.processed.context.rm = std::nan("");
  Status status = (*journal)->CommitScan(scan);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status,
              StatusHasMessage("scan 1 of epoch 7: NOT NULL constraint failed: processed.rm"));
  EXPECT_THAT((*journal)->Processed(), testing::IsOkAndHolds(::testing::IsEmpty()));
}

TEST_F(JournalTest, TimestampsAreReadableRfc3339) {
  {
    auto journal = OpenJournal(path_, {});
    ASSERT_OK(journal);
    OrderIntent in = MakeIntent(1, 0);
    in.ts = Timestamp::FromUnixNanos(1774434600123456789);
    ASSERT_OK((*journal)->CommitIntents(std::vector{in}));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT ts FROM intents", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
               "2026-03-25T10:30:00.123456789+00:00");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(JournalTest, ListingsAreInCommitOrder) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Journal& j = **journal;
  ASSERT_OK(j.CommitIntents(std::vector{MakeIntent(9, 0)}));
  ASSERT_OK(j.CommitIntents(std::vector{MakeIntent(4, 1), MakeIntent(4, 0)}));
  ASSERT_OK(j.CommitIntents(std::vector{MakeIntent(9, 0)}));  // re-opened: keeps its place
  auto intents = j.Intents();
  ASSERT_OK(intents);
  std::vector<std::string> ids;
  for (const IntentRow& row : *intents) ids.push_back(row.intent.client_order_id);
  EXPECT_THAT(ids, ElementsAre("BLUE-7-9-0", "BLUE-7-4-1", "BLUE-7-4-0"));

  for (int64_t scan : {5, 6, 8}) ASSERT_OK(j.CommitScan(MakeScan(scan)));
  ScanCommit restarted = MakeScan(1);
  restarted.processed.epoch = kEpoch + 1;
  ASSERT_OK(j.CommitScan(restarted));
  auto processed = j.Processed();
  ASSERT_OK(processed);
  std::vector<int64_t> scans;
  for (const ProcessedScan& p : *processed) scans.push_back(p.scan_number);
  EXPECT_THAT(scans, ElementsAre(5, 6, 8, 1));
  auto last = j.LastProcessed();
  ASSERT_OK(last);
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->epoch, kEpoch + 1);
  EXPECT_EQ((*last)->scan_number, 1);
}

TEST_F(JournalTest, CountsIncludeStaleScansAndMissedScansFromGaps) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Journal& j = **journal;
  ASSERT_OK(j.CommitIntents(std::vector{MakeIntent(1, 0), MakeIntent(1, 1), MakeIntent(1, 2)}));
  ASSERT_OK(j.CommitScan(MakeScan(1, {MakeFill(MakeIntent(1, 0))})));
  ScanCommit after_gap = MakeScan(5);
  after_gap.gap = Gap{.epoch = kEpoch, .from_scan = 2, .to_scan = 4, .detected_at = ScanTime(5)};
  ASSERT_OK(j.CommitScan(after_gap));
  ScanCommit stale = MakeScan(7);
  stale.processed.outcome = "stale";
  stale.processed.context.stale = true;
  stale.gap = Gap{.epoch = kEpoch, .from_scan = 6, .to_scan = 6, .detected_at = ScanTime(7)};
  ASSERT_OK(j.CommitScan(stale));

  auto counts = j.Counts();
  ASSERT_OK(counts);
  EXPECT_EQ(counts->processed, 2);
  EXPECT_EQ(counts->stale, 1);
  EXPECT_EQ(counts->missed_scans, 4);
  EXPECT_EQ(counts->intents, 3);
  EXPECT_EQ(counts->open_intents, 2);
  EXPECT_EQ(counts->fills, 1);
  auto gaps = j.Gaps();
  ASSERT_OK(gaps);
  ASSERT_EQ(gaps->size(), 2u);
  EXPECT_EQ((*gaps)[0].from_scan, 2);
  EXPECT_EQ((*gaps)[0].to_scan, 4);
  EXPECT_EQ((*gaps)[0].detected_at, ScanTime(5));
  auto processed = j.Processed();
  ASSERT_OK(processed);
  EXPECT_TRUE((*processed)[2].context.stale);
  EXPECT_EQ((*processed)[2].outcome, "stale");

  ScanCommit reversed = MakeScan(9);
  reversed.gap = Gap{.epoch = kEpoch, .from_scan = 8, .to_scan = 7};
  EXPECT_EQ(j.CommitScan(reversed).code(), StatusCode::kInvalidArgument);
  ScanCommit unknown = MakeScan(9);
  unknown.processed.outcome = "skipped";
  EXPECT_EQ(j.CommitScan(unknown).code(), StatusCode::kInvalidArgument);
}

TEST_F(JournalTest, CancelIntentsTouchesOnlyOpenOnes) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Journal& j = **journal;
  const OrderIntent a = MakeIntent(1, 0), b = MakeIntent(1, 1);
  ASSERT_OK(j.CommitIntents(std::vector{a, b}));
  ASSERT_OK(j.CommitScan(MakeScan(2, {MakeFill(a)})));
  ASSERT_OK(
      j.CancelIntents(std::vector<std::string>{a.client_order_id, b.client_order_id, "BLUE-7-99-0"},
                      "not known to the venue"));
  auto intents = j.Intents();
  ASSERT_OK(intents);
  ASSERT_EQ(intents->size(), 2u);
  EXPECT_EQ((*intents)[0].status, "filled");
  EXPECT_EQ((*intents)[0].status_reason, "");
  EXPECT_EQ((*intents)[1].status, "cancelled");
  EXPECT_EQ((*intents)[1].status_reason, "not known to the venue");
  auto counts = j.Counts();
  ASSERT_OK(counts);
  EXPECT_EQ(counts->open_intents, 0);
}

TEST_F(JournalTest, FillOfACancelledIntentIsStillRecorded) {
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  Journal& j = **journal;
  const OrderIntent a = MakeIntent(1, 0);
  ASSERT_OK(j.CommitIntents(std::vector{a}));
  ASSERT_OK(j.CancelIntents(std::vector{a.client_order_id}, "timed out"));
  ASSERT_OK(j.CommitScan(MakeScan(2, {MakeFill(a)})));
  auto intents = j.Intents();
  ASSERT_OK(intents);
  EXPECT_EQ((*intents)[0].status, "filled");
  EXPECT_EQ((*intents)[0].status_reason, "");
}

TEST_F(JournalTest, ControlsPersistWithTheirEvents) {
  {
    auto journal = OpenJournal(path_, {});
    ASSERT_OK(journal);
    Journal& j = **journal;
    ASSERT_OK(j.RecordControl({.ts = ScanTime(1), .action = "halt", .detail = "operator"},
                              {.halted = true}));
    ASSERT_OK(j.RecordControl({.ts = ScanTime(2), .action = "flatten"},
                              {.halted = true, .flatten = true}));
    ScanCommit scan = MakeScan(3);
    scan.controls = ControlState{.halted = true, .flatten = false};
    scan.control_event = ControlEvent{.ts = ScanTime(3), .action = "flatten_done", .detail = "0"};
    ASSERT_OK(j.CommitScan(scan));
  }
  auto journal = OpenJournal(path_, {});
  ASSERT_OK(journal);
  auto state = (*journal)->LoadControlState();
  ASSERT_OK(state);
  EXPECT_TRUE(state->halted);
  EXPECT_FALSE(state->flatten);
  auto events = (*journal)->Controls();
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].id, 1);
  EXPECT_EQ((*events)[0].action, "halt");
  EXPECT_EQ((*events)[0].detail, "operator");
  EXPECT_EQ((*events)[0].ts, ScanTime(1));
  EXPECT_EQ((*events)[1].action, "flatten");
  EXPECT_EQ((*events)[2].id, 3);
  EXPECT_EQ((*events)[2].action, "flatten_done");
}

TEST_F(JournalTest, ReadOnlySeesTheWritersCommitsAndRefusesWrites) {
  auto writer = OpenJournal(path_, {.sync = JournalSync::kFull});
  ASSERT_OK(writer);
  auto reader = OpenJournalReadOnly(path_);
  ASSERT_OK(reader);
  const OrderIntent a = MakeIntent(1, 0);
  ASSERT_OK((*writer)->CommitIntents(std::vector{a}));
  ASSERT_OK((*writer)->CommitScan(MakeScan(2, {MakeFill(a)})));
  auto fills = (*reader)->Fills();
  ASSERT_OK(fills);
  ASSERT_EQ(fills->size(), 1u);
  EXPECT_EQ((*fills)[0].client_order_id, a.client_order_id);
  EXPECT_THAT((*reader)->LoadSnapshot(), testing::IsOkAndHolds(R"({"scan":2})"));

  Journal& r = **reader;
  for (const Status& status :
       {r.CommitIntents(std::vector{MakeIntent(3, 0)}), r.CommitScan(MakeScan(3)),
        r.CancelIntents(std::vector{a.client_order_id}, "x"),
        r.RecordControl({.action = "halt"}, {.halted = true})}) {
    EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
    EXPECT_THAT(status, StatusHasMessage("journal " + path_.string() + ": opened read-only"));
  }
  auto counts = (*writer)->Counts();
  ASSERT_OK(counts);
  EXPECT_EQ(counts->processed, 1);
  EXPECT_EQ(counts->intents, 1);
}

TEST_F(JournalTest, ReadOnlyOpensAJournalNoWriterHasOpen) {
  {
    auto writer = OpenJournal(path_, {});
    ASSERT_OK(writer);
    ASSERT_OK((*writer)->CommitScan(MakeScan(1)));
  }
  auto reader = OpenJournalReadOnly(path_);
  ASSERT_OK(reader);
  auto counts = (*reader)->Counts();
  ASSERT_OK(counts);
  EXPECT_EQ(counts->processed, 1);
}

TEST_F(JournalTest, SecondWriterIsRefused) {
  auto first = OpenJournal(path_, {});
  ASSERT_OK(first);
  auto second = OpenJournal(path_, {});
  ExpectOpenError(second.status(), StatusCode::kFailedPrecondition, path_,
                  "another writer has it open");
  first->reset();
  EXPECT_OK(OpenJournal(path_, {}));
}

TEST_F(JournalTest, AnotherColourIsRefused) {
  ASSERT_OK(OpenJournal(path_, {.color = "GREEN"}));
  auto journal = OpenJournal(path_, {.color = "BLUE"});
  ExpectOpenError(journal.status(), StatusCode::kFailedPrecondition, path_,
                  "the journal of colour GREEN, not BLUE");
}

TEST_F(JournalTest, GarbageFileIsRefusedAndLeftAlone) {
  const fs::path path = dir_.path() / "garbage.db";
  const std::string garbage(4096, 'x');
  std::ofstream(path, std::ios::binary) << garbage;
  ExpectOpenError(OpenJournal(path, {}).status(), StatusCode::kCorruption, path,
                  "not a readable journal: file is not a database");
  ExpectOpenError(OpenJournalReadOnly(path).status(), StatusCode::kCorruption, path,
                  "not a readable journal: file is not a database");
  EXPECT_EQ(ReadFile(path), garbage);
}

TEST_F(JournalTest, OtherSqliteDatabaseIsRefused) {
  const fs::path path = dir_.path() / "store.db";
  Sql(path, "CREATE TABLE runs (id INTEGER PRIMARY KEY)");
  ExpectOpenError(OpenJournal(path, {}).status(), StatusCode::kFailedPrecondition, path,
                  "not a journal");
  ExpectOpenError(OpenJournalReadOnly(path).status(), StatusCode::kFailedPrecondition, path,
                  "not a journal");
}

TEST_F(JournalTest, NewerSchemaIsRefused) {
  ASSERT_OK(OpenJournal(path_, {}));
  Sql(path_, "UPDATE meta SET value = 3 WHERE key = 'schema_version'");
  ExpectOpenError(OpenJournal(path_, {}).status(), StatusCode::kFailedPrecondition, path_,
                  "schema version 3 is newer than this build reads (2)");
  ExpectOpenError(OpenJournalReadOnly(path_).status(), StatusCode::kFailedPrecondition, path_,
                  "schema version 3 is newer");
}

TEST_F(JournalTest, ReadOnlyOfAMissingOrEmptyFileIsAnError) {
  ExpectOpenError(OpenJournalReadOnly(path_).status(), StatusCode::kNotFound, path_,
                  "no such file");
  EXPECT_FALSE(fs::exists(path_));
  const fs::path empty = dir_.path() / "empty.db";
  std::ofstream(empty).close();
  ExpectOpenError(OpenJournalReadOnly(empty).status(), StatusCode::kFailedPrecondition, empty,
                  "not a journal");
}

TEST_F(JournalTest, UnwritableFolderIsAnError) {
  const fs::path file = dir_.path() / "plain";
  std::ofstream(file) << "x";
  const fs::path path = file / "BLUE.db";
  ExpectOpenError(OpenJournal(path, {}).status(), StatusCode::kIoError, path,
                  "cannot create folder");
}

TEST_F(JournalTest, ConcurrentReaderOnlySeesWholeCommits) {
  auto writer = OpenJournal(path_, {.sync = JournalSync::kNormal});
  ASSERT_OK(writer);
  auto reader = OpenJournalReadOnly(path_);
  ASSERT_OK(reader);
  constexpr int kScans = 150;
  std::atomic<bool> done = false;
  int reads = 0;
  std::thread reading([&] {  // determinism-ok: a second connection reading during commits
    int64_t last_fills = 0;
    while (!done.load()) {
      auto counts = (*reader)->Counts();
      ASSERT_OK(counts);
      // Each scan commits its fill and its marker together: never one without the other.
      EXPECT_EQ(counts->fills, counts->processed);
      EXPECT_GE(counts->fills, last_fills);
      last_fills = counts->fills;
      ++reads;
    }
  });
  for (int scan = 1; scan <= kScans; ++scan) {
    const OrderIntent in = MakeIntent(scan, 0);
    ASSERT_OK((*writer)->CommitIntents(std::vector{in}));
    ASSERT_OK((*writer)->CommitScan(MakeScan(scan, {MakeFill(in)})));
  }
  done = true;
  reading.join();
  EXPECT_GT(reads, 0);
  auto counts = (*reader)->Counts();
  ASSERT_OK(counts);
  EXPECT_EQ(counts->fills, kScans);
}

}  // namespace
}  // namespace dolphin::trader
