// Body buffer codecs of the Arrow IPC format (LZ4 frame, Zstandard).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dolphin/core/result.h"

namespace dolphin::arrow::internal {

enum class Codec : int8_t { kNone = -1, kLz4Frame = 0, kZstd = 1 };

const char* CodecName(Codec codec);

// Decompresses `src` into exactly `expected` bytes; an error if the data is malformed or does not
// decode to exactly that size.
Result<std::vector<uint8_t>> Decompress(Codec codec, const uint8_t* src, size_t size,
                                        size_t expected);

// Appends the compressed form of `src` to `out`.
Status Compress(Codec codec, const uint8_t* src, size_t size, std::string& out);

}  // namespace dolphin::arrow::internal
