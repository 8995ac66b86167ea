// The OTLP exporters against the test receiver on a free loopback port: what arrives (path,
// headers, both encodings, gzip), the failure rules (connection refused, 503 + Retry-After, 429,
// 400 and 500 not retried, partial success, hanging past the timeout, closing mid-response), the
// batch pipeline while the collector hangs (the application keeps going, drops are exact, queued
// spans arrive after recovery), the metric reader (cumulative and delta), and init/shutdown.
// Labelled `concurrency`: the receiver, the processor and the reader run threads.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "adminara/obs/observability.h"
#include "export/otlp/metric_reader.h"
#include "export/otlp/span_exporter.h"
#include "tests/export/otlp_receiver.h"

namespace adminara::obs {
namespace {

namespace pb = adminara::otlp;
using testing::OtlpReceiver;
using testing::ScriptedAnswer;
using namespace std::chrono_literals;

config::OtlpExporterConfig config_for(const OtlpReceiver& r,
                                      const std::string& path = "/v1/traces") {
  config::OtlpExporterConfig c;
  c.endpoint = *config::parse_otlp_endpoint(r.base_url() + path, nullptr);
  c.timeout = 10s;
  return c;
}

// Fast retries so fault tests take milliseconds.
constexpr otlp::RetryPolicy kFastRetry{
    .max_attempts = 4, .initial_backoff = 1ms, .max_backoff = 5ms, .multiplier = 2};

struct Spans {
  Resource resource{std::vector<KeyValue>{{"service.name", "svc"}}};
  InstrumentationScope scope{"test", "1"};
  std::vector<SpanData> data;
  explicit Spans(std::size_t n) : data(n) {
    for (std::size_t i = 0; i < n; ++i) {
      data[i].name = "span-" + std::to_string(i);
      TraceId t;
      t.bytes[0] = 1;
      SpanId s;
      s.bytes[7] = static_cast<std::uint8_t>(i + 1);
      data[i].context = SpanContext(t, s, TraceFlags{1}, false);
      data[i].start_time_unix_nano = 1000 + i;
      data[i].end_time_unix_nano = 2000 + i;
      data[i].attributes = {{"i", static_cast<std::int64_t>(i)}};
      data[i].resource = &resource;
      data[i].scope = &scope;
    }
  }
  std::vector<const SpanData*> views() const {
    std::vector<const SpanData*> v;
    for (const auto& s : data) v.push_back(&s);
    return v;
  }
};

TEST(OtlpExport, SpansArriveAsProtobufWithHeaders) {
  OtlpReceiver receiver;
  auto config = config_for(receiver);
  config.headers = {{"x-api-key", "s3cret value"}, {"X-Tenant", "acme"}};
  otlp::OtlpStats stats;
  otlp::OtlpHttpSpanExporter exporter(config, stats, kFastRetry);
  Spans spans(3);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kSuccess);
  ASSERT_EQ(receiver.request_count(), 1u);
  const auto r = receiver.requests()[0];
  EXPECT_EQ(r.path, "/v1/traces");
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  EXPECT_EQ(r.headers.at("x-api-key"), "s3cret value");
  EXPECT_EQ(r.headers.at("x-tenant"), "acme");
  EXPECT_THAT(r.headers.at("user-agent"), ::testing::StartsWith("OTel-OTLP-Exporter-Cpp/"));
  ASSERT_TRUE(r.traces) << r.decode_error;
  const auto& out = r.traces->resource_spans(0).scope_spans(0).spans();
  ASSERT_EQ(out.size(), 3);
  EXPECT_EQ(out[2].name(), "span-2");
  EXPECT_EQ(stats.requests.load(), 1u);
  EXPECT_EQ(stats.export_failures.load(), 0u);
}

TEST(OtlpExport, JsonWithGzip) {
  OtlpReceiver receiver;
  auto config = config_for(receiver, "/custom/path");
  config.protocol = config::OtlpProtocol::kHttpJson;
  config.gzip = true;
  otlp::OtlpStats stats;
  otlp::OtlpHttpSpanExporter exporter(config, stats, kFastRetry);
  Spans spans(2);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kSuccess);
  const auto r = receiver.requests().at(0);
  EXPECT_EQ(r.path, "/custom/path");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.content_encoding, "gzip");
  ASSERT_TRUE(r.traces) << r.decode_error;  // the server decompressed it
  EXPECT_EQ(r.traces->resource_spans(0).scope_spans(0).spans(1).name(), "span-1");
}

