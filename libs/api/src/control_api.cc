#include "dolphin/api/control_api.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "dashboard_assets.h"
#include "dolphin/contract/json_fields.h"
#include "dolphin/contract/names.h"
#include "dolphin/core/host_port.h"
#include "dolphin/core/random.h"

namespace dolphin::api {

namespace {

constexpr char kJson[] = "application/json";
// The Prometheus text exposition format (what promtool and a Prometheus server expect).
constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";
// Query strings are a few short parameters (?keys_only, ?limit=20): anything much larger is a
// mistake or an attack, refused with 400 before it reaches a handler.
constexpr size_t kMaxQueryBytes = 2048;
constexpr size_t kMaxQueryParams = 32;

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Why the raw query string of `target` ("/path?a=1&b=2") is refused, or empty when it is fine:
// too long, too many parameters, a broken %-escape, a control character, or decoded bytes that
// are not UTF-8.
std::string QueryProblem(std::string_view target, const httplib::Params& params) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  const std::string_view query = target.substr(q + 1);
  if (query.size() > kMaxQueryBytes) {
    return fmt::format("query string too long ({} bytes, at most {})", query.size(),
                       kMaxQueryBytes);
  }
  if (params.size() > kMaxQueryParams) {
    return fmt::format("too many query parameters ({}, at most {})", params.size(),
                       kMaxQueryParams);
  }
  for (size_t i = 0; i < query.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(query[i]);
    if (c == '%') {
      if (i + 2 >= query.size() || !IsHex(query[i + 1]) || !IsHex(query[i + 2])) {
        return fmt::format("malformed %-escape at byte {} of the query string", i);
      }
    } else if (c < 0x20 || c == 0x7f) {
      return fmt::format("control character at byte {} of the query string", i);
    }
  }
  for (const auto& [k, v] : params) {
    for (const std::string* text : {&k, &v}) {
      if (!IsValidUtf8(*text)) return "a query parameter is not valid UTF-8";
      for (unsigned char c : *text) {
        if (c < 0x20 || c == 0x7f) return "a query parameter holds a control character";
      }
    }
  }
  return {};
}

// httplib's pool with its workers named "api-http" (they would inherit "api-accept"), so
// /proc/<pid>/task and top -H tell them apart (docs/services.md §2).
class NamedThreadPool final : public httplib::TaskQueue {
 public:
  explicit NamedThreadPool(size_t n) : pool_(n) {}
  void enqueue(std::function<void()> fn) override {
    pool_.enqueue([fn = std::move(fn)] {
      ::pthread_setname_np(::pthread_self(), "api-http");
      fn();
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
};

std::string ErrorBody(std::string_view message) {
  Json j;
  j["error"] = message;
  return DumpJson(j);
}

void SendError(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(ErrorBody(message), kJson);
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

void SendJson(httplib::Response& res, const Json& j, int status = 200) {
  res.status = status;
  res.set_content(DumpJson(j) + "\n", kJson);
}

// A value on the bus is JSON text by convention; show it as JSON when it is, else as a string.
Json ValueAsJson(const std::string& value) {
  if (Json::accept(value)) return Json::parse(value);
  return Json(value);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<std::string> ReadSmallFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(fmt::format("{}: {}", path.string(), std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) return InvalidArgumentError(fmt::format("{} is empty", path.string()));
  return s;
}

// One watch stream: a bus listener feeding a small queue the HTTP worker drains.
struct Watch {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> frames;  // guarded by mu
  bool closed = false;             // guarded by mu
  bus::ListenerId listener = 0;
  static constexpr size_t kMaxFrames = 256;

  void Push(std::string frame) {
    std::unique_lock<std::mutex> lock(mu);
    // Back-pressure into the bus listener queue, which coalesces per key when it fills.
    cv.wait(lock, [&] { return closed || frames.size() < kMaxFrames; });
    if (closed) return;
    frames.push_back(std::move(frame));
    cv.notify_all();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu);
    closed = true;
    cv.notify_all();
  }
};

std::string SseFrame(const bus::BusEvent& e) {
  Json data;
  data["type"] = bus::EventTypeName(e.type);
  data["map"] = e.map;
  data["key"] = e.key;
  data["value"] = e.type == bus::EventType::kRemoved ? Json(nullptr) : ValueAsJson(e.value);
  return fmt::format("event: {}\ndata: {}\n\n", bus::EventTypeName(e.type), DumpJson(data));
}

class ControlApiImpl final : public ControlApi {
 public:
  ControlApiImpl(ApiOptions options, bus::KvBus& bus, Env env, std::filesystem::path state_dir,
                 std::string service)
      : options_(std::move(options)),
        bus_(bus),
        env_(env),
        state_dir_(std::move(state_dir)),
        service_(std::move(service)),
        started_at_(env.clock.MonotonicNow()) {}

  ~ControlApiImpl() override { Stop(); }

  void RegisterStatus(const std::string& name, StatusProvider provider) override {
    status_providers_[name] = std::move(provider);
  }
  void RegisterCommand(const std::string& name, CommandHandler handler) override {
    commands_[name] = std::move(handler);
  }
  void RegisterRoutes(const std::string& prefix, RouteHandler handler) override {
    routes_[prefix] = std::move(handler);
  }

  Status Start() override {
    DOLPHIN_ASSIGN_OR_RETURN(auto host_port, ParseHostPort(options_.listen));
    auto [host, port] = host_port;
    std::error_code ec;
    std::filesystem::create_directories(state_dir_, ec);
    if (ec) {
      return IoError(
          fmt::format("cannot create state_dir {}: {}", state_dir_.string(), ec.message()));
    }
    DOLPHIN_ASSIGN_OR_RETURN(token_, EnsureApiToken(env_.fs, state_dir_));
    if (!IsLoopback(host)) {
      env_.logger.Warn("api", "control API listens beyond loopback", {{"listen", options_.listen}});
    }
    server_ = std::make_unique<httplib::Server>();
    // An explicit, small pool instead of httplib's max(8, cores - 1): requests + watch streams.
    const size_t pool = static_cast<size_t>(options_.threads + options_.max_watchers);
    server_->new_task_queue = [pool] { return new NamedThreadPool(pool); };
    // An idle keep-alive connection holds a worker: let it go soon.
    server_->set_keep_alive_timeout(2);
    // httplib's default adds SO_REUSEPORT, which would let a second dolphin share our port.
    server_->set_socket_options([](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    Routes();
    int bound = port;
    if (port == 0) {
      bound = server_->bind_to_any_port(host);
    } else if (!server_->bind_to_port(host, port)) {
      bound = -1;
    }
    if (bound <= 0) {
      server_.reset();
      return UnavailableError(fmt::format(
          "cannot listen on {}: address in use or not available (set [api] listen, or port 0 "
          "for a free one)",
          options_.listen));
    }
    bound_port_ = bound;
    address_ = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, bound)
                                                   : fmt::format("{}:{}", host, bound);
    DOLPHIN_RETURN_IF_ERROR(env_.fs.WriteAtomically(
        state_dir_ / options_.addr_file, fmt::format("{}\npid {}\n", address_, ::getpid()),
        {.sync = true, .mode = 0644}));
    // The HTTP server's accept loop is a real thread by nature (env.threads names it).
    listen_returned_ = false;
    DOLPHIN_ASSIGN_OR_RETURN(thread_, env_.threads.Start("api-accept", [this] {
      server_->listen_after_bind();
      listen_returned_ = true;
    }));
    // httplib's stop() is a no-op until the accept loop runs: wait for it, so a Stop() right
    // after Start() cannot leave the loop running forever.
    while (!server_->is_running() && !listen_returned_) std::this_thread::yield();
    env_.logger.Info("api", "control API listening",
                     {{"addr", address_}, {"token_file", (state_dir_ / "api.token").string()}});
    return Status::Ok();
  }

  void Stop() override {
    if (!server_) return;
    stopping_ = true;
    {
      std::lock_guard<std::mutex> lock(watches_mu_);
      for (auto& w : watches_) w->Close();
    }
    server_->stop();
    if (thread_ && thread_->joinable()) thread_->Join();
    server_.reset();
    // Only remove api.addr if it is still ours (another process may have replaced it).
    auto current = ReadApiAddrFile(state_dir_, options_.addr_file);
    if (current.ok() && current->address == address_ &&
        current->pid == static_cast<int64_t>(::getpid())) {
      std::error_code ec;
      std::filesystem::remove(state_dir_ / options_.addr_file, ec);
    }
    env_.logger.Info("api", "control API stopped", {{"addr", address_}});
  }

  std::string address() const override { return address_; }
  int port() const override { return bound_port_; }

 private:
  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.empty()) {
      SendError(res, 401,
                fmt::format("missing bearer token (Authorization: Bearer <token from {}>)",
                            (state_dir_ / "api.token").string()));
      return false;
    }
    if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0 ||
        !ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()), token_)) {
      SendError(res, 403, "invalid bearer token");
      return false;
    }
    return true;
  }

