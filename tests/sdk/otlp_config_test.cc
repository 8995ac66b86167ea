// OTLP exporter settings from the environment: endpoint rules (the OTel specification's
// protocol/exporter.md), headers,
// protocol, compression, timeouts, TLS files, the metric reader and temporality.
#include "sdk/config/otlp_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/sdk/fake_env.h"

namespace adminara::obs::config {
namespace {

using ::testing::ElementsAre;
using testing::EnvMap;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using testing::reader_for;

struct Loaded {
  OtlpExporterConfig config;
  std::vector<std::string> warnings;
};

Loaded load(EnvMap env, OtlpSignal signal = OtlpSignal::kTraces) {
  EnvReader r = reader_for(std::move(env));
  Loaded l;
  l.config = load_otlp_exporter_config(r, signal);
  l.warnings = r.warnings();
  return l;
}

std::string url(EnvMap env, OtlpSignal signal = OtlpSignal::kTraces) {
  return load(std::move(env), signal).config.endpoint.url();
}

TEST(OtlpConfig, Defaults) {
  const Loaded t = load({});
  EXPECT_EQ(t.config.endpoint.url(), "http://localhost:4318/v1/traces");
  EXPECT_EQ(url({}, OtlpSignal::kMetrics), "http://localhost:4318/v1/metrics");
  EXPECT_EQ(t.config.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(t.config.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_FALSE(t.config.gzip);
  EXPECT_THAT(t.config.headers, IsEmpty());
  EXPECT_THAT(t.warnings, IsEmpty());
}

TEST(OtlpConfig, BaseEndpointGetsTheSignalPathAppended) {
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}}),
            "http://collector:4318/v1/traces");
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}}),
            "http://collector:4318/v1/traces");
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/mycollector/"}},
                OtlpSignal::kMetrics),
            "http://collector:4318/mycollector/v1/metrics");
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/mycollector"}}),
            "http://collector:4318/mycollector/v1/traces");
  // Missing port: 80 / 443 by scheme.
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example.com"}}),
            "https://otel.example.com:443/v1/traces");
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_ENDPOINT", "HTTP://otel.example.com"}}),
            "http://otel.example.com:80/v1/traces");
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1]:4318"}}),
            "http://[::1]:4318/v1/traces");
}

TEST(OtlpConfig, SignalEndpointIsUsedAsGiven) {
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318"}}),
            "http://collector:4318/");  // no path: "/" and nothing appended
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/custom/spans"}}),
            "http://collector:4318/custom/spans");
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:1"},
                 {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://signal:2/v1/traces"}}),
            "http://signal:2/v1/traces");
  // The metrics variable does not affect traces, and the other way round.
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/x"}}),
            "http://localhost:4318/v1/traces");
  EXPECT_EQ(url({{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/x"}}, OtlpSignal::kMetrics),
            "http://m:9/x");
}

TEST(OtlpConfig, BadEndpointsWarnAndFallBack) {
  Loaded l = load({{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"}});
  EXPECT_EQ(l.config.endpoint.url(), "http://localhost:4318/v1/traces");
  EXPECT_THAT(l.warnings,
              ElementsAre("OTEL_EXPORTER_OTLP_ENDPOINT=\"collector:4318\" is not a usable URL: it "
                          "has no scheme (http:// or https://); accepted: an http:// or https:// "
                          "URL such as http://collector:4318; using the default "
                          "http://localhost:4318"));
  l = load({{"OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c:1"}});
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("the scheme \"ftp\" is not http or https")));
  l = load({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:99999"}});
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("the port \"99999\" is not a number from 1")));
  l = load({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://:4318"}});
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("the host is empty")));
  l = load({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:p@c:1"}});
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("user information")));
  // A bad signal endpoint falls back to what the base endpoint gives.
  l = load({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:7"},
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url"}});
  EXPECT_EQ(l.config.endpoint.url(), "http://base:7/v1/traces");
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=\"not a "
                                                "url\" is not a usable URL")));
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("using http://base:7/v1/traces")));
  // Empty and whitespace-only values are unset.
  l = load({{"OTEL_EXPORTER_OTLP_ENDPOINT", "  "}});
  EXPECT_EQ(l.config.endpoint.url(), "http://localhost:4318/v1/traces");
  EXPECT_THAT(l.warnings, IsEmpty());
}

TEST(OtlpConfig, HeadersArePercentDecodedPairs) {
  std::string error;
  auto h = parse_otlp_headers("api-key=secret%20value, X-Tenant = acme ,,empty=", &error);
  ASSERT_TRUE(h) << error;
  EXPECT_THAT(*h, ElementsAre(Pair("api-key", "secret value"), Pair("X-Tenant", "acme"),
                              Pair("empty", "")));
  h = parse_otlp_headers("a=1,A=2", &error);  // header names are case-insensitive: last wins
  ASSERT_TRUE(h);
  EXPECT_THAT(*h, ElementsAre(Pair("a", "2")));
  h = parse_otlp_headers("auth=Basic%20dXNlcjpwYXNz%3D%3D,x=a%2Cb", &error);
  ASSERT_TRUE(h);
  EXPECT_THAT(*h, ElementsAre(Pair("auth", "Basic dXNlcjpwYXNz=="), Pair("x", "a,b")));
  h = parse_otlp_headers("k=a=b", &error);  // '=' in a value after the first
  ASSERT_TRUE(h);
  EXPECT_THAT(*h, ElementsAre(Pair("k", "a=b")));
}

