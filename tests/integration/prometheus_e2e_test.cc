// End to end with the real tools: init_observability() starts the /metrics endpoint, a known
// workload is recorded, promtool accepts what the endpoint serves, and a real Prometheus server
// scraping it answers the four AdminAra queries (docs/metrics.md) with the values the workload
// implies.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "adminara/obs.h"
#include "tests/integration/prometheus_harness.h"

namespace adminara::obs {
namespace {

using testing::PrometheusServer;

Options test_options() {
  Options o;
  o.service_name = "adminara-e2e";
  o.prometheus_host = "127.0.0.1";
  o.prometheus_port = 0;
  o.traces_exporter = "none";
  o.getenv = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  return o;
}

std::string get_metrics(int port, const std::string& accept, std::string* content_type = nullptr) {
  httplib::Client client("127.0.0.1", port);
  httplib::Headers headers;
  if (!accept.empty()) headers.emplace("Accept", accept);
  auto res = client.Get("/metrics", headers);
  if (!res) throw std::runtime_error("GET /metrics failed");
  EXPECT_EQ(res->status, 200);
  if (content_type != nullptr) *content_type = res->get_header_value("Content-Type");
  return res->body;
}

// The single value of an instant-vector result.
double scalar(const nlohmann::json& result) {
  if (!result.is_array() || result.size() != 1) {
    throw std::runtime_error("expected one series, got " + result.dump());
  }
  return std::stod(result[0]["value"][1].get<std::string>());
}

class PrometheusEndToEnd : public ::testing::Test {
 protected:
  void TearDown() override { shutdown(); }
};

TEST_F(PrometheusEndToEnd, PromtoolAcceptsTheLiveEndpoint) {
  Observability& o = init_observability(test_options());
  ASSERT_GT(o.prometheus_port(), 0);
  AdminAraMetrics m = create_metrics(get_meter());
  m.webrtc_connection_time.record(234);
  get_meter()
      .create_counter("http_requests", {.description = "HTTP requests"})
      .add(3, {{"route", "/api/queue"}});
  {
    Span s = start_span("work");
    m.queue_wait_time.record(5000);
  }

  std::string type;
  const std::string text = get_metrics(o.prometheus_port(), "", &type);
  EXPECT_EQ(type, "text/plain; version=0.0.4; charset=utf-8");
  const auto r = testing::promtool_check_metrics(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << text;

  const std::string om =
      get_metrics(o.prometheus_port(), "application/openmetrics-text;version=1.0.0", &type);
  EXPECT_EQ(type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_TRUE(om.ends_with("# EOF\n"));
  // promtool 2.42 parses only the 0.0.4 grammar (it stops at `# TYPE target info` and at
  // exemplars), so the OpenMetrics body is checked by Prometheus' own OpenMetrics parser: the
  // scrape in TheDesignsQueriesAnswerTheWorkload negotiates OpenMetrics and must store exemplars.
  EXPECT_NE(om.find("# TYPE target info\n"), std::string::npos) << om;
  EXPECT_NE(om.find("# TYPE http_requests counter\n"), std::string::npos) << om;
  EXPECT_NE(om.find("# UNIT process_cpu_seconds seconds\n"), std::string::npos) << om;
}

TEST_F(PrometheusEndToEnd, TheDesignsQueriesAnswerTheWorkload) {
  Observability& o = init_observability(test_options());
  AdminAraMetrics m = create_metrics(get_meter());
  // Create the series before the first scrape, so rate() sees the workload as an increase.
  BoundHistogram webrtc = m.webrtc_connection_time.bind();
  BoundHistogram queue = m.queue_wait_time.bind();
  BoundHistogram jobs = m.job_processing_time.bind();

  PrometheusServer prom(PrometheusServer::Options{
      .targets = {"127.0.0.1:" + std::to_string(o.prometheus_port())}, .exemplar_storage = true});
  prom.wait_for_scrapes(2, std::chrono::seconds(60));

  // The workload. WebRTC: 4 connections at or under 100 ms (100 lands in le="100"), 6 in
  // (100, 250], recorded inside a sampled span so the buckets carry exemplars.
  Span call = start_span("webrtc.connect");
  {
    Scope scope = call.activate();
    for (double v : {50.0, 80.0, 99.0, 100.0, 150.0, 200.0, 234.0, 234.0, 234.0, 240.0}) {
      webrtc.record(v);
    }
  }
  call.end();
  for (double v : {5000.0, 3000.0, 1000.0, 7000.0}) queue.record(v);  // mean 4000
  for (int i = 0; i < 9; ++i) jobs.record(120);                       // 9 in (100, 250]
  jobs.record(600);                                                   // 1 in (500, 750]
  std::vector<Span> open;
  for (int i = 0; i < 3; ++i) open.push_back(start_span("in.flight"));

  const std::string text = get_metrics(o.prometheus_port(), "");
  EXPECT_NE(text.find("webrtc_connection_time_bucket{otel_scope_name=\"adminara-e2e\""),
            std::string::npos)
      << text;
  prom.wait_for_scrapes(5, std::chrono::seconds(60));

  // p95 of 10 values: rank 9.5 falls in (100, 250] holding ranks 5..10:
  // 100 + 150 * (9.5 - 4) / 6 = 237.5.
  EXPECT_NEAR(
      scalar(prom.query("histogram_quantile(0.95, rate(webrtc_connection_time_bucket[5m]))")),
      237.5, 1e-6);
  EXPECT_NEAR(scalar(prom.query("rate(queue_wait_time_sum[5m]) / rate(queue_wait_time_count[5m])")),
              4000, 1e-6);
  // p99 of 10 values: rank 9.9 in (500, 750] holding rank 10: 500 + 250 * 0.9 = 725.
  EXPECT_NEAR(scalar(prom.query("histogram_quantile(0.99, rate(job_processing_time_bucket[5m]))")),
              725, 1e-6);
  EXPECT_EQ(scalar(prom.query("active_spans")), 3);
  // The self-metrics and process metrics are scraped too.
  EXPECT_GT(scalar(prom.query("process_resident_memory_bytes")), 0);
  EXPECT_GE(scalar(prom.query("adminara_obs_spans_ended_total")), 1);

  // Prometheus negotiated OpenMetrics, so it stored the exemplars with our trace id.
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const nlohmann::json ex =
      prom.query_exemplars("webrtc_connection_time_bucket", now - 600, now + 60);
  const std::string trace_id = call.context().trace_id().to_hex();
  bool found = false;
  for (const auto& series : ex) {
    for (const auto& e : series["exemplars"]) {
      if (e["labels"].value("trace_id", "") == trace_id) found = true;
    }
  }
  EXPECT_TRUE(found) << "trace " << trace_id << " not in " << ex.dump();
}

TEST_F(PrometheusEndToEnd, APortInUseIsAClearInitError) {
  Observability& first = init_observability(test_options());
  const int port = first.prometheus_port();
  shutdown();
  httplib::Server blocker;
  ASSERT_TRUE(blocker.bind_to_port("127.0.0.1", port));
  Options o = test_options();
  o.prometheus_port = port;
  try {
    init_observability(o);
    FAIL() << "init should have failed";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(observability(), nullptr);
}

}  // namespace
}  // namespace adminara::obs
