// HttpServer over real sockets on 127.0.0.1 (ephemeral ports), driven by a small blocking POSIX
// client: routing and methods, keep-alive and pipelining, the limits (431, 413), deadlines,
// the connection cap, stop() with clients mid-request, socket hygiene, TLS, mTLS and basic auth.
// Every loop is bounded in count and time; no assertion depends on how fast anything is.
#include "adminara/obs/http_server.h"

#include <crypt.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>

#include "adminara/obs/web_config.h"
#include "net/basic_auth.h"
#include "net/io_runtime.h"

namespace adminara::obs::net {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// ---- a blocking test client -------------------------------------------------------------------

int connect_to(int port, std::chrono::milliseconds timeout = 10s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

struct Reply {
  int status = 0;                              // 0: no (complete) response
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one response (Content-Length framed; `head`: no body) from `fd`, keeping bytes that
// belong to the next response in `pending`.
Reply read_reply(int fd, std::string& pending, bool head = false) {
  Reply r;
  std::size_t end;
  char buf[16384];
  while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return r;
    pending.append(buf, static_cast<std::size_t>(n));
  }
  const std::string head_text = pending.substr(0, end);
  pending.erase(0, end + 4);
  std::size_t line_end = head_text.find("\r\n");
  const std::string status_line = head_text.substr(0, line_end);
  if (status_line.size() < 12) return r;
  int status = std::atoi(status_line.substr(9, 3).c_str());
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head_text.find("\r\n", start);
    const std::string line = head_text.substr(start, line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[lower(line.substr(0, colon))] = value;
  }
  if (status == 100) return read_reply(fd, pending, head);
  std::size_t length = 0;
  if (!head && r.headers.count("content-length")) {
    length = std::stoul(r.headers["content-length"]);
  }
  while (pending.size() < length) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return r;
    pending.append(buf, static_cast<std::size_t>(n));
  }
  r.body = pending.substr(0, length);
  pending.erase(0, length);
  r.status = status;
  return r;
}

Reply read_reply(int fd, bool head = false) {
  std::string pending;
  return read_reply(fd, pending, head);
}

// One request on a new connection.
Reply http_exchange(int port, const std::string& request, bool head = false) {
  const int fd = connect_to(port);
  if (fd < 0) return {};
  Reply r = send_all(fd, request) ? read_reply(fd, head) : Reply{};
  ::close(fd);
  return r;
}

Reply get(int port, const std::string& path, const std::string& extra = "") {
  return http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n");
}

// Whether the peer closed the connection (EOF or reset) within the socket's receive timeout,
// reading and dropping anything before that.
bool closed_by_peer(int fd) {
  char buf[4096];
  for (int i = 0; i < 100000; ++i) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET || errno == EPIPE;
  }
  return false;
}

// Polls `pred` every 5 ms for at most `limit`.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

std::string thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

HttpServerOptions local_options() {
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  return o;
}

void add_hello(HttpServer& server) {
  server.route("/hello", {"GET"}, [](const Request& req, Response& res) {
    res.body = "hello " + req.query + "\n";
    res.headers.add("X-Thread", thread_name());
  });
}

// ---- basics ----------------------------------------------------------------------------------

