// PerformanceProfiler without the global init: marks, measures, bottlenecks, bounds, errors,
// threads, the Chrome trace, the histogram and the span event.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "adminara/obs.h"

namespace adminara::obs {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMs = 1'000'000;  // ns

// A monotonic clock the test moves by hand, so edge cases need no sleeping.
struct FakeClock {
  std::shared_ptr<std::atomic<std::uint64_t>> ns =
      std::make_shared<std::atomic<std::uint64_t>>(1'000'000'000'000ULL);
  void advance(std::uint64_t d) { ns->fetch_add(d); }
  std::function<std::uint64_t()> fn() const {
    return [n = ns] { return n->load(); };
  }
};

// `profiler_measure_duration` counts by the `measure` attribute.
std::map<std::string, std::uint64_t> measure_counts(MeterProvider& meters) {
  std::map<std::string, std::uint64_t> out;
  for (const MetricData& m : meters.collect()) {
    if (m.descriptor.name != "profiler_measure_duration") continue;
    for (const auto& p : m.points) {
      out[std::get<std::string>((*p.attributes)[0].value.storage())] =
          std::get<HistogramPoint>(p.value).count;
    }
  }
  return out;
}

ProfilerOptions with_clock(const FakeClock& clock, ProfilerOptions o = {}) {
  o.clock = clock.fn();
  return o;
}

// A heavy operation of 150 ms is a bottleneck, on the real clock.
TEST(Profiler, DesignTest2HeavyOperationIsABottleneck) {
  PerformanceProfiler profiler;
  profiler.mark("start");
  std::this_thread::sleep_for(150ms);  // heavyOperation()
  profiler.mark("end");

  const double duration = profiler.measure("heavy_op", "start", "end");
  EXPECT_GE(duration, 150.0);
  EXPECT_LT(duration, 5000.0);

  const std::vector<Measure> bottlenecks = profiler.get_bottlenecks(100);
  ASSERT_EQ(bottlenecks.size(), 1u);
  EXPECT_EQ(bottlenecks[0].name, "heavy_op");
  EXPECT_EQ(bottlenecks[0].duration_ms, duration);
  EXPECT_GT(bottlenecks[0].timestamp_unix_nano, 1'600'000'000'000'000'000ULL);  // after 2020
  EXPECT_EQ(bottlenecks[0].timestamp_unix_nano - bottlenecks[0].start_time_unix_nano,
            static_cast<std::uint64_t>(duration * 1e6 + 0.5));
  EXPECT_EQ(bottlenecks[0].thread_id, static_cast<std::uint64_t>(::gettid()));
}

TEST(Profiler, DurationHasSubMillisecondPrecision) {
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock));
  profiler.mark("a");
  clock.advance(1'500'000 + 250);  // 1.50025 ms
  profiler.mark("b");
  EXPECT_DOUBLE_EQ(profiler.measure("ab", "a", "b"), 1.50025);
}

TEST(Profiler, MeasureWithoutEndMarkEndsNow) {
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock));
  profiler.mark("a");
  clock.advance(42 * kMs);
  EXPECT_DOUBLE_EQ(profiler.measure("to_now", "a"), 42.0);
  ASSERT_EQ(profiler.measures().size(), 1u);
  EXPECT_EQ(profiler.measures()[0].name, "to_now");
}

TEST(Profiler, BottleneckThresholdIsStrictlyAbove) {
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock));
  auto take = [&](std::string_view name, std::uint64_t ns) {
    profiler.mark("s");
    clock.advance(ns);
    profiler.mark("e");
    profiler.measure(name, "s", "e");
  };
  take("below", 100 * kMs - 1);
  take("exactly", 100 * kMs);
  take("above", 100 * kMs + 1);
  take("zero", 0);

  auto names = [](const std::vector<Measure>& v) {
    std::vector<std::string> out;
    for (const auto& m : v) out.push_back(m.name);
    return out;
  };
  EXPECT_EQ(names(profiler.get_bottlenecks(100)), std::vector<std::string>{"above"});
  EXPECT_EQ(names(profiler.get_bottlenecks()), std::vector<std::string>{"above"});  // default 100
  EXPECT_EQ(names(profiler.get_bottlenecks(0)),
            (std::vector<std::string>{"below", "exactly", "above"}));
  EXPECT_EQ(names(profiler.get_bottlenecks(-1)),
            (std::vector<std::string>{"below", "exactly", "above", "zero"}));
  EXPECT_TRUE(profiler.get_bottlenecks(1e9).empty());
}

