// HttpServer: the library's one HTTP/1.1 server (Boost.Beast on an Asio io_context), built for
// hostile clients: one C++20 coroutine per connection (a slow client costs a socket and a timer,
// not a thread), bounded request heads and bodies, deadlines on every read and write, a cap on
// open connections, optional TLS and basic auth from an exporter-toolkit web configuration.
//
// Responses the server makes itself (handlers make the rest):
//   400 malformed request (then close)       401 missing or wrong basic-auth credentials
//   404 no route for the path                405 method not allowed on the path (with Allow)
//   413 body over max_body_bytes (close)     431 head over max_header_bytes or max_header_lines
//   500 the handler threw                    501 a method RFC 9110 does not define (section 9.1)
//   503 max_in_flight requests already running
// HEAD on a route that allows GET runs the GET handler and sends its headers (Content-Length
// included) without the body (RFC 9110 section 9.3.2). Range is ignored: responses are whole.
// Pipelined requests are answered in order, one at a time. `Connection: close` is honoured.
//
// Ownership and lifetime: the server owns its listening socket, its connections, a thread pool
// for blocking routes and, unless HttpServerOptions::runtime lends one, its IoRuntime. A lent
// runtime must outlive the server. Handlers are copied into the server and destroyed with it.
// Thread-safety: every member function may be called from any thread except the runtime's own
// threads (stop() and the destructor wait for connections to end); handlers run concurrently on
// the runtime's threads (inline routes) and the blocking pool (blocking routes).
// Errors: the constructor throws std::runtime_error("cannot listen on <host>:<port>: <reason>")
// when it cannot resolve or bind, and adminara::obs::ConfigError for a web configuration whose
// certificate or key cannot be used. Nothing a client sends makes the server throw or stop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adminara/obs/web_config.h"

