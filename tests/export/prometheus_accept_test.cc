// Accept-header negotiation of the Prometheus endpoint (Prometheus' content negotiation docs).
#include <gtest/gtest.h>

#include "export/prometheus/accept.h"

namespace adminara::obs::prometheus {
namespace {

constexpr auto kOm = Format::kOpenMetrics1;
constexpr auto kText = Format::kText004;

TEST(PrometheusAccept, PrometheusDefaults) {
  // Prometheus 2.x default scrape Accept header.
  EXPECT_EQ(negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            kOm);
  // Prometheus 3.x default.
  EXPECT_EQ(negotiate("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
                      "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;"
                      "escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"),
            kOm);
  // Prometheus configured for the classic text format only.
  EXPECT_EQ(negotiate("text/plain;version=0.0.4;q=1,*/*;q=0.1"), kText);
}

TEST(PrometheusAccept, Fallbacks) {
  EXPECT_EQ(negotiate(""), kText);
  EXPECT_EQ(negotiate("*/*"), kText);
  EXPECT_EQ(negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), kText);
  EXPECT_EQ(negotiate("application/json"), kText);
  EXPECT_EQ(negotiate(";;;,,,=;q=;"), kText);
  EXPECT_EQ(negotiate("\x01\xff garbage"), kText);
}

TEST(PrometheusAccept, OpenMetricsVersions) {
  EXPECT_EQ(negotiate("application/openmetrics-text"), kOm);
  EXPECT_EQ(negotiate("application/openmetrics-text; version=0.0.1"), kOm);
  EXPECT_EQ(negotiate("application/openmetrics-text;version=\"1.0.0\""), kOm);
  EXPECT_EQ(negotiate("application/openmetrics-text;version=2.0.0"), kText);
}

TEST(PrometheusAccept, QValues) {
  EXPECT_EQ(negotiate("application/openmetrics-text;q=0.2,text/plain;q=0.5"), kText);
  EXPECT_EQ(negotiate("text/plain;q=0.5,application/openmetrics-text;q=0.7"), kOm);
  EXPECT_EQ(negotiate("application/openmetrics-text;q=0"), kText);
  EXPECT_EQ(negotiate("application/openmetrics-text;q=0.000,text/plain;q=0.001"), kText);
  // Equal q: OpenMetrics.
  EXPECT_EQ(negotiate("text/plain;version=0.0.4,application/openmetrics-text;version=1.0.0"), kOm);
  // A malformed q-value makes the range be ignored.
  EXPECT_EQ(negotiate("application/openmetrics-text;q=abc"), kText);
  EXPECT_EQ(negotiate("application/openmetrics-text;q=1.5"), kText);
}

TEST(PrometheusAccept, SpecificRangeWins) {
  // The specific text/plain;q=0 rules text out although */* would allow it; OpenMetrics was
  // not offered, so the fallback is still text.
  EXPECT_EQ(negotiate("text/plain;version=0.0.4;q=0,*/*"), kText);
  EXPECT_EQ(negotiate("text/plain;q=0,application/openmetrics-text;q=0.1"), kOm);
  EXPECT_EQ(negotiate("text/*;q=0.3,application/openmetrics-text;q=0.2"), kText);
}

TEST(PrometheusAccept, CaseAndWhitespace) {
  EXPECT_EQ(
      negotiate("  Application/OpenMetrics-Text ;  Version=1.0.0 ; Q=0.9 , text/plain ; q=0.1 "),
      kOm);
  EXPECT_EQ(negotiate("\tTEXT/PLAIN;version=0.0.4"), kText);
}

}  // namespace
}  // namespace adminara::obs::prometheus
