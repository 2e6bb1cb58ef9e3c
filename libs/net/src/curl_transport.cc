// The libcurl transport: the only place dolphin calls curl (docs/architecture.md §2).
#include <curl/curl.h>
#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "dolphin/net/http_client.h"

namespace dolphin::net {
namespace {

struct Sink {
  std::string body;
  size_t cap = 0;
  bool too_large = false;
  int retry_after_s = -1;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (sink->body.size() + len > sink->cap) {
    sink->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  sink->body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (line.size() > kRetryAfter.size()) {
    bool match = true;
    for (size_t i = 0; i < kRetryAfter.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kRetryAfter[i];
    }
    if (match) {
      std::string value(line.substr(kRetryAfter.size()));
      char* end = nullptr;
      const long v = std::strtol(value.c_str(), &end, 10);
      if (end != value.c_str() && v >= 0 && v < 86400) sink->retry_after_s = static_cast<int>(v);
    }
  }
  return len;
}

long Millis(Duration d) {
  return static_cast<long>(
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const CancelToken*>(user);
  return cancel != nullptr && cancel->cancelled() ? 1 : 0;  // non-zero aborts the transfer
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(const CancelToken* cancel) : cancel_(cancel) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  TransportResult Get(const HttpRequest& request, const HttpOptions& options) override {
    TransportResult result;
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
      result.failure = TransportFailure::kProtocol;
      result.error = "curl_easy_init failed";
      return result;
    }
    Sink sink;
    sink.cap = options.max_body_bytes;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : request.headers) {
      headers = curl_slist_append(headers, fmt::format("{}: {}", k, v).c_str());
    }
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    // determinism-ok: curl's own socket timeouts (a kernel wait on the connection)
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, Millis(options.connect_timeout));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, Millis(options.total_timeout));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl supports
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(options.max_body_bytes));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
    if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (cancel_ != nullptr) {
      curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
      curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<CancelToken*>(cancel_));
    }
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK) {
      result.ok = true;
      result.response.status = static_cast<int>(status);
      result.response.body = std::move(sink.body);
      result.response.retry_after_s = sink.retry_after_s;
      return result;
    }
    const std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
    if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      result.failure = TransportFailure::kTooLarge;
      result.error = fmt::format("response body over the cap of {} bytes", options.max_body_bytes);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      result.failure = TransportFailure::kTimeout;
      result.error = fmt::format("timed out ({})", detail);
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
               rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_SSL_CONNECT_ERROR ||
               rc == CURLE_PEER_FAILED_VERIFICATION) {
      result.failure = TransportFailure::kConnect;
      result.error = fmt::format("cannot connect ({})", detail);
    } else {
      result.failure = TransportFailure::kProtocol;
      result.error = fmt::format("transfer failed ({})", detail);
    }
    return result;
  }

 private:
  const CancelToken* cancel_;
};

}  // namespace

std::unique_ptr<Transport> NewCurlTransport(const CancelToken* cancel) {
  return std::make_unique<CurlTransport>(cancel);
}

}  // namespace dolphin::net
