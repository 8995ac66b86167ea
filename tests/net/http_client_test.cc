// HttpClient against real loopback peers: RawHttpServer scripts for the misbehaving ones (huge,
// endless or oversized answers, silence, closed connections) and net::HttpServer for TLS.
// Byte limits are asserted on what the peer managed to write, deadlines only as "the call
// returned and said why" (ctest's timeout is the upper bound); nothing depends on speed.
#include "net/http_client.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "adminara/obs/http_server.h"
#include "adminara/obs/web_config.h"
#include "tests/common/raw_http_server.h"
#include "tests/common/test_certificate.h"

namespace adminara::obs::net {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpServer;
namespace fs = std::filesystem;

using Clock = HttpClient::Clock;

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

HttpClientOptions local(int port) {
  HttpClientOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  return o;
}

HttpClientResponse post(HttpClient& client, std::chrono::milliseconds timeout = 20s,
                        const HttpClient::Headers& headers = {}) {
  return client.request("POST", "/v1/traces", headers, "payload", Clock::now() + timeout);
}

// Answers every request on a connection with 200 until the client closes it.
void answer_all(RawHttpServer::Connection& c) {
  while (c.read_request()) {
    if (!c.write(kOk)) return;
  }
}

TEST(NetHttpClient, KeepAliveReusesOneConnection) {
  RawHttpServer server(answer_all);
  HttpClient client(local(server.port()));
  std::string seen;
  RawHttpServer probe([&](RawHttpServer::Connection& c) { c.read_request(&seen); });
  for (int i = 0; i < 3; ++i) {
    const auto r = post(client);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ok");
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests(), 3);

  HttpClient other(local(probe.port()));
  (void)post(other, 2s, {{"X-Test", "1"}});
  ASSERT_TRUE(RawHttpServer::eventually([&] { return probe.requests() == 1; }));
  EXPECT_NE(seen.find("POST /v1/traces HTTP/1.1\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("Host: 127.0.0.1:" + std::to_string(probe.port()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(seen.find("Content-Length: 7\r\n"), std::string::npos);
  EXPECT_NE(seen.find("X-Test: 1\r\n"), std::string::npos);
}

TEST(NetHttpClient, ReconnectsAfterTheServerClosedTheIdleConnection) {
  // Each connection answers one request, keep-alive, then closes.
  RawHttpServer server([](RawHttpServer::Connection& c) {
    if (c.read_request()) c.write(kOk);
  });
  HttpClient client(local(server.port()));
  ASSERT_TRUE(post(client).ok());
  ASSERT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
  const auto r = post(client);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(server.connections(), 2);
}

TEST(NetHttpClient, RetriesOnceWhenAReusedConnectionClosesBeforeAnswering) {
  // The first connection answers one request, then reads the next and closes without a byte;
  // the second answers.
  RawHttpServer server([](RawHttpServer::Connection& c) {
    if (c.index() == 0) {
      if (c.read_request()) c.write(kOk);
      c.read_request();
      return;
    }
    answer_all(c);
  });
  HttpClient client(local(server.port()));
  ASSERT_TRUE(post(client).ok());
  const auto r = post(client);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests(), 3);
}

TEST(NetHttpClient, AFreshConnectionClosedWithoutAnAnswerIsNotRetried) {
  RawHttpServer server([](RawHttpServer::Connection& c) { c.read_request(); });
  HttpClient client(local(server.port()));
  const auto r = post(client);
  EXPECT_EQ(r.error, HttpClientError::kConnectionLost) << r.message;
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(server.connections(), 1);
}

TEST(NetHttpClient, ConnectionCloseAndEofDelimitedBodies) {
  RawHttpServer server([](RawHttpServer::Connection& c) {
    if (!c.read_request()) return;
    if (c.index() == 0) {
      c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na");
    } else {
      c.write("HTTP/1.1 200 OK\r\n\r\nuntil-close");  // delimited by closing
    }
  });
  HttpClient client(local(server.port()));
  auto r = post(client);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.body, "a");
  r = post(client);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.body, "until-close");
  EXPECT_EQ(server.connections(), 2);
}

