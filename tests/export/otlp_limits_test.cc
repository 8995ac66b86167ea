// OtlpHttpSender against collectors that misbehave (RawHttpServer scripts on 127.0.0.1): a
// response far over the sender's limit, an endless chunked one, silence, and shutdown's cancel()
// while a request hangs. Each send must end, say why, count the failure and read no more than
// about the limit; the assertions are on bytes and counters, not on time.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "export/otlp/http_sender.h"
#include "tests/common/raw_http_server.h"

namespace adminara::obs::otlp {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpServer;
using Clock = OtlpHttpSender::Clock;

const RetryPolicy kFastRetry{.max_attempts = 5,
                             .initial_backoff = std::chrono::milliseconds(10),
                             .max_backoff = std::chrono::milliseconds(20)};
// Kernel buffers between the script and the client (see tests/net/http_client_test.cc).
constexpr std::uint64_t kInFlight = 8 * 1024 * 1024;

config::OtlpExporterConfig config_for(int port, std::chrono::milliseconds timeout = 20s) {
  config::OtlpExporterConfig c;
  c.endpoint = *config::parse_otlp_endpoint(
      "http://127.0.0.1:" + std::to_string(port) + "/v1/traces", nullptr);
  c.timeout = timeout;
  return c;
}

RawHttpServer::Script flood(std::string head, std::string chunk) {
  return [head, chunk](RawHttpServer::Connection& c) {
    if (!c.read_request() || !c.write(head)) return;
    for (std::uint64_t sent = 0; sent < (std::uint64_t{1} << 30); sent += chunk.size()) {
      if (!c.write(chunk)) return;
    }
  };
}

void expect_one_failed_attempt(const OtlpHttpSender::Result& r, const OtlpStats& stats) {
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(stats.requests.load(), 1u);
  EXPECT_EQ(stats.retries.load(), 0u);
  EXPECT_EQ(stats.export_failures.load(), 1u);
}

TEST(OtlpLimits, A64MiBResponseFailsTheExportAndIsNotRead) {
  RawHttpServer server(
      flood("HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n", std::string(64 * 1024, 'x')));
  OtlpStats stats;
  OtlpHttpSender sender(config_for(server.port()), "traces", stats, kFastRetry);
  const auto r = sender.send("body", Clock::now() + 20s);
  expect_one_failed_attempt(r, stats);
  EXPECT_EQ(r.last_status, 200);
  ASSERT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
  EXPECT_LT(server.bytes_written(), OtlpHttpSender::kMaxResponseBytes + kInFlight);
  EXPECT_EQ(server.connections(), 1);
}

TEST(OtlpLimits, AnEndlessChunkedResponseFailsTheExport) {
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'y') + "\r\n";
  RawHttpServer server(flood("HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n", chunk));
  OtlpStats stats;
  OtlpHttpSender sender(config_for(server.port()), "traces", stats, kFastRetry);
  const auto r = sender.send("body", Clock::now() + 20s);
  // A 503 is retryable, but not when its answer overflows: one attempt.
  expect_one_failed_attempt(r, stats);
  ASSERT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
  EXPECT_LT(server.bytes_written(), OtlpHttpSender::kMaxResponseBytes + kInFlight);
}

void silent(RawHttpServer::Connection& c) {
  c.read_request();
  c.wait_for_close();
}

TEST(OtlpLimits, ASilentCollectorEndsAtTheExportTimeout) {
  RawHttpServer server(silent);
  OtlpStats stats;
  OtlpHttpSender sender(config_for(server.port()), "traces", stats, kFastRetry);
  const auto r = sender.send("body", Clock::now() + 300ms);  // it returns
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.last_status, 0);
  EXPECT_EQ(stats.export_failures.load(), 1u);
  EXPECT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
}

TEST(OtlpLimits, CancelEndsASendThatHangs) {
  RawHttpServer server(silent);
  OtlpStats stats;
  OtlpHttpSender sender(config_for(server.port(), 60s), "traces", stats, kFastRetry);
  std::thread shutdown([&] {
    RawHttpServer::eventually([&] { return server.requests() == 1; });
    sender.cancel();
  });
  const auto r = sender.send("body", Clock::now() + 60s);
  shutdown.join();
  expect_one_failed_attempt(r, stats);
  EXPECT_TRUE(RawHttpServer::eventually([&] { return server.finished() == 1; }));
  EXPECT_FALSE(sender.send("more", Clock::now() + 60s).ok);
  EXPECT_EQ(server.connections(), 1);
}

}  // namespace
}  // namespace adminara::obs::otlp
