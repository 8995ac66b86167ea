#include "adminara/obs/http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/log.h"
#include "net/basic_auth.h"
#include "net/http_text.h"
#include "net/io_runtime.h"
#include "net/tls_context.h"

namespace adminara::obs::net {

// Named, not anonymous: Impl's members and coroutine frames use these types.
namespace server_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// After an error response on a connection that is then closed, the server stops sending and
// reads (and drops) what the client still sends, for at most this long and this much, before
// closing: closing with unread data makes the kernel send a reset, which can destroy the error
// response before the client reads it.
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 256 * 1024;
// Deadline for a TLS close_notify exchange when a connection ends.
constexpr std::chrono::milliseconds kTlsShutdownTime{1000};
// Slack in the read buffer beyond max_header_bytes: room for the start of a body or the next
// pipelined request. Chunk-size lines and trailers must fit the buffer, which bounds them.
constexpr std::size_t kBufferSlack = 4096;
// What the wait for a request's first byte prepares in the read buffer (the head parser grows
// it as needed). The buffer is allocated there, so a connection that never sends (a flood of
// 1,024 idle connections) holds this much each: 4 KiB made such a flood cost 7.8 MB of RSS,
// 512 bytes still takes a typical request head (Prometheus' is about 300 bytes) in one read.
constexpr std::size_t kFirstReadBytes = 512;

// RFC 9110 section 9.3 plus PATCH (RFC 5789): anything else is answered 501 (section 9.1).
bool is_known_method(std::string_view m) {
  static constexpr std::string_view kMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                  "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  return std::find(std::begin(kMethods), std::end(kMethods), m) != std::end(kMethods);
}

std::string endpoint_string(const tcp::endpoint& ep) {
  const asio::ip::address a = ep.address();
  const std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  return host + ":" + std::to_string(ep.port());
}

bool loopback(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

Response simple_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A connection as stop() sees it. Every field is touched only on the connection's strand.
struct Session {
  explicit Session(const asio::any_io_executor& ex) : executor(ex), wake(ex) {}

  void close_socket() {
    if (tcp != nullptr) {
      error_code ec;
      tcp->socket().shutdown(tcp::socket::shutdown_both, ec);
      tcp->close();
    }
  }

  asio::any_io_executor executor;
  // Woken (cancelled) when work handed to another thread is done, or when the server closes.
  asio::steady_timer wake;
  beast::tcp_stream* tcp = nullptr;  // the lowest layer while the coroutine runs
  bool busy = false;                 // a request is being handled (head and body read)
  bool closing = false;              // stop(): close after the current request
  bool force_closed = false;         // stop() timed out: abandon everything
  bool off_thread_done = false;
};

struct Route {
  std::vector<std::string> methods;
  std::string allow;
  Handler handler;
  bool blocking = false;
  bool any_method = false;  // the fallback: its handler does its own method checks

  bool allows(std::string_view method) const {
    if (any_method) return true;
    for (const std::string& m : methods) {
      if (m == method || (method == "HEAD" && m == "GET")) return true;
    }
    return false;
  }
};

struct Counters {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_rejected{0};
  std::atomic<std::uint64_t> requests_served{0};
  std::atomic<std::uint64_t> header_too_large{0};
  std::atomic<std::uint64_t> body_too_large{0};
  std::atomic<std::uint64_t> head_timeouts{0};
  std::atomic<std::uint64_t> body_timeouts{0};
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> write_timeouts{0};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> auth_failures{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> in_flight_rejections{0};
  std::atomic<std::uint64_t> handler_errors{0};
};

void bump(std::atomic<std::uint64_t>& c) {
  c.fetch_add(1, std::memory_order_relaxed);
}

// Clears Session::tcp when the stream it points to goes away.
struct Detach {
  Session& s;
  ~Detach() { s.tcp = nullptr; }
};

struct InFlight {
  std::atomic<std::size_t>& n;
  ~InFlight() { n.fetch_sub(1); }
};

struct AuthResult {
  bool ok = false;
  std::string user;
};

// A blocking route's request and response, shared with the pool thread that runs the handler
// so that either side may finish first.
struct BlockingCall {
  Request req;
  Response res;
};

}  // namespace server_detail

using namespace server_detail;  // NOLINT(google-build-using-namespace): this file's own helpers

bool is_loopback_host(const std::string& name) {
  std::string host = name;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  asio::io_context ctx;
  tcp::resolver resolver(ctx);
  error_code ec;
  const auto results = resolver.resolve(host, "0", tcp::resolver::passive, ec);
  return !ec && !results.empty() && loopback(results.begin()->endpoint().address());
}

std::multimap<std::string, std::string> parse_query(std::string_view query) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  auto decode = [&](std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '+') {
        out += ' ';
      } else if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
        out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
        i += 2;
      } else {
        out += in[i];
      }
    }
    return out;
  };
  std::multimap<std::string, std::string> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      out.emplace(decode(pair.substr(0, eq)),
                  eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (http_iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string> Headers::joined(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& [n, v] : entries_) {
    if (!http_iequals(n, name)) continue;
    if (out) {
      *out += ',';
      *out += v;
    } else {
      out.emplace(v);
    }
  }
  return out;
}

void Headers::add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  erase(name);
  add(std::move(name), std::move(value));
}