TEST(OtlpExport, ConnectionRefusedIsRetriedThenCounted) {
  int port = 0;
  {
    OtlpReceiver gone;  // take a free port, then close it
    port = gone.port();
  }
  config::OtlpExporterConfig config;
  config.endpoint = *config::parse_otlp_endpoint(
      "http://127.0.0.1:" + std::to_string(port) + "/v1/traces", nullptr);
  config.timeout = 10s;
  otlp::OtlpStats stats;
  otlp::OtlpHttpSpanExporter exporter(config, stats, kFastRetry);
  Spans spans(1);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kFailure);
  EXPECT_EQ(stats.requests.load(), 4u);  // all attempts of the policy
  EXPECT_EQ(stats.retries.load(), 3u);
  EXPECT_EQ(stats.export_failures.load(), 1u);
}

TEST(OtlpExport, RetryAfterIsHonoured) {
  OtlpReceiver receiver;
  receiver.script({{.status = 503, .retry_after = "1"}});
  otlp::OtlpStats stats;
  otlp::OtlpHttpSpanExporter exporter(config_for(receiver), stats, kFastRetry);
  Spans spans(1);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kSuccess);
  const auto reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 2u);
  // The client waited as told (one second), not its own 1 ms backoff.
  EXPECT_GE(reqs[1].at - reqs[0].at, 900ms);
  EXPECT_EQ(stats.retries.load(), 1u);
}

TEST(OtlpExport, RetryAfterLongerThanTheTimeoutGivesUp) {
  OtlpReceiver receiver;
  receiver.script({{.status = 429, .retry_after = "3600"}});
  otlp::OtlpStats stats;
  auto config = config_for(receiver);
  config.timeout = 2s;
  otlp::OtlpHttpSpanExporter exporter(config, stats, kFastRetry);
  Spans spans(1);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kFailure);
  EXPECT_EQ(receiver.request_count(), 1u);
  EXPECT_EQ(stats.export_failures.load(), 1u);
}

TEST(OtlpExport, ThrottlingAndGatewayErrorsAreRetried) {
  OtlpReceiver receiver;
  receiver.script({{.status = 429}, {.status = 502}, {.status = 504}});
  otlp::OtlpStats stats;
  otlp::OtlpHttpSpanExporter exporter(config_for(receiver), stats, kFastRetry);
  Spans spans(1);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kSuccess);
  EXPECT_EQ(receiver.request_count(), 4u);
  EXPECT_EQ(stats.retries.load(), 3u);
}

TEST(OtlpExport, BadRequestAndOtherErrorsAreNotRetried) {
  for (int status : {400, 401, 404, 413, 500}) {
    OtlpReceiver receiver;
    pb::RpcStatus body;
    body.set_message("bad span");
    receiver.script({{.status = status, .body = body.SerializeAsString()}});
    otlp::OtlpStats stats;
    otlp::OtlpHttpSpanExporter exporter(config_for(receiver), stats, kFastRetry);
    Spans spans(1);
    EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kFailure) << status;
    EXPECT_EQ(receiver.request_count(), 1u) << status;
    EXPECT_EQ(stats.export_failures.load(), 1u);
  }
}

TEST(OtlpExport, PartialSuccessIsCountedNotRetried) {
  OtlpReceiver receiver;
  pb::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_spans(2);
  resp.mutable_partial_success()->set_error_message("spans too old");
  receiver.script({{.status = 200, .body = resp.SerializeAsString()}});
  otlp::OtlpStats stats;
  otlp::OtlpHttpSpanExporter exporter(config_for(receiver), stats, kFastRetry);
  Spans spans(3);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kSuccess);
  EXPECT_EQ(receiver.request_count(), 1u);
  EXPECT_EQ(stats.rejected.load(), 2u);
}

TEST(OtlpExport, HangingReceiverEndsAtTheTimeout) {
  OtlpReceiver receiver;
  receiver.set_default({.hang = true});
  auto config = config_for(receiver);
  config.timeout = 300ms;
  otlp::OtlpStats stats;
  otlp::OtlpHttpSpanExporter exporter(config, stats, kFastRetry);
  Spans spans(1);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kFailure);  // it returns
  EXPECT_TRUE(receiver.wait_for_requests(1));
  EXPECT_EQ(stats.export_failures.load(), 1u);
  receiver.release_hangs();
}

