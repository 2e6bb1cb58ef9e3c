// Protocol codec tests: byte-exact requests (from the official Python client's encoders),
// murmur3/partition vectors (from the Java implementation), decoders on valid and hostile
// input, and a replay of the fuzz corpus (tests/data/hazelcast/fuzz-corpus/).
#include "protocol.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "decode_everything.h"
#include "dolphin/testing/testing.h"

namespace dolphin::bus::hazelcast {
namespace {

using dolphin::testing::IsOkAndHolds;

std::string Hex(std::string_view hex) {
  std::string out;
  std::string digits;
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  std::string out;
  char buf[4];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof(buf), "%02x ", c);
    out += buf;
  }
  return out;
}

Uuid TestUuid() { return Uuid{false, 0x0011223344556677ULL, 0x8899aabbccddeeffULL}; }

TEST(ProtocolTest, AuthenticationRequestIsByteExact) {
  AuthRequest req;
  req.cluster_name = "dolphin";
  req.client_uuid = TestUuid();
  req.client_name = "cpp-client-1";
  std::string wire = EncodeAuthentication(req);
  SetCorrelationId(wire, 1);
  const std::string want =
      Hex("28 00 00 00 00 c0 00 01 00 00 01 00 00 00 00 00 00 00 ff ff ff ff"
          "00 77 66 55 44 33 22 11 00 ff ee dd cc bb aa 99 88 01"
          "0d 00 00 00 00 00 64 6f 6c 70 68 69 6e"
          "06 00 00 00 00 04"
          "06 00 00 00 00 04"
          "09 00 00 00 00 00 43 50 50"
          "0b 00 00 00 00 00 35 2e 30 2e 30"
          "12 00 00 00 00 00 63 70 70 2d 63 6c 69 65 6e 74 2d 31"
          "06 00 00 00 00 10   06 00 00 00 00 28");
  EXPECT_EQ(ToHex(wire), ToHex(want));
  EXPECT_EQ(wire.size(), 115u);
}

TEST(ProtocolTest, PingPutGetListenerProxySizeAreByteExact) {
  std::string ping = EncodePing();
  SetCorrelationId(ping, 2);
  EXPECT_EQ(ToHex(ping),
            ToHex(Hex("16 00 00 00 00 e0 00 0b 00 00 02 00 00 00 00 00 00 00 ff ff ff ff")));

  const std::string k = EncodeStringData("k");
  std::string put = EncodeMapPut("m", k, EncodeStringData("v1"), 41);
  SetCorrelationId(put, 3);
  EXPECT_EQ(ToHex(put),
            ToHex(Hex("26 00 00 00 00 c0 00 01 01 00 03 00 00 00 00 00 00 00 29 00 00 00"
                      "01 00 00 00 00 00 00 00 ff ff ff ff ff ff ff ff"
                      "07 00 00 00 00 00 6d"
                      "13 00 00 00 00 00 00 00 00 00 ff ff ff f5 00 00 00 01 6b"
                      "14 00 00 00 00 20 00 00 00 00 ff ff ff f5 00 00 00 02 76 31")));

  std::string get = EncodeMapKeyOp(kMapGet, "m", k, 41);
  SetCorrelationId(get, 4);
  EXPECT_EQ(
      ToHex(get),
      ToHex(Hex(
          "1e 00 00 00 00 c0 00 02 01 00 04 00 00 00 00 00 00 00 29 00 00 00 01 00 00 00 00 00 00 00"
          "07 00 00 00 00 00 6d 13 00 00 00 00 20 00 00 00 00 ff ff ff f5 00 00 00 01 6b")));

  // Our listener flags differ from the reference dump (0x1f): patch that one byte back.
  std::string add = EncodeAddEntryListener("m");
  SetCorrelationId(add, 5);
  ASSERT_GT(add.size(), 23u);
  EXPECT_EQ(static_cast<uint8_t>(add[23]), kListenerFlags & 0xff);
  add[23] = 0x1f;
  add[24] = 0;
  EXPECT_EQ(
      ToHex(add),
      ToHex(
          Hex("1c 00 00 00 00 c0 00 19 01 00 05 00 00 00 00 00 00 00 ff ff ff ff 01 1f 00 00 00 00"
              "07 00 00 00 00 20 6d")));

  std::string proxy = EncodeCreateProxy("m", "hz:impl:mapService");
  SetCorrelationId(proxy, 6);
  EXPECT_EQ(ToHex(proxy),
            ToHex(Hex("16 00 00 00 00 c0 00 04 00 00 06 00 00 00 00 00 00 00 ff ff ff ff"
                      "07 00 00 00 00 00 6d 18 00 00 00 00 20") +
                  "hz:impl:mapService"));

  std::string size = EncodeMapNameOp(kMapSize, "m");
  SetCorrelationId(size, 7);
  EXPECT_EQ(ToHex(size),
            ToHex(Hex("16 00 00 00 00 c0 00 2a 01 00 07 00 00 00 00 00 00 00 ff ff ff ff"
                      "07 00 00 00 00 20 6d")));
}