TEST(NetHttpClient, InterimResponsesAndHeadersReachTheCaller) {
  RawHttpServer server([](RawHttpServer::Connection& c) {
    if (!c.read_request()) return;
    c.write(
        "HTTP/1.1 103 Early Hints\r\n\r\n"
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    c.wait_for_close();
  });
  HttpClient client(local(server.port()));
  const auto r = post(client);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after").value_or(""), "7");
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(r.body, "{}");
}

// ---- bounded reading --------------------------------------------------------------------------

constexpr std::uint64_t kLimit = 256 * 1024;
// What may sit in kernel buffers between the script's send() and the client's read: the
// server's 64 KiB send buffer plus the client's receive window (Linux autotunes it up to
// tcp_rmem's maximum, 6 MiB by default). The bodies below are far larger than limit + this.
constexpr std::uint64_t kInFlight = 8 * 1024 * 1024;

// Writes `head`, then `chunk` until the client stops reading.
RawHttpServer::Script flood(std::string head, std::string chunk) {
  return [head, chunk](RawHttpServer::Connection& c) {
    if (!c.read_request() || !c.write(head)) return;
    for (std::uint64_t sent = 0; sent < (std::uint64_t{1} << 30); sent += chunk.size()) {
      if (!c.write(chunk)) return;
    }
  };
}

TEST(NetHttpClient, BodyOverTheLimitStopsReading) {
  constexpr std::uint64_t kBody = std::uint64_t{64} << 20;
  RawHttpServer server(
      flood("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n",
            std::string(64 * 1024, 'x')));
  auto o = local(server.port());
  o.max_response_bytes = kLimit;
  HttpClient client(o);
  const auto r = post(client);
  EXPECT_EQ(r.error, HttpClientError::kResponseTooLarge);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.message.find("larger than 262144 bytes"), std::string::npos) << r.message;
  EXPECT_TRUE(r.body.empty());
  // The client closed the connection: the script's writes fail long before the body's end.
  ASSERT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
  EXPECT_LT(server.bytes_written(), kLimit + kInFlight);
}