  Json Health() const {
    Json j;
    j["status"] = "ok";
    j["service"] = service_;
    j["version"] = DOLPHIN_VERSION;
    j["pid"] = static_cast<int64_t>(getpid());
    j["uptime_s"] = SecondsOf(env_.clock.MonotonicNow() - started_at_);
    j["bus"] = bus_.Describe();
    j["ts"] = FormatRfc3339(env_.clock.Now());
    return j;
  }

  Json StatusJson() {
    Json j = Health();
    Json services = Json::object();
    for (const auto& [name, provider] : status_providers_) services[name] = provider();
    j["services"] = services;
    Json heartbeats = Json::object();
    if (auto keys = bus_.Keys(contract::kHeartbeatMap); keys.ok()) {
      for (const auto& k : *keys) {
        auto v = bus_.Get(contract::kHeartbeatMap, k);
        if (v.ok() && v->has_value()) heartbeats[k] = ValueAsJson(**v);
      }
    }
    j["heartbeats"] = heartbeats;
    j["maps"] = MapsJson();
    return j;
  }

  Json MapsJson() {
    Json maps = Json::object();
    if (auto names = bus_.Maps(); names.ok()) {
      for (const auto& m : *names) {
        auto keys = bus_.Keys(m);
        maps[m] = keys.ok() ? static_cast<int64_t>(keys->size()) : -1;
      }
    }
    return maps;
  }

