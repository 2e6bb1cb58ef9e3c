#include "dolphin/net/http_client.h"

#include <fmt/format.h>

#include <algorithm>

namespace dolphin::net {

bool IsRetryableStatus(int status) { return status == 408 || status == 429 || status >= 500; }

Duration BackoffDelay(const HttpOptions& options, int retry, int retry_after_s) {
  Duration d = options.initial_backoff;
  for (int i = 1; i < retry && d < options.max_backoff; ++i) d *= 2;
  if (retry_after_s >= 0) d = std::max(d, Duration(std::chrono::seconds(retry_after_s)));
  return std::min(d, options.max_backoff);
}

RetryingHttpClient::RetryingHttpClient(std::unique_ptr<Transport> transport, HttpOptions options,
                                       Clock& clock, const CancelToken& cancel)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      clock_(clock),
      cancel_(cancel) {}

Result<HttpResponse> RetryingHttpClient::Get(const HttpRequest& request) {
  last_attempts_ = 0;
  const int attempts = std::max(0, options_.max_retries) + 1;
  std::string last_error;
  bool timed_out = false;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (cancel_.cancelled()) return CancelledError(fmt::format("GET {}: cancelled", request.url));
    ++last_attempts_;
    TransportResult r = transport_->Get(request, options_);
    if (cancel_.cancelled()) return CancelledError(fmt::format("GET {}: cancelled", request.url));
    int retry_after = -1;
    if (r.ok) {
      if (!IsRetryableStatus(r.response.status)) return std::move(r.response);
      std::string snippet = r.response.body.substr(0, 120);
      std::replace(snippet.begin(), snippet.end(), '\n', ' ');
      last_error =
          fmt::format("HTTP {}{}{}", r.response.status, snippet.empty() ? "" : ": ", snippet);
      timed_out = false;
      retry_after = r.response.retry_after_s;
    } else {
      if (r.failure == TransportFailure::kTooLarge) {
        return InvalidArgumentError(fmt::format("GET {}: {}", request.url, r.error));
      }
      last_error = r.error;
      timed_out = r.failure == TransportFailure::kTimeout;
    }
    if (attempt == attempts) break;
    if (!clock_.WaitFor(BackoffDelay(options_, attempt, retry_after), cancel_)) {
      return CancelledError(fmt::format("GET {}: cancelled during back-off", request.url));
    }
  }
  const std::string msg = fmt::format("GET {}: {} after {} attempt{}", request.url, last_error,
                                      last_attempts_, last_attempts_ == 1 ? "" : "s");
  return timed_out ? DeadlineExceededError(msg) : UnavailableError(msg);
}

std::unique_ptr<HttpClient> NewCurlHttpClient(HttpOptions options, Clock& clock,
                                              const CancelToken& cancel) {
  return std::make_unique<RetryingHttpClient>(NewCurlTransport(&cancel), std::move(options), clock,
                                              cancel);
}

}  // namespace dolphin::net