TEST(NetHttpClient, EndlessChunkedBodyStopsReading) {
  const std::string chunk = "4000\r\n" + std::string(0x4000, 'y') + "\r\n";
  RawHttpServer server(flood("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunk));
  auto o = local(server.port());
  o.max_response_bytes = kLimit;
  HttpClient client(o);
  const auto r = post(client);
  EXPECT_EQ(r.error, HttpClientError::kResponseTooLarge) << r.message;
  ASSERT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
  EXPECT_LT(server.bytes_written(), kLimit + kInFlight);
}

TEST(NetHttpClient, EndlessHeaderStopsReading) {
  RawHttpServer server(flood("HTTP/1.1 200 OK\r\nX-Endless: ", std::string(64 * 1024, 'h')));
  HttpClient client(local(server.port()));  // header limit 64 KiB
  const auto r = post(client);
  EXPECT_EQ(r.error, HttpClientError::kResponseTooLarge) << r.message;
  EXPECT_NE(r.message.find("response head"), std::string::npos) << r.message;
  ASSERT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
  EXPECT_LT(server.bytes_written(), 64 * 1024 + kInFlight);
}

TEST(NetHttpClient, GarbageIsABadResponse) {
  RawHttpServer server([](RawHttpServer::Connection& c) {
    if (c.read_request()) c.write("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    c.wait_for_close();
  });
  HttpClient client(local(server.port()));
  EXPECT_EQ(post(client).error, HttpClientError::kBadResponse);
}

// ---- deadlines and cancel ---------------------------------------------------------------------

// Reads the request, then says nothing until the client leaves.
void silent(RawHttpServer::Connection& c) {
  c.read_request();
  c.wait_for_close();
}

TEST(NetHttpClient, SilentServerEndsAtTheDeadline) {
  RawHttpServer server(silent);
  HttpClient client(local(server.port()));
  const auto r = post(client, 300ms);
  EXPECT_EQ(r.error, HttpClientError::kTimeout);
  EXPECT_NE(r.message.find("while waiting for the response"), std::string::npos) << r.message;
  // The connection was closed: the script sees the client leave.
  EXPECT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
}

TEST(NetHttpClient, SilentTlsPeerEndsAtTheDeadline) {
  RawHttpServer server([](RawHttpServer::Connection& c) { c.wait_for_close(); });
  auto o = local(server.port());
  o.scheme = "https";
  HttpClient client(o);
  const auto r = post(client, 300ms);
  EXPECT_EQ(r.error, HttpClientError::kTimeout);
  EXPECT_NE(r.message.find("TLS handshake"), std::string::npos) << r.message;
}

TEST(NetHttpClient, PastDeadlineSendsNothing) {
  RawHttpServer server(answer_all);
  HttpClient client(local(server.port()));
  const auto r = client.request("POST", "/", {}, "", Clock::now() - 1s);
  EXPECT_EQ(r.error, HttpClientError::kTimeout);
  EXPECT_EQ(server.connections(), 0);
}

TEST(NetHttpClient, CancelFromAnotherThreadEndsAHangingRequest) {
  RawHttpServer server(silent);
  HttpClient client(local(server.port()));
  std::thread canceller([&] {
    RawHttpServer::eventually([&] { return server.requests() == 1; });
    client.cancel();
  });
  const auto r = post(client, 60s);
  canceller.join();
  EXPECT_EQ(r.error, HttpClientError::kCancelled) << r.message;
  EXPECT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
  // Irreversible: nothing more is sent.
  EXPECT_EQ(post(client).error, HttpClientError::kCancelled);
  EXPECT_EQ(server.connections(), 1);
}

TEST(NetHttpClient, CancelClosesTheIdleConnection) {
  RawHttpServer server(answer_all);
  HttpClient client(local(server.port()));
  ASSERT_TRUE(post(client).ok());
  std::thread([&] { client.cancel(); }).join();
  EXPECT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
}

TEST(NetHttpClient, ConnectionRefused) {
  int port = 0;
  {
    RawHttpServer gone(answer_all);
    port = gone.port();
  }
  HttpClient client(local(port));
  const auto r = post(client);
  EXPECT_EQ(r.error, HttpClientError::kConnect);
  EXPECT_NE(r.message.find("cannot connect to http://127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << r.message;
}

// ---- hygiene ----------------------------------------------------------------------------------

TEST(NetHttpClient, InvalidHeaderIsRefusedWithoutItsValue) {
  RawHttpServer server(answer_all);
  HttpClient client(local(server.port()));
  const auto r = post(client, 20s, {{"Authorization", "Bearer sec\r\nret"}});
  EXPECT_EQ(r.error, HttpClientError::kInvalidRequest);
  EXPECT_EQ(r.message.find("sec"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("Authorization"), std::string::npos) << r.message;
  EXPECT_EQ(server.connections(), 0);
}

// The client's socket to `port`, found among the process's descriptors; -1 when none.
int socket_to(int port) {
  DIR* d = ::opendir("/proc/self/fd");
  int found = -1;
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    const int fd = std::atoi(e->d_name);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
        peer.sin_family == AF_INET && ntohs(peer.sin_port) == port) {
      found = fd;
    }
  }
  if (d) ::closedir(d);
  return found;
}

TEST(NetHttpClient, SocketIsCloseOnExec) {
  RawHttpServer server(answer_all);
  HttpClient client(local(server.port()));
  ASSERT_TRUE(post(client).ok());
  const int fd = socket_to(server.port());
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

// ---- TLS --------------------------------------------------------------------------------------

class NetHttpClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("obs-net-client-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    ASSERT_TRUE(
        testing::make_certificate((dir_ / "server.pem").string(), (dir_ / "server.key").string()));
    ASSERT_TRUE(
        testing::make_certificate((dir_ / "client.pem").string(), (dir_ / "client.key").string()));
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<HttpServer> serve(const std::string& extra_tls = "") {
    HttpServerOptions o;
    o.host = "127.0.0.1";
    o.web_config = parse_web_config(
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n" + extra_tls,
        dir_.string());
    auto server = std::make_unique<HttpServer>(o);
    server->route("/v1/traces", {"POST"}, [](const Request& req, Response& res) {
      res.body = req.tls ? "tls:" + req.body : "plain";
    });
    server->start();
    return server;
  }

  HttpClientOptions https(int port) {
    HttpClientOptions o = local(port);
    o.scheme = "https";
    o.ca_file = (dir_ / "server.pem").string();
    return o;
  }

  fs::path dir_;
};

TEST_F(NetHttpClientTls, VerifiedAgainstTheCaFileAndKeptAlive) {
  auto server = serve();
  HttpClient client(https(server->port()));
  for (int i = 0; i < 2; ++i) {
    const auto r = post(client);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.body, "tls:payload");
  }
  EXPECT_EQ(server->stats().connections_accepted, 1u);
}

TEST_F(NetHttpClientTls, UntrustedOrMisnamedServerFails) {
  auto server = serve();
  auto o = https(server->port());
  o.ca_file.clear();  // the system store does not know the test's certificate
  HttpClient untrusted(o);
  auto r = post(untrusted);
  EXPECT_EQ(r.error, HttpClientError::kTls);
  EXPECT_NE(r.message.find("certificate"), std::string::npos) << r.message;

  // Trusted, but issued for 127.0.0.1, not for "localhost".
  o = https(server->port());
  o.host = "localhost";
  HttpClient misnamed(o);
  r = post(misnamed);
  EXPECT_EQ(r.error, HttpClientError::kTls) << r.message;
}

TEST_F(NetHttpClientTls, ClientCertificateForMutualTls) {
  auto server =
      serve("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: client.pem\n");
  auto o = https(server->port());
  HttpClient anonymous(o);
  EXPECT_FALSE(post(anonymous).ok());

  o.client_certificate = (dir_ / "client.pem").string();
  o.client_key = (dir_ / "client.key").string();
  HttpClient mutual(o);
  const auto r = post(mutual);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.body, "tls:payload");
}

TEST_F(NetHttpClientTls, UnusableFilesFailEveryRequestWithoutThrowing) {
  auto o = https(1);
  o.ca_file = (dir_ / "missing.pem").string();
  HttpClient client(o);
  const auto r = post(client);
  EXPECT_EQ(r.error, HttpClientError::kTlsSetup);
  EXPECT_NE(r.message.find("missing.pem"), std::string::npos) << r.message;

  o = https(1);
  o.client_certificate = (dir_ / "client.pem").string();
  o.client_key = (dir_ / "server.key").string();  // not the certificate's key
  HttpClient mismatched(o);
  EXPECT_EQ(post(mismatched).error, HttpClientError::kTlsSetup);
}

}  // namespace
}  // namespace adminara::obs::net
