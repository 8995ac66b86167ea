// Tests of the Prometheus harness itself, against the real prometheus and promtool binaries.
#include "tests/integration/prometheus_harness.h"

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace adminara::obs::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kText004 = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kOpenMetrics =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

constexpr std::string_view kExposition =
    "# HELP harness_test_total A counter for the harness test.\n"
    "# TYPE harness_test_total counter\n"
    "harness_test_total 42\n"
    "# HELP harness_test_duration_seconds A histogram for the harness test.\n"
    "# TYPE harness_test_duration_seconds histogram\n"
    "harness_test_duration_seconds_bucket{le=\"0.1\"} 1\n"
    "harness_test_duration_seconds_bucket{le=\"1\"} 2\n"
    "harness_test_duration_seconds_bucket{le=\"+Inf\"} 3\n"
    "harness_test_duration_seconds_sum 4.5\n"
    "harness_test_duration_seconds_count 3\n";

// A /metrics endpoint on 127.0.0.1:<port chosen by the kernel> serving a fixed body, recording
// the Accept header of the first scrape.
class MetricsEndpoint {
 public:
  MetricsEndpoint(std::string body, std::string_view content_type)
      : body_(std::move(body)), content_type_(content_type) {
    server_.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        if (!first_accept_) first_accept_ = req.get_header_value("Accept");
      }
      res.set_content(body_, content_type_.c_str());
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot bind the test endpoint");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~MetricsEndpoint() {
    server_.stop();
    thread_.join();
  }

  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  std::optional<std::string> first_accept() {
    std::lock_guard lock(mu_);
    return first_accept_;
  }

 private:
  const std::string body_;
  const std::string content_type_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::optional<std::string> first_accept_;
};

double value_of(const nlohmann::json& sample) {
  return std::stod(sample["value"][1].get<std::string>());
}

TEST(FreeLoopbackPort, ReturnsABindablePort) {
  int port = free_loopback_port();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
  httplib::Server server;
  EXPECT_TRUE(server.bind_to_port("127.0.0.1", port));
}

TEST(PrometheusServer, ScrapesAnEndpointAndAnswersQueries) {
  MetricsEndpoint endpoint{std::string(kExposition), kText004};
  PrometheusServer prometheus({.targets = {endpoint.target()}});
  EXPECT_GT(prometheus.port(), 0);
  EXPECT_NE(prometheus.port(), 9090);

  prometheus.wait_for_scrapes(2, std::chrono::seconds(60));

  nlohmann::json up = prometheus.query("up{job=\"adminara\"}");
  ASSERT_EQ(up.size(), 1u) << up.dump();
  EXPECT_EQ(up[0]["metric"]["instance"], endpoint.target());
  EXPECT_EQ(value_of(up[0]), 1.0);

  nlohmann::json counter = prometheus.query("harness_test_total");
  ASSERT_EQ(counter.size(), 1u) << counter.dump();
  EXPECT_EQ(value_of(counter[0]), 42.0);
  EXPECT_EQ(counter[0]["metric"]["job"], "adminara");

  nlohmann::json count = prometheus.query("harness_test_duration_seconds_count");
  ASSERT_EQ(count.size(), 1u) << count.dump();
  EXPECT_EQ(value_of(count[0]), 3.0);
  nlohmann::json buckets = prometheus.query("harness_test_duration_seconds_bucket");
  EXPECT_EQ(buckets.size(), 3u) << buckets.dump();

  // Prometheus' own error text reaches the caller.
  try {
    prometheus.query("sum(");
    ADD_FAILURE() << "a malformed query did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("bad_data"));
  }

  std::optional<std::string> accept = endpoint.first_accept();
  ASSERT_TRUE(accept.has_value());
  std::cout << "Accept header of a Prometheus scrape: " << *accept << '\n';
  ::testing::Test::RecordProperty("scrape_accept", *accept);
  EXPECT_THAT(*accept, HasSubstr("text/plain;version=0.0.4"));
}