void Headers::erase(std::string_view name) {
  std::erase_if(entries_, [&](const auto& e) { return http_iequals(e.first, name); });
}

// ---------------------------------------------------------------------------------------------

struct HttpServer::Impl {
  explicit Impl(HttpServerOptions o);

  void launch(tcp::socket socket);
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve_connection(std::shared_ptr<Session> s, tcp::socket socket);
  template <class Stream>
  asio::awaitable<void> serve_requests(const std::shared_ptr<Session>& s, Stream& stream,
                                       const std::string& remote, bool is_tls);
  template <class Stream>
  asio::awaitable<bool> send(Stream& stream, Response& res, unsigned version, bool head,
                             bool keep_alive);
  template <class Stream, class Body>
  asio::awaitable<bool> write(Stream& stream, http::response<Body>& msg);
  template <class Stream>
  asio::awaitable<void> close_after_error(Stream& stream);
  // Checks an Authorization value against basic_auth_users; nullopt when stop() force-closed
  // the connection meanwhile.
  asio::awaitable<std::optional<AuthResult>> authorize(const std::shared_ptr<Session>& s,
                                                       std::string_view authorization);
  asio::awaitable<bool> run_off_thread(const std::shared_ptr<Session>& s, IoRuntime& pool,
                                       std::function<void()> work);
  std::shared_ptr<const Route> find_route(std::string_view path) const;
  Response handler_error(const char* what);
  // A response the server makes itself, passed through HttpServerOptions::server_response.
  Response server_response(int status, std::string body) const;
  void stop(std::chrono::milliseconds timeout);

  HttpServerOptions options;
  HttpLimits limits;
  // Declared first so it is destroyed last: every I/O object below belongs to its context.
  std::unique_ptr<IoRuntime> own_runtime;
  IoRuntime* runtime = nullptr;
  std::unique_ptr<IoRuntime> blocking_pool;
  std::unique_ptr<IoRuntime> auth_pool;  // one thread: bcrypt runs one at a time
  std::shared_ptr<ssl::context> tls_context;
  std::shared_ptr<BasicAuthenticator> authenticator;
  std::vector<std::pair<std::string, std::string>> extra_headers;

  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_pause;
  tcp::endpoint local;
  int listen_fd = -1;

  mutable std::shared_mutex routes_mu;
  std::map<std::string, std::shared_ptr<const Route>, std::less<>> routes;
  std::shared_ptr<const Route> fallback;  // guarded by routes_mu; may be null