  void Routes() {
    httplib::Server& s = *server_;
    s.set_payload_max_length(static_cast<size_t>(options_.max_body_bytes));
    s.set_read_timeout(5, 0);
    s.set_write_timeout(5, 0);
    s.set_keep_alive_timeout(5);
    s.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "internal error";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = fmt::format("internal error: {}", e.what());
          } catch (...) {
          }
          SendError(res, 500, what);
        });
    s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string what;
      switch (res.status) {
        case 404: what = fmt::format("no such endpoint: {} {}", req.method, req.path); break;
        case 405: what = fmt::format("method {} not allowed on {}", req.method, req.path); break;
        case 413: what = "request body too large"; break;
        case 400: what = "malformed request"; break;
        default: what = fmt::format("HTTP {}", res.status);
      }
      res.set_content(ErrorBody(what), kJson);
    });

    // Query strings are checked once, before routing, for every endpoint.
    s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      const std::string why = QueryProblem(req.target, req.params);
      if (why.empty()) return httplib::Server::HandlerResponse::Unhandled;
      SendError(res, 400, fmt::format("bad request {}: {}", req.path, why));
      return httplib::Server::HandlerResponse::Handled;
    });
    // One count per answered request, by status code (a bounded set).
    s.set_logger([this](const httplib::Request&, const httplib::Response& res) {
      env_.metrics
          .Counter("dolphin_api_requests_total",
                   "Control API requests answered, by HTTP status code",
                   {{"code", std::to_string(res.status)}})
          .Increment();
    });
    // The dashboard (docs/observability.md "Dashboard"): static, compiled in, read-only.
    for (const EmbeddedAsset& asset : DashboardAssets()) {
      const EmbeddedAsset* a = &asset;
      s.Get(a->path, [a](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-cache");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->content_type);
      });
    }
    s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(env_.metrics.Exposition(), kMetricsContentType);
    });
    s.Get("/api/health",
          [this](const httplib::Request&, httplib::Response& res) { SendJson(res, Health()); });
    s.Get("/api/status",
          [this](const httplib::Request&, httplib::Response& res) { SendJson(res, StatusJson()); });
    s.Get("/api/bus", [this](const httplib::Request&, httplib::Response& res) {
      Json j;
      j["maps"] = MapsJson();
      SendJson(res, j);
    });
    s.Get(R"(/api/bus/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string map = req.matches[1];
      auto keys = bus_.Keys(map);
      if (!keys.ok()) return SendError(res, 503, keys.status().ToString());
      Json j;
      j["map"] = map;
      j["keys"] = *keys;
      Json entries = Json::object();
      if (!req.has_param("keys_only")) {
        for (const auto& k : *keys) {
          auto v = bus_.Get(map, k);
          if (v.ok() && v->has_value()) entries[k] = ValueAsJson(**v);
        }
        j["entries"] = entries;
      }
      SendJson(res, j);
    });
    s.Get(R"(/api/bus/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string map = req.matches[1], key = req.matches[2];
      auto v = bus_.Get(map, key);
      if (!v.ok()) return SendError(res, 503, v.status().ToString());
      if (!v->has_value())
        return SendError(res, 404, fmt::format("no key \"{}\" in map \"{}\"", key, map));
      res.set_content(**v, kJson);
    });
    s.Put(R"(/api/bus/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(req, res)) return;
      const std::string map = req.matches[1], key = req.matches[2];
      if (!Json::accept(req.body)) {
        return SendError(res, 400, "request body is not valid JSON (bus values are JSON text)");
      }
      Status st = bus_.Put(map, key, req.body);
      if (!st.ok()) return SendError(res, 503, st.ToString());
      env_.logger.Info("api", "bus put", {{"map", map}, {"key", key}, {"bytes", req.body.size()}});
      SendJson(res, Json{{"ok", true}, {"map", map}, {"key", key}});
    });
    s.Delete(R"(/api/bus/([^/]+)/(.+))", [this](const httplib::Request& req,
                                                httplib::Response& res) {
      if (!Authorized(req, res)) return;
      const std::string map = req.matches[1], key = req.matches[2];
      auto removed = bus_.Remove(map, key);
      if (!removed.ok()) return SendError(res, 503, removed.status().ToString());
      env_.logger.Info("api", "bus remove", {{"map", map}, {"key", key}, {"existed", *removed}});
      SendJson(res, Json{{"ok", true}, {"removed", *removed}});
    });
    s.Get(R"(/api/watch/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      StartWatch(req.matches[1], std::nullopt, res);
    });
    s.Get(R"(/api/watch/([^/]+)/(.+))",
          [this](const httplib::Request& req, httplib::Response& res) {
            StartWatch(req.matches[1], std::string(req.matches[2]), res);
          });
    for (const auto& [prefix, handler] : routes_) {
      const std::string pattern = prefix + "(/.*)?";
      auto serve = [this, h = handler](const httplib::Request& req, httplib::Response& res) {
        if (req.method != "GET" && !Authorized(req, res)) return;
        RouteRequest r;
        r.method = req.method;
        r.path = req.path;
        for (const auto& [k, v] : req.params) r.query[k] = v;
        if (!req.body.empty()) {
          auto parsed = ParseJson(req.body, "request body");
          if (!parsed.ok()) return SendError(res, 400, parsed.status().message());
          r.body = std::move(*parsed);
        }
        auto reply = h(r);
        if (!reply.ok())
          return SendError(res, HttpStatusOf(reply.status()), reply.status().message());
        SendJson(res, *reply);
      };
      s.Get(pattern, serve);
      s.Post(pattern, serve);
      s.Put(pattern, serve);
      s.Delete(pattern, serve);
    }
    s.Post(R"(/api/command/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(req, res)) return;
      const std::string name = req.matches[1];
      auto it = commands_.find(name);
      if (it == commands_.end()) return SendError(res, 404, fmt::format("no command \"{}\"", name));
      Json body = Json::object();
      if (!req.body.empty()) {
        auto parsed = ParseJson(req.body, "request body");
        if (!parsed.ok()) return SendError(res, 400, parsed.status().message());
        body = std::move(*parsed);
      }
      auto reply = it->second(body);
      if (!reply.ok()) {
        int code = 500;
        switch (reply.status().code()) {
          case StatusCode::kInvalidArgument: code = 400; break;
          case StatusCode::kNotFound: code = 404; break;
          case StatusCode::kFailedPrecondition: code = 409; break;
          default: break;
        }
        return SendError(res, code, reply.status().message());
      }
      env_.logger.Info("api", "command", {{"name", name}});
      SendJson(res, *reply);
    });
  }

  void StartWatch(const std::string& map, std::optional<std::string> key, httplib::Response& res) {
    auto watch = std::make_shared<Watch>();
    {
      std::lock_guard<std::mutex> lock(watches_mu_);
      if (static_cast<int64_t>(watches_.size()) >= options_.max_watchers) {
        return SendError(res, 503,
                         fmt::format("too many watch streams (max {})", options_.max_watchers));
      }
      watches_.push_back(watch);
    }
    bus::ListenerOptions lo;
    lo.name = "api-watch";
    auto cb = [watch](const bus::BusEvent& e) { watch->Push(SseFrame(e)); };
    auto id = key ? bus_.AddKeyListener(map, *key, cb, lo) : bus_.AddMapListener(map, cb, lo);
    if (!id.ok()) {
      DropWatch(watch);
      return SendError(res, 503, id.status().ToString());
    }
    watch->listener = *id;
    env_.logger.Info("api", "watch opened", {{"map", map}, {"key", key.value_or("*")}});
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, watch](size_t, httplib::DataSink& sink) {
          std::unique_lock<std::mutex> lock(watch->mu);
          // Wake at least once a second to notice shutdown and dead clients.
          env_.clock.WaitFor(std::chrono::seconds(1), lock, watch->cv,
                             [&] { return watch->closed || !watch->frames.empty(); });
          if (watch->closed || stopping_) return false;
          if (watch->frames.empty()) {
            static constexpr char kPing[] = ": keep-alive\n\n";
            return sink.write(kPing, sizeof(kPing) - 1);
          }
          std::string out;
          while (!watch->frames.empty()) {
            out += watch->frames.front();
            watch->frames.pop_front();
          }
          watch->cv.notify_all();
          lock.unlock();
          return sink.write(out.data(), out.size());
        },
        [this, watch, map](bool) {
          DropWatch(watch);
          env_.logger.Info("api", "watch closed", {{"map", map}});
        });
  }

  void DropWatch(const std::shared_ptr<Watch>& watch) {
    watch->Close();
    if (watch->listener != 0) {
      (void)bus_.RemoveListener(watch->listener);
      watch->listener = 0;
    }
    std::lock_guard<std::mutex> lock(watches_mu_);
    std::erase(watches_, watch);
  }

  const ApiOptions options_;
  bus::KvBus& bus_;
  Env env_;
  const std::filesystem::path state_dir_;
  const std::string service_;
  const MonoTime started_at_;
  std::map<std::string, StatusProvider> status_providers_;
  std::map<std::string, CommandHandler> commands_;
  std::map<std::string, RouteHandler> routes_;
  std::string token_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<ThreadHandle> thread_;
  std::string address_;
  int bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listen_returned_{false};
  std::mutex watches_mu_;
  std::vector<std::shared_ptr<Watch>> watches_;  // guarded by watches_mu_
};

}  // namespace

