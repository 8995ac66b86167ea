// Golden-file tests of the Prometheus renderer: the full exposition is compared byte for byte
// with tests/export/golden/<name>. To regenerate after an intended change, run the test with
// ADMINARA_OBS_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "export/prometheus/text_format.h"

namespace adminara::obs::prometheus {
namespace {

std::string golden_path(const std::string& name) {
  return std::string(ADMINARA_OBS_GOLDEN_DIR) + "/" + name;
}

void expect_golden(const std::string& name, const std::string& actual) {
  const char* update = std::getenv("ADMINARA_OBS_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden_path(name), std::ios::binary) << actual;
  }
  std::ifstream in(golden_path(name), std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << golden_path(name);
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "golden " << name << " differs";
}

std::shared_ptr<const AttributeSet> attrs(AttributeSet set) {
  std::sort(set.begin(), set.end(),
            [](const KeyValue& a, const KeyValue& b) { return a.key < b.key; });
  return std::make_shared<const AttributeSet>(std::move(set));
}

TraceId trace_id(std::uint8_t last) {
  TraceId t;
  t.bytes.fill(0xab);
  t.bytes[15] = last;
  return t;
}
SpanId span_id(std::uint8_t last) {
  SpanId s;
  s.bytes.fill(0xcd);
  s.bytes[7] = last;
  return s;
}

const InstrumentationScope kWebrtc{"adminara.webrtc", "1.0"};
const InstrumentationScope kQueue{"adminara.queue", ""};

MetricData metric(InstrumentationScope scope, std::string name, std::string description,
                  std::string unit, InstrumentKind kind, bool monotonic) {
  MetricData m;
  m.scope = std::move(scope);
  m.descriptor = {std::move(name), std::move(description), std::move(unit), kind};
  m.monotonic = monotonic;
  return m;
}

PointData sum_point(std::shared_ptr<const AttributeSet> a, double v,
                    std::vector<Exemplar> ex = {}) {
  PointData p;
  p.attributes = std::move(a);
  p.value = SumPoint{v, std::move(ex)};
  return p;
}
PointData gauge_point(std::shared_ptr<const AttributeSet> a, double v) {
  PointData p;
  p.attributes = std::move(a);
  p.value = GaugePoint{v};
  return p;
}

const auto kDefaultBounds = std::make_shared<const std::vector<double>>(
    std::vector<double>{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000});

// One histogram over the default bounds with observations 3, 20, 20, 100 (exactly on a bound:
// it belongs to le="100") and 12000.
PointData connection_time_point() {
  HistogramPoint h;
  h.boundaries = kDefaultBounds;
  h.bucket_counts.assign(16, 0);
  h.bucket_counts[1] = 1;   // (0,5]: 3
  h.bucket_counts[3] = 2;   // (10,25]: 20, 20
  h.bucket_counts[6] = 1;   // (75,100]: 100
  h.bucket_counts[15] = 1;  // (10000,+Inf): 12000
  h.count = 5;
  h.sum = 3 + 20 + 20 + 100 + 12000;
  h.min = 3;
  h.max = 12000;
  // Two exemplars in (10,25]: the later one wins. 100 goes to le="100" (upper-inclusive).
  h.exemplars = {{3, 1'700'000'000'001'000'000, trace_id(1), span_id(1)},
                 {20, 1'700'000'000'002'000'000, trace_id(2), span_id(2)},
                 {21, 1'700'000'000'003'500'000, trace_id(3), span_id(3)},
                 {100, 1'700'000'000'004'000'000, trace_id(4), span_id(4)},
                 {12000, 1'700'000'000'005'999'999, trace_id(5), span_id(5)}};
  PointData p;
  p.attributes = attrs({{"peer", "sfu-1"}});
  p.value = std::move(h);
  return p;
}

Resource test_resource() {
  return Resource({{"service.name", "checkout"},
                   {"service.version", "1.2.3"},
                   {"host.name", "node \"7\""},
                   {"telemetry.sdk.language", "cpp"}});
}

// Every mapping case text_format.h lists, in one exposition.
std::vector<MetricData> all_cases() {
  std::vector<MetricData> ms;

  auto requests = metric(kWebrtc, "http.server.requests", "Requests \"served\",\nby method\\status",
                         "{request}", InstrumentKind::kCounter, true);
  requests.points.push_back(sum_point(attrs({{"http.method", "GET"}, {"http.status_code", 200}}),
                                      42,
                                      {{1, 1'699'999'999'000'000'000, trace_id(9), span_id(9)},
                                       {1, 1'700'000'000'123'456'789, trace_id(7), span_id(7)}}));
  requests.points.push_back(
      sum_point(attrs({{"http.method", "POST"}, {"http.status_code", 500}}), 3.5));
  ms.push_back(std::move(requests));

  auto active = metric(kQueue, "active_spans", "Spans started and not ended", "{span}",
                       InstrumentKind::kUpDownCounter, false);
  active.points.push_back(sum_point(attrs({}), -3));
  ms.push_back(std::move(active));

  auto conn = metric(kWebrtc, "webrtc_connection_time", "Time to connect", "ms",
                     InstrumentKind::kHistogram, true);
  conn.points.push_back(connection_time_point());
  ms.push_back(std::move(conn));

  // The same counter from a second scope joins the first family; its HELP differs (ignored).
  auto requests2 = metric(kQueue, "http.server.requests", "Other text", "{request}",
                          InstrumentKind::kCounter, true);
  requests2.points.push_back(sum_point(attrs({{"http.method", "GET"}}), 7));
  ms.push_back(std::move(requests2));

  // Same Prometheus name, other type: dropped.
  auto conflict = metric(kQueue, "http_server_requests", "", "", InstrumentKind::kGauge, false);
  conflict.points.push_back(gauge_point(attrs({}), 1));
  ms.push_back(std::move(conflict));

  auto temp =
      metric(kWebrtc, "cpu.temperature", "", "Cel", InstrumentKind::kObservableGauge, false);
  temp.points.push_back(gauge_point(attrs({{"core", 0}}), 41.5));
  temp.points.push_back(
      gauge_point(attrs({{"core", 1}}), std::numeric_limits<double>::quiet_NaN()));
  ms.push_back(std::move(temp));

  auto memory = metric(kWebrtc, "process.memory_usage_bytes", "Resident memory", "By",
                       InstrumentKind::kObservableUpDownCounter, false);
  memory.points.push_back(gauge_point(attrs({}), 1.5e9));
  ms.push_back(std::move(memory));

  auto wait = metric(kQueue, "queue_wait_time", "Wait before a job starts", "s",
                     InstrumentKind::kHistogram, true);
  {
    HistogramPoint h;
    h.boundaries =
        std::make_shared<const std::vector<double>>(std::vector<double>{0.005, 0.25, 1, 2.5});
    h.bucket_counts = {4, 3, 0, 1, 0};
    h.count = 8;
    h.sum = 3.125;
    PointData p;
    p.attributes = attrs({{"queue", "default"}});
    p.value = std::move(h);
    wait.points.push_back(std::move(p));
  }
  ms.push_back(std::move(wait));

  // Negative bounds: OpenMetrics leaves out _sum and _count.
  auto delta_t = metric(kQueue, "clock.skew", "", "s", InstrumentKind::kHistogram, true);
  {
    HistogramPoint h;
    h.boundaries = std::make_shared<const std::vector<double>>(std::vector<double>{-1, 0, 1e6});
    h.bucket_counts = {1, 2, 0, 0};
    h.count = 3;
    h.sum = -2;
    PointData p;
    p.attributes = attrs({});
    p.value = std::move(h);
    delta_t.points.push_back(std::move(p));
  }
  ms.push_back(std::move(delta_t));

  auto odd = metric(kQueue, "1st-metric", "", "", InstrumentKind::kCounter, true);
  odd.points.push_back(sum_point(attrs({{"0key", "zero"}, {"_x", "under"}}), 1));
  ms.push_back(std::move(odd));

  auto collide = metric(kQueue, "a..b", "", "", InstrumentKind::kGauge, false);
  collide.points.push_back(gauge_point(
      attrs({{"a.b", "dot"}, {"a_b", "under"}, {"a-b", "dash"}, {"path", "C:\\dir\n\"x\""}}), 2));
  collide.points.push_back(gauge_point(attrs({{"flags", std::vector<std::string>{"a", "\"b\""}},
                                              {"ok", true},
                                              {"ratio", 0.5},
                                              {"inf", std::numeric_limits<double>::infinity()},
                                              {"ids", std::vector<std::int64_t>{1, 2}}}),
                                       3));
  ms.push_back(std::move(collide));

  // An attribute named like a scope label merges with it.
  auto scoped = metric(kWebrtc, "scoped", "", "", InstrumentKind::kGauge, false);
  scoped.points.push_back(gauge_point(attrs({{"otel.scope.name", "mine"}}), 1));
  ms.push_back(std::move(scoped));

  auto delta = metric(kQueue, "delta.counter", "", "", InstrumentKind::kCounter, true);
  delta.temporality = AggregationTemporality::kDelta;
  delta.points.push_back(sum_point(attrs({}), 1));
  ms.push_back(std::move(delta));

  return ms;
}

std::string render_to_string(const std::vector<MetricData>& ms, Format f, RenderOptions o,
                             RenderStats* stats = nullptr) {
  std::string out;
  RenderStats s = render(test_resource(), ms, f, o, out);
  if (stats != nullptr) *stats = s;
  return out;
}

TEST(PrometheusFormat, GoldenText004) {
  RenderStats stats;
  expect_golden("all_text_0.0.4.txt", render_to_string(all_cases(), Format::kText004, {}, &stats));
  EXPECT_EQ(stats.metrics_dropped, 2u);
}

TEST(PrometheusFormat, GoldenOpenMetrics) {
  RenderStats stats;
  expect_golden("all_openmetrics_1.0.txt",
                render_to_string(all_cases(), Format::kOpenMetrics1, {}, &stats));
  EXPECT_EQ(stats.metrics_dropped, 2u);
}

TEST(PrometheusFormat, WarnsAboutConflicts) {
  RenderStats stats;
  render_to_string(all_cases(), Format::kText004, {}, &stats);
  ASSERT_EQ(stats.warnings.size(), 3u);
  EXPECT_NE(stats.warnings[0].find("description differs"), std::string::npos) << stats.warnings[0];
  EXPECT_NE(stats.warnings[1].find("'http_server_requests'"), std::string::npos)
      << stats.warnings[1];
  EXPECT_NE(stats.warnings[1].find("counter"), std::string::npos) << stats.warnings[1];
  EXPECT_NE(stats.warnings[2].find("delta"), std::string::npos) << stats.warnings[2];
}

std::vector<MetricData> unit_cases() {
  std::vector<MetricData> ms;
  auto sent = metric(kQueue, "net.sent", "Bytes sent", "By", InstrumentKind::kCounter, true);
  sent.points.push_back(sum_point(attrs({}), 1024));
  ms.push_back(std::move(sent));
  auto sent_total = metric(kQueue, "requests_total", "", "By", InstrumentKind::kCounter, true);
  sent_total.points.push_back(sum_point(attrs({}), 1));
  ms.push_back(std::move(sent_total));
  auto hits = metric(kQueue, "cache.hits", "", "1", InstrumentKind::kGauge, false);
  hits.points.push_back(gauge_point(attrs({}), 0.75));
  ms.push_back(std::move(hits));
  auto speed = metric(kQueue, "speed", "", "m/s", InstrumentKind::kGauge, false);
  speed.points.push_back(gauge_point(attrs({}), 3));
  ms.push_back(std::move(speed));
  auto already = metric(kQueue, "rpc.duration_seconds", "", "s", InstrumentKind::kHistogram, true);
  {
    HistogramPoint h;
    h.boundaries = std::make_shared<const std::vector<double>>(std::vector<double>{0.1, 1});
    h.bucket_counts = {1, 1, 0};
    h.count = 2;
    h.sum = 0.6;
    PointData p;
    p.attributes = attrs({});
    p.value = std::move(h);
    already.points.push_back(std::move(p));
  }
  ms.push_back(std::move(already));
  auto packets = metric(kQueue, "packets", "", "{packet}/s", InstrumentKind::kGauge, false);
  packets.points.push_back(gauge_point(attrs({}), 9));
  ms.push_back(std::move(packets));
  return ms;
}

TEST(PrometheusFormat, GoldenUnitSuffixesOff) {
  RenderOptions o;
  o.scope_labels = false;
  o.target_info = false;
  expect_golden("units_off_text_0.0.4.txt", render_to_string(unit_cases(), Format::kText004, o));
  expect_golden("units_off_openmetrics_1.0.txt",
                render_to_string(unit_cases(), Format::kOpenMetrics1, o));
}

TEST(PrometheusFormat, GoldenUnitSuffixesOn) {
  RenderOptions o;
  o.unit_suffixes = true;
  o.scope_labels = false;
  o.target_info = false;
  expect_golden("units_on_text_0.0.4.txt", render_to_string(unit_cases(), Format::kText004, o));
  expect_golden("units_on_openmetrics_1.0.txt",
                render_to_string(unit_cases(), Format::kOpenMetrics1, o));
}

TEST(PrometheusFormat, EmptyInput) {
  std::string out;
  render(Resource(), {}, Format::kText004, {}, out);
  EXPECT_EQ(out, "");
  render(Resource(), {}, Format::kOpenMetrics1, {}, out);
  EXPECT_EQ(out, "# EOF\n");
}

TEST(PrometheusFormat, AppendsToOutput) {
  std::string out = "keep\n";
  render(Resource(), {}, Format::kOpenMetrics1, {}, out);
  EXPECT_EQ(out, "keep\n# EOF\n");
}

TEST(PrometheusFormat, TargetInfoClaimsItsName) {
  std::vector<MetricData> ms;
  auto m = metric(kQueue, "target_info", "", "", InstrumentKind::kGauge, false);
  m.points.push_back(gauge_point(attrs({}), 5));
  ms.push_back(std::move(m));
  RenderStats stats;
  std::string out = render_to_string(ms, Format::kText004, {}, &stats);
  EXPECT_EQ(stats.metrics_dropped, 1u);
  EXPECT_EQ(out.find("target_info 5"), std::string::npos) << out;
}

TEST(PrometheusFormat, DropsExemplarsInText004) {
  std::string out = render_to_string(all_cases(), Format::kText004, {});
  EXPECT_EQ(out.find("trace_id"), std::string::npos);
}

TEST(PrometheusFormat, MergedFamilyIsContiguous) {
  std::string out = render_to_string(all_cases(), Format::kText004, {});
  std::size_t first = out.find("http_server_requests_total{");
  std::size_t last = out.rfind("http_server_requests_total{");
  std::size_t other = out.find("\n", out.find("http_server_requests_total{otel"));
  ASSERT_NE(first, std::string::npos);
  // Nothing but samples of that family between its first and last sample.
  for (std::size_t p = first; p < last; p = out.find('\n', p) + 1) {
    EXPECT_EQ(out.compare(p, 27, "http_server_requests_total{"), 0) << out.substr(p, 60);
  }
  (void)other;
}

}  // namespace
}  // namespace adminara::obs::prometheus