TEST(ProtocolTest, MurmurMatchesJavaVectors) {
  EXPECT_EQ(Murmur3X86_32("key-1", 0x01000193), 1228513025);
  EXPECT_EQ(Murmur3X86_32("key-2", 0x01000193), 1503416236);
  EXPECT_EQ(Murmur3X86_32("key-4", 0x01000193), -914632498);
  EXPECT_EQ(Murmur3X86_32("", 0x01000193), -1585187909);
  EXPECT_EQ(Murmur3X86_32("a", 0x01000193), -1686100800);
  EXPECT_EQ(Murmur3X86_32("abc", 0x01000193), -2068121803);
  EXPECT_EQ(Murmur3X86_32("abcd", 0x01000193), -973615161);
  EXPECT_EQ(PartitionIdForHash(1228513025, 271), 107);
  EXPECT_EQ(PartitionIdForHash(-914632498, 271), 181);
  EXPECT_EQ(PartitionIdForHash(INT32_MIN, 271), 0);
}

TEST(ProtocolTest, StringKeyPartitionIds) {
  struct V {
    const char* key;
    int32_t hash;
    int32_t partition;
  };
  for (const V& v : {V{"a", 2099876635, 73}, V{"k", 211586814, 41}, V{"key1", 1754812034, 43},
                     V{"hello", 1985248981, 270}, V{"", 923237662, 11}}) {
    const std::string data = EncodeStringData(v.key);
    EXPECT_EQ(DataPartitionHash(data), v.hash) << v.key;
    EXPECT_EQ(PartitionIdForHash(DataPartitionHash(data), 271), v.partition) << v.key;
  }
  EXPECT_EQ(ToHex(EncodeStringData("a")), ToHex(Hex("00000000 fffffff5 00000001 61")));
}

TEST(ProtocolTest, StringDataRoundTripsAndRejectsOtherTypes) {
  const std::string text = "{\"caf\xc3\xa9\":1}";
  EXPECT_THAT(DecodeStringData(EncodeStringData(text)), IsOkAndHolds(text));
  std::string json_value = EncodeStringData("[1]");
  json_value[7] = static_cast<char>(0x7e);  // -130 = 0xffffff7e
  EXPECT_THAT(DecodeStringData(json_value), IsOkAndHolds(std::string("[1]")));
  EXPECT_THAT(DecodeStringData(Hex("00000000 fffffff9 0000002a")),  // Integer 42
              testing::StatusHasMessage("not a string (serializer type id -7)"));
  EXPECT_FALSE(DecodeStringData(Hex("00000000 fffffff5 00000009 61")).ok());
  EXPECT_FALSE(DecodeStringData(Hex("00000000 fffffff5 ffffffff")).ok());
  EXPECT_FALSE(DecodeStringData("").ok());
}

// Builds a response/event message the way a member does.
Message Msg(std::vector<Frame> frames) { return Message{std::move(frames)}; }
std::string ResponseHeader(int32_t type, int64_t correlation) {
  std::string p(13, '\0');
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((type >> (8 * i)) & 0xff);
  for (int i = 0; i < 8; ++i) p[4 + i] = static_cast<char>((correlation >> (8 * i)) & 0xff);
  return p;
}

TEST(ProtocolTest, ReaderSplitsFramesAcrossArbitraryChunksAndReassemblesFragments) {
  std::string get = EncodeMapKeyOp(kMapGet, "m", EncodeStringData("k"), 41);
  std::string stream = get + get;
  MessageReader reader;
  std::vector<Message> out;
  for (char c : stream) ASSERT_OK(reader.Feed(std::string_view(&c, 1), out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].frames.size(), 3u);
  EXPECT_EQ(out[0].frames[1].payload, "m");

  // Fragmented: [BEGIN id=7, initial] [id=7, frame] [END id=7, last frame].
  auto frame = [](uint16_t flags, std::string_view payload) {
    std::string f;
    uint32_t len = static_cast<uint32_t>(payload.size() + 6);
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
    f.push_back(static_cast<char>(flags & 0xff));
    f.push_back(static_cast<char>(flags >> 8));
    f += payload;
    return f;
  };
  const std::string id = Hex("07 00 00 00 00 00 00 00");
  std::string frag = frame(kBeginFragment, id) + frame(kIsFinal, ResponseHeader(kMapGet + 1, 9)) +
                     frame(0, id) + frame(kIsFinal, "part2") + frame(kEndFragment, id) +
                     frame(kIsFinal, "part3");
  out.clear();
  ASSERT_OK(reader.Feed(frag, out));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].frames.size(), 3u);
  EXPECT_EQ(out[0].frames[1].payload, "part2");
  EXPECT_THAT(DecodeHeader(out[0]),
              IsOkAndHolds(::testing::Field(&MessageHeader::correlation_id, 9)));

  // Continuation of an unknown fragment and a frame shorter than its header are errors.
  MessageReader bad;
  EXPECT_FALSE(bad.Feed(frame(kEndFragment | kIsFinal, id), out).ok());
  MessageReader bad2;
  EXPECT_FALSE(bad2.Feed(Hex("03 00 00 00 00 20"), out).ok());
  MessageReader bad3(ReaderLimits{.max_frame_bytes = 100});
  EXPECT_FALSE(bad3.Feed(Hex("ff ff 00 00 00 20"), out).ok());
}

