// ControlApi: the local HTTP control API of `dolphin run` and every `dolphin serve` process
// (docs/architecture.md §9), served with cpp-httplib.
//
//   GET    /metrics                    Prometheus text exposition of env.metrics (core/metrics.h;
//                                      docs/observability.md); counts every request it answers
//                                      in dolphin_api_requests_total{code}
//   GET    /api/health                 liveness: {"status":"ok", version, pid, uptime_s, bus}
//   GET    /api/status                 every registered service's status + heartbeats + maps
//   GET    /api/bus                    maps and their key counts
//   GET    /api/bus/{map}              {"map", "keys": [...], "entries": {key: value}}
//   GET    /api/bus/{map}/{key}        the value text itself (404 when absent)
//   PUT    /api/bus/{map}/{key}        body = JSON value            (bearer token)
//   DELETE /api/bus/{map}/{key}                                      (bearer token)
//   GET    /api/watch/{map}[/{key}]    server-sent events: one `event: <TYPE>` per bus event,
//                                      data = {"type","map","key","value"}; SNAPSHOT first
//   POST   /api/command/{name}         operator commands registered by services (bearer token)
//   *      <prefix>[/...]              routes registered by services (RegisterRoutes; the pool
//                                      API: /api/pools, /api/deployments, ...; /api/services of
//                                      `dolphin up`; token but for GET)
//
// Requests that change anything need "Authorization: Bearer <token>" with the token from
// <state_dir>/api.token (created 0600 on first start, reused afterwards). Errors are 4xx/5xx
// with a one-line JSON body {"error": "..."}; nothing a client sends can crash the server. An
// unknown path is 404; a query string longer than 2 KiB, with more than 32 parameters, a broken
// %-escape, a control character or bytes that are not UTF-8 is 400 on every endpoint.
// The bound address is written to <state_dir>/api.addr ("127.0.0.1:4200"; ApiOptions::addr_file),
// removed on Stop(). Both files are written with env.fs.WriteAtomically (core/file_system.h).
// Thread-safety: Register* before Start(); Start/Stop from one thread; handlers run on the
// server's worker threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "dolphin/bus/kv_bus.h"
#include "dolphin/core/config.h"
#include "dolphin/core/env.h"
#include "dolphin/core/json.h"

namespace dolphin::api {

struct ApiOptions {
  // host:port to listen on; port 0 picks a free port (written to api.addr).
  // Default: "127.0.0.1:4200". A non-loopback host is allowed but logged as a warning.
  std::string listen = "127.0.0.1:4200";
  // Largest request body accepted, bytes. Default: 4 MiB.
  int64_t max_body_bytes = 4 << 20;
  // Worker threads for ordinary requests (status, bus, commands). With max_watchers they are
  // the whole HTTP thread pool, created at Start(): every thread counts against TasksMax
  // (docs/services.md §2). Default: 2.
  int64_t threads = 2;
  // Most concurrent watch streams. Each holds a worker thread of its own (on top of `threads`,
  // so open streams never starve requests) and a bus listener thread. Default: 4.
  int64_t max_watchers = 4;
  // File under state_dir the bound address is written to (not a config key: `dolphin run`
  // uses api.addr, `dolphin serve NAME` api.NAME.addr, so processes can share a state_dir).
  std::string addr_file = "api.addr";
};

Result<ApiOptions> ParseApiOptions(ConfigSection section);
void WriteApiOptions(const ApiOptions& options, ConfigWriter& out);

// Splits "host:port" ("[::1]:4200" too) with dolphin::ParseHostPort (core/host_port.h); errors
// read `bad address "<text>": <why>`.
Result<std::pair<std::string, int>> ParseHostPort(std::string_view text);

// Returns the token in <state_dir>/api.token, creating it (0600, 128 random bits) if absent
// with fs.WriteAtomically (synced).
Result<std::string> EnsureApiToken(FileSystem& fs, const std::filesystem::path& state_dir);
// <state_dir>/<addr_file> holds two lines: the bound address and "pid N" of the process that
// serves it (so a client can tell a killed dolphin from a busy one).
struct ApiAddrFile {
  std::string address;
  std::optional<int64_t> pid;  // nullopt: a file written without its pid line
};
Result<ApiAddrFile> ReadApiAddrFile(const std::filesystem::path& state_dir,
                                    const std::string& addr_file = "api.addr");
// The address of a running dolphin from <state_dir>/<addr_file>. NotFound when the file does
// not exist; FailedPrecondition, in one line, when the process it names is gone:
// "no dolphin running here: var/api.addr names pid 123, which is not running".
Result<std::string> ReadApiAddr(const std::filesystem::path& state_dir,
                                const std::string& addr_file = "api.addr");
Result<std::string> ReadApiToken(const std::filesystem::path& state_dir);

using StatusProvider = std::function<Json()>;
// A command handler gets the request body (JSON, {} when empty) and returns the reply body or
// an error (InvalidArgument -> 400, NotFound -> 404, FailedPrecondition -> 409, else 500).
using CommandHandler = std::function<Result<Json>(const Json& body)>;

// A request to a route registered with RegisterRoutes: the method, the path (with the prefix),
// the query parameters (the last value of a repeated one) and the body (JSON, {} when empty).
struct RouteRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  Json body = Json::object();
};
// Returns the reply body or an error: InvalidArgument -> 400, NotFound -> 404,
// FailedPrecondition and AlreadyExists -> 409, Unavailable -> 503, else 500.
using RouteHandler = std::function<Result<Json>(const RouteRequest& request)>;

class ControlApi {
 public:
  virtual ~ControlApi() = default;
  ControlApi(const ControlApi&) = delete;
  ControlApi& operator=(const ControlApi&) = delete;

  // Adds a section to GET /api/status under "services"/<name>. REQUIRES: before Start().
  virtual void RegisterStatus(const std::string& name, StatusProvider provider) = 0;
  // Serves POST /api/command/<name>. REQUIRES: before Start().
  virtual void RegisterCommand(const std::string& name, CommandHandler handler) = 0;
  // Serves GET, POST, PUT and DELETE of `prefix` ("/api/pools") and every path under it; all
  // but GET need the bearer token. REQUIRES: before Start(); `prefix` has no regex characters.
  virtual void RegisterRoutes(const std::string& prefix, RouteHandler handler) = 0;

  // Binds, writes api.addr and api.token, starts serving. Unavailable when the port is taken.
  virtual Status Start() = 0;
  // Stops serving (closing watch streams) and removes api.addr. Idempotent.
  virtual void Stop() = 0;
  // "127.0.0.1:4200" once started.
  virtual std::string address() const = 0;
  virtual int port() const = 0;

 protected:
  ControlApi() = default;
};

// `service` names the process in /api/health ("run", "bridge", ...).
std::unique_ptr<ControlApi> NewControlApi(ApiOptions options, bus::KvBus& bus, Env env,
                                          std::filesystem::path state_dir, std::string service);

}  // namespace dolphin::api
