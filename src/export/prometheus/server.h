// The Prometheus scrape endpoint: an HTTP server (cpp-httplib) answering GET/HEAD /metrics with
// the exposition a caller-supplied function renders, in the format the scraper's Accept header
// asks for, gzip-compressed when its Accept-Encoding allows.
//
// Responses: GET/HEAD /metrics -> 200 (HEAD: headers only); other methods on a served path ->
// 405 with `Allow: GET, HEAD`; unknown paths -> 404; a request body over 16 KiB -> 413 (nothing
// served takes one); a render function that throws -> 500 with the exception's message (the
// server keeps running).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "export/prometheus/text_format.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace adminara::obs::prometheus {

/// Appends one scrape body in the given format to `out` (which arrives empty). Called on a
/// server thread, possibly concurrently with itself (two server threads): it must be thread-safe.
/// May throw; the scrape then fails with 500.
using RenderFn = std::function<void(Format, std::string& out)>;

/// A running /metrics endpoint. Serves from its own listener thread plus a pool of 2 worker
/// threads from construction until stop() or destruction.
///
/// Thread-safety: port(), host() and add_get_handler() may be called from any thread;
/// stop() is idempotent and may race with the destructor's own stop.
class MetricsServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  /// Binds `host`:`port` (port 0: an ephemeral port, see port()) and starts serving.
  /// Throws std::runtime_error("cannot listen on <host>:<port>: <reason>") when the address
  /// cannot be resolved or bound (for example the port is taken). Unlike cpp-httplib's default,
  /// the socket does not use SO_REUSEPORT, so a port in use is reported, not shared.
  MetricsServer(std::string host, int port, RenderFn render);
  ~MetricsServer();

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// The bound port (the actual one when 0 was asked for).
  int port() const { return port_; }
  const std::string& host() const { return host_; }

  /// Stops accepting, lets in-flight requests finish and joins the threads. Idempotent.
  void stop();

  /// Serves GET/HEAD on the exact `path` with `handler` (replacing any earlier handler for the
  /// path, including /metrics). Safe while serving; the handler runs on server threads.
  void add_get_handler(std::string path, Handler handler);

 private:
  void route_get(const httplib::Request& req, httplib::Response& res);
  void route_other(const httplib::Request& req, httplib::Response& res);
  void serve_metrics(const httplib::Request& req, httplib::Response& res);

  std::string host_;
  int port_ = 0;
  RenderFn render_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  std::atomic<bool> listener_done_{false};
  std::mutex stop_mu_;
  mutable std::mutex handlers_mu_;
  std::map<std::string, Handler, std::less<>> handlers_;
};

/// Whether an Accept-Encoding header value admits gzip (`gzip` or `*` with a non-zero q, and
/// not ruled out by a `gzip;q=0`). Exposed for tests.
bool accepts_gzip(std::string_view accept_encoding);

/// `data` compressed as one gzip member (RFC 1952) with zlib; throws std::runtime_error when
/// zlib fails. Exposed for tests.
std::string gzip(std::string_view data);

}  // namespace adminara::obs::prometheus