Result<std::pair<std::string, int>> ParseHostPort(std::string_view text) {
  Result<HostPort> hp = dolphin::ParseHostPort(text);
  if (!hp.ok()) return InvalidArgumentError("bad address " + hp.status().message());
  return std::make_pair(hp->host, static_cast<int>(hp->port));
}

Result<std::string> EnsureApiToken(FileSystem& fs, const std::filesystem::path& state_dir) {
  const std::filesystem::path path = state_dir / "api.token";
  auto existing = ReadSmallFile(path);
  if (existing.ok()) {
    ::chmod(path.c_str(), 0600);  // Tighten a token file someone loosened.
    return existing;
  }
  std::string token = SecureRandomHex(16);
  if (token.empty()) return IoError("cannot read /dev/urandom for the API token");
  DOLPHIN_RETURN_IF_ERROR(fs.WriteAtomically(path, token + "\n", {.sync = true, .mode = 0600}));
  return token;
}

Result<ApiAddrFile> ReadApiAddrFile(const std::filesystem::path& state_dir,
                                    const std::string& addr_file) {
  const std::filesystem::path path = state_dir / addr_file;
  auto text = ReadSmallFile(path);
  if (!text.ok()) {
    return NotFoundError(
        fmt::format("no running dolphin found: {} does not exist (start `dolphin run`, or pass the "
                    "-c/--config it uses)",
                    path.string()));
  }
  ApiAddrFile f;
  const size_t nl = text->find('\n');
  f.address = text->substr(0, nl);
  if (nl != std::string::npos) {
    const std::string rest = text->substr(nl + 1);
    long long pid = 0;
    if (std::sscanf(rest.c_str(), "pid %lld", &pid) == 1 && pid > 0) f.pid = pid;
  }
  if (f.address.empty())
    return InvalidArgumentError(
        fmt::format("{}: the first line (the address) is empty", path.string()));
  return f;
}

