// libFuzzer target: decode arbitrary bytes as an Arrow IPC file or stream, then encode rows to
// JSON. Any crash, sanitizer report, timeout or large allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/json_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dolphin::arrow::ReaderOptions options;
  options.max_decoded_bytes = int64_t{64} << 20;
  options.max_rows_bufferless = int64_t{1} << 16;
  auto table = dolphin::arrow::ReadIpc(std::span<const uint8_t>(data, size), options);
  if (!table.ok()) return 0;
  std::string out;
  for (size_t b = 0; b < table->batches.size(); ++b) {
    for (int64_t r = 0; r < table->batches[b].num_rows && out.size() < (1u << 20); ++r) {
      dolphin::arrow::EncodeRowJson(*table, b, r, out);
    }
  }
  return 0;
}
