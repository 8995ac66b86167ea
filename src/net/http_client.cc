#include "net/http_client.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "net/http_text.h"

namespace adminara::obs::net {
// Named, not anonymous: HttpClient::Impl derives from Client, and coroutine frames use these.
namespace client_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Read-buffer room beyond max_header_bytes. A chunk-size line or a trailer must fit the buffer,
// so this bounds them too (Beast reports buffer_overflow past it).
constexpr std::size_t kBufferSlack = 64 * 1024;
// Interim (1xx) responses skipped before the final one; more is a bad response.
constexpr int kMaxInterimResponses = 8;

using Request = http::request<http::span_body<const char>>;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// What the request is doing, for timeout messages and for deciding whether an abort can wait
// for the operation to end (a resolve cannot be interrupted: getaddrinfo runs to its end).
enum class Phase : std::uint8_t { kResolving, kConnecting, kHandshake, kWriting, kReading, kDone };

const char* phase_text(Phase p) {
  switch (p) {
    case Phase::kResolving:
      return "while resolving the host";
    case Phase::kConnecting:
      return "while connecting";
    case Phase::kHandshake:
      return "during the TLS handshake";
    case Phase::kWriting:
      return "while sending the request";
    case Phase::kReading:
      return "while waiting for the response";
    case Phase::kDone:
      break;
  }
  return "";
}

// One request() call, shared by the calling thread and the coroutine (both on that thread; an
// abandoned coroutine may outlive the call and still hold it).
struct Exchange {
  Phase phase = Phase::kResolving;
  bool done = false;
  bool abandoned = false;  // request() returned before the coroutine ended
  // Set by request() before it closes the socket under the coroutine.
  HttpClientError stop = HttpClientError::kNone;
  HttpClientResponse result;
};

bool connection_error(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
         ec == asio::error::not_connected || ec == ssl::error::stream_truncated;
}

// HttpClient's state and logic. In this namespace, not HttpClient::Impl's, so that unity builds
// (which join this file with http_server.cc) find this file's helpers unambiguously.
struct Client {
  using Clock = HttpClient::Clock;
  using Headers = HttpClient::Headers;

  explicit Client(HttpClientOptions o);
  ~Client();

  HttpClientResponse request(std::string_view method, std::string_view target,
                             const Headers& headers, std::string_view body,
                             Clock::time_point deadline);
  asio::awaitable<void> exchange(std::shared_ptr<Exchange> x, const Request& req);
  asio::awaitable<bool> connect(const std::shared_ptr<Exchange>& x);
  template <class Stream>
  asio::awaitable<error_code> round_trip(Stream& stream, const std::shared_ptr<Exchange>& x,
                                         const Request& req, bool head, bool& got_some);
  // Whether the kept-alive connection still looks open (the server may have closed it while
  // it was idle). Never blocks.
  bool idle_connection_usable();
  void fail(Exchange& x, HttpClientError error, std::string message);
  void fail_io(Exchange& x, const error_code& ec, HttpClientError kind, const std::string& what);
  beast::tcp_stream* lowest();
  // Closes the connection's socket (operations on it end with operation_aborted) and cancels
  // a resolve in progress. Only on the thread that runs the context, or while none does.
  void close_connection();

  const HttpClientOptions options;
  const bool https;
  const std::string origin;
  const std::string host_header;
  std::string tls_setup_error;  // non-empty: every request fails with kTlsSetup

  // Declared first so it is destroyed last: every I/O object below belongs to it.
  asio::io_context ioc{1};
  std::optional<ssl::context> tls;
  tcp::resolver resolver{ioc};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;

