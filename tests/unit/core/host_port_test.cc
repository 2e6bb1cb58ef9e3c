#include "dolphin/core/host_port.h"

#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

using testing::IsOkAndHolds;
using testing::StatusHasMessage;

TEST(HostPortTest, ParsesHostAndPort) {
  EXPECT_THAT(ParseHostPort("127.0.0.1:4200"), IsOkAndHolds(HostPort{"127.0.0.1", 4200}));
  EXPECT_THAT(ParseHostPort("hz-1.local:5701"), IsOkAndHolds(HostPort{"hz-1.local", 5701}));
  EXPECT_THAT(ParseHostPort("localhost:0"), IsOkAndHolds(HostPort{"localhost", 0}));
  EXPECT_THAT(ParseHostPort("h:65535"), IsOkAndHolds(HostPort{"h", 65535}));
}

TEST(HostPortTest, ParsesBracketedIpv6) {
  EXPECT_THAT(ParseHostPort("[::1]:4200"), IsOkAndHolds(HostPort{"::1", 4200}));
  EXPECT_THAT(ParseHostPort("[::1]", 5701), IsOkAndHolds(HostPort{"::1", 5701}));
  EXPECT_THAT(ParseHostPort("[::1]"), StatusHasMessage("\"[::1]\": expected host:port"));
  EXPECT_THAT(ParseHostPort("[::1"), StatusHasMessage("expected [host]:port"));
  EXPECT_THAT(ParseHostPort("[::1]x80"), StatusHasMessage("expected [host]:port"));
  EXPECT_THAT(ParseHostPort("::1:80"), StatusHasMessage("expected [host]:port for an IPv6"));
  EXPECT_THAT(ParseHostPort("::1", 80), IsOkAndHolds(HostPort{"::1", 80}));
}

TEST(HostPortTest, DefaultPortOnlyWhenTheTextHasNone) {
  EXPECT_THAT(ParseHostPort("hz-1", 5701), IsOkAndHolds(HostPort{"hz-1", 5701}));
  EXPECT_THAT(ParseHostPort("hz-1:5702", 5701), IsOkAndHolds(HostPort{"hz-1", 5702}));
  EXPECT_THAT(ParseHostPort("localhost"), StatusHasMessage("\"localhost\": expected host:port"));
}

TEST(HostPortTest, RejectsBadPortsAndEmptyHosts) {
  for (const char* text : {"h:70000", "h:", "h:12a", "h:-1", "h:123456", "h: 80"}) {
    EXPECT_THAT(ParseHostPort(text), StatusHasMessage("expected a port in [0, 65535]")) << text;
  }
  EXPECT_THAT(ParseHostPort(":80"), StatusHasMessage("\":80\": empty host"));
  EXPECT_THAT(ParseHostPort("", 80), StatusHasMessage("empty host"));
  EXPECT_THAT(ParseHostPort("[]:80"), StatusHasMessage("empty host"));
  EXPECT_EQ(ParseHostPort("h:99999").status().code(), StatusCode::kInvalidArgument);
}

TEST(HostPortTest, ToStringBracketsIpv6) {
  EXPECT_EQ((HostPort{"127.0.0.1", 4200}).ToString(), "127.0.0.1:4200");
  EXPECT_EQ((HostPort{"::1", 4200}).ToString(), "[::1]:4200");
}

}  // namespace
}  // namespace dolphin
