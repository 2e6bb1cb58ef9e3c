#include "dolphin/bus/bus_options.h"

#include <fmt/format.h>

#include "dolphin/core/host_port.h"

namespace dolphin::bus {

Result<BusOptions> ParseBusOptions(ConfigSection s) {
  BusOptions o;
  s.ReadEnum("backend", &o.backend, {"memory", "hazelcast"});
  s.Read("members", &o.members);
  if (s.Has("members")) {
    if (o.members.empty()) s.ErrorAt("members", "expected at least one \"host:port\"");
    for (const auto& m : o.members) {
      Result<HostPort> hp = ParseHostPort(m);
      if (!hp.ok() || hp->port == 0) {
        s.ErrorAt("members", fmt::format("expected \"host:port\", got \"{}\"", m));
      }
    }
  }
  s.Read("cluster_name", &o.cluster_name);
  if (o.cluster_name.empty()) s.ErrorAt("cluster_name", "expected a non-empty cluster name");
  s.Read("username", &o.username);
  s.Read("password", &o.password);
  s.Read("listener_queue_capacity", &o.listener_queue_capacity, 1, 1 << 24);
  s.RejectUnknownKeys();
  if (s.error_count() > 0) return InvalidArgumentError("invalid [bus] section");
  return o;
}

void WriteBusOptions(const BusOptions& o, ConfigWriter& out) {
  out.Section("bus", "feature bus backend (docs/architecture.md §3)");
  out.Value("backend", o.backend);
  out.Value("members", o.members);
  out.Value("cluster_name", o.cluster_name);
  out.Value("username", o.username);
  // A set password is never printed, and never as a value: re-reading the shown config must not
  // make "********" the password. A comment says that one is set.
  if (o.password.empty()) {
    out.Value("password", "");
  } else {
    out.Comment("password = <redacted> (set in the config file; not shown)");
  }
  out.Value("listener_queue_capacity", o.listener_queue_capacity);
}

}  // namespace dolphin::bus