  std::mutex mu;  // guards the fields below
  std::condition_variable cv;
  std::set<std::shared_ptr<Session>> sessions;
  bool started = false;
  bool accept_done = true;  // no accept loop running
  bool stopped = false;
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;  // one stop() at a time

  std::atomic<std::size_t> open{0};
  std::atomic<std::size_t> in_flight{0};
  Counters counters;
  std::atomic<bool> warned_handler{false};
  std::atomic<bool> warned_accept{false};
};

HttpServer::Impl::Impl(HttpServerOptions o) : options(std::move(o)), limits(options.limits) {
  if (options.web_config) {
    const WebConfig& wc = *options.web_config;
    if (wc.tls) {
      tls_context = make_tls_context(*wc.tls, wc.source);
    }
    if (!wc.basic_auth_users.empty()) {
      authenticator = std::make_shared<BasicAuthenticator>(wc.basic_auth_users);
    }
    extra_headers = wc.headers;
  }

  std::string host = options.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string where = "cannot listen on " + options.host + ":" + std::to_string(options.port);
  if (options.port < 0 || options.port > 65535) {
    throw std::runtime_error(where + ": the port must be from 0 to 65535");
  }

  if (options.runtime == nullptr) {
    own_runtime = std::make_unique<IoRuntime>(options.thread_name, options.io_threads);
    runtime = own_runtime.get();
  } else {
    runtime = options.runtime;
  }
  asio::io_context& ctx = runtime->context();

  error_code ec;
  tcp::resolver resolver(ctx);
  const auto results =
      resolver.resolve(host, std::to_string(options.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    throw std::runtime_error(where + ": " + (ec ? ec.message() : "no address"));
  }
  const tcp::endpoint ep = results.begin()->endpoint();

  acceptor.emplace(asio::make_strand(ctx));
  accept_pause.emplace(acceptor->get_executor());
  // Opened with SOCK_CLOEXEC ourselves: Asio's open() uses a plain socket(), and a listening
  // socket leaked into an exec'ed child would keep the port bound.
  const int fd = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) throw std::runtime_error(where + ": " + std::strerror(errno));
  listen_fd = fd;
  acceptor->assign(ep.protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    throw std::runtime_error(where + ": " + ec.message());
  }
  // SO_REUSEADDR (a restart can bind while old connections linger in TIME_WAIT), never
  // SO_REUSEPORT (a second process on the port must fail, not share it).
  acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) acceptor->non_blocking(true, ec);
  if (!ec) local = acceptor->local_endpoint(ec);
  if (ec) throw std::runtime_error(where + ": " + ec.message());

  blocking_pool = std::make_unique<IoRuntime>(options.thread_name + "-blk",
                                              std::max<std::size_t>(1, options.blocking_threads));
  if (authenticator) auth_pool = std::make_unique<IoRuntime>(options.thread_name + "-auth", 1);
}

std::shared_ptr<const Route> HttpServer::Impl::find_route(std::string_view path) const {
  std::shared_lock lock(routes_mu);
  auto it = routes.find(path);
  return it == routes.end() ? fallback : it->second;
}

Response HttpServer::Impl::server_response(int status, std::string body) const {
  Response r = simple_response(status, std::move(body));
  if (options.server_response) {
    try {
      options.server_response(r);
    } catch (...) {
      r = simple_response(status, "");  // the hook failed: the status alone
    }
  }
  return r;
}

