// Journal: the trader's durable record in SQLite (WAL). One file per colour.
//
// What makes the trader at-most-once and never doubled (docs/trader.md):
//  - CommitIntents: the order intents of a scan (deterministic client order ids) are committed
//    BEFORE the orders are sent. Re-committing an existing id re-opens it (attempts + 1) and
//    never makes a second row.
//  - CommitScan: the fills of a scan, the engine's snapshot (portfolio and all), the processed
//    marker (epoch, scan_number, context) and any gap are committed in ONE transaction.
//    A fill's client order id is unique: a second fill for the same order is refused
//    (AlreadyExists) and nothing of that commit is written.
//  - On start the service loads the snapshot and the control state, and reconciles the open
//    intents (status "open") with the venue, cancelling the ones the venue does not know.
// `sync = full` makes every commit durable before it returns (PRAGMA synchronous=FULL);
// `normal` may lose the last commits on power loss, never on a process crash.
// Thread-safety: one Journal per thread; readers may open the same file read-only
// (OpenReadOnly) from other processes while a writer runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dolphin/core/result.h"
#include "dolphin/core/time.h"
#include "dolphin/trader/types.h"

namespace dolphin::trader {

struct JournalOptions {
  JournalSync sync = JournalSync::kFull;
  // Recorded in the file on creation; opening a journal of another colour is an error.
  std::string color = "BLUE";
};

// One processed (or stale) scan: the marker a backtest over the journal replays.
struct ProcessedScan {
  int64_t epoch = 0;
  int64_t scan_number = 0;
  Timestamp scan_ts;
  std::string file;  // the bridge's `file` field (may be empty)
  ScanContext context;
  std::string outcome;     // "processed" | "stale"
  std::string signal;      // one line: what the strategy saw and did
  Timestamp processed_at;  // wall clock when committed
};

// scan numbers [from, to] of `epoch` never seen (a gap before the scan that revealed it).
struct Gap {
  int64_t epoch = 0;
  int64_t from_scan = 0;
  int64_t to_scan = 0;
  Timestamp detected_at;
};

struct IntentRow {
  OrderIntent intent;
  std::string status;  // "open" | "filled" | "cancelled"
  std::string status_reason;
  int attempts = 1;
};

// The operator's controls, persisted the moment they are given.
struct ControlState {
  bool halted = false;
  bool flatten = false;
};

struct ControlEvent {
  int64_t id = 0;
  Timestamp ts;
  std::string action;  // "halt" | "resume" | "flatten" | "flatten_done" | ...
  std::string detail;
};

// Everything CommitScan writes, atomically.
struct ScanCommit {
  ProcessedScan processed;
  std::vector<Fill> fills;  // each marks its intent "filled"
  std::optional<Gap> gap;
  std::string snapshot_json;                  // the engine's state after the scan
  std::optional<ControlState> controls;       // new control state, when the scan changed it
  std::optional<ControlEvent> control_event;  // e.g. "flatten_done"
};

struct JournalCounts {
  int64_t processed = 0;
  int64_t stale = 0;
  int64_t missed_scans = 0;  // sum over gaps of (to - from + 1)
  int64_t intents = 0;
  int64_t open_intents = 0;
  int64_t fills = 0;
};

class Journal {
 public:
  virtual ~Journal() = default;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  virtual Status CommitIntents(std::span<const OrderIntent> intents) = 0;
  virtual Status CommitScan(const ScanCommit& commit) = 0;
  // Marks open intents cancelled with a reason (reconciliation).
  virtual Status CancelIntents(std::span<const std::string> client_order_ids,
                               std::string_view reason) = 0;
  // Records an operator control and the new control state in one transaction.
  virtual Status RecordControl(const ControlEvent& event, const ControlState& state) = 0;

  // The newest snapshot, or nullopt for a new journal.
  virtual Result<std::optional<std::string>> LoadSnapshot() = 0;
  virtual Result<ControlState> LoadControlState() = 0;
  // The last processed (or stale) marker, or nullopt.
  virtual Result<std::optional<ProcessedScan>> LastProcessed() = 0;

  // Listings, oldest first.
  virtual Result<std::vector<IntentRow>> Intents() = 0;  // every status
  virtual Result<std::vector<Fill>> Fills() = 0;
  virtual Result<std::vector<ProcessedScan>> Processed() = 0;
  virtual Result<std::vector<Gap>> Gaps() = 0;
  virtual Result<std::vector<ControlEvent>> Controls() = 0;
  virtual Result<JournalCounts> Counts() = 0;

  virtual const std::filesystem::path& path() const = 0;
  // The file's schema version (docs/journal.md), and the older version that OpenJournal
  // migrated it from (0 when it did not migrate). A read-only open never migrates.
  virtual int64_t schema_version() const = 0;
  virtual int64_t migrated_from() const = 0;

 protected:
  Journal() = default;
};

// Opens (creating it and its folder if needed) the journal for writing, migrating an older
// schema in one transaction. Errors name the file and what is wrong: not a journal, another
// colour, a newer schema, a locked or unwritable file.
Result<std::unique_ptr<Journal>> OpenJournal(const std::filesystem::path& path,
                                             JournalOptions options);
// Opens an existing journal read-only (for `dolphin trader fills` and backtests). Every write
// method returns FailedPrecondition.
Result<std::unique_ptr<Journal>> OpenJournalReadOnly(const std::filesystem::path& path);

}  // namespace dolphin::trader
