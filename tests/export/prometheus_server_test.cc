// The /metrics HTTP endpoint, exercised over loopback with cpp-httplib's client.
#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include "export/prometheus/server.h"

namespace adminara::obs::prometheus {
namespace {

constexpr char kBody004[] = "# TYPE up gauge\nup 1\n";
constexpr char kBodyOm[] = "# TYPE up gauge\nup 1\n# EOF\n";

// A body large enough that gzip visibly shrinks it.
std::string big_body() {
  std::string s;
  for (int i = 0; i < 2000; ++i) s += "requests_total{path=\"/api/" + std::to_string(i) + "\"} 1\n";
  return s;
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

class PrometheusServerTest : public ::testing::Test {
 protected:
  PrometheusServerTest()
      : server_("127.0.0.1", 0,
                [this](Format f, std::string& out) {
                  ++renders_;
                  if (fail_) throw std::runtime_error("collection failed");
                  if (empty_) return;
                  out += large_ ? big_body() : (f == Format::kOpenMetrics1 ? kBodyOm : kBody004);
                }),
        client_("127.0.0.1", server_.port()) {
    client_.set_decompress(false);  // the tests look at the raw bytes
  }

  std::atomic<int> renders_{0};
  std::atomic<bool> fail_{false};
  std::atomic<bool> large_{false};
  std::atomic<bool> empty_{false};
  MetricsServer server_;
  httplib::Client client_;
};

TEST_F(PrometheusServerTest, BindsAnEphemeralPort) {
  EXPECT_GT(server_.port(), 0);
  EXPECT_EQ(server_.host(), "127.0.0.1");
}

TEST_F(PrometheusServerTest, GetServesText004ByDefault) {
  auto res = client_.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_FALSE(res->has_header("Content-Encoding"));
  EXPECT_EQ(res->body, kBody004);
}

TEST_F(PrometheusServerTest, GetNegotiatesOpenMetrics) {
  auto res = client_.Get("/metrics", {{"Accept",
                                       "application/openmetrics-text;version=1.0.0,application/"
                                       "openmetrics-text;version=0.0.1;q=0.75,text/plain;version="
                                       "0.0.4;q=0.5,*/*;q=0.1"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(res->body, kBodyOm);
}

TEST_F(PrometheusServerTest, EmptyExposition) {
  empty_ = true;
  auto res = client_.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Length"), "0");
  EXPECT_TRUE(res->body.empty());
}

TEST_F(PrometheusServerTest, HeadSendsHeadersOnly) {
  auto res = client_.Head("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->get_header_value("Content-Length"), std::to_string(sizeof kBody004 - 1));
  EXPECT_TRUE(res->body.empty());
}

TEST_F(PrometheusServerTest, UnknownPathIs404) {
  auto res = client_.Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = client_.Post("/nope", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(renders_, 0);
}

TEST_F(PrometheusServerTest, OtherMethodsAre405) {
  auto res = client_.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET, HEAD");
  res = client_.Put("/metrics", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = client_.Delete("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(renders_, 0);
}

TEST_F(PrometheusServerTest, GzipRoundTrip) {
  large_ = true;
  auto res = client_.Get("/metrics", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(res->get_header_value_count("Content-Encoding"), 1u);
  EXPECT_LT(res->body.size(), big_body().size() / 4);
  EXPECT_EQ(gunzip(res->body), big_body());
}

TEST_F(PrometheusServerTest, NoGzipWhenRefused) {
  large_ = true;
  // A browser-like header offering brotli and refusing gzip: sent as it is.
  auto res = client_.Get("/metrics", {{"Accept-Encoding", "br, gzip;q=0"}});
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->has_header("Content-Encoding"));
  EXPECT_EQ(res->body, big_body());
}

TEST_F(PrometheusServerTest, RenderExceptionIs500AndServerSurvives) {
  fail_ = true;
  auto res = client_.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("collection failed"), std::string::npos) << res->body;
  fail_ = false;
  res = client_.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(PrometheusServerTest, ExtraGetHandler) {
  server_.add_get_handler("/healthz",
                          [](const net::Request&, net::Response& res) { res.body = "ok\n"; });
  auto res = client_.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
}

TEST_F(PrometheusServerTest, PortTakenThrowsNamingTheAddress) {
  try {
    MetricsServer second("127.0.0.1", server_.port(), [](Format, std::string&) {});
    FAIL() << "a second server bound the same port";
  } catch (const std::runtime_error& e) {
    std::string expected = "cannot listen on 127.0.0.1:" + std::to_string(server_.port()) + ": ";
    EXPECT_EQ(std::string(e.what()).rfind(expected, 0), 0u) << e.what();
  }
}

TEST_F(PrometheusServerTest, StopIsIdempotent) {
  server_.stop();
  server_.stop();
  auto res = client_.Get("/metrics");
  EXPECT_FALSE(res);
}

TEST(PrometheusServer, BadHostThrows) {
  try {
    MetricsServer s("no-such-host.invalid", 0, [](Format, std::string&) {});
    FAIL() << "bound a host that does not resolve";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot listen on no-such-host.invalid:0: ", 0), 0u)
        << e.what();
  }
}

TEST(PrometheusServer, AcceptsGzip) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000, *"));
  EXPECT_FALSE(accepts_gzip("br"));
}

}  // namespace
}  // namespace adminara::obs::prometheus