Response HttpServer::Impl::handler_error(const char* what) {
  bump(counters.handler_errors);
  if (what != nullptr) {
    common::warn_once(warned_handler,
                      std::string("http server: a handler failed (reported once): ") + what);
  }
  std::string body = "Internal Server Error\n";
  if (options.expose_handler_errors && what != nullptr) {
    body = std::string("Internal Server Error: ") + what + "\n";
  }
  return server_response(500, std::move(body));
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  for (;;) {
    auto [ec] = co_await acceptor->async_wait(tcp::acceptor::wait_read, kTuple);
    if (ec || stopping.load()) break;
    // accept4 with SOCK_CLOEXEC: Asio's accept() would leave a window in which a fork+exec
    // elsewhere in the process inherits the connection.
    for (int i = 0; i < 64; ++i) {
      const int fd = ::accept4(acceptor->native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
          common::warn_once(warned_accept,
                            std::string("http server: accept failed, pausing 100 ms (reported "
                                        "once): ") +
                                std::strerror(err));
          accept_pause->expires_after(std::chrono::milliseconds(100));
          co_await accept_pause->async_wait(kTuple);
        }
        break;  // EAGAIN, ECONNABORTED, ...: wait for the next readiness
      }
      bump(counters.connections_accepted);
      if (open.load() >= limits.max_connections || stopping.load()) {
        bump(counters.connections_rejected);
        ::close(fd);
        continue;
      }
      tcp::socket socket(asio::make_strand(runtime->context()));
      error_code aec;
      socket.assign(local.protocol(), fd, aec);
      if (aec) {
        ::close(fd);
        continue;
      }
      launch(std::move(socket));
    }
  }
  std::lock_guard lock(mu);
  accept_done = true;
  cv.notify_all();
}

void HttpServer::Impl::launch(tcp::socket socket) {
  auto s = std::make_shared<Session>(socket.get_executor());
  {
    std::lock_guard lock(mu);
    if (stopping.load()) return;  // the socket closes as it goes out of scope
    sessions.insert(s);
    open.fetch_add(1);
  }
  asio::co_spawn(
      s->executor, serve_connection(s, std::move(socket)), [this, s](const std::exception_ptr& e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            common::log_warn(std::string("http server: connection failed: ") + ex.what());
          } catch (...) {
          }
        }
        std::lock_guard lock(mu);
        sessions.erase(s);
        open.fetch_sub(1);
        cv.notify_all();  // nothing touches `this` after this
      });
}

asio::awaitable<void> HttpServer::Impl::serve_connection(std::shared_ptr<Session> s,
                                                         tcp::socket socket) {
  if (s->closing) co_return;
  error_code ec;
  const std::string remote = endpoint_string(socket.remote_endpoint(ec));
  beast::tcp_stream tcp(std::move(socket));
  if (!tls_context) {
    s->tcp = &tcp;
    Detach detach{*s};
    co_await serve_requests(s, tcp, remote, false);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *tls_context);
  s->tcp = &beast::get_lowest_layer(stream);
  Detach detach{*s};
  s->tcp->expires_after(limits.tls_handshake_timeout);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
  if (hec) {
    bump(counters.tls_handshake_failures);
    co_return;
  }
  co_await serve_requests(s, stream, remote, true);
}

asio::awaitable<bool> HttpServer::Impl::run_off_thread(const std::shared_ptr<Session>& s,
                                                       IoRuntime& pool,
                                                       std::function<void()> work) {
  s->off_thread_done = false;
  asio::post(pool.context(), [s, work = std::move(work)] {
    work();
    asio::post(s->executor, [s] {
      s->off_thread_done = true;
      s->wake.cancel();
    });
  });
  while (!s->off_thread_done && !s->force_closed) {
    s->wake.expires_at(asio::steady_timer::time_point::max());
    co_await s->wake.async_wait(kTuple);
  }
  co_return s->off_thread_done;
}

template <class Stream, class Body>
asio::awaitable<bool> HttpServer::Impl::write(Stream& stream, http::response<Body>& msg) {
  beast::get_lowest_layer(stream).expires_after(limits.write_timeout);
  auto [ec, n] = co_await http::async_write(stream, msg, kTuple);
  if (ec) {
    if (ec == beast::error::timeout) bump(counters.write_timeouts);
    co_return false;
  }
  bump(counters.requests_served);
  co_return true;
}

