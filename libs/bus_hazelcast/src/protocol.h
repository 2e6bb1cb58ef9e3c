// Hazelcast Open Binary Client Protocol 2.x: frames, messages, the codecs dolphin uses, and
// the Data serialization of strings (with the partition hash).
//
// Pure functions and value types; no I/O. Everything that decodes bytes from the network
// validates lengths and structure first and returns a Corruption error for a malformed or
// hostile input: it never reads out of bounds and never aborts (fuzz/bus_hazelcast/ checks).
// Protocol integers are little-endian; the inside of a Data blob is big-endian.
// Thread-safety: value types and pure functions; a MessageReader belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dolphin/core/result.h"

namespace dolphin::bus::hazelcast {

// Frame flag bits (uint16).
inline constexpr uint16_t kBeginFragment = 0x8000;
inline constexpr uint16_t kEndFragment = 0x4000;
inline constexpr uint16_t kIsFinal = 0x2000;
inline constexpr uint16_t kBeginDataStructure = 0x1000;
inline constexpr uint16_t kEndDataStructure = 0x0800;
inline constexpr uint16_t kIsNull = 0x0400;
inline constexpr uint16_t kIsEvent = 0x0200;
inline constexpr uint16_t kUnfragmented = kBeginFragment | kEndFragment;
inline constexpr size_t kFrameHeaderSize = 6;

// Message types used by dolphin.
inline constexpr int32_t kErrorResponse = 0x000000;
inline constexpr int32_t kAuthentication = 0x000100;
inline constexpr int32_t kCreateProxy = 0x000400;
inline constexpr int32_t kGetDistributedObjects = 0x000800;
inline constexpr int32_t kPing = 0x000B00;
inline constexpr int32_t kMapPut = 0x010100;
inline constexpr int32_t kMapGet = 0x010200;
inline constexpr int32_t kMapRemove = 0x010300;
inline constexpr int32_t kMapContainsKey = 0x010600;
inline constexpr int32_t kMapDelete = 0x010900;
inline constexpr int32_t kMapSet = 0x010F00;
inline constexpr int32_t kMapAddEntryListenerToKey = 0x011800;
inline constexpr int32_t kMapAddEntryListener = 0x011900;
inline constexpr int32_t kMapRemoveEntryListener = 0x011A00;
inline constexpr int32_t kMapKeySet = 0x012200;
inline constexpr int32_t kMapEntrySet = 0x012500;
inline constexpr int32_t kMapSize = 0x012A00;
inline constexpr int32_t kEntryEventToKey = 0x011802;
inline constexpr int32_t kEntryEvent = 0x011902;

// Entry event types (4.x/5.x values).
inline constexpr int32_t kEventAdded = 1;
inline constexpr int32_t kEventRemoved = 2;
inline constexpr int32_t kEventUpdated = 4;
inline constexpr int32_t kEventEvicted = 8;
inline constexpr int32_t kEventExpired = 16;
inline constexpr int32_t kEventMerged = 128;
inline constexpr int32_t kEventLoaded = 512;
// What dolphin listens to: every event that changes one key's value.
inline constexpr int32_t kListenerFlags = kEventAdded | kEventRemoved | kEventUpdated |
                                          kEventEvicted | kEventExpired | kEventMerged |
                                          kEventLoaded;

// Data serializer type ids.
inline constexpr int32_t kTypeString = -11;
inline constexpr int32_t kTypeJsonValue = -130;

inline constexpr std::string_view kMapService = "hz:impl:mapService";

struct Frame {
  uint16_t flags = 0;
  std::string payload;
  bool Has(uint16_t bit) const { return (flags & bit) != 0; }
};

// A complete (reassembled) message; frames[0] is the initial frame.
struct Message {
  std::vector<Frame> frames;
};

struct Uuid {
  bool is_null = true;
  uint64_t msb = 0;
  uint64_t lsb = 0;
  friend bool operator==(const Uuid&, const Uuid&) = default;
};
std::string UuidToString(const Uuid& uuid);

// Limits that keep a hostile peer from making the reader allocate without bound.
struct ReaderLimits {
  size_t max_frame_bytes = 64u << 20;
  size_t max_message_bytes = 256u << 20;
  size_t max_frames_per_message = 1u << 20;
  size_t max_pending_fragmented = 64;
};

// Splits a byte stream into frames and frames into messages (reassembling fragments).
// After Feed() returns an error the stream is corrupt and the connection must be dropped.
class MessageReader {
 public:
  explicit MessageReader(ReaderLimits limits = {}) : limits_(limits) {}
  // Consumes `bytes`; appends every completed message to `out`.
  Status Feed(std::string_view bytes, std::vector<Message>& out);
  // Bytes buffered for an incomplete frame or message.
  size_t buffered_bytes() const { return buffer_.size() - pos_ + current_bytes_; }

 private:
  Status OnFrame(Frame frame, std::vector<Message>& out);