TEST(Profiler, EndMarkBeforeStartMarkGivesANegativeDuration) {
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock));
  profiler.mark("end");
  clock.advance(3 * kMs);
  profiler.mark("start");
  EXPECT_DOUBLE_EQ(profiler.measure("backwards", "start", "end"), -3.0);
  EXPECT_TRUE(profiler.get_bottlenecks(0).empty());
}

TEST(Profiler, LastMarkOfANameWins) {
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock));
  profiler.mark("a");
  clock.advance(10 * kMs);
  std::thread([&] { profiler.mark("a"); }).join();  // another thread's mark replaces it
  clock.advance(5 * kMs);
  EXPECT_DOUBLE_EQ(profiler.measure("m", "a"), 5.0);
  EXPECT_EQ(profiler.mark_count(), 1u);
}

TEST(Profiler, UnknownStartMarkThrowsNamingItAndRecordsNothing) {
  MeterProvider meters;
  PerformanceProfiler profiler({.meter = meters.get_meter("test")});
  profiler.mark("end");
  try {
    profiler.measure("db.query", "nope", "end");
    FAIL() << "no exception";
  } catch (const ProfilerError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown start mark 'nope'"), std::string::npos) << what;
    EXPECT_NE(what.find("measure 'db.query'"), std::string::npos) << what;
  }
  EXPECT_THROW(profiler.measure("db.query", "nope"), ProfilerError);
  EXPECT_THROW(profiler.measure("db.query", "nope"), std::invalid_argument);  // its base
  EXPECT_TRUE(profiler.measures().empty());
  for (const MetricData& m : meters.collect()) {
    if (m.descriptor.name == "profiler_measure_duration") {
      EXPECT_TRUE(m.points.empty());
    }
  }
}

TEST(Profiler, UnknownEndMarkThrowsNamingIt) {
  PerformanceProfiler profiler;
  profiler.mark("start");
  try {
    profiler.measure("m", "start", "missing_end");
    FAIL() << "no exception";
  } catch (const ProfilerError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown end mark 'missing_end'"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(profiler.measures().empty());
}

TEST(Profiler, KeepsTheLastNMeasuresAndCountsEvictions) {
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock, {.max_measures = 3}));
  for (int i = 0; i < 3; ++i) profiler.scope("m" + std::to_string(i)).stop();
  EXPECT_EQ(profiler.measures().size(), 3u);
  EXPECT_EQ(profiler.evicted(), 0u);  // exactly N: nothing evicted

  for (int i = 3; i < 5; ++i) profiler.scope("m" + std::to_string(i)).stop();
  const auto kept = profiler.measures();
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].name, "m2");  // oldest first
  EXPECT_EQ(kept[1].name, "m3");
  EXPECT_EQ(kept[2].name, "m4");
  EXPECT_EQ(profiler.evicted(), 2u);

  profiler.clear_measures();
  EXPECT_TRUE(profiler.measures().empty());
  EXPECT_EQ(profiler.evicted(), 2u);  // the count survives a clear
  profiler.scope("after").stop();
  ASSERT_EQ(profiler.measures().size(), 1u);
  EXPECT_EQ(profiler.measures()[0].name, "after");
}