// A server that closes the first connection in the middle of its response, then answers 200.
class ClosingServer {
 public:
  ClosingServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 8);
    thread_ = std::thread([this] {
      for (int i = 0; i < 2; ++i) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        // Counted before answering: the client may see the answer before a later count.
        connections_.fetch_add(1);
        read_request(c);
        const std::string answer = i == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"
                                          : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        (void)!write(c, answer.data(), answer.size());
        close(c);
      }
    });
  }
  ~ClosingServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  static void read_request(int c) {
    std::string data;
    char buf[4096];
    std::size_t need = std::string::npos;
    while (need == std::string::npos || data.size() < need) {
      const ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
      const auto end = data.find("\r\n\r\n");
      if (end != std::string::npos && need == std::string::npos) {
        std::size_t length = 0;
        const auto cl = data.find("Content-Length: ");
        if (cl != std::string::npos) length = std::stoul(data.substr(cl + 16));
        need = end + 4 + length;
      }
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST(OtlpExport, ConnectionClosedMidResponseIsRetried) {
  ClosingServer server;
  config::OtlpExporterConfig config;
  config.endpoint = *config::parse_otlp_endpoint(
      "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/traces", nullptr);
  config.timeout = 10s;
  otlp::OtlpStats stats;
  otlp::OtlpHttpSpanExporter exporter(config, stats, kFastRetry);
  Spans spans(1);
  EXPECT_EQ(exporter.export_spans(spans.views()), ExportResult::kSuccess);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(stats.retries.load(), 1u);
}

// --- the batch pipeline ----------------------------------------------------------------------

TEST(OtlpPipeline, ApplicationKeepsRecordingWhileTheCollectorHangsAndDropsAreExact) {
  OtlpReceiver receiver;
  receiver.set_default({.hang = true});
  otlp::OtlpStats stats;
  auto config = config_for(receiver);
  config.timeout = 60s;  // the hang ends by release, not by the timeout
  auto exporter = std::make_shared<otlp::OtlpHttpSpanExporter>(config, stats, kFastRetry);
  constexpr std::uint32_t kQueue = 64;
  TracerProvider provider(TracerProviderOptions{
      .sampler = always_on_sampler(),
      .exporters = {exporter},
      .batch = {.schedule_delay = 5ms, .max_queue_size = kQueue, .max_export_batch_size = 16},
  });
  Tracer tracer = provider.get_tracer("pipeline");
  tracer.start_span("first").end();
  // The worker is now inside an export that does not return while the receiver hangs.
  while (receiver.hanging() == 0) std::this_thread::sleep_for(1ms);

  // The application thread keeps ending spans: every call returns (progress, not a time limit),
  // while the only export in flight is still blocked.
  constexpr int kMore = 1000;
  for (int i = 0; i < kMore; ++i) tracer.start_span("more").end();
  EXPECT_EQ(receiver.hanging(), 1u);
  TracerStats st = provider.stats();
  EXPECT_EQ(st.spans_ended, kMore + 1u);
  // The queue holds kQueue spans, the one in flight included; the rest were dropped.
  EXPECT_EQ(st.spans_dropped, kMore + 1u - kQueue);
  EXPECT_EQ(st.spans_exported, 0u);

  // The collector recovers: everything queued arrives.
  receiver.set_default({});
  receiver.release_hangs();
  EXPECT_TRUE(provider.force_flush(std::chrono::milliseconds(20000)));
  EXPECT_EQ(receiver.span_count(), kQueue);
  st = provider.stats();
  EXPECT_EQ(st.spans_exported, kQueue);
  EXPECT_EQ(st.spans_failed, 0u);
  EXPECT_EQ(st.spans_dropped, kMore + 1u - kQueue);
  provider.shutdown();
}

TEST(OtlpPipeline, FailedExportsAreCountedAsFailedSpans) {
  OtlpReceiver receiver;
  receiver.set_default({.status = 400});
  otlp::OtlpStats stats;
  auto exporter =
      std::make_shared<otlp::OtlpHttpSpanExporter>(config_for(receiver), stats, kFastRetry);
  TracerProvider provider(TracerProviderOptions{
      .sampler = always_on_sampler(),
      .exporters = {exporter},
      .batch = {.schedule_delay = 5ms, .max_queue_size = 256, .max_export_batch_size = 16},
  });
  Tracer tracer = provider.get_tracer("pipeline");
  for (int i = 0; i < 40; ++i) tracer.start_span("s").end();
  EXPECT_TRUE(provider.force_flush());
  const TracerStats st = provider.stats();
  EXPECT_EQ(st.spans_failed, 40u);
  EXPECT_EQ(st.spans_exported, 0u);
  EXPECT_EQ(stats.export_failures.load(), receiver.request_count());
  provider.shutdown();
}

// --- the metric reader -------------------------------------------------------------------------

const pb::Metric* find_metric(const pb::ExportMetricsServiceRequest& req, const std::string& name) {
  for (const auto& rm : req.resource_metrics()) {
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) {
        if (m.name() == name) return &m;
      }
    }
  }
  return nullptr;
}

