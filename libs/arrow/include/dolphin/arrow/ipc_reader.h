// Arrow IPC reader: the file format ("ARROW1" ... footer) and the stream format (with or without
// the 0xFFFFFFFF continuation marker of Arrow >= 0.15), metadata V4 and V5, little-endian,
// uncompressed or with LZ4_FRAME / ZSTD body compression.
//
// The input is untrusted: every offset, length, count and nesting depth is checked, decoded
// bytes are capped (ReaderOptions), and every failure is a Status whose one-line message names
// the field, message or offset at fault. Nothing throws.
//
// Thread-safety: the functions are reentrant; the returned Table is immutable.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <span>
#include <string>

#include "dolphin/arrow/array.h"
#include "dolphin/core/result.h"

namespace dolphin::arrow {

struct ReaderOptions {
  // Upper bound on bytes allocated while decoding (decompressed buffers and decoded objects).
  // The effective cap is min(input size * 255 + 1 MiB, max_decoded_bytes). Default: 256 MiB.
  int64_t max_decoded_bytes = int64_t{256} << 20;
  // Upper bound on the length of arrays whose length is not backed by a buffer (null columns,
  // structs without validity bitmap, zero-width fixed-size kinds, column-less batches).
  // Default: 1 Mi rows.
  int64_t max_rows_bufferless = int64_t{1} << 20;
  // Maximum nesting depth of fields (a top-level primitive column has depth 1). Default: 64.
  int max_nesting_depth = 64;
};

// Decodes a whole IPC file or stream (detected from the leading "ARROW1" magic). The bytes are
// copied once; the table does not refer to `bytes` afterwards.
Result<Table> ReadIpc(std::span<const uint8_t> bytes, const ReaderOptions& options = {});
// Same, taking ownership of the bytes (no copy).
Result<Table> ReadIpc(std::shared_ptr<const std::vector<uint8_t>> bytes,
                      const ReaderOptions& options = {});
// Reads the file at `path` and decodes it. IoError when the file cannot be read.
Result<Table> ReadIpcFile(const std::string& path, const ReaderOptions& options = {});

// Reads a whole file into memory (IoError naming the path on failure): one read of the fstat
// size for a regular file; anything else (a FIFO) is read to its end.
Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path);
// The same from a descriptor the caller opened, with the caller's fstat of it (`st`: its type
// and size, so the read needs no second fstat); closes `fd`. `path` names the file in errors.
Result<std::vector<uint8_t>> ReadOpenFile(int fd, const struct stat& st, const std::string& path);

}  // namespace dolphin::arrow