  std::atomic<bool> cancelled{false};
  std::mutex mu;      // guards busy, and the connection when no request runs
  bool busy = false;  // a request() is running the context
};

Client::Client(HttpClientOptions o)
    : options(std::move(o)),
      https(options.scheme == "https"),
      origin(
          options.scheme + "://" +
          (options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host) +
          ":" + std::to_string(options.port)),
      host_header([&] {
        std::string h =
            options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
        if (options.port != (https ? 443 : 80)) h += ":" + std::to_string(options.port);
        return h;
      }()),
      buffer(options.max_header_bytes + kBufferSlack) {
  if (!https) return;
  tls.emplace(ssl::context::tls_client);
  SSL_CTX* native = tls->native_handle();
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  tls->set_verify_mode(ssl::verify_peer);
  // Each file is named in the message; never its contents.
  const auto load = [&](const char* what, const std::string& file, auto&& f) {
    if (!tls_setup_error.empty()) return;
    try {
      f();
    } catch (const boost::system::system_error& e) {
      tls_setup_error = std::string("cannot use the ") + what +
                        (file.empty() ? std::string() : " " + file) + ": " + e.code().message();
    }
    ERR_clear_error();
  };
  if (options.ca_file.empty()) {
    load("system's default CA store", "", [&] { tls->set_default_verify_paths(); });
  } else {
    load("CA file", options.ca_file, [&] { tls->load_verify_file(options.ca_file); });
  }
  if (!options.client_certificate.empty() || !options.client_key.empty()) {
    load("client certificate", options.client_certificate,
         [&] { tls->use_certificate_chain_file(options.client_certificate); });
    load("client key", options.client_key,
         [&] { tls->use_private_key_file(options.client_key, ssl::context::pem); });
    if (tls_setup_error.empty() && SSL_CTX_check_private_key(native) != 1) {
      ERR_clear_error();
      tls_setup_error = "the client key " + options.client_key +
                        " does not match the client certificate " + options.client_certificate;
    }
  }
}

Client::~Client() {
  close_connection();
}

beast::tcp_stream* Client::lowest() {
  if (secure) return &beast::get_lowest_layer(*secure);
  if (plain) return &*plain;
  return nullptr;
}

void Client::close_connection() {
  connected = false;
  resolver.cancel();
  if (beast::tcp_stream* s = lowest(); s != nullptr && s->socket().is_open()) {
    error_code ec;
    s->socket().shutdown(tcp::socket::shutdown_both, ec);
    s->socket().close(ec);
  }
}

bool Client::idle_connection_usable() {
  beast::tcp_stream* s = lowest();
  if (s == nullptr || !s->socket().is_open()) return false;
  char c;
  const ssize_t n = ::recv(s->socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;  // the server closed it
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
  // Bytes on an idle connection: over TLS possibly a post-handshake message (a session ticket),
  // which the next read consumes; over plain HTTP an unsolicited answer (a 408): unusable.
  return https;
}

void Client::fail(Exchange& x, HttpClientError error, std::string message) {
  if (x.result.error == HttpClientError::kNone) {
    x.result.error = error;
    x.result.message = std::move(message);
  }
  if (x.stop == HttpClientError::kNone) close_connection();
}

void Client::fail_io(Exchange& x, const error_code& ec, HttpClientError kind,
                     const std::string& what) {
  if (x.stop != HttpClientError::kNone) return;  // request() reports the timeout or cancel
  fail(x, kind, what + ": " + ec.message());
}

asio::awaitable<bool> Client::connect(const std::shared_ptr<Exchange>& x) {
  close_connection();
  buffer.clear();
  x->phase = Phase::kResolving;
  auto [rec, endpoints] =
      co_await resolver.async_resolve(options.host, std::to_string(options.port), kTuple);
  if (x->abandoned) co_return false;  // request() returned; this frame touches nothing more
  if (x->stop != HttpClientError::kNone) co_return false;
  if (rec || endpoints.empty()) {
    fail(*x, HttpClientError::kConnect,
         "cannot resolve " + options.host + ": " + (rec ? rec.message() : "no address"));
    co_return false;
  }

  x->phase = Phase::kConnecting;
  if (https) {
    plain.reset();
    secure.emplace(ioc, *tls);
  } else {
    secure.reset();
    plain.emplace(ioc);
  }
  beast::tcp_stream& stream = *lowest();
  error_code ec = asio::error::host_not_found;
  for (const auto& entry : endpoints) {
    const tcp::endpoint ep = entry.endpoint();
    error_code close_ec;
    stream.socket().close(close_ec);
    // Opened with SOCK_CLOEXEC ourselves (Asio's open() uses a plain socket()): a socket leaked
    // into an exec'ed child would hold the connection open.
    const int fd = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
      ec = error_code(errno, boost::system::system_category());
      continue;
    }
    stream.socket().assign(ep.protocol(), fd, ec);
    if (ec) {
      ::close(fd);
      continue;
    }
    std::tie(ec) = co_await stream.socket().async_connect(ep, kTuple);
    if (x->stop != HttpClientError::kNone) co_return false;
    if (!ec) break;
  }
  if (ec) {
    fail(*x, HttpClientError::kConnect, "cannot connect to " + origin + ": " + ec.message());
    co_return false;
  }
  error_code opt_ec;
  stream.socket().set_option(tcp::no_delay(true), opt_ec);

  if (https) {
    x->phase = Phase::kHandshake;
    SSL* ssl = secure->native_handle();
    // SNI carries host names only (RFC 6066 section 3).
    if (!is_ip_literal(options.host)) {
      // SSL_set_tlsext_host_name() without its macro's C-style cast.
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(options.host.c_str()));
    }
    secure->set_verify_callback(ssl::host_name_verification(options.host));
    auto [hec] = co_await secure->async_handshake(ssl::stream_base::client, kTuple);
    if (x->stop != HttpClientError::kNone) co_return false;
    if (hec) {
      std::string why = hec.message();
      if (const long v = SSL_get_verify_result(ssl); v != X509_V_OK) {
        why += " (" + std::string(X509_verify_cert_error_string(v)) + ")";
      }
      ERR_clear_error();
      fail(*x, HttpClientError::kTls, "TLS handshake with " + origin + " failed: " + why);
      co_return false;
    }
  }
  connected = true;
  co_return true;
}

