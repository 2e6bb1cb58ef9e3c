// Fuzzes what a hostile or broken member can send: the byte stream goes through MessageReader
// (split into two reads at a position taken from the input, to exercise partial frames), and
// every completed message through every response/event decoder and the Data decoders. Any
// crash, sanitizer report or leak is a bug; errors are the expected outcome.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "decode_everything.h"
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
    DecodeEverything(m);
  }
  return 0;
}
