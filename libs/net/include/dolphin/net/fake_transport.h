// FakeTransport: a scripted single-attempt transport for unit tests of HTTP users. Each Get
// takes the next scripted result (the last one repeats when the script runs out) and records
// the request. Pair it with RetryingHttpClient to test the retry policy without a network.
// Thread-safety: one thread. Ownership: plain value; `requests()` outlives the client only
// through the shared log pointer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dolphin/net/http_client.h"

namespace dolphin::net {

class FakeTransport final : public Transport {
 public:
  // The requests seen, shared so a test keeps it after handing the transport to a client.
  using RequestLog = std::shared_ptr<std::vector<HttpRequest>>;

  FakeTransport() : log_(std::make_shared<std::vector<HttpRequest>>()) {}
  // Scripts a response with `status` and `body`.
  FakeTransport& Respond(int status, std::string body, int retry_after_s = -1);
  // Scripts a failed attempt.
  FakeTransport& Fail(TransportFailure failure, std::string error);
  RequestLog log() const { return log_; }

  TransportResult Get(const HttpRequest& request, const HttpOptions& options) override;

 private:
  std::vector<TransportResult> script_;
  size_t next_ = 0;
  RequestLog log_;
};

}  // namespace dolphin::net