template <class Stream>
asio::awaitable<error_code> Client::round_trip(Stream& stream, const std::shared_ptr<Exchange>& x,
                                               const Request& req, bool head, bool& got_some) {
  x->phase = Phase::kWriting;
  auto [wec, written] = co_await http::async_write(stream, req, kTuple);
  if (wec) co_return wec;

  x->phase = Phase::kReading;
  for (int interim = 0;; ++interim) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(options.max_header_bytes);
    parser.body_limit(options.max_response_bytes);
    if (head) parser.skip(true);
    auto [rec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
    got_some = got_some || parser.got_some();
    if (parser.is_header_done()) x->result.status = parser.get().result_int();
    if (rec) co_return rec;
    auto msg = parser.release();
    const int status = msg.result_int();
    // Interim responses (RFC 9110 section 15.2) precede the final one; 101 is never asked for.
    if (status >= 100 && status < 200 && status != 101) {
      if (interim + 1 >= kMaxInterimResponses) co_return http::error::bad_status;
      continue;
    }
    for (const auto& field : msg) {
      x->result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    x->result.body = std::move(msg.body());
    // Keep the connection only when the message ended by its framing and nothing follows it.
    if (!msg.keep_alive() || parser.need_eof() || buffer.size() != 0) close_connection();
    co_return error_code{};
  }
}

asio::awaitable<void> Client::exchange(std::shared_ptr<Exchange> x, const Request& req) {
  // Started after request() gave up (the deadline had passed): the connection is not ours.
  if (x->abandoned || x->stop != HttpClientError::kNone) co_return;
  const bool head = req.method() == http::verb::head;
  bool reused = connected && idle_connection_usable();
  for (;;) {
    if (!reused && !co_await connect(x)) co_return;
    bool got_some = false;
    error_code ec = secure ? co_await round_trip(*secure, x, req, head, got_some)
                           : co_await round_trip(*plain, x, req, head, got_some);
    if (x->stop != HttpClientError::kNone) co_return;
    if (!ec) co_return;
    // The server closed the idle connection as the request went out: once more on a new one.
    if (reused && !got_some && connection_error(ec)) {
      reused = false;
      x->result.status = 0;
      continue;
    }
    if (ec == http::error::header_limit) {
      fail(*x, HttpClientError::kResponseTooLarge,
           "the response head from " + origin + " is larger than " +
               std::to_string(options.max_header_bytes) + " bytes; the connection is closed");
    } else if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
      fail(*x, HttpClientError::kResponseTooLarge,
           "the response body from " + origin + " (HTTP " + std::to_string(x->result.status) +
               ") is larger than " + std::to_string(options.max_response_bytes) +
               " bytes; the connection is closed");
    } else if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
               !connection_error(ec)) {
      fail(*x, HttpClientError::kBadResponse,
           "invalid HTTP response from " + origin + ": " + ec.message());
    } else {
      fail_io(*x, ec, HttpClientError::kConnectionLost,
              std::string("connection to ") + origin + " lost " + phase_text(x->phase));
    }
    co_return;
  }
}

