// The HTTP API of adminara-server on the library's HTTP server (docs/api.md): JSON in and out,
// every request a server span that continues an incoming `traceparent`, timed in
// `http.server.request.duration`.
//
// Thread-safety: construct, bind and run from one thread; stop() may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "service.h"

namespace adminara::server {

class HttpApi {
 public:
  /// `service` must outlive this object. `meter` may be disabled.
  HttpApi(AdminAraService& service, obs::Meter meter);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  /// Binds host:port (0: a free port); the bound port. Throws std::runtime_error naming the
  /// address when it cannot bind.
  int bind(const std::string& host, int port);
  /// Serves until stop(); requests in flight when stop() is called finish first.
  void run();
  /// Stops accepting and makes run() return. Safe to call from a signal-handling thread.
  void stop();
  /// /readyz answers 200 only while ready (set after start-up, cleared at shutdown).
  void set_ready(bool ready) { ready_.store(ready); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> ready_{false};
};

}  // namespace adminara::server
