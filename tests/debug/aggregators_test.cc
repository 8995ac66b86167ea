// The debug pages' aggregators without threads or HTTP: tracez buckets, samples and kept traces,
// running-span counts, the metric history and its percentiles, HTML escaping, the job registry.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "adminara/obs.h"
#include "debug/html.h"
#include "debug/job_registry.h"
#include "debug/metric_history.h"
#include "debug/tracez.h"

namespace adminara::obs::debug {
namespace {

using nlohmann::json;

constexpr std::uint64_t kUs = 1000;
constexpr std::uint64_t kMs = 1000 * kUs;
constexpr std::uint64_t kSec = 1000 * kMs;
constexpr std::uint64_t kT0 = 1'700'000'000ULL * kSec;  // a Unix time in ns

TraceId trace_id(std::uint8_t n) {
  TraceId id;
  id.bytes[15] = n;
  return id;
}

SpanId span_id(std::uint8_t n) {
  SpanId id;
  id.bytes[7] = n;
  return id;
}

// A finished span: `start` and `duration` in ns.
SpanData span(std::string name, std::uint8_t trace, std::uint8_t id, std::uint64_t start,
              std::uint64_t duration, std::uint8_t parent = 0) {
  SpanData s;
  s.name = std::move(name);
  s.context = SpanContext(trace_id(trace), span_id(id), TraceFlags{TraceFlags::kSampled}, false);
  if (parent != 0) s.parent_span_id = span_id(parent);
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = start + duration;
  return s;
}

void feed(TraceZ& z, const std::vector<SpanData>& spans) {
  std::vector<const SpanData*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  EXPECT_EQ(z.export_spans(ptrs), ExportResult::kSuccess);
}

const json* row(const json& summary, std::string_view name) {
  for (const auto& r : summary["spans"]) {
    if (r["name"] == name) return &r;
  }
  return nullptr;
}

TEST(LatencyBuckets, OpenCensusBoundaries) {
  EXPECT_EQ(latency_bucket(0), 0u);
  EXPECT_EQ(latency_bucket(10 * kUs - 1), 0u);
  EXPECT_EQ(latency_bucket(10 * kUs), 1u);
  EXPECT_EQ(latency_bucket(100 * kUs - 1), 1u);
  EXPECT_EQ(latency_bucket(100 * kUs), 2u);
  EXPECT_EQ(latency_bucket(1 * kMs), 3u);
  EXPECT_EQ(latency_bucket(10 * kMs), 4u);
  EXPECT_EQ(latency_bucket(100 * kMs), 5u);
  EXPECT_EQ(latency_bucket(1 * kSec), 6u);
  EXPECT_EQ(latency_bucket(10 * kSec), 7u);
  EXPECT_EQ(latency_bucket(100 * kSec - 1), 7u);
  EXPECT_EQ(latency_bucket(100 * kSec), 8u);
  EXPECT_EQ(latency_bucket(~std::uint64_t{0}), 8u);
  EXPECT_EQ(latency_bucket_label(0), "[0, 10µs)");
  EXPECT_EQ(latency_bucket_label(8), "[100s, ∞)");
  EXPECT_EQ(latency_bucket_label(kErrorSamples), "errors");
}

TEST(TraceZ, CountsPerNameBucketAndErrors) {
  TraceZ z;
  SpanData failed = span("db.query", 3, 3, kT0, 50 * kMs);
  failed.status = {StatusCode::kError, "timeout"};
  feed(z, {span("db.query", 1, 1, kT0, 5 * kUs), span("db.query", 2, 2, kT0, 2 * kMs), failed,
           span("GET /api/queue", 4, 4, kT0, 150 * kMs)});
  const json summary = json::parse(z.summary_json({}));
  ASSERT_EQ(summary["buckets"].size(), kLatencyBuckets);
  const json* db = row(summary, "db.query");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ((*db)["latency"], json({1, 0, 0, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ((*db)["errors"], 1);  // an error is not in a latency bucket
  const json* get = row(summary, "GET /api/queue");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ((*get)["latency"][5], 1);
  EXPECT_EQ(summary["stats"]["spans_seen"], 4);
  // Sorted by name.
  EXPECT_EQ(summary["spans"][0]["name"], "GET /api/queue");
}

TEST(TraceZ, RunningCountsJoinTheRows) {
  TraceZ z;
  feed(z, {span("ended", 1, 1, kT0, kMs)});
  const json summary =
      json::parse(z.summary_json({{"ended", 2}, {"only.running", 1}, {"idle.never.ended", 0}}));
  EXPECT_EQ((*row(summary, "ended"))["running"], 2);
  const json* running = row(summary, "only.running");
  ASSERT_NE(running, nullptr);
  EXPECT_EQ((*running)["running"], 1);
  EXPECT_EQ((*running)["latency"][0], 0);
  EXPECT_EQ(row(summary, "idle.never.ended"), nullptr);  // nothing to show
}

TEST(TraceZ, KeepsTheLastSamplesPerBucketNewestFirst) {
  TraceZ z(TraceZOptions{.samples_per_bucket = 3, .min_sample_interval_ns = 0});
  std::vector<SpanData> spans;
  for (std::uint8_t i = 1; i <= 5; ++i) spans.push_back(span("op", i, i, kT0 + i * kSec, kMs));
  feed(z, spans);
  const json samples = json::parse(z.samples_json("op", 3));
  ASSERT_EQ(samples["samples"].size(), 3u);
  EXPECT_EQ(samples["samples"][0]["span_id"], span_id(5).to_hex());
  EXPECT_EQ(samples["samples"][2]["span_id"], span_id(3).to_hex());
  EXPECT_EQ(samples["label"], "[1ms, 10ms)");
  EXPECT_TRUE(json::parse(z.samples_json("op", 0))["samples"].empty());
  EXPECT_TRUE(json::parse(z.samples_json("unknown", 3))["samples"].empty());
  // Traces of evicted samples are let go: three traces of one span each remain.
  EXPECT_EQ(z.kept_spans(), 3u);
  EXPECT_TRUE(json::parse(z.trace_json(trace_id(1)))["spans"].empty());
}

TEST(TraceZ, AFullBucketTakesANewSampleAtMostOncePerInterval) {
  TraceZ z(TraceZOptions{.samples_per_bucket = 2, .min_sample_interval_ns = kSec});
  feed(z, {span("op", 1, 1, kT0, kMs), span("op", 2, 2, kT0 + 1, kMs),
           span("op", 3, 3, kT0 + 2, kMs),  // full, and within the interval: not taken
           span("op", 4, 4, kT0 + 2 * kSec, kMs)});
  const json samples = json::parse(z.samples_json("op", 3))["samples"];
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0]["span_id"], span_id(4).to_hex());
  EXPECT_EQ(samples[1]["span_id"], span_id(2).to_hex());
  // All four are counted all the same.
  EXPECT_EQ((*row(json::parse(z.summary_json({})), "op"))["latency"][3], 4);
}

TEST(TraceZ, ASampleShowsItsTraceChildrenBeforeAndParentAfter) {
  TraceZ z(TraceZOptions{.samples_per_bucket = 1});
  // Trace 7: root 1 -> middle 2 -> leaf 3. The leaf ends first, in the same batch as the middle
  // one (the first sample of its name); the root ends in a later batch.
  feed(z, {span("leaf", 7, 3, kT0 + 2 * kMs, 10 * kUs, 2), span("unrelated", 8, 9, kT0, kMs),
           span("middle", 7, 2, kT0 + kMs, 5 * kMs, 1)});
  feed(z, {span("root", 7, 1, kT0, 10 * kMs)});
  const json trace = json::parse(z.trace_json(trace_id(7)));
  ASSERT_EQ(trace["spans"].size(), 3u);
  // Ordered by start time, with parents.
  EXPECT_EQ(trace["spans"][0]["name"], "root");
  EXPECT_EQ(trace["spans"][1]["name"], "middle");
  EXPECT_EQ(trace["spans"][1]["parent_span_id"], span_id(1).to_hex());
  EXPECT_EQ(trace["spans"][2]["name"], "leaf");
  EXPECT_FALSE(trace["spans"][0].contains("parent_span_id"));
  EXPECT_EQ(trace["trace_id"], trace_id(7).to_hex());
  // The unrelated span's own trace is kept (it is a sample); nothing else was copied.
  EXPECT_EQ(z.kept_spans(), 4u);
}

TEST(TraceZ, SpanFieldsInTheJson) {
  TraceZ z;
  SpanData s = span("<script>alert(1)</script>", 1, 1, kT0, 1500 * kUs);
  s.attributes = {{"user.id", "42"}, {"http.response.status_code", 200}, {"ok", true}};
  s.events.push_back(SpanEvent{.name = "retry", .time_unix_nano = kT0 + kMs, .attributes = {}});
  s.status = {StatusCode::kError, "it \"broke\""};
  s.kind = SpanKind::kServer;
  feed(z, {s});
  const json out = json::parse(z.samples_json("<script>alert(1)</script>", kErrorSamples));
  ASSERT_EQ(out["samples"].size(), 1u);
  const json& j = out["samples"][0];
  EXPECT_EQ(j["name"], "<script>alert(1)</script>");  // data; the page inserts it as text
  EXPECT_EQ(j["kind"], "server");
  EXPECT_EQ(j["status"]["code"], "error");
  EXPECT_EQ(j["status"]["description"], "it \"broke\"");
  EXPECT_DOUBLE_EQ(j["duration_us"].get<double>(), 1500.0);
  EXPECT_DOUBLE_EQ(j["start_us"].get<double>(), static_cast<double>(kT0 / 1000));
  ASSERT_EQ(j["attributes"].size(), 3u);
  EXPECT_EQ(j["attributes"][1]["value"], 200);
  EXPECT_EQ(j["attributes"][2]["value"], true);
  EXPECT_EQ(j["events"][0]["name"], "retry");
}

TEST(TraceZ, NamesAndKeptSpansAreBoundedAndDropsCounted) {
  TraceZ z(TraceZOptions{.max_span_names = 2, .max_trace_spans = 2, .max_kept_spans = 100});
  feed(z, {span("a", 1, 1, kT0, kMs), span("b", 2, 2, kT0, kMs), span("c", 3, 3, kT0, kMs)});
  const json summary = json::parse(z.summary_json({}));
  EXPECT_EQ(summary["spans"].size(), 2u);
  EXPECT_EQ(summary["stats"]["names_dropped"], 1);
  // Trace 1 (sampled through "a") takes at most 2 spans.
  feed(z, {span("x", 1, 4, kT0, kMs, 1), span("x", 1, 5, kT0, kMs, 1)});
  EXPECT_EQ(json::parse(z.trace_json(trace_id(1)))["spans"].size(), 2u);
  EXPECT_GE(z.stats().trace_spans_dropped, 1u);
}

TEST(RunningSpans, CountsPerNameUntilEnd) {
  TracerProvider p(
      TracerProviderOptions{.processor = ProcessorKind::kSimple, .count_running_spans = true});
  Tracer t = p.get_tracer("test");
  Span a1 = t.start_span("a");
  Span a2 = t.start_span("a");
  Span b = t.start_span("b");
  b.update_name("renamed");  // counted under the name it started with
  auto count = [&](std::string_view name) -> std::int64_t {
    for (const auto& r : p.running_spans()) {
      if (r.name == name) return static_cast<std::int64_t>(r.running);
    }
    return -1;
  };
  EXPECT_EQ(count("a"), 2);
  EXPECT_EQ(count("b"), 1);
  a1.end();
  b.end();
  EXPECT_EQ(count("a"), 1);
  EXPECT_EQ(count("b"), 0);
  EXPECT_EQ(count("renamed"), -1);
  a2.end();
  EXPECT_EQ(count("a"), 0);
}

TEST(RunningSpans, OffByDefault) {
  TracerProvider p(TracerProviderOptions{.processor = ProcessorKind::kSimple});
  Span s = p.get_tracer("test").start_span("a");
  EXPECT_TRUE(p.running_spans().empty());
}

// --- metric history ------------------------------------------------------------------------

TEST(HistogramQuantile, InterpolatesInsideTheBucket) {
  const std::vector<double> bounds = {10, 20, 40};
  // 10 values in (0,10], 10 in (10,20], none in (20,40], 0 above.
  EXPECT_DOUBLE_EQ(histogram_quantile(0.5, bounds, {10, 10, 0, 0}), 10.0);
  EXPECT_DOUBLE_EQ(histogram_quantile(0.25, bounds, {10, 10, 0, 0}), 5.0);
  EXPECT_DOUBLE_EQ(histogram_quantile(0.75, bounds, {10, 10, 0, 0}), 15.0);
  EXPECT_DOUBLE_EQ(histogram_quantile(1.0, bounds, {10, 10, 0, 0}), 20.0);
  // The rank in the +Inf bucket: the last bound.
  EXPECT_DOUBLE_EQ(histogram_quantile(0.99, bounds, {1, 0, 0, 99}), 40.0);
  // Negative first bound: the first bucket starts at it.
  EXPECT_DOUBLE_EQ(histogram_quantile(0.5, {-10, 0}, {4, 0, 0}), -10.0);
}

TEST(HistogramQuantile, NoDataOrBadInputIsNaN) {
  EXPECT_TRUE(std::isnan(histogram_quantile(0.5, {1, 2}, {0, 0, 0})));
  EXPECT_TRUE(std::isnan(histogram_quantile(0.5, {1, 2}, {1, 1})));  // size mismatch
  EXPECT_TRUE(std::isnan(histogram_quantile(NAN, {1, 2}, {1, 1, 1})));
  EXPECT_DOUBLE_EQ(histogram_quantile(7, {10}, {2, 0}), 10.0);  // q clamped to 1
}

// The history's metric `name` from its JSON.
json metric(const MetricHistory& h, std::string_view name) {
  const json all = json::parse(h.json(5000));
  for (const auto& m : all["metrics"]) {
    if (m["name"] == name) return m;
  }
  return json();
}

TEST(MetricHistory, PercentilesPerIntervalRatesAndValues) {
  MeterProvider meters;
  Meter m = meters.get_meter("test");
  Histogram latency =
      m.create_histogram("webrtc_connection_time", {.unit = "ms", .boundaries = {100, 200, 400}});
  Counter requests = m.create_counter("requests");
  UpDownCounter depth = m.create_up_down_counter("depth");
  MetricHistory h;
  latency.record(50);
  requests.add(10, {{"route", "/a"}});
  depth.add(3);
  h.add(meters.collect(), 1000);                     // the first sample is the baseline for deltas
  for (int i = 0; i < 10; ++i) latency.record(150);  // this interval: all in (100, 200]
  requests.add(20, {{"route", "/a"}});
  depth.add(2);
  h.add(meters.collect(), 3000);
  h.add(meters.collect(), 5000);  // an interval without values

  const json w = metric(h, "webrtc_connection_time");
  EXPECT_EQ(w["kind"], "histogram");
  EXPECT_EQ(w["columns"], json({"time", "p50", "p95", "p99", "count"}));
  ASSERT_EQ(w["series"].size(), 1u);
  const json& pts = w["series"][0]["points"];
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0][0], 3000);
  EXPECT_DOUBLE_EQ(pts[0][1].get<double>(), 150.0);  // p50 of 10 values in (100, 200]
  EXPECT_DOUBLE_EQ(pts[0][2].get<double>(), 195.0);
  EXPECT_EQ(pts[0][4], 10);
  EXPECT_TRUE(pts[1][1].is_null());  // no values: no percentile, not 0
  EXPECT_EQ(pts[1][4], 0);