template <class Stream>
asio::awaitable<bool> HttpServer::Impl::send(Stream& stream, Response& res, unsigned version,
                                             bool head, bool keep_alive) {
  bool valid = res.status >= 200 && res.status <= 599 && is_field_value(res.content_type);
  for (const auto& [name, value] : res.headers.entries()) {
    valid = valid && is_token(name) && is_field_value(value);
  }
  if (!valid) res = handler_error(nullptr);
  const bool no_body = res.status == 204 || res.status == 304;
  auto fill = [&](auto& msg) {
    msg.version(version);
    msg.result(static_cast<unsigned>(res.status));
    if (!no_body && !res.content_type.empty()) {
      msg.set(http::field::content_type, res.content_type);
    }
    for (const auto& [name, value] : res.headers.entries()) {
      // Framing is the server's: a handler cannot set it.
      if (http_iequals(name, "Content-Length") || http_iequals(name, "Transfer-Encoding") ||
          http_iequals(name, "Connection") || (no_body && http_iequals(name, "Content-Type"))) {
        continue;
      }
      msg.insert(name, value);
    }
    for (const auto& [name, value] : extra_headers) msg.set(name, value);
    msg.keep_alive(keep_alive);
  };
  if (head) {
    http::response<http::empty_body> msg;
    fill(msg);
    if (!no_body) msg.content_length(res.body.size());
    co_return co_await write(stream, msg);
  }
  http::response<http::string_body> msg;
  fill(msg);
  if (!no_body) msg.body() = std::move(res.body);
  msg.prepare_payload();
  co_return co_await write(stream, msg);
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::close_after_error(Stream& stream) {
  auto& tcp = beast::get_lowest_layer(stream);
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    error_code ec;
    tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    char sink[4096];
    std::size_t drained = 0;
    tcp.expires_after(kLingerTime);
    while (drained < kLingerBytes) {
      auto [rec, n] = co_await tcp.async_read_some(asio::buffer(sink), kTuple);
      if (rec) break;
      drained += n;
    }
  } else {
    tcp.expires_after(kTlsShutdownTime);
    co_await stream.async_shutdown(kTuple);  // stream_truncated and friends are expected
  }
}

