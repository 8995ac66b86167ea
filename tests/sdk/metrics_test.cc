// The metrics SDK: instruments, series, cardinality, validation, collection, exemplars, threads.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "adminara/obs/adminara_metrics.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/tracer.h"
#include "sdk/metrics/thread_slot.h"

namespace adminara::obs {
namespace {

const MetricData* find_metric(const std::vector<MetricData>& all, std::string_view name) {
  for (const auto& m : all) {
    if (m.descriptor.name == name) return &m;
  }
  return nullptr;
}

// The point whose attributes are exactly `attrs` (sorted by key).
const PointData* find_point(const MetricData& m, const AttributeSet& attrs) {
  for (const auto& p : m.points) {
    if (*p.attributes == attrs) return &p;
  }
  return nullptr;
}

double sum_of(const MetricData& m, const AttributeSet& attrs = {}) {
  const PointData* p = find_point(m, attrs);
  if (p == nullptr) return std::nan("");
  return std::get<SumPoint>(p->value).value;
}

const HistogramPoint& histogram_of(const MetricData& m, const AttributeSet& attrs = {}) {
  const PointData* p = find_point(m, attrs);
  EXPECT_NE(p, nullptr);
  return std::get<HistogramPoint>(p->value);
}

TEST(Metrics, CounterSumsPerAttributeSetRegardlessOfOrder) {
  MeterProvider provider;
  Counter c = provider.get_meter("test").create_counter("requests", {.description = "d"});
  c.add(1);
  c.add(2, {{"route", "/a"}, {"code", 200}});
  c.add(3, {{"code", 200}, {"route", "/a"}});    // same set, other order
  c.add(4, {{"route", "/a"}, {"code", "200"}});  // a string is another value
  c.add(5, {{"route", "/a"}, {"code", 200.0}});  // so is a double
  auto data = provider.collect();
  const MetricData* m = find_metric(data, "requests");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->monotonic);
  EXPECT_EQ(m->scope.name, "test");
  EXPECT_EQ(m->points.size(), 4u);
  EXPECT_EQ(sum_of(*m), 1);
  EXPECT_EQ(sum_of(*m, {{"code", 200}, {"route", "/a"}}), 5);
  EXPECT_EQ(sum_of(*m, {{"code", "200"}, {"route", "/a"}}), 4);
  EXPECT_EQ(sum_of(*m, {{"code", 200.0}, {"route", "/a"}}), 5);
}

TEST(Metrics, RepeatedKeyKeepsTheLastValue) {
  MeterProvider provider;
  Counter c = provider.get_meter("test").create_counter("c");
  c.add(1, {{"k", "a"}, {"k", "b"}});
  c.add(1, {{"k", "b"}});
  auto data = provider.collect();
  EXPECT_EQ(find_metric(data, "c")->points.size(), 1u);
  EXPECT_EQ(sum_of(*find_metric(data, "c"), {{"k", "b"}}), 2);
}

TEST(Metrics, InvalidCounterValuesAreRejectedAndCounted) {
  MeterProvider provider;
  Meter meter = provider.get_meter("test");
  Counter c = meter.create_counter("c");
  UpDownCounter u = meter.create_up_down_counter("u");
  Histogram h = meter.create_histogram("h");
  c.add(5);
  c.add(-1);
  c.add(std::nan(""));
  c.add(std::numeric_limits<double>::infinity());
  c.bind().add(-3);
  u.add(-2);
  u.add(std::numeric_limits<double>::infinity());
  h.record(std::nan(""));
  h.record(-5);  // negative values are fine for a histogram
  auto data = provider.collect();
  EXPECT_EQ(sum_of(*find_metric(data, "c")), 5);
  EXPECT_EQ(sum_of(*find_metric(data, "u")), -2);
  EXPECT_EQ(histogram_of(*find_metric(data, "h")).count, 1u);
  EXPECT_EQ(provider.stats().measurements_rejected, 6u);
}

TEST(Metrics, HistogramBucketsAreUpperInclusive) {
  MeterProvider provider;
  Histogram h = provider.get_meter("test").create_histogram("latency", {.unit = "ms"});
  EXPECT_EQ(h.boundaries(), default_histogram_boundaries());
  for (double v : {0.0, 5.0, 99.9, 100.0, 100.1, 234.0, 10000.0, 10000.5, -1.0}) h.record(v);
  auto data = provider.collect();
  const HistogramPoint& p = histogram_of(*find_metric(data, "latency"));
  ASSERT_EQ(p.boundaries->size(), 15u);
  ASSERT_EQ(p.bucket_counts.size(), 16u);
  // bounds: 0 5 10 25 50 75 100 250 500 750 1000 2500 5000 7500 10000
  EXPECT_EQ(p.bucket_counts[0], 2u);   // -1, 0
  EXPECT_EQ(p.bucket_counts[1], 1u);   // 5
  EXPECT_EQ(p.bucket_counts[6], 2u);   // 99.9, 100 (le="100")
  EXPECT_EQ(p.bucket_counts[7], 2u);   // 100.1, 234
  EXPECT_EQ(p.bucket_counts[14], 1u);  // 10000
  EXPECT_EQ(p.bucket_counts[15], 1u);  // 10000.5
  EXPECT_EQ(p.count, 9u);
  EXPECT_DOUBLE_EQ(p.sum, 0 + 5 + 99.9 + 100 + 100.1 + 234 + 10000 + 10000.5 - 1);
  EXPECT_EQ(p.min, -1);
  EXPECT_EQ(p.max, 10000.5);
}

TEST(Metrics, CustomBoundsAreValidated) {
  MeterProvider provider;
  Meter m = provider.get_meter("test");
  Histogram ok = m.create_histogram("ok", {.boundaries = {1, 2, 4}});
  ok.record(3);
  ok.record(4);
  ok.record(9);
  auto data = provider.collect();
  const HistogramPoint& p = histogram_of(*find_metric(data, "ok"));
  EXPECT_EQ(p.bucket_counts, (std::vector<std::uint64_t>{0, 0, 2, 1}));
  EXPECT_THROW(m.create_histogram("bad1", {.boundaries = {1, 1}}), InstrumentError);
  EXPECT_THROW(m.create_histogram("bad2", {.boundaries = {2, 1}}), InstrumentError);
  EXPECT_THROW(m.create_histogram("bad3", {.boundaries = {1, std::nan("")}}), InstrumentError);
  EXPECT_THROW(
      m.create_histogram("bad4", {.boundaries = {1, std::numeric_limits<double>::infinity()}}),
      InstrumentError);
  try {
    m.create_histogram("bad5", {.boundaries = {1, 3, 2}});
    FAIL();
  } catch (const InstrumentError& e) {
    EXPECT_NE(std::string(e.what()).find("strictly increasing"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad5"), std::string::npos) << e.what();
  }
}

TEST(Metrics, NamesFollowTheOtelRule) {
  MeterProvider provider;
  Meter m = provider.get_meter("test");
  EXPECT_NO_THROW(m.create_counter("http.server/requests-total_1"));
  EXPECT_NO_THROW(m.create_counter(std::string(255, 'a')));
  for (std::string bad :
       {std::string(""), std::string("1abc"), std::string("_x"), std::string("a b"),
        std::string("a:b"), std::string("caf\xc3\xa9"), std::string(256, 'a')}) {
    EXPECT_THROW(m.create_counter(bad), InstrumentError) << bad;
  }
  try {
    m.create_counter("bad name");
    FAIL();
  } catch (const InstrumentError& e) {
    EXPECT_NE(std::string(e.what()).find("'bad name'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ASCII letter"), std::string::npos) << e.what();
  }
}

TEST(Metrics, SameIdentityReturnsTheSameInstrumentAndConflictsThrow) {
  MeterProvider provider;
  Meter m = provider.get_meter("test");
  Counter a = m.create_counter("Jobs", {.unit = "1"});
  Counter b = m.create_counter("jobs", {.unit = "1"});  // names are case-insensitive
  a.add(1);
  b.add(2);
  auto data = provider.collect();
  EXPECT_EQ(data.size(), 1u);
  EXPECT_EQ(sum_of(*find_metric(data, "Jobs")), 3);
  EXPECT_THROW(m.create_histogram("jobs"), InstrumentError);
  EXPECT_THROW(m.create_counter("jobs", {.unit = "ms"}), InstrumentError);
  // Another meter (scope) may use the name for anything.
  EXPECT_NO_THROW(provider.get_meter("other").create_histogram("jobs"));
}

TEST(Metrics, CardinalityLimitSendsNewSetsToOverflowWithoutLosingAnything) {
  MeterProvider provider(MeterProviderOptions{.cardinality_limit = 3});
  Counter c = provider.get_meter("test").create_counter("c");
  for (int i = 0; i < 10; ++i) c.add(1, {{"i", i}});
  c.add(100, {{"i", 0}});   // an existing set keeps its own series
  c.add(1000, {{"i", 7}});  // a set past the limit goes to overflow
  auto data = provider.collect();
  const MetricData& m = *find_metric(data, "c");
  EXPECT_EQ(m.points.size(), 4u);  // 3 sets + overflow
  EXPECT_EQ(sum_of(m, {{"i", 0}}), 101);
  EXPECT_EQ(sum_of(m, {{"i", 1}}), 1);
  EXPECT_EQ(sum_of(m, {{"i", 2}}), 1);
  EXPECT_EQ(sum_of(m, {{"otel.metric.overflow", true}}), 7 + 1000);
  double total = 0;
  for (const auto& p : m.points) total += std::get<SumPoint>(p.value).value;
  EXPECT_EQ(total, 10 + 100 + 1000);
  EXPECT_EQ(provider.stats().overflow_measurements, 8u);
}

TEST(Metrics, BoundHandlesRecordIntoTheirSeries) {
  MeterProvider provider;
  Meter m = provider.get_meter("test");
  BoundCounter ok = m.create_counter("c").bind({{"route", "/ok"}});
  BoundHistogram h = m.create_histogram("h").bind({{"route", "/ok"}});
  BoundUpDownCounter u = m.create_up_down_counter("u").bind();
  for (int i = 0; i < 10; ++i) {
    ok.add(1);
    h.record(i);
    u.add(i % 2 == 0 ? 1 : -1);
  }
  m.create_counter("c").add(5, {{"route", "/ok"}});
  auto data = provider.collect();
  EXPECT_EQ(sum_of(*find_metric(data, "c"), {{"route", "/ok"}}), 15);
  EXPECT_EQ(histogram_of(*find_metric(data, "h"), {{"route", "/ok"}}).count, 10u);
  EXPECT_EQ(sum_of(*find_metric(data, "u")), 0);
}

// Binding alone makes a series exist, at 0: the way to show label sets known up front before
// their first measurement.
TEST(Metrics, BindingCreatesTheSeriesAtZero) {
  MeterProvider provider;
  Meter m = provider.get_meter("test");
  m.create_counter("c").bind({{"reason", "full"}});
  m.create_histogram("h").bind();
  auto data = provider.collect();
  ASSERT_NE(find_metric(data, "c"), nullptr);
  ASSERT_EQ(find_metric(data, "c")->points.size(), 1u);
  EXPECT_EQ(sum_of(*find_metric(data, "c"), {{"reason", "full"}}), 0);
  EXPECT_EQ(histogram_of(*find_metric(data, "h")).count, 0u);
}

TEST(Metrics, GaugeKeepsTheLastValue) {
  MeterProvider provider;
  Gauge g = provider.get_meter("test").create_gauge("temp");
  auto before = provider.collect();
  EXPECT_EQ(find_metric(before, "temp"), nullptr);  // never set: no point
  g.set(3);
  g.set(-7.5);
  g.set(1, {{"room", "a"}});
  auto data = provider.collect();
  const MetricData& m = *find_metric(data, "temp");
  EXPECT_EQ(std::get<GaugePoint>(find_point(m, {})->value).value, -7.5);
  EXPECT_EQ(std::get<GaugePoint>(find_point(m, {{"room", "a"}})->value).value, 1);
}

TEST(Metrics, ObservableCallbacksRunAtCollection) {
  MeterProvider provider;
  Meter m = provider.get_meter("test");
  std::atomic<int> calls{0};
  double total = 10;
  ObservableInstrument counter = m.create_observable_counter("bytes", [&](ObservableResult& r) {
    ++calls;
    r.observe(total, {{"dir", "in"}});
    r.observe(total * 2, {{"dir", "out"}});
  });
  ObservableInstrument gauge =
      m.create_observable_gauge("queue_depth", [](ObservableResult& r) { r.observe(4); });
  ObservableInstrument throwing =
      m.create_observable_up_down_counter("broken", [](ObservableResult& r) {
        r.observe(1);
        throw std::runtime_error("boom");
      });
  auto d1 = provider.collect();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(sum_of(*find_metric(d1, "bytes"), {{"dir", "in"}}), 10);
  EXPECT_EQ(sum_of(*find_metric(d1, "bytes"), {{"dir", "out"}}), 20);
  EXPECT_TRUE(find_metric(d1, "bytes")->monotonic);
  EXPECT_EQ(std::get<GaugePoint>(find_metric(d1, "queue_depth")->points.at(0).value).value, 4);
  EXPECT_EQ(sum_of(*find_metric(d1, "broken")), 1);  // observed before the throw: kept
  EXPECT_EQ(provider.stats().callback_errors, 1u);
  total = 15;
  auto d2 = provider.collect();
  EXPECT_EQ(sum_of(*find_metric(d2, "bytes"), {{"dir", "in"}}), 15);
  counter.remove();
  { ObservableInstrument gone = std::move(gauge); }  // the last handle: unregistered
  auto d3 = provider.collect();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(find_metric(d3, "bytes"), nullptr);
  EXPECT_EQ(find_metric(d3, "queue_depth"), nullptr);
}

TEST(Metrics, ExemplarsComeFromTheActiveSampledSpan) {
  TracerProvider tracing{TracerProviderOptions{}};
  Tracer tracer = tracing.get_tracer("t");
  MeterProvider provider;
  Meter m = provider.get_meter("test");
  Histogram h = m.create_histogram("h");
  Counter c = m.create_counter("c");
  h.record(3);  // no span: no exemplar
  c.add(1);
  Span span = tracer.start_span("op");
  {
    Scope scope = span.activate();
    h.record(234);
    h.record(240);  // same bucket: the latest wins
    c.add(2);
  }
  auto data = provider.collect();
  const HistogramPoint& p = histogram_of(*find_metric(data, "h"));
  ASSERT_EQ(p.exemplars.size(), 1u);
  EXPECT_EQ(p.exemplars[0].value, 240);
  EXPECT_EQ(p.exemplars[0].trace_id, span.context().trace_id());
  EXPECT_EQ(p.exemplars[0].span_id, span.context().span_id());
  EXPECT_GT(p.exemplars[0].time_unix_nano, 0);
  const SumPoint& s = std::get<SumPoint>(find_metric(data, "c")->points.at(0).value);
  ASSERT_EQ(s.exemplars.size(), 1u);
  EXPECT_EQ(s.exemplars[0].value, 2);
  EXPECT_EQ(s.exemplars[0].trace_id, span.context().trace_id());
}

TEST(Metrics, ExemplarFilterAlwaysOffKeepsNone) {
  TracerProvider tracing{TracerProviderOptions{}};
  MeterProvider provider(MeterProviderOptions{.exemplar_filter = ExemplarFilter::kAlwaysOff});
  Histogram h = provider.get_meter("test").create_histogram("h");
  Span span = tracing.get_tracer("t").start_span("op");
  Scope scope = span.activate();
  h.record(1);
  EXPECT_TRUE(histogram_of(*find_metric(provider.collect(), "h")).exemplars.empty());
}

TEST(Metrics, CreateMetricsGivesTheDesignsInstruments) {
  MeterProvider provider;
  AdminAraMetrics metrics = create_metrics(provider.get_meter("adminara"));
  EXPECT_EQ(metrics.webrtc_connection_time.descriptor().name, "webrtc_connection_time");
  EXPECT_EQ(metrics.webrtc_connection_time.descriptor().unit, "ms");
  EXPECT_EQ(metrics.webrtc_connection_time.descriptor().description,
            "WebRTC connection establishment time");
  EXPECT_EQ(metrics.queue_wait_time.descriptor().description, "Customer queue wait time");
  EXPECT_EQ(metrics.job_processing_time.descriptor().description, "Background job processing time");
  EXPECT_EQ(metrics.active_spans.descriptor().kind, InstrumentKind::kUpDownCounter);
  EXPECT_EQ(metrics.active_spans.descriptor().description, "Number of active tracing spans");
  metrics.webrtc_connection_time.record(234);
  AdminAraMetrics again = create_metrics(provider.get_meter("adminara"));
  again.webrtc_connection_time.record(50);
  EXPECT_EQ(histogram_of(*find_metric(provider.collect(), "webrtc_connection_time")).count, 2u);
}

TEST(Metrics, DisabledProviderAndDefaultHandlesAreNoOps) {
  MeterProvider provider(MeterProviderOptions{.enabled = false});
  Meter m = provider.get_meter("test");
  EXPECT_FALSE(m.enabled());
  m.create_counter("c").add(1);
  m.create_histogram("h").record(1);
  EXPECT_TRUE(provider.collect().empty());
  Counter none;
  none.add(1);
  none.bind().add(1);
  Histogram h;
  h.record(1);
}

TEST(Metrics, HandlesOutliveTheirProvider) {
  Counter c;
  BoundHistogram h;
  {
    MeterProvider provider;
    c = provider.get_meter("test").create_counter("c");
    h = provider.get_meter("test").create_histogram("h").bind();
  }
  c.add(1);
  h.record(1);
}

// Several threads add into one series at once (the bound and the looked-up paths) while another
// thread collects; every measurement is counted exactly once.
TEST(MetricsConcurrency, TotalsAreExactWithManyThreadsAndConcurrentCollection) {
  MeterProvider provider;
  Meter m = provider.get_meter("test");
  Counter c = m.create_counter("c");
  Histogram h = m.create_histogram("h");
  UpDownCounter u = m.create_up_down_counter("u");
  BoundCounter bound = c.bind({{"k", "v"}});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::atomic<bool> done{false};
  std::thread collector([&] {
    while (!done.load()) {
      auto d = provider.collect();
      for (const auto& md : d) {
        for (const auto& p : md.points) {
          if (const auto* hp = std::get_if<HistogramPoint>(&p.value)) {
            std::uint64_t n = 0;
            for (auto b : hp->bucket_counts) n += b;
            EXPECT_EQ(n, hp->count);
          }
        }
      }
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.add(1);
        bound.add(2);
        c.add(1, {{"thread", t % 2}});
        h.record(i % 300);
        u.add(i % 2 == 0 ? 3 : -1);
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  collector.join();
  auto data = provider.collect();
  EXPECT_EQ(sum_of(*find_metric(data, "c")), kThreads * kPerThread);
  EXPECT_EQ(sum_of(*find_metric(data, "c"), {{"k", "v"}}), 2.0 * kThreads * kPerThread);
  EXPECT_EQ(sum_of(*find_metric(data, "c"), {{"thread", 0}}), kThreads / 2 * kPerThread);
  EXPECT_EQ(sum_of(*find_metric(data, "u")), kThreads * kPerThread);
  const HistogramPoint& hp = histogram_of(*find_metric(data, "h"));
  EXPECT_EQ(hp.count, static_cast<std::uint64_t>(kThreads * kPerThread));
  double expected_sum = 0;
  for (int i = 0; i < kPerThread; ++i) expected_sum += i % 300;
  EXPECT_EQ(hp.sum, expected_sum * kThreads);
}

// Threads come and go (their slots are reused by later threads); nothing is lost.
TEST(MetricsConcurrency, ShortLivedThreadsReuseSlotsWithoutLosingCounts) {
  MeterProvider provider;
  Counter c = provider.get_meter("test").create_counter("c");
  const int slots_before = sdk::thread_slots_in_use();
  for (int round = 0; round < 20; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) c.add(1, {{"r", round % 4}});
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(sdk::thread_slots_in_use(), slots_before);
  auto data = provider.collect();
  double total = 0;
  for (const auto& p : find_metric(data, "c")->points) total += std::get<SumPoint>(p.value).value;
  EXPECT_EQ(total, 20 * 3 * 1000);
}

// New series are created by several threads at once, past the cardinality limit.
TEST(MetricsConcurrency, ConcurrentSeriesCreationRespectsTheLimit) {
  MeterProvider provider(MeterProviderOptions{.cardinality_limit = 100});
  Counter c = provider.get_meter("test").create_counter("c");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) c.add(1, {{"i", i}});
    });
  }
  for (auto& t : threads) t.join();
  auto data = provider.collect();
  const MetricData& m = *find_metric(data, "c");
  EXPECT_EQ(m.points.size(), 101u);
  double total = 0;
  for (const auto& p : m.points) total += std::get<SumPoint>(p.value).value;
  EXPECT_EQ(total, 4 * 300);
}

}  // namespace
}  // namespace adminara::obs