TEST(Profiler, MarkTableIsBoundedAndEvictsTheLeastRecentlySet) {
  PerformanceProfiler profiler({.max_marks = 3});
  profiler.mark("a");
  profiler.mark("b");
  profiler.mark("c");
  profiler.mark("a");  // a is now the most recent; b the least
  profiler.mark("d");
  EXPECT_EQ(profiler.mark_count(), 3u);
  EXPECT_EQ(profiler.marks_evicted(), 1u);
  EXPECT_NO_THROW(profiler.measure("ok", "a", "d"));
  EXPECT_NO_THROW(profiler.measure("ok", "c"));
  try {
    profiler.measure("m", "b");
    FAIL() << "b should have been evicted";
  } catch (const ProfilerError& e) {
    EXPECT_NE(std::string(e.what()).find("evicted from the mark table of 3"), std::string::npos)
        << e.what();
  }
  for (int i = 0; i < 1000; ++i) profiler.mark("req-" + std::to_string(i));
  EXPECT_EQ(profiler.mark_count(), 3u);
  EXPECT_EQ(profiler.marks_evicted(), 1001u);
}

TEST(Profiler, ClearDropsMarksAndMeasures) {
  PerformanceProfiler profiler;
  profiler.mark("a");
  profiler.measure("m", "a");
  profiler.clear_marks();
  EXPECT_EQ(profiler.mark_count(), 0u);
  EXPECT_EQ(profiler.measures().size(), 1u);
  EXPECT_THROW(profiler.measure("m", "a"), ProfilerError);
  profiler.mark("a");
  profiler.clear();
  EXPECT_EQ(profiler.mark_count(), 0u);
  EXPECT_TRUE(profiler.measures().empty());
}

TEST(Profiler, InvalidOptionsThrow) {
  EXPECT_THROW(PerformanceProfiler({.max_measures = 0}), std::invalid_argument);
  EXPECT_THROW(PerformanceProfiler({.max_marks = 0}), std::invalid_argument);
}

TEST(Profiler, ScopedMeasureRecordsOnceAtEndOfScope) {
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock));
  {
    auto m = profiler.scope("db.query");
    EXPECT_TRUE(m.active());
    clock.advance(7 * kMs);
    EXPECT_TRUE(profiler.measures().empty());  // not yet
  }
  ASSERT_EQ(profiler.measures().size(), 1u);
  EXPECT_EQ(profiler.measures()[0].name, "db.query");
  EXPECT_DOUBLE_EQ(profiler.measures()[0].duration_ms, 7.0);

  std::string name = "a name longer than the small-string buffer of std::string";
  ScopedMeasure outer;
  {
    ScopedMeasure m = profiler.scope(name);
    name.assign("changed");  // the scope copied the name
    clock.advance(2 * kMs);
    outer = std::move(m);
    EXPECT_FALSE(m.active());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  }
  EXPECT_EQ(profiler.measures().size(), 1u);  // the moved-from scope recorded nothing
  EXPECT_DOUBLE_EQ(outer.stop(), 2.0);
  EXPECT_EQ(outer.stop(), 0.0);  // once
  ASSERT_EQ(profiler.measures().size(), 2u);
  EXPECT_EQ(profiler.measures()[1].name,
            "a name longer than the small-string buffer of std::string");
}

TEST(Profiler, DisabledProfilerRecordsNothingAndNeverThrows) {
  MeterProvider meters;
  PerformanceProfiler profiler({.enabled = false, .meter = meters.get_meter("test")});
  EXPECT_FALSE(profiler.enabled());
  profiler.mark("a");
  EXPECT_EQ(profiler.measure("m", "a"), 0.0);
  EXPECT_EQ(profiler.measure("m", "unknown", "also_unknown"), 0.0);
  {
    auto s = profiler.scope("scoped");
    EXPECT_FALSE(s.active());
  }
  EXPECT_TRUE(profiler.measures().empty());
  EXPECT_TRUE(profiler.get_bottlenecks(-1).empty());
  EXPECT_EQ(profiler.mark_count(), 0u);
  EXPECT_EQ(profiler.evicted(), 0u);
  profiler.clear();
  const auto trace = nlohmann::json::parse(profiler.to_chrome_trace_json());
  EXPECT_TRUE(trace["traceEvents"].empty());
  for (const MetricData& m : meters.collect()) {
    EXPECT_NE(m.descriptor.name, "profiler_measure_duration");
  }
}