TEST(ProtocolTest, DecodesResponsesAndRejectsTruncatedOnes) {
  Frame initial{kUnfragmented, ResponseHeader(kMapGet + 1, 4)};
  Message null_value = Msg({initial, Frame{kIsNull | kIsFinal, ""}});
  EXPECT_THAT(DecodeNullableDataResponse(null_value), IsOkAndHolds(std::optional<std::string>()));
  Message value = Msg({initial, Frame{kIsFinal, EncodeStringData("v")}});
  EXPECT_THAT(DecodeNullableDataResponse(value),
              IsOkAndHolds(std::optional<std::string>(EncodeStringData("v"))));
  EXPECT_FALSE(DecodeNullableDataResponse(Msg({initial})).ok());
  EXPECT_FALSE(DecodeBoolResponse(Msg({Frame{kUnfragmented, "short"}})).ok());

  Message list = Msg({initial, Frame{kBeginDataStructure, ""}, Frame{0, "a"}, Frame{0, "b"},
                      Frame{kEndDataStructure | kIsFinal, ""}});
  EXPECT_THAT(DecodeListDataResponse(list), IsOkAndHolds(::testing::ElementsAre("a", "b")));
  Message unterminated = Msg({initial, Frame{kBeginDataStructure, ""}, Frame{0, "a"}});
  EXPECT_FALSE(DecodeListDataResponse(unterminated).ok());
  Message odd_entries = Msg({initial, Frame{kBeginDataStructure, ""}, Frame{0, "k"},
                             Frame{kEndDataStructure | kIsFinal, ""}});
  EXPECT_FALSE(DecodeEntryListResponse(odd_entries).ok());

  // An error response: List_ErrorHolder with one holder and an empty stack trace.
  std::string code(4, '\0');
  code[0] = 3;
  Message error = Msg({Frame{kUnfragmented, ResponseHeader(0, 4)}, Frame{kBeginDataStructure, ""},
                       Frame{kBeginDataStructure, ""}, Frame{0, code},
                       Frame{0, "com.hazelcast.client.AuthenticationException"}, Frame{0, "bad"},
                       Frame{kBeginDataStructure, ""}, Frame{kEndDataStructure, ""},
                       Frame{kEndDataStructure, ""}, Frame{kEndDataStructure | kIsFinal, ""}});
  Status s = ErrorResponseToStatus(error, "hazelcast get m[k]");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s, testing::StatusHasMessage(
                     "hazelcast get m[k]: com.hazelcast.client.AuthenticationException: bad "
                     "(hazelcast error code 3)"));
  EXPECT_EQ(ErrorResponseToStatus(Msg({Frame{kUnfragmented, ResponseHeader(0, 4)}}), "op").code(),
            StatusCode::kCorruption);
}

TEST(ProtocolTest, DecodesEntryEvent) {
  std::string p(41, '\0');
  p[0] = 0x02;
  p[1] = 0x19;
  p[2] = 0x01;  // 0x011902
  p[16] = kEventUpdated;
  Message ev = Msg({Frame{kUnfragmented | kIsEvent, p}, Frame{0, EncodeStringData("k")},
                    Frame{0, EncodeStringData("new")}, Frame{0, EncodeStringData("old")},
                    Frame{kIsNull | kIsFinal, ""}});
  auto e = DecodeEntryEvent(ev);
  ASSERT_OK(e);
  EXPECT_EQ(e->event_type, kEventUpdated);
  EXPECT_EQ(*e->value, EncodeStringData("new"));
  EXPECT_THAT(DecodeHeader(ev), IsOkAndHolds(::testing::Field(&MessageHeader::is_event, true)));
  EXPECT_FALSE(DecodeEntryEvent(Msg({Frame{kUnfragmented | kIsEvent, p}})).ok());
}

TEST(ProtocolTest, FuzzCorpusReplaysWithoutCrashing) {
  const char* src = std::getenv("DOLPHIN_SOURCE_DIR");
  std::filesystem::path dir = std::filesystem::path(src ? src : DOLPHIN_SOURCE_DIR_FALLBACK) /
                              "tests/data/hazelcast/fuzz-corpus";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    MessageReader reader(ReaderLimits{.max_frame_bytes = 1 << 16, .max_message_bytes = 1 << 20});
    std::vector<Message> out;
    (void)reader.Feed(bytes, out);
    for (const Message& m : out) DecodeEverything(m);
    ++files;
  }
  EXPECT_GT(files, 0u);
}

}  // namespace
}  // namespace dolphin::bus::hazelcast