asio::awaitable<std::optional<AuthResult>> HttpServer::Impl::authorize(
    const std::shared_ptr<Session>& s, std::string_view authorization) {
  std::optional<BasicCredentials> parsed = parse_basic_authorization(authorization);
  if (!parsed) co_return AuthResult{};
  auto creds = std::make_shared<BasicCredentials>(std::move(*parsed));
  std::optional<bool> ok = authenticator->cached(creds->user, creds->password);
  if (!ok) {
    // bcrypt off the event loop, one at a time on the auth thread: a flood of wrong passwords
    // queues there (bounded by max_connections) while cached credentials are answered here.
    auto result = std::make_shared<bool>(false);
    std::function<void()> work = [auth = authenticator, creds, result] {
      *result = auth->verify(creds->user, creds->password);
    };
    if (!co_await run_off_thread(s, *auth_pool, std::move(work))) co_return std::nullopt;
    ok = *result;
  }
  OPENSSL_cleanse(creds->password.data(), creds->password.size());
  co_return AuthResult{*ok, *ok ? creds->user : std::string()};
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::serve_requests(const std::shared_ptr<Session>& s,
                                                       Stream& stream, const std::string& remote,
                                                       bool is_tls) {
  auto& tcp = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer(limits.max_header_bytes + kBufferSlack);
  bool first = true;
  for (;;) {
    s->busy = false;
    if (s->closing) co_return;

    // The head deadline runs from accept (after the TLS handshake) for the first request, and
    // from the first byte, or the end of the previous response when the next request is
    // already buffered (pipelined), for later ones. Between requests the idle timeout applies.
    auto head_deadline = std::chrono::steady_clock::now() + limits.head_timeout;
    if (buffer.size() == 0) {
      if (first) {
        tcp.expires_at(head_deadline);
      } else {
        tcp.expires_after(limits.idle_timeout);
      }
      const std::size_t room =
          std::min<std::size_t>(kFirstReadBytes, buffer.max_size() - buffer.size());
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(room), kTuple);
      if (ec) {
        if (ec == beast::error::timeout)
          bump(first ? counters.head_timeouts : counters.idle_timeouts);
        co_return;  // EOF between requests is the normal end of a keep-alive connection
      }
      buffer.commit(n);
      if (!first) head_deadline = std::chrono::steady_clock::now() + limits.head_timeout;
    }
    first = false;

    http::request_parser<http::string_body> parser;
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);  // before the head: Content-Length is checked there
    tcp.expires_at(head_deadline);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    unsigned version = 11;
    if (parser.is_header_done()) version = parser.get().version();

    int reject = 0;
    if (hec == http::error::header_limit || hec == http::error::buffer_overflow) {
      reject = 431;
    } else if (hec == http::error::body_limit) {
      reject = 413;
    } else if (hec == beast::error::timeout) {
      bump(counters.head_timeouts);
      co_return;
    } else if (hec == http::error::end_of_stream || hec == http::error::partial_message ||
               hec == asio::error::eof || hec == asio::error::operation_aborted ||
               hec == asio::error::connection_reset) {
      co_return;
    } else if (hec) {
      reject = 400;
    } else if (std::distance(parser.get().begin(), parser.get().end()) >
               static_cast<std::ptrdiff_t>(limits.max_header_lines)) {
      reject = 431;
    }

    if (reject == 0) {
      // Expect: 100-continue: a client waiting for it would otherwise pause before the body.
      const auto expect = parser.get().find(http::field::expect);
      if (!parser.is_done() && version >= 11 && expect != parser.get().end() &&
          http_iequals(expect->value(), "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        tcp.expires_after(limits.write_timeout);
        auto [wec, wn] = co_await asio::async_write(
            stream, asio::buffer(kContinue.data(), kContinue.size()), kTuple);
        if (wec) co_return;
      }
      if (!parser.is_done()) {
        tcp.expires_after(limits.body_timeout);
        auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kTuple);
        if (bec == http::error::body_limit || bec == http::error::buffer_overflow) {
          reject = 413;
        } else if (bec == beast::error::timeout) {
          bump(counters.body_timeouts);
          co_return;
        } else if (bec == http::error::partial_message || bec == asio::error::eof ||
                   bec == asio::error::operation_aborted || bec == asio::error::connection_reset) {
          co_return;
        } else if (bec) {
          reject = 400;
        }
      }
    }

    if (reject != 0) {
      Response res;
      switch (reject) {
        case 431:
          bump(counters.header_too_large);
          res = server_response(431, "Request Header Fields Too Large\n");
          break;
        case 413:
          bump(counters.body_too_large);
          res = server_response(413, "Content Too Large\n");
          break;
        default:
          bump(counters.bad_requests);
          res = server_response(400, "Bad Request\n");
          break;
      }
      s->busy = true;
      const bool head = parser.is_header_done() && parser.get().method() == http::verb::head;
      if (co_await send(stream, res, version == 10 ? 10 : 11, head, false)) {
        co_await close_after_error(stream);
      }
      co_return;
    }

    // A complete request.
    s->busy = true;
    http::request<http::string_body> msg = parser.release();
    const bool keep_alive = msg.keep_alive();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.version = msg.version() == 10 ? 10 : 11;
    const unsigned reply_version = static_cast<unsigned>(req.version);
    req.remote = remote;
    req.tls = is_tls;
    for (const auto& field : msg) {
      req.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    std::string_view path = req.target;
    if (path.starts_with("http://") || path.starts_with("https://")) {
      // absolute-form (RFC 9112 section 3.2.2): the path starts after the authority
      const std::size_t slash = path.find('/', path.find("://") + 3);
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
    const std::size_t q = path.find('?');
    req.path = std::string(path.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(path.substr(q + 1));

    const std::size_t running = in_flight.fetch_add(1);
    InFlight in_flight_guard{in_flight};

    Response res;
    const bool head = req.method == "HEAD";  // no body in any response to it, errors included
    std::shared_ptr<const Route> route;
    if (limits.max_in_flight != 0 && running >= limits.max_in_flight) {
      bump(counters.in_flight_rejections);
      res = server_response(503, "Limit of concurrent requests reached\n");
    } else if (!is_known_method(req.method)) {
      res = server_response(501, "Not Implemented\n");
    } else if (!req.path.starts_with('/')) {
      bump(counters.bad_requests);
      res = server_response(400, "Bad Request\n");
    } else {
      bool authorized = true;
      if (authenticator) {
        std::optional<AuthResult> auth = co_await authorize(s, req.header("Authorization"));
        if (!auth) co_return;  // force-closed by stop()
        authorized = auth->ok;
        req.user = std::move(auth->user);
      }
      if (!authorized) {
        bump(counters.auth_failures);
        res = server_response(401, "Unauthorized\n");
        res.headers.set("WWW-Authenticate", "Basic");
      } else if (!(route = find_route(req.path))) {
        res = server_response(404, "Not Found\n");
      } else if (!route->allows(req.method)) {
        res = server_response(405, "Method Not Allowed\n");
        res.headers.set("Allow", route->allow);
      } else {
        if (!route->blocking) {
          try {
            route->handler(req, res);
          } catch (const std::exception& e) {
            res = handler_error(e.what());
          } catch (...) {
            res = handler_error("unknown exception");
          }
        } else {
          auto call = std::make_shared<BlockingCall>();
          call->req = std::move(req);
          // A named function object, not a temporary in the co_await expression: g++ 12
          // destroys some such temporaries twice.
          std::function<void()> work = [this, call, route] {
            try {
              route->handler(call->req, call->res);
            } catch (const std::exception& e) {
              call->res = handler_error(e.what());
            } catch (...) {
              call->res = handler_error("unknown exception");
            }
          };
          const bool done = co_await run_off_thread(s, *blocking_pool, std::move(work));
          if (!done) co_return;
          res = std::move(call->res);
        }
      }
    }

    const bool keep = keep_alive && !s->closing && !s->force_closed;
    if (!co_await send(stream, res, reply_version, head, keep)) co_return;
    if (!keep) {
      if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
        tcp.expires_after(kTlsShutdownTime);
        co_await stream.async_shutdown(kTuple);
      } else {
        error_code ec;
        tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
      }
      co_return;
    }
  }
}

void HttpServer::Impl::stop(std::chrono::milliseconds timeout) {
  if (runtime->running_in_this_thread()) {
    throw std::logic_error("HttpServer::stop() called on one of the server's runtime threads");
  }
  std::lock_guard stop_lock(stop_mu);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu);
  if (stopped) return;
  stopping.store(true);
  if (accept_done) {
    // No accept loop (never started): nothing else touches the acceptor.
    error_code ec;
    acceptor->close(ec);
  } else {
    // The loop ends when the close runs (its pending wait fails); stop() waits for that below,
    // so `this` outlives the posted function.
    asio::post(acceptor->get_executor(), [this] {
      error_code ec;
      acceptor->close(ec);
      accept_pause->cancel();
    });
  }
  for (const auto& s : sessions) {
    asio::post(s->executor, [s] {
      s->closing = true;
      if (!s->busy) s->close_socket();
    });
  }
  const auto all_done = [this] { return sessions.empty() && accept_done; };
  if (!cv.wait_until(lock, deadline, all_done)) {
    for (const auto& s : sessions) {
      asio::post(s->executor, [s] {
        s->closing = true;
        s->force_closed = true;
        s->close_socket();
        s->wake.cancel();
      });
    }
    // Every pending operation now fails at once; only an inline handler still running delays
    // this (inline handlers must be quick).
    cv.wait(lock, all_done);
  }
  stopped = true;
}

