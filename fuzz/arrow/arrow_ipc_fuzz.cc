// libFuzzer target: decode arbitrary bytes as an Arrow IPC file or stream, encode the rows to
// JSON, and, when the writer accepts the decoded table, check that writing and reading it again
// gives the same rows (a differential check of reader and writer). Any crash, sanitizer report,
// timeout, large allocation or trap is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/arrow/json_writer.h"

namespace {

constexpr size_t kMaxRendered = size_t{1} << 20;

// Rows as JSON, stopping after kMaxRendered bytes (a valid table can expand on output).
std::string Render(const dolphin::arrow::Table& table) {
  return dolphin::arrow::EncodeJsonLines(table, kMaxRendered);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dolphin::arrow::ReaderOptions options;
  options.max_decoded_bytes = int64_t{64} << 20;
  options.max_rows_bufferless = int64_t{1} << 16;
  auto table = dolphin::arrow::ReadIpc(std::span<const uint8_t>(data, size), options);
  if (!table.ok()) return 0;
  std::string rows = Render(*table);
  if (rows.size() >= kMaxRendered) return 0;
  dolphin::arrow::WriterOptions wo;
  wo.format =
      (size & 1) != 0 ? dolphin::arrow::IpcFormat::kStream : dolphin::arrow::IpcFormat::kFile;
  auto bytes = dolphin::arrow::WriteIpc(*table, wo);
  if (!bytes.ok()) return 0;              // e.g. list offsets not starting at 0, delta dictionaries
  dolphin::arrow::ReaderOptions relaxed;  // what we wrote ourselves may be larger than the input
  auto again = dolphin::arrow::ReadIpc(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()),
      relaxed);
  if (!again.ok() || Render(*again) != rows) __builtin_trap();
  return 0;
}