  const json r = metric(h, "requests");
  EXPECT_EQ(r["kind"], "counter");
  ASSERT_EQ(r["series"].size(), 1u);
  EXPECT_EQ(r["series"][0]["attributes"], "route=/a");
  EXPECT_DOUBLE_EQ(r["series"][0]["points"][0][1].get<double>(), 10.0);  // 20 in 2 s
  EXPECT_DOUBLE_EQ(r["series"][0]["points"][1][1].get<double>(), 0.0);

  const json d = metric(h, "depth");
  EXPECT_EQ(d["kind"], "gauge");
  EXPECT_EQ(d["series"][0]["points"].size(), 3u);
  EXPECT_DOUBLE_EQ(d["series"][0]["points"][1][1].get<double>(), 5.0);
}

TEST(MetricHistory, TheAdminAraMetricsComeFirst) {
  MeterProvider meters;
  Meter m = meters.get_meter("test");
  m.create_counter("aaa_first_by_name").add(1);
  AdminAraMetrics a = create_metrics(m);
  a.active_spans.add(1);
  a.job_processing_time.record(1);
  a.queue_wait_time.record(1);
  a.webrtc_connection_time.record(1);
  MetricHistory h;
  h.add(meters.collect(), 1000);
  const json all = json::parse(h.json(5000));
  ASSERT_GE(all["metrics"].size(), 5u);
  EXPECT_EQ(all["metrics"][0]["name"], "webrtc_connection_time");
  EXPECT_EQ(all["metrics"][1]["name"], "queue_wait_time");
  EXPECT_EQ(all["metrics"][2]["name"], "job_processing_time");
  EXPECT_EQ(all["metrics"][3]["name"], "active_spans");
  EXPECT_EQ(all["metrics"][4]["name"], "aaa_first_by_name");
  EXPECT_EQ(all["interval_ms"], 5000);
}

TEST(MetricHistory, PointsAndSeriesAreBounded) {
  MeterProvider meters;
  Meter m = meters.get_meter("test");
  UpDownCounter g = m.create_up_down_counter("g");
  for (int i = 0; i < 5; ++i) g.add(1, {{"k", i}});
  MetricHistory h(MetricHistoryOptions{.points = 3, .max_series = 2});
  for (int t = 1; t <= 10; ++t) h.add(meters.collect(), t * 1000);
  const json g_json = metric(h, "g");
  ASSERT_EQ(g_json["series"].size(), 2u);
  EXPECT_EQ(g_json["series"][0]["points"].size(), 3u);
  EXPECT_EQ(g_json["series"][0]["points"][0][0], 8000);  // the oldest went
  EXPECT_EQ(h.series_dropped(), 3u * 10u);               // 3 series' samples, 10 times
}

TEST(MetricHistory, ACounterResetCountsFromZero) {
  MetricHistory h;
  auto data = [](double v) {
    MetricData d;
    d.descriptor = {.name = "c", .kind = InstrumentKind::kCounter};
    d.monotonic = true;
    PointData& p = d.points.emplace_back();
    p.attributes = std::make_shared<AttributeSet>();
    std::get<SumPoint>(p.value).value = v;  // SumPoint is the variant's first alternative
    return std::vector<MetricData>{d};
  };
  h.add(data(100), 1000);
  h.add(data(4), 2000);  // the process behind it restarted
  EXPECT_DOUBLE_EQ(metric(h, "c")["series"][0]["points"][0][1].get<double>(), 4.0);
}

// --- HTML ----------------------------------------------------------------------------------

TEST(Html, EscapesMarkupAndQuotes) {
  EXPECT_EQ(html_escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;");
  EXPECT_EQ(html_escape("plain ünïcode"), "plain ünïcode");
  EXPECT_EQ(html_escape(""), "");
}

TEST(Html, PageShellEscapesTheServiceName) {
  const std::string html = render_page("tracez", "<img src=x onerror=alert(1)>");
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("data-page=\"tracez\""), std::string::npos);
  EXPECT_NE(html.find("aria-current=\"page\">Traces</a>"), std::string::npos);
  EXPECT_EQ(html.find("{{"), std::string::npos);  // every placeholder filled
  EXPECT_NE(html.find("<script src=\"/debug/assets/app.js\""), std::string::npos);
  // The page id is escaped too (it only ever comes from the fixed list).
  EXPECT_NE(render_page("\"><b>", "s").find("data-page=\"&quot;&gt;&lt;b&gt;\""),
            std::string::npos);
}

// --- job registry ------------------------------------------------------------------------

TEST(JobRegistry, QueuesOncePerKeyWorkersAndUnregistering) {
  JobRegistry r;
  int key = 0;
  auto write_queue = [](std::string name) {
    return
        [name](common::JsonWriter& w) { w.begin_object().key("name").string(name).end_object(); };
  };
  {
    JobRegistry::Handle q1 = r.add_queue(&key, write_queue("q"));
    JobRegistry::Handle q2 = r.add_queue(&key, write_queue("q"));
    JobRegistry::Handle w1 = r.add_worker(
        [](common::JsonWriter& w) { w.begin_object().key("id").string("w1").end_object(); });
    JobRegistry::Handle broken =
        r.add_worker([](common::JsonWriter&) { throw std::runtime_error("backend down"); });
    JobRegistry::Handle gone = r.add_worker([](common::JsonWriter&) {});
    const json j = json::parse(r.json());
    ASSERT_EQ(j["queues"].size(), 1u);
    EXPECT_EQ(j["queues"][0]["name"], "q");
    ASSERT_EQ(j["workers"].size(), 2u);
    EXPECT_EQ(j["workers"][0]["id"], "w1");
    EXPECT_EQ(j["workers"][1]["error"], "backend down");
    EXPECT_EQ(r.size(), 5u);
    JobRegistry::Handle moved = std::move(q1);
    EXPECT_EQ(r.size(), 5u);
  }
  EXPECT_EQ(r.size(), 0u);
  EXPECT_TRUE(json::parse(r.json())["queues"].empty());
}

TEST(JobRegistry, FailuresOnlyWhileGatheringAndBounded) {
  JobRegistry r;
  r.record_failure({.queue = "q", .job_id = "1", .reason = "ignored"});
  EXPECT_TRUE(json::parse(r.json())["failures"].empty());
  r.set_gathering(true);
  for (int i = 0; i < static_cast<int>(JobRegistry::kMaxFailures) + 5; ++i) {
    r.record_failure({.queue = "q",
                      .job_id = std::to_string(i),
                      .reason = "<b>boom</b>",
                      .attempt = 1,
                      .attempts = 3});
  }
  const json j = json::parse(r.json());
  ASSERT_EQ(j["failures"].size(), JobRegistry::kMaxFailures);
  EXPECT_EQ(j["failures"][0]["job_id"], std::to_string(JobRegistry::kMaxFailures + 4));  // newest
  EXPECT_EQ(j["failures"][0]["reason"], "<b>boom</b>");
  EXPECT_EQ(j["stats"]["failures_recorded"], JobRegistry::kMaxFailures + 5);
}

}  // namespace
}  // namespace adminara::obs::debug