TEST(HttpServer, GetHeadAndErrors) {
  HttpServer server(local_options());
  add_hello(server);
  server.route("/post", {"POST"}, [](const Request& req, Response& res) { res.body = req.body; });
  server.start();
  EXPECT_GT(server.port(), 0);
  EXPECT_TRUE(server.is_loopback());

  Reply r = get(server.port(), "/hello?x=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello x=1\n");
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("x-thread"), "obs-http");

  Reply h = http_exchange(server.port(), "HEAD /hello?x=1 HTTP/1.1\r\nHost: t\r\n\r\n", true);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.header("content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(h.body, "");

  Reply p = http_exchange(server.port(),
                          "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde");
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.body, "abcde");

  Reply m =
      http_exchange(server.port(), "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.header("allow"), "GET, HEAD");

  EXPECT_EQ(get(server.port(), "/nope").status, 404);
  // Errors to HEAD carry no body either (the next response on the connection must parse).
  {
    const int fd = connect_to(server.port());
    ASSERT_TRUE(send_all(fd,
                         "HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                         "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    std::string pending;
    Reply none = read_reply(fd, pending, true);
    EXPECT_EQ(none.status, 404);
    EXPECT_EQ(none.header("content-length"), "10");  // "Not Found\n"
    EXPECT_EQ(read_reply(fd, pending).body, "hello \n");
    ::close(fd);
  }
  Reply u = http_exchange(server.port(), "BREW /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(u.status, 501);
  EXPECT_EQ(http_exchange(server.port(), "GET nothing HTTP/1.1\r\nHost: t\r\n\r\n").status, 400);
  // Counted once each response is written, which may be just after the client read it.
  EXPECT_TRUE(eventually([&] { return server.stats().requests_served == 9; }));
}

TEST(HttpServer, HandlerErrorsAre500AndTheServerKeepsServing) {
  HttpServer server(local_options());
  server.route("/throw", {"GET"},
               [](const Request&, Response&) { throw std::runtime_error("secret detail"); });
  server.route("/bad-header", {"GET"}, [](const Request&, Response& res) {
    res.headers.add("X-Evil", "a\r\nSet-Cookie: x=1");
  });
  add_hello(server);
  server.start();
  Reply r = get(server.port(), "/throw");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  Reply b = get(server.port(), "/bad-header");
  EXPECT_EQ(b.status, 500);
  EXPECT_EQ(b.header("set-cookie"), "");
  EXPECT_EQ(get(server.port(), "/hello").status, 200);
  EXPECT_EQ(server.stats().handler_errors, 2u);

  HttpServerOptions o = local_options();
  o.expose_handler_errors = true;
  HttpServer exposing(o);
  exposing.route("/throw", {"GET"},
                 [](const Request&, Response&) { throw std::runtime_error("detail"); });
  exposing.start();
  EXPECT_NE(get(exposing.port(), "/throw").body.find("detail"), std::string::npos);
}

TEST(HttpServer, KeepAlivePipeliningAndConnectionClose) {
  HttpServer server(local_options());
  add_hello(server);
  server.start();
  const int fd = connect_to(server.port());
  ASSERT_GE(fd, 0);
  std::string pending;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(send_all(fd, "GET /hello?n=" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n"));
    Reply r = read_reply(fd, pending);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello n=" + std::to_string(i) + "\n");
  }
  // Three pipelined requests in one write, answered in order; the last asks to close.
  ASSERT_TRUE(send_all(fd,
                       "GET /hello?p=a HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET /hello?p=c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(read_reply(fd, pending).body, "hello p=a\n");
  EXPECT_EQ(read_reply(fd, pending).status, 404);
  Reply last = read_reply(fd, pending);
  EXPECT_EQ(last.body, "hello p=c\n");
  EXPECT_EQ(lower(last.header("connection")), "close");
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);

  // HTTP/1.0 without keep-alive: one response, then the server closes.
  const int fd10 = connect_to(server.port());
  ASSERT_TRUE(send_all(fd10, "GET /hello HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(read_reply(fd10).status, 200);
  EXPECT_TRUE(closed_by_peer(fd10));
  ::close(fd10);
}

TEST(HttpServer, BlockingRoutesRunOnThePoolAndRoutesCanBeAddedWhileServing) {
  HttpServer server(local_options());
  server.start();
  EXPECT_EQ(get(server.port(), "/late").status, 404);
  server.route(
      "/late", {"GET", "POST"}, [](const Request&, Response& res) { res.body = thread_name(); },
      RouteOptions{.blocking = true});
  Reply r = get(server.port(), "/late");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "obs-http-blk");
  Reply m =
      http_exchange(server.port(), "PUT /late HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.header("allow"), "GET, POST, HEAD");
}

TEST(HttpServer, ExpectContinueGetsA100) {
  HttpServer server(local_options());
  server.route("/post", {"POST"}, [](const Request& req, Response& res) { res.body = req.body; });
  server.start();
  const int fd = connect_to(server.port());
  ASSERT_TRUE(send_all(fd,
                       "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                       "Expect: 100-continue\r\n\r\n"));
  char buf[64] = {};
  const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf).rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u);
  ASSERT_TRUE(send_all(fd, "xyz"));
  EXPECT_EQ(read_reply(fd).body, "xyz");
  ::close(fd);
}

// ---- limits -----------------------------------------------------------------------------------

TEST(HttpServer, HeaderLimits) {
  HttpServer server(local_options());
  add_hello(server);
  server.start();
  // One 64 KiB header line: 431, then the connection closes.
  const int fd = connect_to(server.port());
  send_all(fd,
           "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(read_reply(fd).status, 431);
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);

  std::string lines;
  for (int i = 0; i < 100; ++i) lines += "X-H" + std::to_string(i) + ": v\r\n";
  // 100 lines in all (Host + 99) pass; 101 do not.
  std::string ninety_nine = lines.substr(0, lines.rfind("X-H99"));
  EXPECT_EQ(get(server.port(), "/hello", ninety_nine).status, 200);
  EXPECT_EQ(get(server.port(), "/hello", lines).status, 431);
  EXPECT_EQ(server.stats().header_too_large, 2u);
}

TEST(HttpServer, ContentLengthOverTheLimitIsRefusedBeforeTheBody) {
  HttpServer server(local_options());
  server.route("/post", {"POST"}, [](const Request&, Response&) {});
  server.start();
  const int fd = connect_to(server.port());
  // The body is never sent: the 413 must come from the head alone.
  send_all(fd, "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n");
  EXPECT_EQ(read_reply(fd).status, 413);
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  // Exactly the limit passes.
  EXPECT_EQ(http_exchange(server.port(),
                          "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 16384\r\n\r\n" +
                              std::string(16384, 'b'))
                .status,
            200);
  EXPECT_EQ(server.stats().body_too_large, 1u);
}

TEST(HttpServer, ChunkedFloodGets413AndTheConnectionCloses) {
  HttpServer server(local_options());
  server.route("/post", {"POST"}, [](const Request&, Response&) {});
  server.start();
  const int fd = connect_to(server.port());
  ASSERT_TRUE(send_all(fd, "POST /post HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  // The client keeps sending 64 KiB chunks (up to 64 MiB) while another thread reads.
  constexpr std::size_t kCap = 64u << 20;
  std::atomic<std::size_t> written{0};
  std::thread writer([&] {
    std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    while (written.load() < kCap) {
      if (!send_all(fd, chunk)) break;
      written.fetch_add(chunk.size());
    }
  });
  Reply r = read_reply(fd);
  ::shutdown(fd, SHUT_RDWR);
  writer.join();
  ::close(fd);
  EXPECT_EQ(r.status, 413);
  EXPECT_LT(written.load(), kCap);  // the server closed long before
  EXPECT_EQ(server.stats().body_too_large, 1u);

  // A chunk-size line longer than the read buffer cannot grow it either.
  const int fd2 = connect_to(server.port());
  send_all(fd2, "POST /post HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                    std::string(64 * 1024, 'e'));
  EXPECT_EQ(read_reply(fd2).status, 413);
  ::close(fd2);
}

// ---- deadlines --------------------------------------------------------------------------------

TEST(HttpServer, HeadBodyAndIdleDeadlinesCloseTheConnection) {
  HttpServerOptions o = local_options();
  o.limits.head_timeout = 300ms;
  o.limits.body_timeout = 300ms;
  o.limits.idle_timeout = 300ms;
  HttpServer server(o);
  add_hello(server);
  server.route("/post", {"POST"}, [](const Request&, Response&) {});
  server.start();

  // Slowloris: one header byte every 50 ms never completes the head before its deadline.
  const int slow = connect_to(server.port());
  ASSERT_TRUE(send_all(slow, "GET /hello HTTP/1.1\r\n"));
  bool sent_ok = true;
  for (int i = 0; i < 200 && sent_ok; ++i) {  // at most 10 s
    std::this_thread::sleep_for(50ms);
    sent_ok = send_all(slow, "X");
    if (server.stats().head_timeouts > 0) break;
  }
  EXPECT_TRUE(closed_by_peer(slow));
  ::close(slow);
  // The deadline closes the socket, then the connection's coroutine counts it: poll.
  EXPECT_TRUE(eventually([&] { return server.stats().head_timeouts >= 1; }));

  // A body that stops coming.
  const int body = connect_to(server.port());
  send_all(body, "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab");
  EXPECT_TRUE(closed_by_peer(body));
  ::close(body);
  EXPECT_TRUE(eventually([&] { return server.stats().body_timeouts == 1; }));

  // An idle keep-alive connection.
  const int idle = connect_to(server.port());
  send_all(idle, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(read_reply(idle).status, 200);
  EXPECT_TRUE(closed_by_peer(idle));
  ::close(idle);
  EXPECT_TRUE(eventually([&] { return server.stats().idle_timeouts == 1; }));
}

// 1,000 connections dribbling header bytes cost the server sockets and timers, not threads:
// normal requests keep being answered meanwhile.
TEST(HttpServer, SlowlorisDoesNotStarveScrapes) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  const rlim_t want = 4096;
  if (lim.rlim_cur < want && lim.rlim_max >= want) {
    lim.rlim_cur = want;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  getrlimit(RLIMIT_NOFILE, &lim);
  const std::size_t count = lim.rlim_cur >= 2200 ? 1000 : (lim.rlim_cur - 200) / 2;

  HttpServer server(local_options());
  add_hello(server);
  server.start();
  std::vector<int> slow;
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = connect_to(server.port());
    ASSERT_GE(fd, 0) << i;
    ASSERT_TRUE(send_all(fd, "GET /hello HTTP/1.1\r\n"));
    slow.push_back(fd);
  }
  ASSERT_TRUE(eventually([&] { return server.stats().connections_open == count; }));
  std::atomic<bool> done{false};
  std::thread dribbler([&] {
    for (int round = 0; round < 100 && !done.load(); ++round) {
      for (int fd : slow) send_all(fd, "X");
      std::this_thread::sleep_for(20ms);
    }
  });
  for (int i = 0; i < 20; ++i) {
    Reply r = get(server.port(), "/hello?scrape=" + std::to_string(i));
    EXPECT_EQ(r.status, 200) << i;
  }
  done.store(true);
  dribbler.join();
  for (int fd : slow) ::close(fd);
}

// ---- connections ------------------------------------------------------------------------------

TEST(HttpServer, ConnectionCapClosesNewConnectionsAndServiceResumes) {
  HttpServerOptions o = local_options();
  o.limits.max_connections = 4;
  HttpServer server(o);
  add_hello(server);
  server.start();
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) held.push_back(connect_to(server.port()));
  ASSERT_TRUE(eventually([&] { return server.stats().connections_open == 4; }));
  for (int i = 0; i < 10; ++i) {  // a flood past the cap: each is closed without a response
    const int extra = connect_to(server.port());
    ASSERT_GE(extra, 0);
    send_all(extra, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(read_reply(extra).status, 0);
    ::close(extra);
  }
  EXPECT_EQ(server.stats().connections_rejected, 10u);
  for (int fd : held) ::close(fd);
  ASSERT_TRUE(eventually([&] { return server.stats().connections_open == 0; }));
  EXPECT_EQ(get(server.port(), "/hello").status, 200);
}

TEST(HttpServer, InFlightLimitAnswers503) {
  HttpServerOptions o = local_options();
  o.limits.max_in_flight = 1;
  HttpServer server(o);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  server.route(
      "/wait", {"GET"},
      [&](const Request&, Response& res) {
        entered.fetch_add(1);
        released.wait_for(10s);
        res.body = "done";
      },
      RouteOptions{.blocking = true});
  server.start();
  auto first = std::async(std::launch::async, [&] { return get(server.port(), "/wait"); });
  ASSERT_TRUE(eventually([&] { return entered.load() == 1; }));
  Reply second = get(server.port(), "/wait");
  EXPECT_EQ(second.status, 503);
  release.set_value();
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(server.stats().in_flight_rejections, 1u);
}

TEST(HttpServer, StopReturnsWithClientsMidRequest) {
  HttpServer server(local_options());
  std::atomic<bool> release{false};
  std::atomic<int> entered{0};
  server.route(
      "/stuck", {"GET"},
      [&](const Request&, Response&) {
        entered.fetch_add(1);
        for (int i = 0; i < 2000 && !release.load(); ++i) std::this_thread::sleep_for(5ms);
      },
      RouteOptions{.blocking = true});
  server.route(
      "/quick", {"GET"},
      [&](const Request&, Response& res) {
        entered.fetch_add(1);
        std::this_thread::sleep_for(50ms);
        res.body = "finished";
      },
      RouteOptions{.blocking = true});
  add_hello(server);
  server.start();

  const int mid_head = connect_to(server.port());
  send_all(mid_head, "GET /hello HTTP/1.1\r\nHost: t\r\n");
  const int idle = connect_to(server.port());
  send_all(idle, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(read_reply(idle).status, 200);
  auto stuck = std::async(std::launch::async, [&] { return get(server.port(), "/stuck"); });
  auto quick = std::async(std::launch::async, [&] { return get(server.port(), "/quick"); });
  ASSERT_TRUE(eventually([&] { return entered.load() == 2; }));

  auto stopped = std::async(std::launch::async, [&] { server.stop(1s); });
  ASSERT_EQ(stopped.wait_for(30s), std::future_status::ready);  // not stuck behind /stuck
  stopped.get();
  EXPECT_TRUE(closed_by_peer(mid_head));
  EXPECT_TRUE(closed_by_peer(idle));
  Reply q = quick.get();  // finished within the grace period
  EXPECT_EQ(q.status, 200);
  EXPECT_EQ(q.body, "finished");
  EXPECT_EQ(stuck.get().status, 0);  // closed without a response
  EXPECT_EQ(server.stats().connections_open, 0u);
  release.store(true);
  // New connections are refused once stopped.
  const int after = connect_to(server.port(), 2s);
  if (after >= 0) {
    EXPECT_TRUE(closed_by_peer(after));
    ::close(after);
  }
  ::close(mid_head);
  ::close(idle);
}

TEST(HttpServer, SocketHygiene) {
  struct sigaction before {};
  sigaction(SIGPIPE, nullptr, &before);
  HttpServer server(local_options());
  server.route("/big", {"GET"},
               [](const Request&, Response& res) { res.body.assign(4 << 20, 'z'); });
  add_hello(server);
  server.start();
  EXPECT_TRUE(::fcntl(server.native_listen_handle(), F_GETFD) & FD_CLOEXEC);

  // The accepted socket: the one descriptor in this process whose local port is the server's
  // and which is not the listener.
  const int client = connect_to(server.port());
  send_all(client, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(read_reply(client).status, 200);
  int accepted = -1;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (fd == server.native_listen_handle() || fd == client) continue;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    if (addr.ss_family != AF_INET) continue;
    if (ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port) == server.port()) accepted = fd;
  }
  ASSERT_GE(accepted, 0);
  EXPECT_TRUE(::fcntl(accepted, F_GETFD) & FD_CLOEXEC);
  ::close(client);

  // Clients that vanish while a 4 MiB response is written: EPIPE for the server, no SIGPIPE for
  // the process (which would end this test binary).
  for (int i = 0; i < 5; ++i) {
    const int fd = connect_to(server.port());
    linger lg{1, 0};  // close with a reset
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    send_all(fd, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    char b[100];
    (void)::recv(fd, b, sizeof b, 0);
    ::close(fd);
  }
  EXPECT_EQ(get(server.port(), "/hello").status, 200);
  struct sigaction after {};
  sigaction(SIGPIPE, nullptr, &after);
  EXPECT_EQ(before.sa_handler, after.sa_handler);  // the server changed no signal disposition
}

TEST(HttpServer, BindingAndAddresses) {
  HttpServerOptions o = local_options();
  HttpServer first(o);
  o.port = first.port();
  try {
    HttpServer second(o);
    ADD_FAILURE() << "a second server bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "cannot listen on 127.0.0.1:" + std::to_string(o.port) + ": ", 0),
              0u)
        << e.what();
  }
  o.port = 70000;
  EXPECT_THROW(HttpServer bad(o), std::runtime_error);

  HttpServerOptions loc;
  loc.host = "localhost";
  HttpServer by_name(loc);
  by_name.start();
  EXPECT_TRUE(by_name.is_loopback());

  HttpServerOptions any;
  any.host = "0.0.0.0";
  HttpServer wildcard(any);
  EXPECT_FALSE(wildcard.is_loopback());

  HttpServerOptions v6;
  v6.host = "::1";
  try {
    HttpServer six(v6);
    EXPECT_TRUE(six.is_loopback());
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
}

TEST(HttpServer, BorrowedRuntime) {
  IoRuntime runtime("obs-test-io", 2);
  EXPECT_EQ(runtime.thread_count(), 2u);
  {
    HttpServerOptions o = local_options();
    o.runtime = &runtime;
    HttpServer server(o);
    add_hello(server);
    server.start();
    Reply r = get(server.port(), "/hello");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-thread"), "obs-test-io");
  }
  // The runtime outlives the server and keeps running.
  std::promise<std::string> ran;
  boost::asio::post(runtime.executor(), [&] { ran.set_value(thread_name()); });
  EXPECT_EQ(ran.get_future().get(), "obs-test-io");
  runtime.stop();
  runtime.stop();  // idempotent
  EXPECT_TRUE(runtime.stopped());
}

// ---- TLS and basic auth -----------------------------------------------------------------------

struct KeyAndCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~KeyAndCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

// A P-256 key and a certificate for `cn`, signed by `issuer` (self-signed when null).
void make_cert(KeyAndCert& out, const char* cn, const KeyAndCert* issuer, bool ca) {
  out.key = EVP_EC_gen("P-256");
  out.cert = X509_new();
  X509_set_version(out.cert, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(out.cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(out.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(out.cert), 3600);
  X509_set_pubkey(out.cert, out.key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(out.cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert : out.cert;
  X509_set_issuer_name(out.cert, X509_get_subject_name(issuer_cert));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, out.cert, nullptr, nullptr, 0);
  auto ext = [&](int nid, const char* value) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(out.cert, e, -1);
    X509_EXTENSION_free(e);
  };
  ext(NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (!ca) ext(NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  X509_sign(out.cert, issuer ? issuer->key : out.key, EVP_sha256());
}

void write_pem(const fs::path& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  if (cert) PEM_write_X509(f, cert);
  if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("obs-net-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    make_cert(ca_, "test CA", nullptr, true);
    make_cert(server_, "localhost", &ca_, false);
    make_cert(client_, "scraper", &ca_, false);
    write_pem(dir_ / "ca.pem", ca_.cert, nullptr);
    write_pem(dir_ / "server.pem", server_.cert, nullptr);
    write_pem(dir_ / "server.key", nullptr, server_.key);
  }
  void TearDown() override { fs::remove_all(dir_); }

  WebConfig config(const std::string& extra_tls, const std::string& rest = "") {
    return parse_web_config(
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n" + extra_tls + rest,
        dir_.string());
  }

  // An HTTPS exchange; status 0 when the handshake or the exchange fails.
  Reply https(int port, const std::string& request, int max_version = 0, bool client_cert = false) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca_.cert);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (max_version != 0) SSL_CTX_set_max_proto_version(ctx, max_version);
    if (client_cert) {
      SSL_CTX_use_certificate(ctx, client_.cert);
      SSL_CTX_use_PrivateKey(ctx, client_.key);
    }
    Reply r;
    const int fd = connect_to(port);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set1_host(ssl, "localhost");
    if (SSL_connect(ssl) == 1 &&
        SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0) {
      std::string raw;
      char buf[4096];
      int n;
      while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) {
        raw.append(buf, static_cast<std::size_t>(n));
        const std::size_t end = raw.find("\r\n\r\n");
        if (end != std::string::npos) {
          const std::size_t cl = lower(raw).find("content-length: ");
          const std::size_t len = cl == std::string::npos ? 0 : std::stoul(raw.substr(cl + 16));
          if (raw.size() >= end + 4 + len) break;
        }
      }
      if (raw.size() > 12) {
        r.status = std::atoi(raw.substr(9, 3).c_str());
        const std::size_t end = raw.find("\r\n\r\n");
        if (end != std::string::npos) r.body = raw.substr(end + 4);
        const std::size_t www = raw.find("WWW-Authenticate: ");
        if (www != std::string::npos) {
          r.headers["www-authenticate"] = raw.substr(www + 18, raw.find("\r\n", www) - www - 18);
        }
      }
    }
    ERR_clear_error();
    SSL_free(ssl);
    ::close(fd);
    SSL_CTX_free(ctx);
    return r;
  }

  fs::path dir_;
  KeyAndCert ca_, server_, client_;
};

TEST_F(TlsTest, ServesHttpsVerifiedAgainstTheCa) {
  HttpServerOptions o = local_options();
  o.web_config = config("  min_version: TLS12\n");
  HttpServer server(o);
  server.route("/tls", {"GET"},
               [](const Request& req, Response& res) { res.body = req.tls ? "tls" : "plain"; });
  server.start();
  EXPECT_TRUE(server.tls());
  EXPECT_FALSE(server.authenticated_or_client_cert());
  Reply r = https(server.port(), "GET /tls HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "tls");
  // Plain HTTP on the TLS port gets no answer (the handshake fails).
  EXPECT_EQ(get(server.port(), "/tls").status, 0);
  EXPECT_TRUE(eventually([&] { return server.stats().tls_handshake_failures >= 1; }));
}

TEST_F(TlsTest, MinVersionTls13RefusesATls12Client) {
  HttpServerOptions o = local_options();
  o.web_config = config("  min_version: TLS13\n");
  HttpServer server(o);
  add_hello(server);
  server.start();
  const std::string req = "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(https(server.port(), req, TLS1_2_VERSION).status, 0);
  EXPECT_EQ(https(server.port(), req).status, 200);
}

TEST_F(TlsTest, RequireAndVerifyClientCert) {
  HttpServerOptions o = local_options();
  o.web_config =
      config("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n");
  HttpServer server(o);
  add_hello(server);
  server.start();
  EXPECT_TRUE(server.authenticated_or_client_cert());
  const std::string req = "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(https(server.port(), req, 0, false).status, 0);
  EXPECT_EQ(https(server.port(), req, 0, true).status, 200);
}

std::string bcrypt_for_test(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2y$", 4, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), salt, &data, sizeof data);
  EXPECT_NE(hash, nullptr);
  return hash;
}

std::string basic(const std::string& user, const std::string& password) {
  const std::string raw = user + ":" + password;
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Authorization: Basic " + out + "\r\n";
}

TEST(HttpServerAuth, BasicAuthRightWrongMissingAndUnknown) {
  const std::string hash = bcrypt_for_test("s3cret");
  HttpServerOptions o = local_options();
  o.web_config = parse_web_config("basic_auth_users:\n  alice: " + hash +
                                      "\nhttp_server_config:\n  headers:\n"
                                      "    X-Frame-Options: deny\n",
                                  "");
  HttpServer server(o);
  server.route("/who", {"GET"}, [](const Request& req, Response& res) { res.body = req.user; });
  server.start();
  EXPECT_TRUE(server.authenticated_or_client_cert());

  Reply ok = get(server.port(), "/who", basic("alice", "s3cret"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "alice");
  EXPECT_EQ(ok.header("x-frame-options"), "deny");
  // Cached now: again, on a keep-alive connection, with the scheme in another case.
  EXPECT_EQ(
      get(server.port(), "/who", "authorization: bAsIc " + basic("alice", "s3cret").substr(21))
          .status,
      200);

  for (const std::string& creds : {basic("alice", "wrong"), basic("mallory", "s3cret"),
                                   std::string(), std::string("Authorization: Bearer abc\r\n"),
                                   std::string("Authorization: Basic !!!!\r\n")}) {
    Reply r = get(server.port(), "/who", creds);
    EXPECT_EQ(r.status, 401) << creds;
    EXPECT_EQ(r.header("www-authenticate"), "Basic");
    EXPECT_EQ(r.body, "Unauthorized\n");
    EXPECT_EQ(r.header("x-frame-options"), "deny");
  }
  // Even an unknown path asks for credentials first.
  EXPECT_EQ(get(server.port(), "/nope").status, 401);
  EXPECT_EQ(get(server.port(), "/nope", basic("alice", "s3cret")).status, 404);
  EXPECT_EQ(server.stats().auth_failures, 6u);
}

TEST_F(TlsTest, TlsAndBasicAuthTogether) {
  HttpServerOptions o = local_options();
  o.web_config = config("", "basic_auth_users:\n  bob: " + bcrypt_for_test("pw") + "\n");
  HttpServer server(o);
  add_hello(server);
  server.start();
  const std::string req = "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n";
  EXPECT_EQ(https(server.port(), req + basic("bob", "pw") + "\r\n").status, 200);
  Reply denied = https(server.port(), req + basic("bob", "nope") + "\r\n");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.header("www-authenticate"), "Basic");
}

TEST(BasicAuthenticator, CachesResultsAndTreatsUnknownUsersAlike) {
  std::map<std::string, std::string, std::less<>> users{{"alice", bcrypt_for_test("pw")}};
  BasicAuthenticator auth(users, 2);
  EXPECT_FALSE(auth.cached("alice", "pw").has_value());
  EXPECT_TRUE(auth.verify("alice", "pw"));
  EXPECT_EQ(auth.cached("alice", "pw"), std::optional<bool>(true));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  EXPECT_FALSE(auth.verify("alice", "PW"));
  EXPECT_EQ(auth.cached("alice", "PW"), std::optional<bool>(false));
  EXPECT_FALSE(auth.verify("nobody", "pw"));  // bcrypt against the dummy hash
  EXPECT_EQ(auth.bcrypt_runs(), 3u);
  // Bounded: the oldest entry went.
  EXPECT_FALSE(auth.cached("alice", "pw").has_value());
  EXPECT_FALSE(auth.verify("alice", std::string("pw\0x", 4)));  // NUL never verifies
}

TEST(BasicAuthorization, Parsing) {
  auto p = parse_basic_authorization("Basic YWxpY2U6czNjcjp0");  // alice:s3cr:t
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->user, "alice");
  EXPECT_EQ(p->password, "s3cr:t");
  EXPECT_TRUE(parse_basic_authorization("BASIC YTo=").has_value());  // a: (empty password)
  EXPECT_EQ(parse_basic_authorization("basic Og==")->user, "");      // ":"
  for (const char* bad : {"", "Basic", "Basic ", "Bearer YTo=", "Basic YTo", "Basic YWJj",
                          "Basic Y=To", "Basic YTo=\n", "Basic  YTo=", "BasicYTo="}) {
    EXPECT_FALSE(parse_basic_authorization(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace adminara::obs::net