  ReaderLimits limits_;
  std::string buffer_;
  size_t pos_ = 0;
  Message current_;
  size_t current_bytes_ = 0;
  std::map<int64_t, Message> fragments_;  // fragment id -> frames so far (without id frames)
};

// Builds one request message. Fixed params go to the initial frame in call order, then
// variable frames in call order; Finish() marks the last frame IS_FINAL.
class RequestEncoder {
 public:
  RequestEncoder(int32_t type, int32_t partition_id);
  RequestEncoder& Bool(bool v);
  RequestEncoder& Byte(uint8_t v);
  RequestEncoder& Int32(int32_t v);
  RequestEncoder& Int64(int64_t v);
  RequestEncoder& FixedUuid(const Uuid& v);
  // A variable frame holding raw bytes (a String or a Data param).
  RequestEncoder& Bytes(std::string_view v);
  RequestEncoder& Null();
  RequestEncoder& Begin();
  RequestEncoder& End();
  // The wire bytes, correlation id 0 (set it with SetCorrelationId).
  std::string Finish() const;

 private:
  std::string initial_;
  std::vector<Frame> frames_;
};

// Overwrites the correlation id of an encoded request (wire offset 10).
void SetCorrelationId(std::string& wire, int64_t correlation_id);

// ---- Data (serialized values) --------------------------------------------------------------

// A Hazelcast String Data blob: BE header (partition hash 0, type -11), BE UTF-8 length, bytes.
std::string EncodeStringData(std::string_view text);
// Text of a String (-11) or HazelcastJsonValue (-130) Data blob; Corruption otherwise.
Result<std::string> DecodeStringData(std::string_view data);

// MurmurHash3_x86_32 as Hazelcast uses it (LE blocks).
int32_t Murmur3X86_32(std::string_view bytes, uint32_t seed);
// The partition hash of a Data blob: its header field if non-zero, else murmur3 of the payload.
// A blob shorter than its 8-byte header hashes as empty.
int32_t DataPartitionHash(std::string_view data);
// partition id = 0 for INT32_MIN, else |hash| % count. REQUIRES: count > 0.
int32_t PartitionIdForHash(int32_t hash, int32_t count);

// ---- Requests ------------------------------------------------------------------------------

struct AuthRequest {
  std::string cluster_name;
  std::optional<std::string> username;
  std::optional<std::string> password;
  Uuid client_uuid;
  std::string client_name;
};
std::string EncodeAuthentication(const AuthRequest& req);
std::string EncodePing();
std::string EncodeCreateProxy(std::string_view name, std::string_view service);
std::string EncodeGetDistributedObjects();
std::string EncodeMapSet(std::string_view map, std::string_view key_data,
                         std::string_view value_data, int32_t partition);
std::string EncodeMapPut(std::string_view map, std::string_view key_data,
                         std::string_view value_data, int32_t partition);
// Get, Remove, Delete, ContainsKey share the layout {threadId; name, key}.
std::string EncodeMapKeyOp(int32_t type, std::string_view map, std::string_view key_data,
                           int32_t partition);
// KeySet, EntrySet, Size share the layout {; name}.
std::string EncodeMapNameOp(int32_t type, std::string_view map);
std::string EncodeAddEntryListener(std::string_view map);
std::string EncodeAddEntryListenerToKey(std::string_view map, std::string_view key_data);
std::string EncodeRemoveEntryListener(std::string_view map, const Uuid& registration);

// ---- Responses and events ------------------------------------------------------------------

struct MessageHeader {
  int32_t type = 0;
  int64_t correlation_id = 0;
  bool is_event = false;
};
Result<MessageHeader> DecodeHeader(const Message& msg);

struct ErrorInfo {
  int32_t code = 0;
  std::string class_name;
  std::string message;
};
// The outermost error of an error response (type 0).
Result<ErrorInfo> DecodeErrorResponse(const Message& msg);
// A Status for an error response: "<op>: <className>: <message> (hazelcast error code N)".
Status ErrorResponseToStatus(const Message& msg, std::string_view op);

struct AuthResponse {
  uint8_t status = 0;
  Uuid member_uuid;
  uint8_t serialization_version = 0;
  int32_t partition_count = 0;
  Uuid cluster_id;
  std::string server_version;
};
Result<AuthResponse> DecodeAuthResponse(const Message& msg);

Result<bool> DecodeBoolResponse(const Message& msg);
Result<int32_t> DecodeInt32Response(const Message& msg);
Result<Uuid> DecodeUuidResponse(const Message& msg);
// The response's first variable frame as nullable bytes (Get/Put/Remove).
Result<std::optional<std::string>> DecodeNullableDataResponse(const Message& msg);
// List_Data (KeySet).
Result<std::vector<std::string>> DecodeListDataResponse(const Message& msg);
// EntryList_Data_Data (EntrySet).
Result<std::vector<std::pair<std::string, std::string>>> DecodeEntryListResponse(
    const Message& msg);
// List_DistributedObjectInfo as (serviceName, name) pairs.
Result<std::vector<std::pair<std::string, std::string>>> DecodeDistributedObjectsResponse(
    const Message& msg);

struct EntryEvent {
  int32_t event_type = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::optional<std::string> old_value;
};
Result<EntryEvent> DecodeEntryEvent(const Message& msg);

}  // namespace dolphin::bus::hazelcast