TEST(Profiler, RecordsTheHistogramWithTheMeasureAttribute) {
  MeterProvider meters;
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock, {.meter = meters.get_meter("test")}));
  profiler.mark("start");
  clock.advance(234 * kMs);
  profiler.measure("webrtc_connection", "start");
  {
    auto s = profiler.scope("db.query");
    clock.advance(5 * kMs);
  }
  {
    auto s = profiler.scope("db.query");
    clock.advance(15 * kMs);
  }

  const MetricData* hist = nullptr;
  const auto data = meters.collect();
  for (const auto& m : data) {
    if (m.descriptor.name == "profiler_measure_duration") hist = &m;
  }
  ASSERT_NE(hist, nullptr);
  EXPECT_EQ(hist->descriptor.unit, "ms");
  ASSERT_EQ(hist->points.size(), 2u);
  std::map<std::string, HistogramPoint> by_measure;
  for (const auto& p : hist->points) {
    ASSERT_EQ(p.attributes->size(), 1u);
    EXPECT_EQ((*p.attributes)[0].key, "measure");
    const auto& v = std::get<std::string>((*p.attributes)[0].value.storage());
    by_measure[v] = std::get<HistogramPoint>(p.value);
  }
  EXPECT_EQ(by_measure["webrtc_connection"].count, 1u);
  EXPECT_DOUBLE_EQ(by_measure["webrtc_connection"].sum, 234.0);
  EXPECT_EQ(by_measure["db.query"].count, 2u);
  EXPECT_DOUBLE_EQ(by_measure["db.query"].sum, 20.0);
  EXPECT_DOUBLE_EQ(by_measure["db.query"].max, 15.0);
}

TEST(Profiler, AddsAnEventToTheActiveSpan) {
  auto memory = std::make_shared<InMemorySpanExporter>();
  TracerProvider provider(
      TracerProviderOptions{.resource = Resource(std::vector<KeyValue>{{"service.name", "test"}}),
                            .exporters = {memory},
                            .processor = ProcessorKind::kSimple});
  Tracer tracer = provider.get_tracer("tests");
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock));

  profiler.scope("outside").stop();  // no active span: just recorded
  {
    Span span = tracer.start_span("request");
    Scope active = span.activate();
    profiler.mark("s");
    clock.advance(3 * kMs);
    profiler.measure("parse", "s");
    {
      auto m = profiler.scope("db.query");
      clock.advance(120 * kMs);
    }
  }
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 1u);
  const auto& events = spans[0].events;
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].name, "profiler.measure");
  EXPECT_EQ(*find_attribute(events[0].attributes, "measure"), AttributeValue("parse"));
  EXPECT_EQ(*find_attribute(events[0].attributes, "duration_ms"), AttributeValue(3.0));
  EXPECT_EQ(events[1].name, "profiler.measure");
  EXPECT_EQ(*find_attribute(events[1].attributes, "measure"), AttributeValue("db.query"));
  EXPECT_EQ(*find_attribute(events[1].attributes, "duration_ms"), AttributeValue(120.0));
  EXPECT_EQ(profiler.measures().size(), 3u);
}

