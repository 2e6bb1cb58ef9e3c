#include "compression.h"

#include <lz4frame.h>
#include <zstd.h>

#include <memory>

#include <fmt/format.h>

namespace dolphin::arrow::internal {

const char* CodecName(Codec codec) {
  switch (codec) {
    case Codec::kNone: return "none";
    case Codec::kLz4Frame: return "LZ4_FRAME";
    case Codec::kZstd: return "ZSTD";
  }
  return "?";
}

namespace {

Result<std::vector<uint8_t>> DecompressLz4(const uint8_t* src, size_t size, size_t expected) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
    return InternalError("cannot create an LZ4 decompression context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx(
      raw, &LZ4F_freeDecompressionContext);
  std::vector<uint8_t> out(expected);
  size_t in_pos = 0;
  size_t out_pos = 0;
  size_t hint = 1;
  while (in_pos < size) {
    size_t in_n = size - in_pos;
    size_t out_n = expected - out_pos;
    hint = LZ4F_decompress(ctx.get(), out.data() + out_pos, &out_n, src + in_pos, &in_n, nullptr);
    if (LZ4F_isError(hint)) {
      return CorruptionError(fmt::format("LZ4 frame: {}", LZ4F_getErrorName(hint)));
    }
    in_pos += in_n;
    out_pos += out_n;
    if (hint == 0) {
      // End of one frame; another frame may follow.
      if (in_pos < size) LZ4F_resetDecompressionContext(ctx.get());
      continue;
    }
    if (in_n == 0 && out_n == 0) {
      return CorruptionError(
          fmt::format("LZ4 frame decodes to more than the declared {} bytes", expected));
    }
  }
  if (hint != 0) return CorruptionError("LZ4 frame is truncated");
  if (out_pos != expected) {
    return CorruptionError(
        fmt::format("LZ4 frame decodes to {} bytes, {} declared", out_pos, expected));
  }
  return out;
}

Result<std::vector<uint8_t>> DecompressZstd(const uint8_t* src, size_t size, size_t expected) {
  // One decompression context per thread: creating one per buffer costs more than small
  // buffers take to decode.
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(),
                                                                        &ZSTD_freeDCtx);
  if (ctx == nullptr) return InternalError("cannot create a ZSTD decompression context");
  std::vector<uint8_t> out(expected);
  size_t n = ZSTD_decompressDCtx(ctx.get(), out.data(), expected, src, size);
  if (ZSTD_isError(n)) return CorruptionError(fmt::format("ZSTD: {}", ZSTD_getErrorName(n)));
  if (n != expected) {
    return CorruptionError(fmt::format("ZSTD data decodes to {} bytes, {} declared", n, expected));
  }
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> Decompress(Codec codec, const uint8_t* src, size_t size,
                                        size_t expected) {
  switch (codec) {
    case Codec::kLz4Frame: return DecompressLz4(src, size, expected);
    case Codec::kZstd: return DecompressZstd(src, size, expected);
    case Codec::kNone: break;
  }
  return InternalError("Decompress called without a codec");
}

Status Compress(Codec codec, const uint8_t* src, size_t size, std::string& out) {
  size_t at = out.size();
  if (codec == Codec::kLz4Frame) {
    size_t bound = LZ4F_compressFrameBound(size, nullptr);
    out.resize(at + bound);
    size_t n = LZ4F_compressFrame(out.data() + at, bound, src, size, nullptr);
    if (LZ4F_isError(n)) return InternalError(fmt::format("LZ4: {}", LZ4F_getErrorName(n)));
    out.resize(at + n);
    return Status::Ok();
  }
  if (codec == Codec::kZstd) {
    size_t bound = ZSTD_compressBound(size);
    out.resize(at + bound);
    size_t n = ZSTD_compress(out.data() + at, bound, src, size, 1);
    if (ZSTD_isError(n)) return InternalError(fmt::format("ZSTD: {}", ZSTD_getErrorName(n)));
    out.resize(at + n);
    return Status::Ok();
  }
  return InternalError("Compress called without a codec");
}

}  // namespace dolphin::arrow::internal
