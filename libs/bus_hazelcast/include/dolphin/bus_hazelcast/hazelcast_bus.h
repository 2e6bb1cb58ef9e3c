// The `hazelcast` backend of the feature bus (docs/architecture.md §3): a KvBus spoken to a
// Hazelcast 5.x cluster through dolphin's own implementation of the Open Binary Client
// Protocol 2.x.
//
// Values are stored as Hazelcast strings (serializer type -11), keys too, so any Hazelcast
// client reads them with json.loads(map.get(key)). Put is sent as the protocol's Set (no old
// value shipped back); PutAll sends its Sets in one write and waits once for all the answers.
// The client is unisocket: one connection to the first member of BusOptions::members that
// answers, keyed requests carry the key's partition id, listeners are cluster-wide. One I/O thread
// reads the connection; listener callbacks run on each listener's own dispatch thread
// (ListenerQueue), never on the I/O thread or a writer's thread. When the connection breaks, the
// client reconnects with capped exponential back-off (forever, until the bus is destroyed),
// re-registers every listener and delivers a SNAPSHOT of every listened key again. Requests issued
// while disconnected wait for the connection up to request_timeout; a write in flight when the
// connection breaks fails with Unavailable (it is never resent, since it may have been applied), a
// read is retried. Thread-safety: every KvBus method is thread-safe (see kv_bus.h). Ownership: the
// bus owns its threads and socket; destroying it stops them and every listener.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "dolphin/bus/bus_options.h"
#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/env.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::bus {

// Client tuning beyond [bus] (not read from the config file; wiring and tests set it).
struct HazelcastOptions {
  // TCP connect + authentication limit per attempt. Default: 5 s.
  Duration connect_timeout = std::chrono::seconds(5);
  // A request fails with DeadlineExceeded when no response arrives (or no connection is back)
  // within this. Default: 30 s.
  Duration request_timeout = std::chrono::seconds(30);
  // A Ping is sent when nothing was written for this long. Default: 5 s.
  Duration heartbeat_interval = std::chrono::seconds(5);
  // The connection is dropped (and re-established) when nothing was read for this long.
  // Default: 60 s.
  Duration heartbeat_timeout = std::chrono::seconds(60);
  // Reconnect back-off: first wait, growth factor and cap. Default: 100 ms, x2, 5 s.
  Duration initial_backoff = std::chrono::milliseconds(100);
  double backoff_multiplier = 2.0;
  Duration max_backoff = std::chrono::seconds(5);
  // Shown in member logs. Default: empty = "dolphin-<pid>".
  std::string client_name;
};

// Connects to the first reachable member of `options.members` ("host:port"; IPv4 literals or
// host names) and authenticates with options.cluster_name and, when options.username is set,
// username/password. Blocks up to connect_timeout per member.
// Errors: InvalidArgument for a malformed member address; FailedPrecondition when a member
// refuses the authentication (wrong cluster name or credentials; the message says which
// cluster name was tried); Unavailable when no member could be reached.
// `env` must outlive the bus; env.clock must be a real clock (SystemClock).
Result<std::unique_ptr<KvBus>> NewHazelcastBus(const BusOptions& options, Env& env,
                                               HazelcastOptions tuning = {});

}  // namespace dolphin::bus