// ---------------------------------------------------------------------------------------------

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {}

HttpServer::~HttpServer() {
  try {
    stop();
  } catch (const std::exception& e) {
    common::log_error(std::string("http server: stop failed: ") + e.what());
  }
  // Blocking handlers still running finish here (they cannot be interrupted).
  impl_->blocking_pool->stop();
  if (impl_->auth_pool) impl_->auth_pool->stop();
  if (impl_->own_runtime) impl_->own_runtime->stop();
}

void HttpServer::route(std::string path, std::vector<std::string> methods, Handler handler,
                       RouteOptions options) {
  auto r = std::make_shared<Route>();
  for (const std::string& m : methods) {
    if (!r->allow.empty()) r->allow += ", ";
    r->allow += m;
  }
  if (std::find(methods.begin(), methods.end(), "GET") != methods.end() &&
      std::find(methods.begin(), methods.end(), "HEAD") == methods.end()) {
    r->allow += ", HEAD";
  }
  r->methods = std::move(methods);
  r->handler = std::move(handler);
  r->blocking = options.blocking;
  std::unique_lock lock(impl_->routes_mu);
  impl_->routes[std::move(path)] = std::move(r);
}

void HttpServer::fallback(Handler handler, RouteOptions options) {
  auto r = std::make_shared<Route>();
  r->handler = std::move(handler);
  r->blocking = options.blocking;
  r->any_method = true;
  std::unique_lock lock(impl_->routes_mu);
  impl_->fallback = std::move(r);
}

