// A real Prometheus server scrapes the golden expositions from two MetricsServers: the
// OpenMetrics golden from one (Prometheus asks for OpenMetrics first) and the text 0.0.4 golden
// from the other (its /metrics answers 0.0.4 whatever is asked). Both targets must come up
// healthy and their samples be queryable; stored exemplars prove OpenMetrics was parsed.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "export/prometheus/server.h"
#include "tests/integration/prometheus_harness.h"

namespace adminara::obs::prometheus {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PrometheusScrape, RealPrometheusIngestsBothFormats) {
  const std::string golden = ADMINARA_OBS_GOLDEN_DIR;
  const std::string om = read_file(golden + "/all_openmetrics_1.0.txt");
  const std::string text = read_file(golden + "/all_text_0.0.4.txt");
  ASSERT_FALSE(om.empty());
  ASSERT_FALSE(text.empty());

  MetricsServer om_server("127.0.0.1", 0, [&](Format f, std::string& out) {
    out += f == Format::kOpenMetrics1 ? om : text;
  });
  MetricsServer text_server("127.0.0.1", 0, [&](Format, std::string& out) { out += text; });
  text_server.add_get_handler("/metrics", [&](const net::Request&, net::Response& res) {
    res.body = text;
    res.content_type = std::string(content_type(Format::kText004));
  });

  testing::PrometheusServer prom(testing::PrometheusServer::Options{
      .targets = {"127.0.0.1:" + std::to_string(om_server.port()),
                  "127.0.0.1:" + std::to_string(text_server.port())},
      .exemplar_storage = true});
  prom.wait_for_scrapes(2, std::chrono::seconds(60));

  // Samples from both targets, including the merged counter family and a histogram bucket.
  EXPECT_EQ(prom.query("count(up == 1)")[0]["value"][1], "2");
  EXPECT_EQ(prom.query("http_server_requests_total").size() % 2, 0u);
  EXPECT_FALSE(prom.query("http_server_requests_total").empty());
  EXPECT_FALSE(prom.query("webrtc_connection_time_bucket").empty());
  // Exemplars exist only in OpenMetrics, so stored ones prove that format was parsed.
  int exemplars = 0;
  for (const auto& r : prom.query_exemplars("webrtc_connection_time_bucket", 0, 4e9)) {
    exemplars += static_cast<int>(r["exemplars"].size());
  }
  EXPECT_GE(exemplars, 1);
}

}  // namespace
}  // namespace adminara::obs::prometheus