namespace adminara::obs::net {

class IoRuntime;

/// Header fields in arrival order; names compare case-insensitively (RFC 9110 section 5.1).
class Headers {
 public:
  /// The first value of `name`, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  /// Every value of `name` joined by ',' in arrival order (RFC 9110 section 5.3: a repeated
  /// field is one comma-separated list), or nullopt. What obs::extract() expects of a getter.
  std::optional<std::string> joined(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  /// Appends a field (a repeated name keeps both).
  void add(std::string name, std::string value);
  /// Replaces every field named `name` with one.
  void set(std::string name, std::string value);
  void erase(std::string_view name);
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

/// The parameters of a query string (`a=1&b=x%20y&a=2`), in order, a repeated name kept each
/// time: `+` and `%XX` decoded (an invalid escape is kept as written), a parameter without `=`
/// has an empty value.
std::multimap<std::string, std::string> parse_query(std::string_view query);

/// Whether `host` resolves, as HttpServer binds it (its first address; "[::1]" brackets allowed),
/// to a loopback address (127.0.0.0/8, ::1). False when it does not resolve.
bool is_loopback_host(const std::string& host);

/// A request as a handler sees it.
struct Request {
  std::string method;  ///< as sent, e.g. "GET"; HEAD stays "HEAD" on a GET route
  std::string target;  ///< the request target as sent, e.g. "/metrics?x=1"
  std::string path;    ///< the target before '?', not percent-decoded
  std::string query;   ///< the target after '?', without it
  int version = 11;    ///< 10 or 11
  Headers headers;
  std::string body;
  std::string remote;  ///< the peer's "address:port" ("[v6]:port" for IPv6)
  std::string user;    ///< the basic-auth user when the server checks basic auth, else empty
  bool tls = false;    ///< arrived over TLS

  /// The first value of header `name`, or "".
  std::string_view header(std::string_view name) const { return headers.get(name).value_or(""); }
};

/// The response a handler fills in. The server adds Content-Length, Connection and the web
/// configuration's headers; a header name or value with CR, LF or NUL, or a status outside
/// 100-599, turns the response into a 500.
struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  Headers headers;
  std::string body;
};

/// Runs on a runtime thread (inline route) or a blocking-pool thread (blocking route). May
/// throw: the client gets a 500 and the server keeps serving.
using Handler = std::function<void(const Request&, Response&)>;

struct RouteOptions {
  /// Run the handler on the blocking pool (HttpServerOptions::blocking_threads) instead of the
  /// connection's runtime thread: for handlers that wait on I/O (Redis, files). The response is
  /// written back by the connection's coroutine.
  bool blocking = false;
};

/// Limits on what one client can make the server hold or wait for. The defaults suit a metrics
/// endpoint and a small JSON API (docs/configuration.md, "HTTP endpoint", says why each).
struct HttpLimits {
  /// Request line plus header fields, bytes (Beast's header_limit). Over it: 431, close.
  std::uint32_t max_header_bytes = 8 * 1024;
  /// Header field lines. Over it: 431, close.
  std::size_t max_header_lines = 100;
  /// Request body, bytes, with Content-Length (checked before any body byte is read) or chunked
  /// (counted as it arrives; chunk-size lines and trailers must fit the read buffer). Over it:
  /// 413, close.
  std::uint64_t max_body_bytes = 16 * 1024;
  /// Deadline for a whole request head: from accept (after the TLS handshake) for the first
  /// request, from the first byte for later ones. Expired: the connection is closed.
  std::chrono::milliseconds head_timeout{10'000};
  /// Deadline for the body, from the end of the head. Expired: closed.
  std::chrono::milliseconds body_timeout{10'000};
  /// How long a keep-alive connection may wait for the next request's first byte. Expired:
  /// closed (clients such as Prometheus reconnect transparently).
  std::chrono::milliseconds idle_timeout{60'000};
  /// Deadline for writing one response. Expired: closed.
  std::chrono::milliseconds write_timeout{10'000};
  /// Deadline for the TLS handshake. Expired: closed.
  std::chrono::milliseconds tls_handshake_timeout{10'000};
  /// Open connections (TLS handshakes included). Past it a new connection is accepted and
  /// closed at once, without a response, and counted in connections_rejected.
  std::size_t max_connections = 1024;
  /// Requests being handled at once (head read, response not yet written); 0: no limit. Past
  /// it: 503 "Limit of concurrent requests reached" (node_exporter's --web.max-requests).
  std::size_t max_in_flight = 0;
};

struct HttpServerOptions {
  /// Host name or address to bind; a name binds its first resolved address ("localhost",
  /// "::1", "0.0.0.0", "[::1]" all work).
  std::string host = "localhost";
  /// 0: an ephemeral port (see HttpServer::port()).
  int port = 0;
  HttpLimits limits;
  /// The runtime to run on; null: the server makes and owns one with io_threads threads named
  /// thread_name. A lent runtime must outlive the server.
  IoRuntime* runtime = nullptr;
  std::size_t io_threads = 1;
  std::string thread_name = "obs-http";
  /// Threads of the pool that runs blocking routes (at least 1).
  std::size_t blocking_threads = 2;
  /// TLS, basic auth and extra headers; unset: plain HTTP, no auth.
  std::optional<WebConfig> web_config;
  /// Put the exception's what() in a 500's body. Off by default: messages may carry details
  /// (paths, hosts, ids) a client should not see.
  bool expose_handler_errors = false;
  /// Called with every response the server makes itself (400, 401, 404, 405, 413, 431, 500,
  /// 501, 503; status and a plain-text body set) before it is sent, to restyle it (a JSON API
  /// wants JSON errors). Runs on a runtime thread; must not block; may throw (the response is
  /// then sent with an empty body). Null: sent as is.
  std::function<void(Response&)> server_response;
};

/// Counters since construction. Rejections count requests answered with the error (or, for
/// timeouts, connections closed); every response written counts in requests_served.
struct HttpServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_open = 0;
  std::uint64_t connections_rejected = 0;  ///< closed at once: max_connections reached
  std::uint64_t requests_served = 0;
  std::uint64_t header_too_large = 0;  ///< 431
  std::uint64_t body_too_large = 0;    ///< 413
  std::uint64_t head_timeouts = 0;
  std::uint64_t body_timeouts = 0;
  std::uint64_t idle_timeouts = 0;
  std::uint64_t write_timeouts = 0;
  std::uint64_t bad_requests = 0;   ///< 400
  std::uint64_t auth_failures = 0;  ///< 401
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t in_flight_rejections = 0;  ///< 503
  std::uint64_t handler_errors = 0;        ///< 500 from a throwing or invalid handler
};

class HttpServer {
 public:
  /// Binds and listens (the port is known on return) but accepts nothing until start(), so
  /// routes can be added first; connections made meanwhile wait in the listen backlog.
  explicit HttpServer(HttpServerOptions options);
  /// stop() with a 5 s timeout, then waits for blocking handlers still running.
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Serves `methods` (e.g. {"GET"}; GET implies HEAD) on the exact `path` with `handler`,
  /// replacing an earlier route for the path. Allowed at any time, also while serving.
  void route(std::string path, std::vector<std::string> methods, Handler handler,
             RouteOptions options = {});

  /// Serves every request that no route() matches, whatever its path and method (any method
  /// RFC 9110 defines), with `handler`, which does its own routing (404, 405 with Allow). For a
  /// HEAD request it sees "HEAD" and its body is dropped. Replaces an earlier fallback.
  void fallback(Handler handler, RouteOptions options = {});

  /// Starts accepting. Idempotent; does nothing after stop().
  void start();

  /// Stops accepting, closes idle connections and those still reading a request head, lets
  /// requests being handled finish and their responses be written until `timeout`, then closes
  /// every connection. Returns within about `timeout` whatever clients do; a blocking handler
  /// still running then keeps its pool thread until it returns (the destructor waits for it).
  /// Idempotent.
  void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  const std::string& host() const;
  /// The bound port (the actual one when 0 was asked for).
  int port() const;
  /// Whether the bound address is a loopback address (127.0.0.0/8, ::1).
  bool is_loopback() const;
  /// Whether the server speaks TLS.
  bool tls() const;
  /// Whether clients must authenticate: basic auth configured, or TLS with a client_auth_type
  /// that requires a verified certificate (RequireAndVerifyClientCert).
  bool authenticated_or_client_cert() const;
  HttpServerStats stats() const;
  /// The listening socket's file descriptor (tests check its flags; do not close it).
  int native_listen_handle() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace adminara::obs::net
