// OTel -> Prometheus names, unit words, escaping and number formatting.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "export/prometheus/naming.h"
#include "export/prometheus/text_format.h"

namespace adminara::obs::prometheus {
namespace {

TEST(PrometheusNaming, MetricNames) {
  EXPECT_EQ(sanitize_metric_name("http.server.duration"), "http_server_duration");
  EXPECT_EQ(sanitize_metric_name("1st-metric"), "_1st_metric");
  EXPECT_EQ(sanitize_metric_name("a..b"), "a_b");
  EXPECT_EQ(sanitize_metric_name("a__b"), "a_b");
  EXPECT_EQ(sanitize_metric_name("job:rate5m"), "job:rate5m");
  EXPECT_EQ(sanitize_metric_name("temp\xC2\xB0"
                                 "C"),
            "temp_C");
  EXPECT_EQ(sanitize_metric_name("queue_wait_time"), "queue_wait_time");
  EXPECT_EQ(sanitize_metric_name(""), "");
}

TEST(PrometheusNaming, LabelNames) {
  EXPECT_EQ(sanitize_label_name("http.method"), "http_method");
  EXPECT_EQ(sanitize_label_name("0key"), "key_0key");
  EXPECT_EQ(sanitize_label_name("_x"), "key_x");
  EXPECT_EQ(sanitize_label_name("__x"), "key_x");
  EXPECT_EQ(sanitize_label_name("a:b"), "a_b");
  EXPECT_EQ(sanitize_label_name("a..b"), "a_b");
  EXPECT_EQ(sanitize_label_name(""), "");
}

TEST(PrometheusNaming, UnitWords) {
  EXPECT_EQ(unit_word("s"), "seconds");
  EXPECT_EQ(unit_word("ms"), "milliseconds");
  EXPECT_EQ(unit_word("By"), "bytes");
  EXPECT_EQ(unit_word("KiBy"), "kibibytes");
  EXPECT_EQ(unit_word("Cel"), "celsius");
  EXPECT_EQ(unit_word("%"), "percent");
  EXPECT_EQ(unit_word("1"), "");
  EXPECT_EQ(unit_word(""), "");
  EXPECT_EQ(unit_word("{request}"), "");
  EXPECT_EQ(unit_word("m/s"), "meters_per_second");
  EXPECT_EQ(unit_word("By/s"), "bytes_per_second");
  EXPECT_EQ(unit_word("{packet}/s"), "per_second");
  EXPECT_EQ(unit_word("1/s"), "per_second");
  EXPECT_EQ(unit_word("{packet}"), "");
  EXPECT_EQ(unit_word("widgets"), "widgets");
  EXPECT_EQ(unit_word("req/mo"), "req_per_month");
  EXPECT_EQ(unit_word("{unterminated"), "");
}

TEST(PrometheusNaming, EscapesLabelValues) {
  std::string out;
  append_escaped_label_value(out, "a\\b\"c\nd");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd");
  out.clear();
  append_escaped_label_value(out, "ok \xE2\x82\xAC \xFF end");  // valid euro sign, invalid 0xFF
  EXPECT_EQ(out, "ok \xE2\x82\xAC \xEF\xBF\xBD end");
}

TEST(PrometheusNaming, EscapesHelpPerFormat) {
  std::string out;
  append_escaped_help(out, "say \"hi\"\\\n", /*escape_quotes=*/false);
  EXPECT_EQ(out, "say \"hi\"\\\\\\n");
  out.clear();
  append_escaped_help(out, "say \"hi\"\\\n", /*escape_quotes=*/true);
  EXPECT_EQ(out, "say \\\"hi\\\"\\\\\\n");
}

std::string go(double v, bool canonical = false) {
  std::string s;
  append_go_float(s, v, canonical);
  return s;
}

TEST(PrometheusNumbers, GoStyleFloat) {
  EXPECT_EQ(go(0), "0");
  EXPECT_EQ(go(5), "5");
  EXPECT_EQ(go(0.25), "0.25");
  EXPECT_EQ(go(0.005), "0.005");
  EXPECT_EQ(go(2.5), "2.5");
  EXPECT_EQ(go(10000), "10000");
  EXPECT_EQ(go(100000), "100000");
  EXPECT_EQ(go(1e6), "1e+06");
  EXPECT_EQ(go(1.5e6), "1.5e+06");
  EXPECT_EQ(go(123456789), "1.23456789e+08");
  EXPECT_EQ(go(1e-5), "1e-05");
  EXPECT_EQ(go(0.0001), "0.0001");
  EXPECT_EQ(go(-1), "-1");
  EXPECT_EQ(go(1e300), "1e+300");
  EXPECT_EQ(go(0.1), "0.1");
  EXPECT_EQ(go(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(go(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(go(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(PrometheusNumbers, OpenMetricsCanonical) {
  EXPECT_EQ(go(0, true), "0.0");
  EXPECT_EQ(go(0.001, true), "0.001");
  EXPECT_EQ(go(0.1, true), "0.1");
  EXPECT_EQ(go(1, true), "1.0");
  EXPECT_EQ(go(10, true), "10.0");
  EXPECT_EQ(go(1e-5, true), "1e-05");
  EXPECT_EQ(go(100000, true), "100000.0");
  EXPECT_EQ(go(1e6, true), "1e+06");
  EXPECT_EQ(go(std::numeric_limits<double>::infinity(), true), "+Inf");
}

TEST(PrometheusNumbers, SampleValues) {
  auto f = [](double v) {
    std::string s;
    append_sample_value(s, v);
    return s;
  };
  EXPECT_EQ(f(42), "42");
  EXPECT_EQ(f(-3), "-3");
  EXPECT_EQ(f(0), "0");
  EXPECT_EQ(f(3.5), "3.5");
  EXPECT_EQ(f(0.1), "0.1");
  EXPECT_EQ(f(1e20), "1e+20");
  EXPECT_EQ(f(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(f(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(f(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(PrometheusFormat, ContentTypes) {
  EXPECT_EQ(content_type(Format::kText004), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(content_type(Format::kOpenMetrics1),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

}  // namespace
}  // namespace adminara::obs::prometheus
