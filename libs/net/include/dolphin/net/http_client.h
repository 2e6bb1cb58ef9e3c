// HttpClient: GET requests to public HTTP APIs with connect and total timeouts, bounded
// retries with exponential back-off on HTTP 429/5xx, timeouts and connection failures, TLS
// verification always on, a response size cap and a User-Agent (docs/indicators.md "HTTP").
//
// A `Transport` makes one attempt; `RetryingHttpClient` adds the retry policy over any
// transport and waits its back-off on the injected Clock (a SimulatedClock drives it in tests).
// `NewCurlHttpClient` is the production client: libcurl underneath (the only code in dolphin
// that calls curl), proxies from the environment exactly as curl reads them (http_proxy,
// https_proxy, no_proxy, ALL_PROXY).
//
// Thread-safety: a client may be used from one thread at a time; separate clients are
// independent. Ownership: the client owns its transport; the Clock and CancelToken passed in
// must outlive it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dolphin/core/clock.h"
#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin::net {

struct HttpOptions {
  // Time allowed for the TCP (and TLS) connection. Default: 5 s.
  Duration connect_timeout = std::chrono::seconds(5);
  // Time allowed for one whole attempt, connection included. Default: 10 s.
  Duration total_timeout = std::chrono::seconds(10);
  // Attempts after the first one (so at most max_retries + 1 requests). Default: 2.
  int max_retries = 2;
  // Back-off before retry n (1-based): initial_backoff * 2^(n-1), at most max_backoff; an HTTP
  // 429/503 Retry-After (seconds) is honoured up to max_backoff. Default: 0.5 s, 5 s.
  Duration initial_backoff = std::chrono::milliseconds(500);
  Duration max_backoff = std::chrono::seconds(5);
  // A body larger than this fails the attempt (not retried). Default: 4 MiB.
  size_t max_body_bytes = size_t{4} << 20;
  // Sent as User-Agent. Default: "dolphin".
  std::string user_agent = "dolphin";
};

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // The Retry-After header in seconds, -1 when absent or not a number of seconds.
  int retry_after_s = -1;
};

// How one attempt ended when it did not produce a response.
enum class TransportFailure {
  kTimeout,   // connect or total timeout
  kConnect,   // refused, unreachable, DNS, TLS handshake or certificate
  kTooLarge,  // the body exceeded max_body_bytes
  kProtocol,  // malformed HTTP, reset mid-body, anything else
};

struct TransportResult {
  bool ok = false;
  HttpResponse response;       // when ok
  TransportFailure failure{};  // when !ok
  std::string error;           // when !ok: one line
};

// One attempt, no retries.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual TransportResult Get(const HttpRequest& request, const HttpOptions& options) = 0;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // The response of the last attempt. Errors (one line naming the URL, the attempts and why):
  // DeadlineExceeded after timeouts, Unavailable after connection failures or HTTP 429/5xx on
  // every attempt, InvalidArgument for a body over the cap (never retried), Cancelled
  // when the token fired during a back-off. Any other HTTP status (2xx, 3xx, 4xx) is returned
  // as a response for the caller to judge.
  virtual Result<HttpResponse> Get(const HttpRequest& request) = 0;
  // Attempts made by the last Get (for logs and tests).
  virtual int last_attempts() const = 0;
};

// True for the statuses worth retrying: 408, 429 and 5xx.
bool IsRetryableStatus(int status);
// The wait before retry `retry` (1-based) given the last response's Retry-After (-1: none).
Duration BackoffDelay(const HttpOptions& options, int retry, int retry_after_s);

class RetryingHttpClient final : public HttpClient {
 public:
  RetryingHttpClient(std::unique_ptr<Transport> transport, HttpOptions options, Clock& clock,
                     const CancelToken& cancel);
  Result<HttpResponse> Get(const HttpRequest& request) override;
  int last_attempts() const override { return last_attempts_; }

 private:
  std::unique_ptr<Transport> transport_;
  HttpOptions options_;
  Clock& clock_;
  const CancelToken& cancel_;
  int last_attempts_ = 0;
};

// The libcurl transport (TLS peer and host verification on, no redirects followed, gzip
// accepted, proxies from the environment). A transfer in progress is aborted within about a
// second once `cancel` (when not null; it must outlive the transport) is cancelled.
std::unique_ptr<Transport> NewCurlTransport(const CancelToken* cancel = nullptr);
// RetryingHttpClient over NewCurlTransport().
std::unique_ptr<HttpClient> NewCurlHttpClient(HttpOptions options, Clock& clock,
                                              const CancelToken& cancel);

}  // namespace dolphin::net
