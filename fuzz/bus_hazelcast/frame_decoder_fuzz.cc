// Fuzzes what a hostile or broken member can send: the byte stream goes through MessageReader
// (split into two reads at a position taken from the input, to exercise partial frames), and
// every completed message through every response/event decoder and the Data decoders. Any
// crash, sanitizer report or leak is a bug; errors are the expected outcome.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol.h"

using namespace dolphin::bus::hazelcast;  // NOLINT: fuzz harness

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ReaderLimits limits;
  limits.max_frame_bytes = 1 << 16;
  limits.max_message_bytes = 1 << 20;
  limits.max_frames_per_message = 4096;
  limits.max_pending_fragmented = 4;
  MessageReader reader(limits);
  std::vector<Message> out;
  const size_t split = size == 0 ? 0 : data[0] % (size + 1);
  if (reader.Feed(bytes.substr(0, split), out).ok()) (void)reader.Feed(bytes.substr(split), out);
  for (const Message& m : out) {
    (void)DecodeHeader(m);
    (void)DecodeErrorResponse(m);
    (void)ErrorResponseToStatus(m, "fuzz");
    (void)DecodeAuthResponse(m);
    (void)DecodeBoolResponse(m);
    (void)DecodeInt32Response(m);
    (void)DecodeUuidResponse(m);
    (void)DecodeNullableDataResponse(m);
    (void)DecodeListDataResponse(m);
    (void)DecodeEntryListResponse(m);
    (void)DecodeDistributedObjectsResponse(m);
    auto ev = DecodeEntryEvent(m);
    if (ev.ok()) {
      if (ev->key) (void)DecodeStringData(*ev->key);
      if (ev->value) (void)DecodeStringData(*ev->value);
    }
    for (const Frame& f : m.frames) {
      (void)DecodeStringData(f.payload);
      (void)PartitionIdForHash(DataPartitionHash(f.payload), 271);
    }
  }
  return 0;
}
