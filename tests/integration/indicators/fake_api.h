// FakeIndicatorApi: a local HTTP server (cpp-httplib, 127.0.0.1, port 0) that answers the four
// public APIs the indicator flows read, in their documented formats (tests/unit/indicators/
// api_samples.h), and misbehaves on request: slow, 429, 5xx, truncated or cut bodies, wrong
// types, NaN, missing fields, a 50 MB body (with and without Content-Length).
// Thread-safety: set the mode from the test thread; handlers run on the server's threads.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "../../unit/indicators/api_samples.h"

namespace dolphin::indicators::fake {

enum class Mode {
  kGood,
  kSlow,  // holds every answer for 3 s (or until the server stops)
  k429,   // 429 with Retry-After: 0
  k503,
  k429ThenGood,    // 429 for the first two requests, then good
  kTruncated,      // the JSON cut in half (Content-Length matching)
  kCutConnection,  // half the body, then the connection drops
  kWrongTypes,     // numbers where strings belong and the other way round
  kNaN,
  kMissingFields,
  kHuge,         // 50 MB with Content-Length
  kHugeChunked,  // 50 MB chunked, no Content-Length
};

class FakeIndicatorApi {
 public:
  FakeIndicatorApi() {
    for (const char* path : {"/fapi/v1/premiumIndex", "/public/get_volatility_index_data", "/fng/",
                             "/fapi/v1/depth"}) {
      server_.Get(
          path, [this, p = std::string(path)](const httplib::Request& req, httplib::Response& res) {
            Answer(p, req, res);
          });
    }
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
      std::this_thread::yield();  // bound already: only the accept loop is awaited
  }
  ~FakeIndicatorApi() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_mode(Mode m) {
    mode_ = m;
    hits_ = 0;
  }
  int hits() const { return hits_; }

 private:
  static std::string Good(const std::string& path, const httplib::Request& req) {
    if (path == "/fapi/v1/premiumIndex") {
      const std::string sym = req.get_param_value("symbol");
      return sym == "ETHUSDT" ? samples::Premium(sym, "-0.00002500", "3500.50")
                              : samples::Premium(sym, "0.00010000", "64213.41000000");
    }
    if (path == "/public/get_volatility_index_data") {
      return req.get_param_value("currency") == "ETH" ? samples::kDvolEth : samples::kDvolBtc;
    }
    if (path == "/fng/") return samples::kFearGreed;
    return samples::kDepth;
  }

  static std::string Replace(std::string s, const std::string& from, const std::string& to) {
    if (auto at = s.find(from); at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  }

  static std::string Broken(const std::string& path, const std::string& good, Mode m) {
    const bool binance = path.rfind("/fapi/", 0) == 0;
    if (m == Mode::kWrongTypes) {
      if (path == "/fapi/v1/premiumIndex") return Replace(good, "\"64213.41000000\"", "64213.41");
      if (path == "/fapi/v1/depth") return Replace(good, "[\"100.00\",\"2\"]", "[100.00,2]");
      if (path == "/fng/") return Replace(good, "\"47\"", "47");
      return Replace(good, "52.10]", "\"52.10\"]");
    }
    if (m == Mode::kNaN) {
      if (binance)
        return Replace(Replace(good, "\"64213.41000000\"", "\"NaN\""), "[\"100.00\",\"2\"]",
                       "[\"NaN\",\"2\"]");
      if (path == "/fng/") return Replace(good, "\"47\"", "\"nan\"");
      return Replace(good, "52.10]", "NaN]");  // not even JSON
    }
    // kMissingFields
    if (path == "/fapi/v1/premiumIndex")
      return Replace(good, "\"markPrice\":\"64213.41000000\",", "");
    if (path == "/fapi/v1/depth") return Replace(good, "\"T\":1717990120851,", "");
    if (path == "/fng/") return Replace(good, "\"value_classification\":\"Neutral\",", "");
    return Replace(good, "\"result\":", "\"resultat\":");
  }

  void Answer(const std::string& path, const httplib::Request& req, httplib::Response& res) {
    const int n = ++hits_;
    const Mode m = mode_;
    const std::string good = Good(path, req);
    switch (m) {
      case Mode::kGood: res.set_content(good, "application/json"); return;
      case Mode::kSlow: {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(3), [this] { return stopping_; });
        res.set_content(good, "application/json");
        return;
      }
      case Mode::k429:
        res.status = 429;
        res.set_header("Retry-After", "0");
        res.set_content(R"({"code":-1003,"msg":"Too many requests."})", "application/json");
        return;
      case Mode::k503:
        res.status = 503;
        res.set_content("Service Unavailable", "text/plain");
        return;
      case Mode::k429ThenGood:
        if (n <= 2) {
          res.status = 429;
          res.set_content(R"({"code":-1003,"msg":"Too many requests."})", "application/json");
        } else {
          res.set_content(good, "application/json");
        }
        return;
      case Mode::kTruncated:
        res.set_content(good.substr(0, good.size() / 2), "application/json");
        return;
      case Mode::kCutConnection: {
        const std::string half = good.substr(0, good.size() / 2);
        res.set_content_provider(good.size(), "application/json",
                                 [half](size_t offset, size_t, httplib::DataSink& sink) {
                                   if (offset == 0) sink.write(half.data(), half.size());
                                   return offset ==
                                          0;  // false on the second call: drop the connection
                                 });
        return;
      }
      case Mode::kWrongTypes:
      case Mode::kNaN:
      case Mode::kMissingFields: res.set_content(Broken(path, good, m), "application/json"); return;
      case Mode::kHuge:
        res.set_content(std::string(50u << 20, ' ') + good, "application/json");
        return;
      case Mode::kHugeChunked:
        res.set_chunked_content_provider("application/json",
                                         [](size_t offset, httplib::DataSink& sink) {
                                           static const std::string chunk(1u << 20, ' ');
                                           if (offset >= (50u << 20)) {
                                             sink.done();
                                             return true;
                                           }
                                           return sink.write(chunk.data(), chunk.size());
                                         });
        return;
    }
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<Mode> mode_{Mode::kGood};
  std::atomic<int> hits_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace dolphin::indicators::fake
