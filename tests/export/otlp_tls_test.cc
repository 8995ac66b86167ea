// The OTLP exporter over HTTPS: a cpp-httplib SSLServer on a free loopback port with a
// certificate made for the test (OpenSSL, self-signed for IP 127.0.0.1). Trusted through
// OTEL_EXPORTER_OTLP_CERTIFICATE the export succeeds; with only the system's CA store the
// server is not trusted and the export fails.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "export/otlp/span_exporter.h"
#include "tests/common/test_certificate.h"

namespace adminara::obs {
namespace {

using namespace std::chrono_literals;

class TlsReceiver {
 public:
  TlsReceiver(const std::string& cert, const std::string& key)
      : server_(cert.c_str(), key.c_str()) {
    server_.Post("/v1/traces", [this](const httplib::Request& req, httplib::Response& res) {
      received_.fetch_add(req.body.empty() ? 0 : 1);
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~TlsReceiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int received() const { return received_.load(); }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::atomic<int> received_{0};
  std::thread thread_;
};

TEST(OtlpTls, HttpsWithTheConfiguredCertificate) {
  const std::string dir = ::testing::TempDir();
  const std::string cert = dir + "/otlp_tls_test_cert.pem";
  const std::string key = dir + "/otlp_tls_test_key.pem";
  ASSERT_TRUE(testing::make_certificate(cert, key));
  TlsReceiver receiver(cert, key);
  ASSERT_TRUE(receiver.port() > 0);

  Resource resource;
  InstrumentationScope scope{"tls", ""};
  SpanData span;
  span.name = "over-tls";
  TraceId t;
  t.bytes[0] = 1;
  SpanId s;
  s.bytes[0] = 2;
  span.context = SpanContext(t, s, TraceFlags{1}, false);
  span.resource = &resource;
  span.scope = &scope;
  const SpanData* views[] = {&span};

  config::OtlpExporterConfig config;
  config.endpoint = *config::parse_otlp_endpoint(
      "https://127.0.0.1:" + std::to_string(receiver.port()) + "/v1/traces", nullptr);
  config.timeout = 5s;
  const otlp::RetryPolicy once{.max_attempts = 1};
  {
    config.certificate = cert;
    otlp::OtlpStats stats;
    otlp::OtlpHttpSpanExporter exporter(config, stats, once);
    EXPECT_EQ(exporter.export_spans(views), ExportResult::kSuccess);
    EXPECT_EQ(receiver.received(), 1);
  }
  {
    config.certificate.clear();  // the system store does not know the test's certificate
    otlp::OtlpStats stats;
    otlp::OtlpHttpSpanExporter exporter(config, stats, once);
    EXPECT_EQ(exporter.export_spans(views), ExportResult::kFailure);
    EXPECT_EQ(receiver.received(), 1);
    EXPECT_EQ(stats.export_failures.load(), 1u);
  }
}

}  // namespace
}  // namespace adminara::obs