HttpClientResponse Client::request(std::string_view method, std::string_view target,
                                   const Headers& headers, std::string_view body,
                                   Clock::time_point deadline) {
  HttpClientResponse failed;
  if (cancelled.load()) {
    failed.error = HttpClientError::kCancelled;
    failed.message = "request to " + origin + " not sent: the client is cancelled";
    return failed;
  }
  if (!tls_setup_error.empty()) {
    failed.error = HttpClientError::kTlsSetup;
    failed.message = "TLS for " + origin + ": " + tls_setup_error;
    return failed;
  }
  Request req;
  if (const http::verb v = http::string_to_verb(method); v != http::verb::unknown) {
    req.method(v);
  } else if (is_token(method)) {
    req.method_string(method);
  } else {
    failed.error = HttpClientError::kInvalidRequest;
    failed.message = "invalid request method";
    return failed;
  }
  req.target(target);
  req.version(11);
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    if (!is_token(name) || !is_field_value(value)) {
      failed.error = HttpClientError::kInvalidRequest;
      // The name only when it is a valid one; never the value.
      failed.message = "request header " + std::to_string(i + 1) +
                       (is_token(name) ? " (" + name + ")" : std::string()) +
                       " has an invalid name or value; not sent";
      return failed;
    }
    req.insert(name, value);
  }
  req.set(http::field::host, host_header);
  req.body() = {body.data(), body.size()};
  req.prepare_payload();

  {
    std::lock_guard lock(mu);
    if (cancelled.load()) {
      failed.error = HttpClientError::kCancelled;
      failed.message = "request to " + origin + " not sent: the client is cancelled";
      return failed;
    }
    busy = true;
  }
  auto x = std::make_shared<Exchange>();
  if (Clock::now() >= deadline) {
    std::lock_guard lock(mu);
    busy = false;
    failed.error = HttpClientError::kTimeout;
    failed.message = "not sent to " + origin + ": the deadline has passed";
    return failed;
  }
  ioc.restart();
  asio::co_spawn(ioc, exchange(x, req), [x](const std::exception_ptr& e) {
    x->done = true;
    if (e && x->result.error == HttpClientError::kNone) {
      x->result.error = HttpClientError::kConnectionLost;
      x->result.message = "unexpected error in the HTTP client";
    }
  });
  for (;;) {
    if (x->done) break;
    const bool cancel_now = cancelled.load();
    if (cancel_now || Clock::now() >= deadline) {
      x->stop = cancel_now ? HttpClientError::kCancelled : HttpClientError::kTimeout;
      x->result.error = x->stop;
      x->result.message = std::string(cancel_now ? "cancelled " : "timed out ") +
                          phase_text(x->phase) + " (" + origin + ")";
      const Phase phase = x->phase;
      close_connection();
      if (phase == Phase::kResolving) {
        // getaddrinfo cannot be interrupted: leave the resolve behind; its completion runs
        // (and does nothing) during a later request, or is dropped with the context.
        x->abandoned = true;
      } else {
        // Operations on a closed socket end at once.
        while (!x->done) ioc.run_one();
      }
      break;
    }
    ioc.run_one_until(deadline);
  }
  {
    std::lock_guard lock(mu);
    busy = false;
    // A cancel() that came too late to interrupt this request still closes the connection.
    if (cancelled.load()) close_connection();
  }
  HttpClientResponse result = std::move(x->result);
  if (!result.ok()) {
    result.headers.clear();
    result.body.clear();
  }
  return result;
}

}  // namespace client_detail

std::optional<std::string_view> HttpClientResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (http_iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

struct HttpClient::Impl : client_detail::Client {
  using Client::Client;
};

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

HttpClientResponse HttpClient::request(std::string_view method, std::string_view target,
                                       const Headers& headers, std::string_view body,
                                       Clock::time_point deadline) {
  return impl_->request(method, target, headers, body, deadline);
}

void HttpClient::cancel() {
  std::lock_guard lock(impl_->mu);
  if (impl_->cancelled.exchange(true)) return;
  if (impl_->busy) {
    // Wakes the thread in request(), which closes the connection itself.
    boost::asio::post(impl_->ioc, [] {});
  } else {
    impl_->close_connection();
  }
}

std::string HttpClient::origin() const {
  return impl_->origin;
}

}  // namespace adminara::obs::net
