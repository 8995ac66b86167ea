// HttpClient: a blocking HTTP/1.1 client for one origin (http or https, host, port), on Boost.Beast
// over a private Asio io_context that only the calling thread runs. Built for exporters that
// talk to a collector they do not control: every request has a deadline that bounds resolving,
// connecting, the TLS handshake, writing and reading alike; what it reads is bounded (the
// response head by max_header_bytes, the body by max_response_bytes, chunked or not); cancel()
// from another thread ends a request at once.
//
// Connections: one at a time, kept alive between requests (RFC 9112 section 9.3). A request
// that fails on a reused connection before any byte of a response arrived (the server closed
// the idle connection, RFC 9112 section 9.3.1) is retried once on a fresh connection; nothing
// else is retried here (retry policies belong to the caller). A response the server delimits
// by closing, a `Connection: close`, or any error closes the connection.
//
// TLS (https): OpenSSL through boost::asio::ssl, TLS 1.2 or newer, the server's certificate
// verified against ca_file (or the system's default verify paths) and the origin's host name
// (or IP address), SNI for host names, and a client certificate when one is configured (mTLS).
//
// Sockets are close-on-exec, and writes never raise SIGPIPE (Asio sends with MSG_NOSIGNAL).
//
// Thread-safety: request() is called by one thread at a time. cancel() may be called from any
// thread at any time, also during request(). Errors: request() never throws for network, TLS
// or protocol errors; it reports them in its result. Error messages name the origin and what
// failed, never a header value (callers' headers may carry credentials).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adminara::obs::net {

struct HttpClientOptions {
  std::string scheme = "http";  ///< "http" or "https"
  std::string host;             ///< name or address; IPv6 without brackets
  int port = 80;
  /// https: PEM file of the CA certificates to trust; empty: the system's default verify paths.
  std::string ca_file;
  /// https: PEM client certificate (chain) and private key for mTLS; both or neither.
  std::string client_certificate;
  std::string client_key;
  /// Bound on a response's status line plus header fields (Beast's header_limit).
  std::uint32_t max_header_bytes = 64 * 1024;
  /// Bound on a response body, however it is delimited (Content-Length, chunked, or closing).
  std::uint64_t max_response_bytes = 4 * 1024 * 1024;
};

/// Why a request has no (complete) response.
enum class HttpClientError : std::uint8_t {
  kNone,
  kInvalidRequest,    ///< a header name or value the client refuses to send (CR, LF, NUL, ...)
  kTlsSetup,          ///< the CA file, client certificate or key cannot be used
  kConnect,           ///< resolving or connecting failed (refused, unreachable, unknown host)
  kTls,               ///< the TLS handshake failed (certificate not trusted, wrong host, ...)
  kConnectionLost,    ///< the connection failed or closed while writing or reading
  kTimeout,           ///< the deadline passed
  kCancelled,         ///< cancel() was called
  kResponseTooLarge,  ///< the head or the body passed its limit; nothing more was read
  kBadResponse,       ///< the server's answer is not valid HTTP/1.1
};

struct HttpClientResponse {
  HttpClientError error = HttpClientError::kNone;
  /// What failed, for logs ("cannot connect to collector:4318: Connection refused"); empty
  /// when error is kNone.
  std::string message;
  /// The status code, once a response head was read (also with kResponseTooLarge for a body
  /// over the limit); 0 otherwise.
  int status = 0;
  /// Header fields in arrival order (complete responses only).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  bool ok() const { return error == HttpClientError::kNone; }
  /// The first value of header `name` (compared case-insensitively), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

class HttpClient {
 public:
  using Clock = std::chrono::steady_clock;
  using Headers = std::vector<std::pair<std::string, std::string>>;

  /// Never throws for unusable TLS files: every request then fails with kTlsSetup.
  explicit HttpClient(HttpClientOptions options);
  /// Closes the connection.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends `method` `target` (e.g. "/v1/traces") with `headers` and `body` and reads the
  /// response, all before `deadline`. The client adds Host and Content-Length; the caller sets
  /// Content-Type, User-Agent and the rest (names must be RFC 9110 tokens, values free of CR,
  /// LF and NUL, else kInvalidRequest and nothing is sent).
  HttpClientResponse request(std::string_view method, std::string_view target,
                             const Headers& headers, std::string_view body,
                             Clock::time_point deadline);

  /// Closes the connection (a request in flight returns kCancelled at once) and makes every
  /// later request fail with kCancelled. Irreversible. Any thread.
  void cancel();

  /// "scheme://host:port", as messages name the origin.
  std::string origin() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace adminara::obs::net