struct ReaderResult {
  std::vector<testing::ReceivedRequest> requests;
};

ReaderResult run_reader(config::TemporalityPreference temporality, config::OtlpProtocol protocol) {
  OtlpReceiver receiver;
  MeterProvider meters(MeterProviderOptions{
      .resource = Resource(std::vector<KeyValue>{{"service.name", "reader-test"}}),
      .exemplar_filter = ExemplarFilter::kAlwaysOff});
  Meter meter = meters.get_meter("reader", "2");
  Counter counter = meter.create_counter("jobs_done", {.description = "Jobs", .unit = "1"});
  UpDownCounter updown = meter.create_up_down_counter("in_flight");
  Histogram hist = meter.create_histogram("wait", {.unit = "ms"});
  otlp::OtlpStats stats;
  auto exporter = config_for(receiver, "/v1/metrics");
  exporter.protocol = protocol;
  config::OtlpMetricReaderConfig rc;
  rc.interval = std::chrono::hours(1);  // exports only when flushed
  rc.temporality = temporality;
  otlp::OtlpMetricReader reader(meters, exporter, rc, stats, kFastRetry);
  counter.add(5, {{"queue", "a"}});
  updown.add(4);
  hist.record(3);
  hist.record(30);
  EXPECT_TRUE(reader.force_flush());
  counter.add(3, {{"queue", "a"}});
  updown.add(-1);
  hist.record(7);
  EXPECT_TRUE(reader.force_flush());
  reader.shutdown(5s);  // one more export, nothing new
  EXPECT_EQ(stats.points_dropped.load(), 0u);
  EXPECT_GT(stats.points_exported.load(), 0u);
  return {receiver.requests()};
}

TEST(OtlpMetricReader, CumulativeByDefault) {
  for (auto protocol : {config::OtlpProtocol::kHttpProtobuf, config::OtlpProtocol::kHttpJson}) {
    const ReaderResult r = run_reader(config::TemporalityPreference::kCumulative, protocol);
    ASSERT_EQ(r.requests.size(), 3u);
    for (const auto& q : r.requests) ASSERT_TRUE(q.metrics) << q.decode_error;
    const auto& second = *r.requests[1].metrics;
    const pb::Metric* c = find_metric(second, "jobs_done");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->unit(), "1");
    EXPECT_EQ(c->description(), "Jobs");
    EXPECT_TRUE(c->sum().is_monotonic());
    EXPECT_EQ(c->sum().aggregation_temporality(), pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
    EXPECT_EQ(c->sum().data_points(0).as_double(), 8);
    const pb::Metric* u = find_metric(second, "in_flight");
    ASSERT_NE(u, nullptr);
    EXPECT_FALSE(u->sum().is_monotonic());
    EXPECT_EQ(u->sum().data_points(0).as_double(), 3);
    const pb::Metric* h = find_metric(second, "wait");
    ASSERT_NE(h, nullptr);
    const auto& hp = h->histogram().data_points(0);
    EXPECT_EQ(hp.count(), 3u);
    EXPECT_EQ(hp.sum(), 40);
    EXPECT_EQ(hp.min(), 3);
    EXPECT_EQ(hp.max(), 30);
    EXPECT_EQ(hp.explicit_bounds_size(), 15);  // the default boundaries
    EXPECT_EQ(hp.bucket_counts_size(), 16);
    EXPECT_EQ(hp.bucket_counts(1), 1u);  // (0, 5]: 3
    EXPECT_EQ(hp.bucket_counts(2), 1u);  // (5, 10]: 7
    EXPECT_EQ(hp.bucket_counts(4), 1u);  // (25, 50]: 30
    // The third export repeats the cumulative state.
    EXPECT_EQ(find_metric(*r.requests[2].metrics, "jobs_done")->sum().data_points(0).as_double(),
              8);
  }
}