Result<std::string> ReadApiAddr(const std::filesystem::path& state_dir,
                                const std::string& addr_file) {
  DOLPHIN_ASSIGN_OR_RETURN(ApiAddrFile f, ReadApiAddrFile(state_dir, addr_file));
  // A process that was killed never removed its file: say so instead of a refused connection.
  if (f.pid && ::kill(static_cast<pid_t>(*f.pid), 0) != 0 && errno == ESRCH) {
    return FailedPreconditionError(fmt::format(
        "no dolphin running here: {} names pid {}, which is not running (it was killed or crashed; "
        "start it again)",
        (state_dir / addr_file).string(), *f.pid));
  }
  return f.address;
}

Result<std::string> ReadApiToken(const std::filesystem::path& state_dir) {
  auto token = ReadSmallFile(state_dir / "api.token");
  if (!token.ok()) {
    return NotFoundError(fmt::format("cannot read the API token: {}", token.status().message()));
  }
  return token;
}

Result<ApiOptions> ParseApiOptions(ConfigSection s) {
  ApiOptions o;
  s.Read("listen", &o.listen);
  if (s.Has("listen")) {
    auto hp = ParseHostPort(o.listen);
    if (!hp.ok()) s.ErrorAt("listen", hp.status().message());
  }
  s.Read("max_body_bytes", &o.max_body_bytes, 1024, int64_t{1} << 30);
  s.Read("threads", &o.threads, 1, 64);
  s.Read("max_watchers", &o.max_watchers, 0, 64);
  s.RejectUnknownKeys();
  if (s.error_count() > 0) return InvalidArgumentError("invalid [api] section");
  return o;
}

void WriteApiOptions(const ApiOptions& o, ConfigWriter& out) {
  out.Section("api", "local HTTP control API (docs/architecture.md §9)");
  out.Value("listen", o.listen);
  out.Value("max_body_bytes", o.max_body_bytes);
  out.Value("threads", o.threads);
  out.Value("max_watchers", o.max_watchers);
}

std::unique_ptr<ControlApi> NewControlApi(ApiOptions options, bus::KvBus& bus, Env env,
                                          std::filesystem::path state_dir, std::string service) {
  return std::make_unique<ControlApiImpl>(std::move(options), bus, env, std::move(state_dir),
                                          std::move(service));
}

}  // namespace dolphin::api
