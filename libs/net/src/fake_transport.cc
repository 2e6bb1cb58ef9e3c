#include "dolphin/net/fake_transport.h"

namespace dolphin::net {

FakeTransport& FakeTransport::Respond(int status, std::string body, int retry_after_s) {
  TransportResult r;
  r.ok = true;
  r.response.status = status;
  r.response.body = std::move(body);
  r.response.retry_after_s = retry_after_s;
  script_.push_back(std::move(r));
  return *this;
}

FakeTransport& FakeTransport::Fail(TransportFailure failure, std::string error) {
  TransportResult r;
  r.failure = failure;
  r.error = std::move(error);
  script_.push_back(std::move(r));
  return *this;
}

TransportResult FakeTransport::Get(const HttpRequest& request, const HttpOptions& options) {
  log_->push_back(request);
  if (script_.empty()) {
    TransportResult r;
    r.failure = TransportFailure::kConnect;
    r.error = "fake transport: nothing scripted";
    return r;
  }
  TransportResult r = script_[std::min(next_, script_.size() - 1)];
  ++next_;
  if (r.ok && r.response.body.size() > options.max_body_bytes) {
    TransportResult big;
    big.failure = TransportFailure::kTooLarge;
    big.error = "response body over the size cap";
    return big;
  }
  return r;
}

}  // namespace dolphin::net