TEST(OtlpMetricReader, DeltaReportsDifferencesAndOnlyChangedSeries) {
  for (auto protocol : {config::OtlpProtocol::kHttpProtobuf, config::OtlpProtocol::kHttpJson}) {
    const ReaderResult r = run_reader(config::TemporalityPreference::kDelta, protocol);
    ASSERT_EQ(r.requests.size(), 3u);
    for (const auto& q : r.requests) ASSERT_TRUE(q.metrics) << q.decode_error;
    const pb::Metric* c1 = find_metric(*r.requests[0].metrics, "jobs_done");
    const pb::Metric* c2 = find_metric(*r.requests[1].metrics, "jobs_done");
    ASSERT_NE(c1, nullptr);
    ASSERT_NE(c2, nullptr);
    EXPECT_EQ(c2->sum().aggregation_temporality(), pb::AGGREGATION_TEMPORALITY_DELTA);
    EXPECT_EQ(c1->sum().data_points(0).as_double(), 5);
    EXPECT_EQ(c2->sum().data_points(0).as_double(), 3);
    // Consecutive delta points: the second starts where the first ended.
    EXPECT_EQ(c2->sum().data_points(0).start_time_unix_nano(),
              c1->sum().data_points(0).time_unix_nano());
    // Up-down counters stay cumulative.
    const pb::Metric* u = find_metric(*r.requests[1].metrics, "in_flight");
    EXPECT_EQ(u->sum().aggregation_temporality(), pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
    EXPECT_EQ(u->sum().data_points(0).as_double(), 3);
    const pb::Metric* h = find_metric(*r.requests[1].metrics, "wait");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->histogram().aggregation_temporality(), pb::AGGREGATION_TEMPORALITY_DELTA);
    EXPECT_EQ(h->histogram().data_points(0).count(), 1u);
    EXPECT_EQ(h->histogram().data_points(0).sum(), 7);
    EXPECT_EQ(h->histogram().data_points(0).bucket_counts(2), 1u);
    EXPECT_EQ(h->histogram().data_points(0).bucket_counts(1), 0u);
    // Nothing changed before the third export: no counter or histogram series in it.
    EXPECT_EQ(find_metric(*r.requests[2].metrics, "jobs_done"), nullptr);
    EXPECT_EQ(find_metric(*r.requests[2].metrics, "wait"), nullptr);
  }
}

TEST(OtlpMetricReader, FailedExportsCountDroppedPoints) {
  OtlpReceiver receiver;
  receiver.set_default({.status = 400});
  MeterProvider meters;
  Counter counter = meters.get_meter("m").create_counter("c");
  counter.add(1);
  otlp::OtlpStats stats;
  config::OtlpMetricReaderConfig rc;
  rc.interval = std::chrono::hours(1);
  otlp::OtlpMetricReader reader(meters, config_for(receiver, "/v1/metrics"), rc, stats, kFastRetry);
  EXPECT_FALSE(reader.force_flush());
  EXPECT_EQ(stats.points_dropped.load(), 1u);
  EXPECT_EQ(stats.points_exported.load(), 0u);
  reader.shutdown(1s);
}

TEST(OtlpMetricReader, ExportsPeriodically) {
  OtlpReceiver receiver;
  MeterProvider meters;
  meters.get_meter("m").create_counter("c").add(1);
  otlp::OtlpStats stats;
  config::OtlpMetricReaderConfig rc;
  rc.interval = 20ms;
  otlp::OtlpMetricReader reader(meters, config_for(receiver, "/v1/metrics"), rc, stats, kFastRetry);
  EXPECT_TRUE(receiver.wait_for_requests(3));
  reader.shutdown(5s);
}

// --- through init_observability ----------------------------------------------------------------