TEST(OtlpConfig, BadHeadersRejectTheWholeVariable) {
  std::string error;
  EXPECT_FALSE(parse_otlp_headers("a=1,novalue", &error));
  EXPECT_EQ(error, "member 2 has no '='");
  EXPECT_FALSE(parse_otlp_headers("=v", &error));
  EXPECT_EQ(error, "member 1 has an empty key");
  EXPECT_FALSE(parse_otlp_headers("bad key=v", &error));
  EXPECT_EQ(error,
            "the key of member 1 is not an HTTP header name (letters, digits and "
            "!#$%&'*+-.^_`|~)");
  EXPECT_FALSE(parse_otlp_headers("k=%zz", &error));
  EXPECT_EQ(error, "the value of \"k\" has a bad percent-escape (expected % and two hex digits)");
  EXPECT_FALSE(parse_otlp_headers("k=a%0d%0aInjected: 1", &error));  // header injection
  EXPECT_THAT(error, HasSubstr("contains CR, LF or NUL"));
  EXPECT_FALSE(parse_otlp_headers("k=a%00b", &error));

  const Loaded l = load({{"OTEL_EXPORTER_OTLP_HEADERS", "ok=1,broken"}});
  EXPECT_THAT(l.config.headers, IsEmpty());
  EXPECT_THAT(l.warnings,
              ElementsAre("OTEL_EXPORTER_OTLP_HEADERS is rejected: member 2 has no '='; "
                          "accepted: comma-separated key=value pairs (keys are HTTP header "
                          "names, values percent-encoded as %XX where needed); ignoring the "
                          "whole variable"));
}

// Headers carry credentials: no warning about them may repeat a value, a malformed member, or
// a key that is not a header name (a token pasted in the wrong place).
TEST(OtlpConfig, HeaderWarningsNeverShowASecret) {
  const std::string token = "s3cr3t-T0ken";
  for (const std::string& value :
       {"Authorization=Bearer%20" + token + ",broken", "Authorization Bearer " + token,
        "Authorization=Bearer " + token + "%zz", "x=1,Bearer " + token + "=1",
        "Authorization=Bearer%0d%0a" + token, "=" + token}) {
    const Loaded l = load({{"OTEL_EXPORTER_OTLP_TRACES_HEADERS", value}});
    ASSERT_EQ(l.warnings.size(), 1u) << value;
    EXPECT_THAT(l.warnings[0], Not(HasSubstr(token))) << l.warnings[0];
    EXPECT_THAT(l.warnings[0], Not(HasSubstr("Bearer"))) << l.warnings[0];
    EXPECT_THAT(l.warnings[0], HasSubstr("OTEL_EXPORTER_OTLP_TRACES_HEADERS is rejected"));
  }
}

