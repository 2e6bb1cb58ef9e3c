#include "dolphin/core/host_port.h"

#include <fmt/format.h>

namespace dolphin {

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<HostPort> ParseHostPort(std::string_view text, std::optional<uint16_t> default_port) {
  auto bad = [&](std::string_view what) {
    return InvalidArgumentError(fmt::format("\"{}\": {}", text, what));
  };
  std::string_view host;
  std::optional<std::string_view> port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("expected [host]:port");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return bad("expected [host]:port");
      port_text = text.substr(close + 2);
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      host = text;
    } else if (text.find(':') != colon) {
      // Two colons or more without brackets: an IPv6 literal needs them to carry a port.
      if (!default_port) return bad("expected [host]:port for an IPv6 address");
      host = text;
    } else {
      host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
    }
  }
  if (host.empty()) return bad("empty host");
  if (!port_text) {
    if (!default_port) return bad("expected host:port");
    return HostPort{std::string(host), *default_port};
  }
  if (port_text->empty() || port_text->size() > 5) return bad("expected a port in [0, 65535]");
  uint32_t port = 0;
  for (const char c : *port_text) {
    if (c < '0' || c > '9') return bad("expected a port in [0, 65535]");
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) return bad("expected a port in [0, 65535]");
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace dolphin