Options options_for(const OtlpReceiver& receiver, std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> env = {
      {"OTEL_TRACES_EXPORTER", "otlp"},
      {"OTEL_METRICS_EXPORTER", "otlp"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.base_url()},
      {"OTEL_METRIC_EXPORT_INTERVAL", "3600000"},
  };
  for (auto& [k, v] : extra) env[k] = v;
  Options o;
  o.service_name = "otlp-e2e";
  o.getenv = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

TEST(OtlpInit, TracesAndMetricsReachTheCollectorAndShutdownFlushes) {
  OtlpReceiver receiver;
  Observability& obs =
      init_observability(options_for(receiver, {{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}));
  EXPECT_EQ(obs.span_exporter_names(), std::vector<std::string>{"otlp"});
  EXPECT_EQ(obs.prometheus_port(), 0);
  start_span("e2e.operation", {{"userId", "123"}}).end();
  create_metrics(get_meter()).queue_wait_time.record(12);
  shutdown();
  bool saw_span = false;
  bool saw_metric = false;
  bool saw_self_metric = false;
  for (const auto& r : receiver.requests()) {
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_TRUE(r.decode_error.empty()) << r.decode_error;
    if (r.path == "/v1/traces" && r.traces) {
      const auto& rs = r.traces->resource_spans(0);
      for (const auto& kv : rs.resource().attributes()) {
        if (kv.key() == "service.name") {
          EXPECT_EQ(kv.value().string_value(), "otlp-e2e");
        }
      }
      saw_span = saw_span || rs.scope_spans(0).spans(0).name() == "e2e.operation";
    }
    if (r.path == "/v1/metrics" && r.metrics) {
      saw_metric = saw_metric || find_metric(*r.metrics, "queue_wait_time") != nullptr;
      saw_self_metric =
          saw_self_metric || find_metric(*r.metrics, "adminara_obs_otlp_requests") != nullptr;
    }
  }
  EXPECT_TRUE(saw_span);
  EXPECT_TRUE(saw_metric);
  EXPECT_TRUE(saw_self_metric);
}

TEST(OtlpInit, PrometheusAndOtlpRunTogether) {
  OtlpReceiver receiver;
  Observability& obs =
      init_observability(options_for(receiver, {{"OTEL_METRICS_EXPORTER", "prometheus,otlp"},
                                                {"OTEL_TRACES_EXPORTER", "otlp,memory"},
                                                {"OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"},
                                                {"OTEL_EXPORTER_PROMETHEUS_PORT", "0"}}));
  EXPECT_GT(obs.prometheus_port(), 0);
  EXPECT_EQ(obs.span_exporter_names(), (std::vector<std::string>{"otlp", "memory"}));
  create_metrics(get_meter()).job_processing_time.record(5);
  start_span("both").end();
  EXPECT_NE(obs.render_metrics().find("job_processing_time_bucket"), std::string::npos);
  EXPECT_TRUE(force_flush());  // spans and metrics, synchronously
  ASSERT_NE(obs.memory_exporter(), nullptr);
  EXPECT_EQ(obs.memory_exporter()->size(), 1u);
  bool saw_metric = false;
  for (const auto& r : receiver.requests()) {
    if (r.metrics) saw_metric = saw_metric || find_metric(*r.metrics, "job_processing_time");
  }
  EXPECT_TRUE(saw_metric);
  EXPECT_EQ(receiver.span_count(), 1u);
  shutdown();
}

TEST(OtlpInit, ShutdownEndsWithinTheBatchTimeoutWhenTheCollectorHangs) {
  OtlpReceiver receiver;
  receiver.set_default({.hang = true});
  // No exporter timeout at all: only shutdown's bound can end the hanging export.
  init_observability(options_for(receiver, {{"OTEL_EXPORTER_OTLP_TIMEOUT", "0"},
                                            {"OTEL_BSP_EXPORT_TIMEOUT", "300"},
                                            {"OTEL_METRIC_EXPORT_TIMEOUT", "300"},
                                            {"OTEL_METRICS_EXPORTER", "none"}}));
  start_span("stuck").end();
  shutdown();  // returns: the test would time out otherwise
  EXPECT_TRUE(receiver.wait_for_requests(1));
  receiver.release_hangs();
}

}  // namespace
}  // namespace adminara::obs