TEST(PrometheusServer, StoresExemplarsFromOpenMetrics) {
  const std::string body =
      "# TYPE harness_exemplar_seconds histogram\n"
      "# HELP harness_exemplar_seconds A histogram with an exemplar.\n"
      "harness_exemplar_seconds_bucket{le=\"1.0\"} 1 # "
      "{trace_id=\"0af7651916cd43dd8448eb211c80319c\"} "
      "0.5\n"
      "harness_exemplar_seconds_bucket{le=\"+Inf\"} 1\n"
      "harness_exemplar_seconds_sum 0.5\n"
      "harness_exemplar_seconds_count 1\n"
      "# EOF\n";
  MetricsEndpoint endpoint{body, kOpenMetrics};
  PrometheusServer prometheus({.targets = {endpoint.target()}, .exemplar_storage = true});
  prometheus.wait_for_scrapes(1, std::chrono::seconds(60));

  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json data =
      prometheus.query_exemplars("harness_exemplar_seconds_bucket", now - 600, now + 60);
  ASSERT_EQ(data.size(), 1u) << data.dump();
  ASSERT_FALSE(data[0]["exemplars"].empty()) << data.dump();
  const nlohmann::json& exemplar = data[0]["exemplars"][0];
  EXPECT_EQ(exemplar["labels"]["trace_id"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(exemplar["value"], "0.5");
}

TEST(PrometheusServer, WaitForScrapesReportsAnUnreachableTarget) {
  const std::string dead = "127.0.0.1:" + std::to_string(free_loopback_port());
  PrometheusServer prometheus({.targets = {dead}});
  try {
    // Long enough for Prometheus to pick the target up (it applies new targets every 5 s) and
    // fail to scrape it.
    prometheus.wait_for_scrapes(1, std::chrono::seconds(8));
    ADD_FAILURE() << "wait_for_scrapes did not time out";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(dead));
    EXPECT_THAT(e.what(), HasSubstr("connection refused"));
  }
}

TEST(PrometheusServer, StartupFailureReportsTheLog) {
  try {
    PrometheusServer prometheus({.targets = {"127.0.0.1:1"}, .scrape_interval = "soon"});
    ADD_FAILURE() << "a bad configuration did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("exited with status"));
    EXPECT_THAT(e.what(), HasSubstr("soon"));  // the log names the bad duration
  }
}

TEST(Promtool, AcceptsAValidExposition) {
  PromtoolResult r = promtool_check_metrics(kExposition);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
}

TEST(Promtool, RejectsADuplicateTypeLine) {
  PromtoolResult r = promtool_check_metrics(
      "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n# TYPE a_total counter\n");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("second TYPE line"));
}

TEST(Promtool, RejectsABadMetricName) {
  PromtoolResult r = promtool_check_metrics("# HELP 1bad A.\n# TYPE 1bad counter\n1bad 1\n");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("invalid metric name"));
}

TEST(Promtool, ReportsLintProblemsWithExitCode3) {
  PromtoolResult r = promtool_check_metrics("# TYPE a_total counter\na_total 1\n");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("a_total no help text"));
}

// Pins what promtool 2.42 does with OpenMetrics (see the header): it only knows 0.0.4 text. If
// this fails after a Prometheus upgrade, promtool may have learnt OpenMetrics; update the header.
TEST(Promtool, OnlyUnderstandsTheTextFormat) {
  // # UNIT and # EOF are plain comments to it.
  PromtoolResult plain = promtool_check_metrics(
      "# TYPE om_bytes gauge\n# UNIT om_bytes bytes\n# HELP om_bytes A gauge.\nom_bytes 1.0\n"
      "# EOF\n");
  EXPECT_EQ(plain.exit_code, 0) << plain.output;

  // An exemplar is a parse error.
  PromtoolResult exemplar = promtool_check_metrics(
      "# TYPE om_seconds counter\n# HELP om_seconds A counter.\n"
      "om_seconds_total 1.0 # {trace_id=\"abc\"} 0.5 1520879607.789\n# EOF\n");
  EXPECT_EQ(exemplar.exit_code, 1) << exemplar.output;
  EXPECT_THAT(exemplar.output,
              HasSubstr("text format parsing error in line 3: expected integer as timestamp, got "
                        "\"#\""));

  // An OpenMetrics counter family (metadata without _total) lints as samples without HELP.
  PromtoolResult counter = promtool_check_metrics(
      "# TYPE om_seconds counter\n# UNIT om_seconds seconds\n# HELP om_seconds A counter.\n"
      "om_seconds_total 1.0\nom_seconds_created 1520879607.0\n# EOF\n");
  EXPECT_EQ(counter.exit_code, 3) << counter.output;
  EXPECT_THAT(counter.output, HasSubstr("om_seconds_total no help text"));
}

}  // namespace
}  // namespace adminara::obs::testing
