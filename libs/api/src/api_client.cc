#include "dolphin/api/api_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <optional>

#include "dolphin/api/control_api.h"
#include "dolphin/core/json.h"

namespace dolphin::api {

namespace {

std::unique_ptr<httplib::Client> Connect(const std::string& addr,
                                         std::chrono::milliseconds timeout) {
  // An unreadable address falls back to the default listen address (ApiOptions, written once).
  auto hp = ParseHostPort(addr);
  if (!hp.ok()) hp = ParseHostPort(ApiOptions{}.listen);
  const std::string host = hp.ok() ? hp->first : std::string();
  const int port = hp.ok() ? hp->second : 0;
  auto c = std::make_unique<httplib::Client>(host, port);
  const auto connect = std::min(timeout, std::chrono::milliseconds(2000));
  c->set_connection_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(connect).count(),
      std::chrono::duration_cast<std::chrono::microseconds>(connect % std::chrono::seconds(1))
          .count());
  c->set_read_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
      std::chrono::duration_cast<std::chrono::microseconds>(timeout % std::chrono::seconds(1))
          .count());
  c->set_write_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
      std::chrono::duration_cast<std::chrono::microseconds>(timeout % std::chrono::seconds(1))
          .count());
  return c;
}

std::string ServerError(const httplib::Response& r) {
  auto j = ParseJson(r.body);
  if (j.ok() && j->is_object() && j->contains("error") && (*j)["error"].is_string()) {
    return (*j)["error"].get<std::string>();
  }
  return r.body.empty() ? fmt::format("HTTP {}", r.status) : r.body;
}

Status StatusForHttp(int code, std::string message) {
  std::string text = fmt::format("HTTP {}: {}", code, message);
  switch (code) {
    case 400: return InvalidArgumentError(text);
    case 401:
    case 403: return FailedPreconditionError(text);
    case 404: return NotFoundError(text);
    case 409: return FailedPreconditionError(text);
    default: return UnavailableError(text);
  }
}

}  // namespace

ApiClient::ApiClient(std::string addr, std::string token)
    : addr_(std::move(addr)), token_(std::move(token)) {}

Result<ApiClient> ApiClient::FromStateDir(const std::filesystem::path& state_dir,
                                          const std::string& addr_file) {
  DOLPHIN_ASSIGN_OR_RETURN(std::string addr, ReadApiAddr(state_dir, addr_file));
  auto token = ReadApiToken(state_dir);
  return ApiClient(addr, token.ok() ? *token : "");
}

Result<ApiClient> ApiClient::FromStateDirAny(const std::filesystem::path& state_dir,
                                             const std::vector<std::string>& addr_files) {
  std::optional<Status> gone, missing;
  for (const std::string& file : addr_files) {
    auto c = FromStateDir(state_dir, file);
    if (c.ok()) return c;
    if (c.status().code() == StatusCode::kFailedPrecondition) {
      if (!gone) gone = c.status();
    } else if (!missing) {
      missing = c.status();
    }
  }
  if (gone) return *gone;
  if (missing) return *missing;
  return NotFoundError("no address file to read");
}

std::string ApiClient::Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Result<ApiResponse> ApiClient::Send(const std::string& method, const std::string& path,
                                    const std::string& body) const {
  auto client = Connect(addr_, timeout_);
  httplib::Headers headers;
  if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
  httplib::Result r = method == "GET"    ? client->Get(path, headers)
                      : method == "PUT"  ? client->Put(path, headers, body, "application/json")
                      : method == "POST" ? client->Post(path, headers, body, "application/json")
                                         : client->Delete(path, headers);
  if (!r) {
    return UnavailableError(
        fmt::format("cannot reach dolphin at {}: {}", addr_, httplib::to_string(r.error())));
  }
  if (r->status == 404 && method == "GET") return ApiResponse{r->status, r->body};
  if (r->status < 200 || r->status >= 300) return StatusForHttp(r->status, ServerError(*r));
  return ApiResponse{r->status, r->body};
}

Result<ApiResponse> ApiClient::Get(const std::string& path) const { return Send("GET", path, ""); }
Result<ApiResponse> ApiClient::Put(const std::string& path, const std::string& body) const {
  return Send("PUT", path, body);
}
Result<ApiResponse> ApiClient::Post(const std::string& path, const std::string& body) const {
  return Send("POST", path, body);
}
Result<ApiResponse> ApiClient::Delete(const std::string& path) const {
  return Send("DELETE", path, "");
}

Status ApiClient::Watch(const std::string& path,
                        const std::function<bool(const std::string&, const std::string&)>& on_event,
                        const std::function<bool()>& keep_going) const {
  auto client = Connect(addr_, timeout_);
  client->set_read_timeout(3600 * 24, 0);
  std::string buffer;
  int status = 0;
  std::string error_body;
  bool stopped = false;
  auto r = client->Get(
      path, httplib::Headers{},
      [&](const httplib::Response& resp) {
        status = resp.status;
        return true;
      },
      [&](const char* data, size_t len) {
        if (status != 200) {
          error_body.append(data, len);
          return true;
        }
        if (keep_going && !keep_going()) {
          stopped = true;
          return false;
        }
        buffer.append(data, len);
        size_t end;
        while ((end = buffer.find("\n\n")) != std::string::npos) {
          std::string frame = buffer.substr(0, end);
          buffer.erase(0, end + 2);
          std::string event, payload;
          size_t pos = 0;
          while (pos < frame.size()) {
            size_t nl = frame.find('\n', pos);
            std::string line = frame.substr(pos, nl == std::string::npos ? nl : nl - pos);
            pos = nl == std::string::npos ? frame.size() : nl + 1;
            if (line.rfind("event: ", 0) == 0) event = line.substr(7);
            if (line.rfind("data: ", 0) == 0) payload += line.substr(6);
          }
          if (event.empty() && payload.empty()) continue;  // keep-alive comment
          if (!on_event(event, payload)) {
            stopped = true;
            return false;
          }
        }
        return true;
      });
  if (stopped) return Status::Ok();
  if (status != 0 && status != 200) {
    httplib::Response fake;
    fake.status = status;
    fake.body = error_body;
    return StatusForHttp(status, ServerError(fake));
  }
  if (!r && r.error() != httplib::Error::Canceled) {
    return UnavailableError(
        fmt::format("watch stream from {} ended: {}", addr_, httplib::to_string(r.error())));
  }
  return Status::Ok();
}

}  // namespace dolphin::api