TEST(OtlpConfig, EndpointWarningsHideUserInformationAndQueries) {
  const Loaded l = load({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://user:pa55@collector:4318/x"},
                         {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://c/v1/traces?key=pa55"}});
  ASSERT_EQ(l.warnings.size(), 2u);
  for (const auto& w : l.warnings) EXPECT_THAT(w, Not(HasSubstr("pa55"))) << w;
  EXPECT_THAT(l.warnings[0], HasSubstr("\"https://***@collector:4318/x\""));
  EXPECT_THAT(l.warnings[1], HasSubstr("\"ftp://c/v1/traces?***\""));
}

TEST(OtlpConfig, SignalVariablesWinOverGenericOnes) {
  const Loaded l = load({{"OTEL_EXPORTER_OTLP_HEADERS", "a=generic"},
                         {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=traces"},
                         {"OTEL_EXPORTER_OTLP_TIMEOUT", "2000"},
                         {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "3000"},
                         {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                         {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"},
                         {"OTEL_EXPORTER_OTLP_COMPRESSION", "none"},
                         {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "GZIP"}});
  EXPECT_THAT(l.config.headers, ElementsAre(Pair("b", "traces")));
  EXPECT_EQ(l.config.timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(l.config.protocol, OtlpProtocol::kHttpJson);
  EXPECT_TRUE(l.config.gzip);
  EXPECT_THAT(l.warnings, IsEmpty());
  // The metrics signal sees only the generic ones.
  const Loaded m = load({{"OTEL_EXPORTER_OTLP_HEADERS", "a=generic"},
                         {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=traces"},
                         {"OTEL_EXPORTER_OTLP_TIMEOUT", "2000"}},
                        OtlpSignal::kMetrics);
  EXPECT_THAT(m.config.headers, ElementsAre(Pair("a", "generic")));
  EXPECT_EQ(m.config.timeout, std::chrono::milliseconds(2000));
}

TEST(OtlpConfig, BadProtocolCompressionAndTimeoutWarn) {
  Loaded l = load({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}});
  EXPECT_EQ(l.config.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_THAT(l.warnings, ElementsAre("OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\": grpc is not "
                                      "supported by this SDK; accepted: http/protobuf, "
                                      "http/json; using the default http/protobuf"));
  l = load({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift"}});
  EXPECT_THAT(l.warnings, ElementsAre("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=\"thrift\" is not a "
                                      "known value; accepted: http/protobuf, http/json, grpc "
                                      "(case-insensitive); using the default http/protobuf"));
  l = load({{"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}});
  EXPECT_FALSE(l.config.gzip);
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("accepted: gzip, none")));
  l = load({{"OTEL_EXPORTER_OTLP_TIMEOUT", "-5"}});
  EXPECT_EQ(l.config.timeout, std::chrono::milliseconds(10000));
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("OTEL_EXPORTER_OTLP_TIMEOUT=\"-5\" is out of "
                                                "range")));
  l = load({{"OTEL_EXPORTER_OTLP_TIMEOUT", "0"}});  // 0: no limit
  EXPECT_EQ(l.config.timeout, std::chrono::milliseconds::max());
  // A bad signal timeout falls back to the generic one.
  l = load({{"OTEL_EXPORTER_OTLP_TIMEOUT", "1500"}, {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "soon"}});
  EXPECT_EQ(l.config.timeout, std::chrono::milliseconds(1500));
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("using the default 1500")));
}

TEST(OtlpConfig, TlsFilesMustBeReadable) {
  const std::string path = ::testing::TempDir() + "/otlp_config_test_ca.pem";
  std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n";
  Loaded l = load({{"OTEL_EXPORTER_OTLP_CERTIFICATE", path}});
  EXPECT_EQ(l.config.certificate, path);
  EXPECT_THAT(l.warnings, IsEmpty());
  l = load({{"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/nonexistent/ca.pem"}});
  EXPECT_TRUE(l.config.certificate.empty());
  EXPECT_THAT(l.warnings, ElementsAre("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE=\"/nonexistent/"
                                      "ca.pem\" cannot be read; accepted: the path of a readable "
                                      "PEM file; ignored"));
  l = load({{"OTEL_EXPORTER_OTLP_CLIENT_KEY", path}});  // a key without a certificate
  EXPECT_TRUE(l.config.client_key.empty());
  EXPECT_THAT(l.warnings, ElementsAre(HasSubstr("only one of the pair is set")));
  l = load({{"OTEL_EXPORTER_OTLP_CLIENT_KEY", path},
            {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", path}});
  EXPECT_EQ(l.config.client_key, path);
  EXPECT_EQ(l.config.client_certificate, path);
  EXPECT_THAT(l.warnings, IsEmpty());
}

TEST(OtlpConfig, MetricReaderSettings) {
  EnvReader r = reader_for({});
  OtlpMetricReaderConfig c = load_otlp_metric_reader_config(r);
  EXPECT_EQ(c.interval, std::chrono::milliseconds(60000));
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.temporality, TemporalityPreference::kCumulative);

  r = reader_for({{"OTEL_METRIC_EXPORT_INTERVAL", "1000"},
                  {"OTEL_METRIC_EXPORT_TIMEOUT", "500"},
                  {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta"}});
  c = load_otlp_metric_reader_config(r);
  EXPECT_EQ(c.interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.temporality, TemporalityPreference::kDelta);
  EXPECT_THAT(r.warnings(), IsEmpty());

  r = reader_for({{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "lowmemory"}});
  EXPECT_EQ(load_otlp_metric_reader_config(r).temporality, TemporalityPreference::kLowMemory);

  r = reader_for({{"OTEL_METRIC_EXPORT_INTERVAL", "0"},
                  {"OTEL_METRIC_EXPORT_TIMEOUT", "x"},
                  {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes"}});
  c = load_otlp_metric_reader_config(r);
  EXPECT_EQ(c.interval, std::chrono::milliseconds(60000));
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.temporality, TemporalityPreference::kCumulative);
  EXPECT_THAT(r.warnings(),
              ElementsAre(HasSubstr("OTEL_METRIC_EXPORT_INTERVAL=\"0\" is out of range"),
                          HasSubstr("OTEL_METRIC_EXPORT_TIMEOUT=\"x\" is not an integer"),
                          "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=\"sometimes\" is "
                          "not a known value; accepted: cumulative, delta, lowmemory "
                          "(case-insensitive); using the default cumulative"));
}

}  // namespace
}  // namespace adminara::obs::config
