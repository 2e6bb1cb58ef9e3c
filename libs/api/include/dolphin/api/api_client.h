// ApiClient: talks to a running dolphin's control API (used by the CLI verbs and tests).
//
// Errors are one line: "cannot reach dolphin at 127.0.0.1:4200: Connection refused" or the
// server's {"error": ...} text with its HTTP status.
// Thread-safety: one ApiClient per thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dolphin/core/result.h"

namespace dolphin::api {

struct ApiResponse {
  int status = 0;
  std::string body;
};

class ApiClient {
 public:
  // Reads <state_dir>/<addr_file> (and api.token when present).
  static Result<ApiClient> FromStateDir(const std::filesystem::path& state_dir,
                                        const std::string& addr_file = "api.addr");
  // The first of `addr_files` whose process runs. When none does: the error of a file whose
  // process is gone (FailedPrecondition, naming it) before a missing file's NotFound.
  static Result<ApiClient> FromStateDirAny(const std::filesystem::path& state_dir,
                                           const std::vector<std::string>& addr_files);
  ApiClient(std::string addr, std::string token);

  const std::string& addr() const { return addr_; }
  // Bounds each request's connect (at most 2 s), read and write. Default: 10 s. (Watch streams
  // keep their own day-long read timeout.)
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  // GET; a non-2xx answer becomes an error carrying the server's message, except 404 which
  // is returned as a response (callers decide what "absent" means).
  Result<ApiResponse> Get(const std::string& path) const;
  Result<ApiResponse> Put(const std::string& path, const std::string& body) const;
  Result<ApiResponse> Post(const std::string& path, const std::string& body) const;
  Result<ApiResponse> Delete(const std::string& path) const;
  // Streams a server-sent-events endpoint; `on_event(event, data)` per event, return false to
  // stop. Returns when the stream ends, on_event returns false, or `keep_going` (when set;
  // asked whenever data arrives, at least once a second thanks to the server's keep-alives)
  // returns false. Stopping is not an error.
  Status Watch(
      const std::string& path,
      const std::function<bool(const std::string& event, const std::string& data)>& on_event,
      const std::function<bool()>& keep_going = nullptr) const;

  // Percent-encodes one path segment.
  static std::string Escape(std::string_view segment);

 private:
  Result<ApiResponse> Send(const std::string& method, const std::string& path,
                           const std::string& body) const;
  std::string addr_;
  std::string token_;
  std::chrono::milliseconds timeout_{10000};
};

}  // namespace dolphin::api
