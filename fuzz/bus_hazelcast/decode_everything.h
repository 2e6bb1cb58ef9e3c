// Every response/event decoder and the Data decoders on one message: what the fuzz target
// (frame_decoder_fuzz.cc) runs on each message it reads, and what
// ProtocolTest.FuzzCorpusReplaysWithoutCrashing replays the corpus through. Errors are the
// expected outcome; any crash or sanitizer report is a bug. Thread-safety: pure.
#pragma once

#include "protocol.h"

namespace dolphin::bus::hazelcast {

inline void DecodeEverything(const Message& m) {
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

}  // namespace dolphin::bus::hazelcast
