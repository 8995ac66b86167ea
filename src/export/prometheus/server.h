// The Prometheus scrape endpoint: GET/HEAD /metrics on the library's HTTP server (net/), with
// the exposition a caller-supplied function renders, in the format the scraper's Accept header
// asks for, gzip-compressed when its Accept-Encoding allows. Other GET paths (the debug pages)
// are added with add_get_handler().
//
// Responses: GET/HEAD /metrics -> 200 (HEAD: headers only); other methods on a served path ->
// 405 with `Allow: GET, HEAD`; unknown paths -> 404; the server's limits (net::HttpLimits: a
// request head over 8 KiB -> 431, a body over 16 KiB -> 413, deadlines, a connection cap) and,
// with a web configuration, TLS and basic auth (401); a render function that throws -> 500 with
// the exception's message (the server keeps running).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adminara/obs/http_server.h"
#include "export/prometheus/text_format.h"

namespace adminara::obs::prometheus {

/// Appends one scrape body in the given format to `out` (which arrives empty). Called on the
/// server's thread, possibly concurrently with itself: it must be thread-safe. May throw; the
/// scrape then fails with 500.
using RenderFn = std::function<void(Format, std::string& out)>;

struct MetricsServerOptions {
  std::string host = "localhost";
  /// 0: an ephemeral port (see MetricsServer::port()).
  int port = 9464;
  /// Limits and deadlines for every client (docs/configuration.md, "HTTP endpoint").
  net::HttpLimits limits;
  /// TLS, basic auth and response headers (ADMINARA_WEB_CONFIG_FILE); unset: plain HTTP.
  std::optional<net::WebConfig> web_config;
};

/// A running /metrics endpoint: one I/O thread (`obs-prometheus`) serves every connection; the
/// handlers of add_get_handler(..., blocking = true) run on a small pool instead, so a slow page
/// never delays a scrape. Serves from construction until stop() or destruction.
///
/// Thread-safety: every member may be called from any thread but the server's own; stop() is
/// idempotent and may race with the destructor's own stop.
class MetricsServer {
 public:
  using Handler = net::Handler;

  /// Binds and starts serving. Throws std::runtime_error("cannot listen on <host>:<port>:
  /// <reason>") when the address cannot be resolved or bound (for example the port is taken;
  /// the socket does not use SO_REUSEPORT, so a port in use is reported, not shared), and
  /// ConfigError when the web configuration's certificate or key cannot be used.
  MetricsServer(MetricsServerOptions options, RenderFn render);
  MetricsServer(std::string host, int port, RenderFn render);
  ~MetricsServer();

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// The bound port (the actual one when 0 was asked for).
  int port() const;
  const std::string& host() const;
  net::HttpServerStats stats() const;

  /// Stops accepting, lets requests in flight finish (bounded) and joins the threads.
  /// Idempotent.
  void stop();

  /// Serves GET/HEAD on the exact `path` with `handler` (replacing any earlier handler for the
  /// path, including /metrics). `blocking`: run it on the handler pool (for pages that take
  /// locks or render a lot). Safe while serving.
  void add_get_handler(std::string path, Handler handler, bool blocking = false);

 private:
  void serve_metrics(const net::Request& req, net::Response& res) const;

  RenderFn render_;
  std::unique_ptr<net::HttpServer> server_;
};

/// Whether an Accept-Encoding header value admits gzip (`gzip` or `*` with a non-zero q, and
/// not ruled out by a `gzip;q=0`). Exposed for tests.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace adminara::obs::prometheus