void HttpServer::start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started || impl_->stopping.load()) return;
  impl_->started = true;
  impl_->accept_done = false;
  Impl* impl = impl_.get();
  asio::co_spawn(
      impl->acceptor->get_executor(), impl->accept_loop(), [impl](const std::exception_ptr& e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          common::log_error(std::string("http server: accept loop failed: ") + ex.what());
        } catch (...) {
        }
        std::lock_guard l(impl->mu);
        impl->accept_done = true;
        impl->cv.notify_all();
      });
}

void HttpServer::stop(std::chrono::milliseconds timeout) {
  impl_->stop(timeout);
}

const std::string& HttpServer::host() const {
  return impl_->options.host;
}
int HttpServer::port() const {
  return impl_->local.port();
}
bool HttpServer::is_loopback() const {
  return loopback(impl_->local.address());
}
bool HttpServer::tls() const {
  return impl_->tls_context != nullptr;
}
bool HttpServer::authenticated_or_client_cert() const {
  return impl_->options.web_config && impl_->options.web_config->authenticates_clients();
}
int HttpServer::native_listen_handle() const {
  return impl_->listen_fd;
}

HttpServerStats HttpServer::stats() const {
  const Counters& c = impl_->counters;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  HttpServerStats s;
  s.connections_accepted = get(c.connections_accepted);
  s.connections_open = impl_->open.load();
  s.connections_rejected = get(c.connections_rejected);
  s.requests_served = get(c.requests_served);
  s.header_too_large = get(c.header_too_large);
  s.body_too_large = get(c.body_too_large);
  s.head_timeouts = get(c.head_timeouts);
  s.body_timeouts = get(c.body_timeouts);
  s.idle_timeouts = get(c.idle_timeouts);
  s.write_timeouts = get(c.write_timeouts);
  s.bad_requests = get(c.bad_requests);
  s.auth_failures = get(c.auth_failures);
  s.tls_handshake_failures = get(c.tls_handshake_failures);
  s.in_flight_rejections = get(c.in_flight_rejections);
  s.handler_errors = get(c.handler_errors);
  return s;
}

}  // namespace adminara::obs::net
