// HostPort: the one parser of "host:port" text in dolphin (the control API's listen address,
// the CLI's api.addr, the Hazelcast members of [bus]).
//
// Accepted forms: "host:port", "[v6-literal]:port" (e.g. "[::1]:4200"), and, when the caller
// gives a default port, a bare "host" or "[v6-literal]". The host is not resolved or checked
// beyond being non-empty; the port is decimal, 0..65535 (callers that cannot use port 0 check
// for it). Thread-safety: pure functions on values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dolphin/core/result.h"

namespace dolphin {

struct HostPort {
  std::string host;  // without brackets: "::1", "127.0.0.1", "hz-1"
  uint16_t port = 0;

  // "host:port", with brackets around a host that contains ':' ("[::1]:4200").
  std::string ToString() const;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// Parses `text`. Without a port in the text, `default_port` is used, or it is an error when
// there is none. Errors are InvalidArgument naming the text: `"localhost": expected host:port`,
// `"h:70000": expected a port in [0, 65535]`, `":80": empty host`, `"[::1": expected [host]:port`.
Result<HostPort> ParseHostPort(std::string_view text,
                               std::optional<uint16_t> default_port = std::nullopt);

}  // namespace dolphin
