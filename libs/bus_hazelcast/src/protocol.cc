#include "protocol.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

namespace dolphin::bus::hazelcast {

namespace {

// ---- little/big-endian helpers on raw bytes -------------------------------------------------

uint64_t LoadLe(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint32_t LoadBe32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
void AppendLe(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void AppendBe32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

Status Corrupt(std::string_view what) {
  return CorruptionError(fmt::format("hazelcast protocol: {}", what));
}

// Walks the frames of a message after the initial one, validating structure as it goes.
class Cursor {
 public:
  explicit Cursor(const Message& msg) : msg_(msg) {}

  bool AtEnd() const { return i_ >= msg_.frames.size(); }

  Result<const Frame*> Next(std::string_view what) {
    if (AtEnd()) return Corrupt(fmt::format("message ends before {}", what));
    return &msg_.frames[i_++];
  }
  // A non-null, non-structural frame's payload.
  Result<std::string> Bytes(std::string_view what) {
    DOLPHIN_ASSIGN_OR_RETURN(const Frame* f, Next(what));
    if (f->Has(kBeginDataStructure) || f->Has(kEndDataStructure) || f->Has(kIsNull)) {
      return Corrupt(fmt::format("{}: expected a value frame, got flags {:#06x}", what, f->flags));
    }
    return f->payload;
  }
  Result<std::optional<std::string>> NullableBytes(std::string_view what) {
    DOLPHIN_ASSIGN_OR_RETURN(const Frame* f, Next(what));
    if (f->Has(kBeginDataStructure) || f->Has(kEndDataStructure)) {
      return Corrupt(fmt::format("{}: expected a value frame, got flags {:#06x}", what, f->flags));
    }
    if (f->Has(kIsNull)) return std::optional<std::string>();
    return std::optional<std::string>(f->payload);
  }
  Status ExpectBegin(std::string_view what) {
    DOLPHIN_ASSIGN_OR_RETURN(const Frame* f, Next(what));
    if (!f->Has(kBeginDataStructure)) {
      return Corrupt(fmt::format("{}: expected BEGIN, got flags {:#06x}", what, f->flags));
    }
    return Status::Ok();
  }
  // True (and consumed) when the next frame closes a structure.
  Result<bool> ConsumeEnd(std::string_view what) {
    if (AtEnd()) return Corrupt(fmt::format("message ends inside {}", what));
    if (msg_.frames[i_].Has(kEndDataStructure) && !msg_.frames[i_].Has(kBeginDataStructure)) {
      ++i_;
      return true;
    }
    return false;
  }
  // Consumes frames up to and including the END matching an already consumed BEGIN.
  Status SkipStructure(std::string_view what) {
    int depth = 1;
    while (depth > 0) {
      DOLPHIN_ASSIGN_OR_RETURN(const Frame* f, Next(what));
      if (f->Has(kBeginDataStructure)) {
        ++depth;
      } else if (f->Has(kEndDataStructure)) {
        --depth;
      }
    }
    return Status::Ok();
  }

 private:
  const Message& msg_;
  size_t i_ = 1;
};

const std::string& InitialPayload(const Message& msg) {
  static const std::string kEmpty;
  return msg.frames.empty() ? kEmpty : msg.frames[0].payload;
}

Result<Uuid> ReadUuid(const std::string& p, size_t off, std::string_view what) {
  if (p.size() < off + 17) return Corrupt(fmt::format("{}: initial frame too short", what));
  Uuid u;
  u.is_null = p[off] != 0;
  u.msb = LoadLe(p.data() + off + 1, 8);
  u.lsb = LoadLe(p.data() + off + 9, 8);
  if (u.is_null) u.msb = u.lsb = 0;
  return u;
}

uint32_t Rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

}  // namespace

std::string UuidToString(const Uuid& uuid) {
  if (uuid.is_null) return "null";
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", uuid.msb >> 32,
                     (uuid.msb >> 16) & 0xffff, uuid.msb & 0xffff, uuid.lsb >> 48,
                     uuid.lsb & 0xffffffffffffULL);
}

// ---- MessageReader --------------------------------------------------------------------------

Status MessageReader::Feed(std::string_view bytes, std::vector<Message>& out) {
  buffer_.append(bytes.data(), bytes.size());
  Status status;
  while (buffer_.size() - pos_ >= kFrameHeaderSize) {
    const char* p = buffer_.data() + pos_;
    const uint64_t length = LoadLe(p, 4);
    const auto flags = static_cast<uint16_t>(LoadLe(p + 4, 2));
    if (length < kFrameHeaderSize) {
      status = Corrupt(fmt::format("frame length {} is below the 6-byte header", length));
      break;
    }
    if (length > limits_.max_frame_bytes) {
      status = Corrupt(
          fmt::format("frame length {} exceeds the limit {}", length, limits_.max_frame_bytes));
      break;
    }
    if (buffer_.size() - pos_ < length) break;
    Frame frame{flags, std::string(p + kFrameHeaderSize, length - kFrameHeaderSize)};
    pos_ += length;
    status = OnFrame(std::move(frame), out);
    if (!status.ok()) break;
  }
  if (!status.ok()) {
    buffer_.clear();
    pos_ = 0;
    current_ = Message();
    current_bytes_ = 0;
    fragments_.clear();
    return status;
  }
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  return Status::Ok();
}

Status MessageReader::OnFrame(Frame frame, std::vector<Message>& out) {
  current_bytes_ += frame.payload.size() + kFrameHeaderSize;
  if (current_bytes_ > limits_.max_message_bytes) {
    return Corrupt(fmt::format("message exceeds {} bytes", limits_.max_message_bytes));
  }
  if (current_.frames.size() >= limits_.max_frames_per_message) {
    return Corrupt(fmt::format("message exceeds {} frames", limits_.max_frames_per_message));
  }
  const bool final = frame.Has(kIsFinal);
  current_.frames.push_back(std::move(frame));
  if (!final) return Status::Ok();

  Message msg = std::move(current_);
  current_ = Message();
  current_bytes_ = 0;
  const uint16_t fragment_bits = msg.frames[0].flags & kUnfragmented;
  if (fragment_bits == kUnfragmented) {
    out.push_back(std::move(msg));
    return Status::Ok();
  }
  // A fragment: its first frame holds the int64 fragment id; the rest continue the message.
  if (msg.frames[0].payload.size() < 8) return Corrupt("fragment without an 8-byte id");
  const auto id = static_cast<int64_t>(LoadLe(msg.frames[0].payload.data(), 8));
  auto it = fragments_.find(id);
  if (fragment_bits == kBeginFragment) {
    if (it != fragments_.end()) return Corrupt(fmt::format("fragment id {} begun twice", id));
    if (fragments_.size() >= limits_.max_pending_fragmented) {
      return Corrupt("too many fragmented messages in flight");
    }
    it = fragments_.emplace(id, Message()).first;
  } else if (it == fragments_.end()) {
    return Corrupt(fmt::format("continuation of unknown fragment id {}", id));
  }
  Message& acc = it->second;
  size_t total = 0;
  for (const Frame& f : acc.frames) total += f.payload.size() + kFrameHeaderSize;
  for (size_t i = 1; i < msg.frames.size(); ++i) {
    total += msg.frames[i].payload.size() + kFrameHeaderSize;
    if (total > limits_.max_message_bytes || acc.frames.size() >= limits_.max_frames_per_message) {
      fragments_.erase(it);
      return Corrupt("fragmented message exceeds the size limit");
    }
    acc.frames.push_back(std::move(msg.frames[i]));
  }
  if (fragment_bits == kEndFragment) {
    Message done = std::move(acc);
    fragments_.erase(it);
    if (done.frames.empty()) return Corrupt("fragmented message without frames");
    out.push_back(std::move(done));
  }
  return Status::Ok();
}

// ---- RequestEncoder -------------------------------------------------------------------------

RequestEncoder::RequestEncoder(int32_t type, int32_t partition_id) {
  initial_.reserve(64);
  AppendLe(initial_, static_cast<uint32_t>(type), 4);
  AppendLe(initial_, 0, 8);
  AppendLe(initial_, static_cast<uint32_t>(partition_id), 4);
}
RequestEncoder& RequestEncoder::Bool(bool v) { return Byte(v ? 1 : 0); }
RequestEncoder& RequestEncoder::Byte(uint8_t v) {
  initial_.push_back(static_cast<char>(v));
  return *this;
}
RequestEncoder& RequestEncoder::Int32(int32_t v) {
  AppendLe(initial_, static_cast<uint32_t>(v), 4);
  return *this;
}
RequestEncoder& RequestEncoder::Int64(int64_t v) {
  AppendLe(initial_, static_cast<uint64_t>(v), 8);
  return *this;
}
RequestEncoder& RequestEncoder::FixedUuid(const Uuid& v) {
  initial_.push_back(v.is_null ? 1 : 0);
  AppendLe(initial_, v.is_null ? 0 : v.msb, 8);
  AppendLe(initial_, v.is_null ? 0 : v.lsb, 8);
  return *this;
}
RequestEncoder& RequestEncoder::Bytes(std::string_view v) {
  frames_.push_back(Frame{0, std::string(v)});
  return *this;
}
RequestEncoder& RequestEncoder::Null() {
  frames_.push_back(Frame{kIsNull, {}});
  return *this;
}
RequestEncoder& RequestEncoder::Begin() {
  frames_.push_back(Frame{kBeginDataStructure, {}});
  return *this;
}
RequestEncoder& RequestEncoder::End() {
  frames_.push_back(Frame{kEndDataStructure, {}});
  return *this;
}

std::string RequestEncoder::Finish() const {
  size_t total = kFrameHeaderSize + initial_.size();
  for (const Frame& f : frames_) total += kFrameHeaderSize + f.payload.size();
  std::string out;
  out.reserve(total);
  auto put = [&](uint16_t flags, const std::string& payload) {
    AppendLe(out, kFrameHeaderSize + payload.size(), 4);
    AppendLe(out, flags, 2);
    out += payload;
  };
  put(static_cast<uint16_t>(kUnfragmented | (frames_.empty() ? kIsFinal : 0)), initial_);
  for (size_t i = 0; i < frames_.size(); ++i) {
    const bool last = i + 1 == frames_.size();
    put(static_cast<uint16_t>(frames_[i].flags | (last ? kIsFinal : 0)), frames_[i].payload);
  }
  return out;
}

void SetCorrelationId(std::string& wire, int64_t correlation_id) {
  if (wire.size() < 18) return;
  for (int i = 0; i < 8; ++i) {
    wire[10 + i] = static_cast<char>((static_cast<uint64_t>(correlation_id) >> (8 * i)) & 0xff);
  }
}

// ---- Data -----------------------------------------------------------------------------------

std::string EncodeStringData(std::string_view text) {
  std::string out;
  out.reserve(12 + text.size());
  AppendBe32(out, 0);
  AppendBe32(out, static_cast<uint32_t>(kTypeString));
  AppendBe32(out, static_cast<uint32_t>(text.size()));
  out.append(text.data(), text.size());
  return out;
}

Result<std::string> DecodeStringData(std::string_view data) {
  if (data.size() < 8) return Corrupt(fmt::format("Data blob of {} bytes", data.size()));
  const auto type = static_cast<int32_t>(LoadBe32(data.data() + 4));
  if (type != kTypeString && type != kTypeJsonValue) {
    return CorruptionError(fmt::format(
        "hazelcast value is not a string (serializer type id {}); dolphin stores JSON text as "
        "Hazelcast strings",
        type));
  }
  if (data.size() < 12) return Corrupt("string Data without a length");
  const auto length = static_cast<int32_t>(LoadBe32(data.data() + 8));
  if (length < 0 || static_cast<size_t>(length) != data.size() - 12) {
    return Corrupt(fmt::format("string Data length {} does not match its {} payload bytes", length,
                               data.size() - 12));
  }
  return std::string(data.substr(12));
}

int32_t Murmur3X86_32(std::string_view bytes, uint32_t seed) {
  constexpr uint32_t kC1 = 0xcc9e2d51;
  constexpr uint32_t kC2 = 0x1b873593;
  const size_t n = bytes.size();
  const size_t blocks = n / 4;
  uint32_t h = seed;
  for (size_t i = 0; i < blocks; ++i) {
    auto k = static_cast<uint32_t>(LoadLe(bytes.data() + 4 * i, 4));
    k *= kC1;
    k = Rotl(k, 15);
    k *= kC2;
    h ^= k;
    h = Rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const auto* tail = reinterpret_cast<const uint8_t*>(bytes.data() + 4 * blocks);
  uint32_t k1 = 0;
  switch (n & 3) {
    case 3: k1 ^= static_cast<uint32_t>(tail[2]) << 16; [[fallthrough]];
    case 2: k1 ^= static_cast<uint32_t>(tail[1]) << 8; [[fallthrough]];
    case 1:
      k1 ^= tail[0];
      k1 *= kC1;
      k1 = Rotl(k1, 15);
      k1 *= kC2;
      h ^= k1;
      break;
    default: break;
  }
  h ^= static_cast<uint32_t>(n);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return static_cast<int32_t>(h);
}

int32_t DataPartitionHash(std::string_view data) {
  if (data.size() < 8) return Murmur3X86_32({}, 0x01000193);
  const auto header = static_cast<int32_t>(LoadBe32(data.data()));
  if (header != 0) return header;
  return Murmur3X86_32(data.substr(8), 0x01000193);
}

int32_t PartitionIdForHash(int32_t hash, int32_t count) {
  if (count <= 0 || hash == std::numeric_limits<int32_t>::min()) return 0;
  const int64_t a = hash < 0 ? -static_cast<int64_t>(hash) : hash;
  return static_cast<int32_t>(a % count);
}

// ---- Requests -------------------------------------------------------------------------------

namespace {
constexpr int64_t kThreadId = 1;
constexpr int64_t kDefaultTtl = -1;
}  // namespace

std::string EncodeAuthentication(const AuthRequest& req) {
  RequestEncoder e(kAuthentication, -1);
  e.FixedUuid(req.client_uuid).Byte(1).Bytes(req.cluster_name);
  if (req.username) {
    e.Bytes(*req.username);
  } else {
    e.Null();
  }
  if (req.password) {
    e.Bytes(*req.password);
  } else {
    e.Null();
  }
  e.Bytes("CPP").Bytes("5.0.0").Bytes(req.client_name).Begin().End();
  return e.Finish();
}

std::string EncodePing() { return RequestEncoder(kPing, -1).Finish(); }

std::string EncodeCreateProxy(std::string_view name, std::string_view service) {
  return RequestEncoder(kCreateProxy, -1).Bytes(name).Bytes(service).Finish();
}

std::string EncodeGetDistributedObjects() {
  return RequestEncoder(kGetDistributedObjects, -1).Finish();
}

std::string EncodeMapSet(std::string_view map, std::string_view key_data,
                         std::string_view value_data, int32_t partition) {
  return RequestEncoder(kMapSet, partition)
      .Int64(kThreadId)
      .Int64(kDefaultTtl)
      .Bytes(map)
      .Bytes(key_data)
      .Bytes(value_data)
      .Finish();
}

std::string EncodeMapPut(std::string_view map, std::string_view key_data,
                         std::string_view value_data, int32_t partition) {
  return RequestEncoder(kMapPut, partition)
      .Int64(kThreadId)
      .Int64(kDefaultTtl)
      .Bytes(map)
      .Bytes(key_data)
      .Bytes(value_data)
      .Finish();
}

std::string EncodeMapKeyOp(int32_t type, std::string_view map, std::string_view key_data,
                           int32_t partition) {
  return RequestEncoder(type, partition).Int64(kThreadId).Bytes(map).Bytes(key_data).Finish();
}

std::string EncodeMapNameOp(int32_t type, std::string_view map) {
  return RequestEncoder(type, -1).Bytes(map).Finish();
}

std::string EncodeAddEntryListener(std::string_view map) {
  return RequestEncoder(kMapAddEntryListener, -1)
      .Bool(true)
      .Int32(kListenerFlags)
      .Bool(false)
      .Bytes(map)
      .Finish();
}

std::string EncodeAddEntryListenerToKey(std::string_view map, std::string_view key_data) {
  return RequestEncoder(kMapAddEntryListenerToKey, -1)
      .Bool(true)
      .Int32(kListenerFlags)
      .Bool(false)
      .Bytes(map)
      .Bytes(key_data)
      .Finish();
}

std::string EncodeRemoveEntryListener(std::string_view map, const Uuid& registration) {
  return RequestEncoder(kMapRemoveEntryListener, -1).FixedUuid(registration).Bytes(map).Finish();
}

// ---- Responses and events -------------------------------------------------------------------

Result<MessageHeader> DecodeHeader(const Message& msg) {
  if (msg.frames.empty()) return Corrupt("message without frames");
  const std::string& p = msg.frames[0].payload;
  if (p.size() < 12) return Corrupt(fmt::format("initial frame of {} bytes", p.size()));
  MessageHeader h;
  h.type = static_cast<int32_t>(LoadLe(p.data(), 4));
  h.correlation_id = static_cast<int64_t>(LoadLe(p.data() + 4, 8));
  h.is_event = msg.frames[0].Has(kIsEvent);
  return h;
}

Result<ErrorInfo> DecodeErrorResponse(const Message& msg) {
  DOLPHIN_ASSIGN_OR_RETURN(MessageHeader h, DecodeHeader(msg));
  if (h.type != kErrorResponse) return Corrupt("not an error response");
  Cursor c(msg);
  DOLPHIN_RETURN_IF_ERROR(c.ExpectBegin("error list"));
  DOLPHIN_RETURN_IF_ERROR(c.ExpectBegin("error holder"));
  DOLPHIN_ASSIGN_OR_RETURN(std::string fixed, c.Bytes("error code"));
  if (fixed.size() < 4) return Corrupt("error holder without a code");
  ErrorInfo info;
  info.code = static_cast<int32_t>(LoadLe(fixed.data(), 4));
  DOLPHIN_ASSIGN_OR_RETURN(info.class_name, c.Bytes("error class name"));
  DOLPHIN_ASSIGN_OR_RETURN(std::optional<std::string> message, c.NullableBytes("error message"));
  info.message = message.value_or("");
  return info;
}

Status ErrorResponseToStatus(const Message& msg, std::string_view op) {
  auto info = DecodeErrorResponse(msg);
  if (!info.ok()) {
    return CorruptionError(
        fmt::format("{}: undecodable hazelcast error response: {}", op, info.status().message()));
  }
  std::string text = fmt::format("{}: {}: {} (hazelcast error code {})", op, info->class_name,
                                 info->message, info->code);
  switch (info->code) {
    case 3: return FailedPreconditionError(text);  // AUTHENTICATION
    case 19:
    case 33:
    case 46:
    case 47:
    case 52:
    case 53:                                      // not active, member left,
      return UnavailableError(text);              // retryable, disconnected
    case 38: return DeadlineExceededError(text);  // OPERATION_TIMEOUT
    case 21:
    case 23:
    case 37: return InvalidArgumentError(text);
    case 61: return UnimplementedError(text);
    default: return InternalError(text);
  }
}

Result<AuthResponse> DecodeAuthResponse(const Message& msg) {
  const std::string& p = InitialPayload(msg);
  if (p.size() < 14) return Corrupt("authentication response too short");
  AuthResponse r;
  r.status = static_cast<uint8_t>(p[13]);
  if (r.status != 0) return r;  // Refused: the rest may be absent.
  if (p.size() < 54) return Corrupt("authentication response too short");
  DOLPHIN_ASSIGN_OR_RETURN(r.member_uuid, ReadUuid(p, 14, "authentication response"));
  r.serialization_version = static_cast<uint8_t>(p[31]);
  r.partition_count = static_cast<int32_t>(LoadLe(p.data() + 32, 4));
  DOLPHIN_ASSIGN_OR_RETURN(r.cluster_id, ReadUuid(p, 36, "authentication response"));
  if (r.partition_count <= 0) {
    return Corrupt(fmt::format("partition count {} in authentication response", r.partition_count));
  }
  Cursor c(msg);
  if (c.AtEnd()) return r;
  DOLPHIN_ASSIGN_OR_RETURN(const Frame* address, c.Next("member address"));
  if (address->Has(kBeginDataStructure)) {
    DOLPHIN_RETURN_IF_ERROR(c.SkipStructure("member address"));
  } else if (!address->Has(kIsNull)) {
    return Corrupt("member address is neither NULL nor a structure");
  }
  if (!c.AtEnd()) {
    DOLPHIN_ASSIGN_OR_RETURN(r.server_version, c.Bytes("server version"));
  }
  return r;
}

Result<bool> DecodeBoolResponse(const Message& msg) {
  const std::string& p = InitialPayload(msg);
  if (p.size() < 14) return Corrupt("boolean response too short");
  return p[13] != 0;
}

Result<int32_t> DecodeInt32Response(const Message& msg) {
  const std::string& p = InitialPayload(msg);
  if (p.size() < 17) return Corrupt("int response too short");
  return static_cast<int32_t>(LoadLe(p.data() + 13, 4));
}

Result<Uuid> DecodeUuidResponse(const Message& msg) {
  return ReadUuid(InitialPayload(msg), 13, "UUID response");
}

Result<std::optional<std::string>> DecodeNullableDataResponse(const Message& msg) {
  if (msg.frames.empty()) return Corrupt("message without frames");
  Cursor c(msg);
  return c.NullableBytes("response value");
}

namespace {

using StringPair = std::pair<std::string, std::string>;

// A list response: BEGIN, then items until END; `item` decodes one item at the cursor.
template <typename T, typename DecodeItem>
Result<std::vector<T>> DecodeListResponse(const Message& msg, std::string_view what,
                                          DecodeItem item) {
  if (msg.frames.empty()) return Corrupt("message without frames");
  Cursor c(msg);
  DOLPHIN_RETURN_IF_ERROR(c.ExpectBegin(what));
  std::vector<T> items;
  while (true) {
    DOLPHIN_ASSIGN_OR_RETURN(bool end, c.ConsumeEnd(what));
    if (end) break;
    DOLPHIN_ASSIGN_OR_RETURN(T value, item(c));
    items.push_back(std::move(value));
  }
  return items;
}

}  // namespace

Result<std::vector<std::string>> DecodeListDataResponse(const Message& msg) {
  return DecodeListResponse<std::string>(msg, "data list",
                                         [](Cursor& c) { return c.Bytes("data list item"); });
}

Result<std::vector<std::pair<std::string, std::string>>> DecodeEntryListResponse(
    const Message& msg) {
  return DecodeListResponse<StringPair>(msg, "entry list", [](Cursor& c) -> Result<StringPair> {
    DOLPHIN_ASSIGN_OR_RETURN(std::string key, c.Bytes("entry key"));
    DOLPHIN_ASSIGN_OR_RETURN(std::string value, c.Bytes("entry value"));
    return StringPair(std::move(key), std::move(value));
  });
}

Result<std::vector<std::pair<std::string, std::string>>> DecodeDistributedObjectsResponse(
    const Message& msg) {
  return DecodeListResponse<StringPair>(msg, "object list", [](Cursor& c) -> Result<StringPair> {
    DOLPHIN_RETURN_IF_ERROR(c.ExpectBegin("object info"));
    DOLPHIN_ASSIGN_OR_RETURN(std::string service, c.Bytes("object service name"));
    DOLPHIN_ASSIGN_OR_RETURN(std::string name, c.Bytes("object name"));
    DOLPHIN_RETURN_IF_ERROR(c.SkipStructure("object info"));
    return StringPair(std::move(service), std::move(name));
  });
}

Result<EntryEvent> DecodeEntryEvent(const Message& msg) {
  const std::string& p = InitialPayload(msg);
  if (p.size() < 20) return Corrupt("entry event initial frame too short");
  EntryEvent e;
  e.event_type = static_cast<int32_t>(LoadLe(p.data() + 16, 4));
  Cursor c(msg);
  DOLPHIN_ASSIGN_OR_RETURN(e.key, c.NullableBytes("event key"));
  DOLPHIN_ASSIGN_OR_RETURN(e.value, c.NullableBytes("event value"));
  DOLPHIN_ASSIGN_OR_RETURN(e.old_value, c.NullableBytes("event old value"));
  return e;
}

}  // namespace dolphin::bus::hazelcast