TEST(Profiler, ChromeTraceHasTheEventsDurationsThreadsAndBottlenecks) {
  FakeClock clock;
  PerformanceProfiler profiler(with_clock(clock));
  profiler.mark("webrtc_start");
  clock.advance(234 * kMs + 500);  // 234.0005 ms
  profiler.mark("webrtc_connected");
  profiler.measure("webrtc_connection", "webrtc_start", "webrtc_connected");
  std::uint64_t other_tid = 0;
  std::thread([&] {
    other_tid = static_cast<std::uint64_t>(::gettid());
    auto m = profiler.scope("db \"quoted\" query");
    clock.advance(2500 * 1000);  // 2.5 ms
  }).join();
  profiler.mark("exact");
  clock.advance(100 * kMs);
  profiler.measure("exactly_100", "exact");

  const std::string text = profiler.to_chrome_trace_json(100);
  EXPECT_NE(text.find("\"dur\":234000.5,"), std::string::npos) << text;  // exact µs, no noise
  const auto j = nlohmann::json::parse(text);
  const auto& events = j.at("traceEvents");
  ASSERT_EQ(events.size(), 3u);
  for (const auto& e : events) {
    EXPECT_EQ(e.at("ph"), "X");
    EXPECT_EQ(e.at("pid").get<std::int64_t>(), ::getpid());
  }
  EXPECT_EQ(events[0].at("name"), "webrtc_connection");
  EXPECT_DOUBLE_EQ(events[0].at("dur").get<double>(), 234000.5);  // µs
  EXPECT_EQ(events[0].at("tid").get<std::uint64_t>(), static_cast<std::uint64_t>(::gettid()));
  EXPECT_EQ(events[0].at("args").at("bottleneck"), true);
  EXPECT_DOUBLE_EQ(events[0].at("args").at("duration_ms").get<double>(), 234.0005);

  EXPECT_EQ(events[1].at("name"), "db \"quoted\" query");
  EXPECT_DOUBLE_EQ(events[1].at("dur").get<double>(), 2500.0);
  EXPECT_EQ(events[1].at("tid").get<std::uint64_t>(), other_tid);
  EXPECT_EQ(events[1].at("args").at("bottleneck"), false);
  // The scope started when the first measure ended: ts(1) = ts(0) + dur(0) (µs, ±1 rounding).
  EXPECT_NEAR(events[1].at("ts").get<double>(),
              events[0].at("ts").get<double>() + events[0].at("dur").get<double>(), 1.0);

  EXPECT_DOUBLE_EQ(events[2].at("dur").get<double>(), 100000.0);
  EXPECT_EQ(events[2].at("args").at("bottleneck"), false);  // not above the threshold

  // Another threshold flags other events.
  const auto j0 = nlohmann::json::parse(profiler.to_chrome_trace_json(1));
  EXPECT_EQ(j0["traceEvents"][1]["args"]["bottleneck"], true);
  EXPECT_EQ(j0["traceEvents"][2]["args"]["bottleneck"], true);
}

TEST(Profiler, WritesTheChromeTraceToAFile) {
  PerformanceProfiler profiler;
  profiler.scope("op").stop();
  const auto path = std::filesystem::temp_directory_path() /
                    ("profiler_test_" + std::to_string(::getpid()) + ".json");
  profiler.write_chrome_trace(path.string());
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  std::filesystem::remove(path);
  ASSERT_EQ(j["traceEvents"].size(), 1u);
  EXPECT_EQ(j["traceEvents"][0]["name"], "op");

  try {
    profiler.write_chrome_trace("/nonexistent-dir/trace.json");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/trace.json"), std::string::npos);
  }
}

// 8 threads x 10,000 scoped measures while another thread marks, measures, reads and clears
// marks. Also run under ThreadSanitizer (label `concurrency`).
TEST(ProfilerConcurrency, ManyThreadsKeepTotalsAndBounds) {
  MeterProvider meters;
  PerformanceProfiler profiler(
      {.max_measures = 10000, .max_marks = 64, .meter = meters.get_meter("test")});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10000;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    int i = 0;
    while (!done.load()) {
      profiler.mark("r" + std::to_string(i % 100));
      try {
        profiler.measure("reader", "r" + std::to_string(i % 100));
      } catch (const ProfilerError&) {
        // evicted by another mark of this loop: expected with 100 names in 64 slots
      }
      EXPECT_LE(profiler.measures().size(), 10000u);
      (void)profiler.get_bottlenecks(1000);
      if (i % 50 == 0) profiler.clear_marks();
      ++i;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&profiler, t] {
      const std::string name = "worker" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        auto m = profiler.scope(name);
        if (i % 1000 == 0) profiler.mark(name);
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  reader.join();

  const auto counts = measure_counts(meters);
  std::uint64_t workers = 0;
  for (const auto& [name, count] : counts) {
    if (name != "reader") workers += count;
  }
  EXPECT_EQ(workers, static_cast<std::uint64_t>(kThreads) * kPerThread);
  const std::uint64_t by_reader = counts.contains("reader") ? counts.at("reader") : 0;
  // Every measure was either kept or evicted.
  EXPECT_EQ(profiler.measures().size(), 10000u);
  EXPECT_EQ(profiler.measures().size() + profiler.evicted(), workers + by_reader);
  EXPECT_LE(profiler.mark_count(), 64u);
}

}  // namespace
}  // namespace adminara::obs
