// The entry points end to end: init_observability, start_span, trace_async, the console exporter
// and shutdown (a span to the console, a traced job of 50 ms).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "adminara/obs.h"
#include "tests/common/env_options.h"

namespace adminara::obs {
namespace {

using Env = std::map<std::string, std::string>;

using testing::options_with_env;

class ObservabilityTest : public ::testing::Test {
 protected:
  void TearDown() override { shutdown(); }
};

std::vector<nlohmann::json> parse_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// Span tracing to the console.
TEST_F(ObservabilityTest, DesignTest1SpanTracingToConsole) {
  std::ostringstream console;
  Options o = options_with_env({});
  o.console_output = &console;
  init_observability(o);

  auto span = start_span("test.operation", {{"userId", "123"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  span.set_attribute("result", "success");
  span.end();
  shutdown();

  auto lines = parse_lines(console.str());
  ASSERT_EQ(lines.size(), 1u) << console.str();
  const auto& j = lines[0];
  EXPECT_TRUE(std::regex_match(j["traceId"].get<std::string>(), std::regex("[0-9a-f]{32}")));
  EXPECT_TRUE(std::regex_match(j["spanId"].get<std::string>(), std::regex("[0-9a-f]{16}")));
  EXPECT_NE(j["traceId"], std::string(32, '0'));
  EXPECT_FALSE(j.contains("parentSpanId"));
  EXPECT_EQ(j["name"], "test.operation");
  EXPECT_EQ(j["kind"], "internal");
  EXPECT_EQ(j["attributes"]["userId"], "123");
  EXPECT_EQ(j["attributes"]["result"], "success");
  EXPECT_GE(j["duration"].get<double>(), 100'000.0);  // microseconds
  EXPECT_GT(j["timestamp"].get<std::uint64_t>(), 1'600'000'000'000'000ULL);
  EXPECT_EQ(j["status"]["code"], "unset");
  EXPECT_EQ(j["resource"]["attributes"]["service.name"], "adminara");
}

// A traced job of 50 ms.
TEST_F(ObservabilityTest, DesignTest3TraceAsyncJob) {
  Options o = options_with_env({{"OTEL_TRACES_EXPORTER", "memory"}});
  Observability& obs = init_observability(o);
  ASSERT_NE(obs.memory_exporter(), nullptr);

  struct Job {
    int id;
  };
  auto process_job = trace_async("job.test", [](const Job& job) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return std::string("processed ") + std::to_string(job.id);
  });
  EXPECT_EQ(process_job(Job{1}), "processed 1");
  force_flush();

  auto spans = obs.memory_exporter()->spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "job.test");
  EXPECT_EQ(*spans[0].attribute("status"), AttributeValue("success"));
  const double* ms = spans[0].attribute("duration_ms")->get_if<double>();
  ASSERT_NE(ms, nullptr);
  EXPECT_GE(*ms, 50.0);
  EXPECT_EQ(spans[0].status.code, StatusCode::kUnset);
}

struct CountedError : std::runtime_error {
  static inline int copies = 0;
  explicit CountedError(const char* m) : std::runtime_error(m) {}
  CountedError(const CountedError& o) : std::runtime_error(o) { ++copies; }
};

TEST_F(ObservabilityTest, TraceAsyncErrorPathRethrowsTheSameException) {
  Observability& obs = init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "memory"}}));
  auto failing = trace_async("job.fail", [](int) -> int { throw CountedError("disk full"); });
  CountedError::copies = 0;
  const void* thrown_address = nullptr;
  try {
    failing(3);
    ADD_FAILURE() << "no exception";
  } catch (const CountedError& e) {
    thrown_address = &e;
    EXPECT_STREQ(e.what(), "disk full");
  }
  EXPECT_NE(thrown_address, nullptr);
  EXPECT_EQ(CountedError::copies, 0);  // rethrown with `throw;`, never copied

  auto non_std = trace_async("job.weird", [] { throw 42; });
  EXPECT_THROW(non_std(), int);

  force_flush();
  auto spans = obs.memory_exporter()->spans();
  ASSERT_EQ(spans.size(), 2u);
  const SpanData& d = spans[0];
  EXPECT_EQ(*d.attribute("status"), AttributeValue("error"));
  EXPECT_EQ(*d.attribute("error.message"), AttributeValue("disk full"));
  EXPECT_NE(d.attribute("duration_ms"), nullptr);
  EXPECT_EQ(d.status.code, StatusCode::kError);
  EXPECT_EQ(d.status.description, "disk full");
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].name, "exception");
  EXPECT_EQ(*spans[1].attribute("error.message"), AttributeValue("unknown exception"));
}

TEST_F(ObservabilityTest, TraceAsyncKeepsSignatureReferencesAndMoveOnlyTypes) {
  Observability& obs = init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "memory"}}));
  int value = 1;
  auto ref = trace_async("ref", [&value]() -> int& { return value; });
  static_assert(std::is_same_v<decltype(ref()), int&>);
  ref() = 5;
  EXPECT_EQ(value, 5);

  auto move_only = trace_async("move", [](std::unique_ptr<int> p) { return p; });
  auto out = move_only(std::make_unique<int>(9));
  static_assert(std::is_same_v<decltype(out), std::unique_ptr<int>>);
  EXPECT_EQ(*out, 9);

  int calls = 0;
  auto void_fn = trace_async("void", [&calls](int a, int b) { calls += a + b; });
  static_assert(std::is_void_v<decltype(void_fn(1, 2))>);
  void_fn(1, 2);
  EXPECT_EQ(calls, 3);
  force_flush();
  EXPECT_EQ(obs.memory_exporter()->size(), 3u);
}

TEST_F(ObservabilityTest, TraceAsyncNestsUnderCallerAndIsActiveInside) {
  Observability& obs = init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "memory"}}));
  SpanId seen_parent_inside;
  auto inner = trace_async("scheduler.init", [&] {
    seen_parent_inside = Context::current().span_context().span_id();
    start_span("turn_rotation.schedule").end();
    return true;
  });
  {
    auto outer = start_span("startup");
    Scope s = outer.activate();
    inner();
  }
  force_flush();
  auto spans = obs.memory_exporter()->spans();
  ASSERT_EQ(spans.size(), 3u);
  const SpanData& leaf = spans[0];
  const SpanData& traced = spans[1];
  const SpanData& outer = spans[2];
  EXPECT_EQ(traced.name, "scheduler.init");
  EXPECT_EQ(traced.parent_span_id, outer.context.span_id());
  EXPECT_EQ(leaf.parent_span_id, traced.context.span_id());
  EXPECT_EQ(seen_parent_inside, traced.context.span_id());
  EXPECT_EQ(leaf.context.trace_id(), outer.context.trace_id());
}

TEST_F(ObservabilityTest, InitTwiceReturnsSameInstanceAndShutdownTwiceIsSafe) {
  Observability& a = init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "none"}}));
  Observability& b = init_observability(options_with_env({}));
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(observability(), &a);
  shutdown();
  shutdown();
  EXPECT_EQ(observability(), nullptr);
  // Spans without init: non-recording, never crash.
  Span s = start_span("no.init");
  EXPECT_FALSE(s.is_recording());
}

TEST_F(ObservabilityTest, SpanStartedBeforeShutdownMayEndAfter) {
  Observability& obs = init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "memory"}}));
  Span s = start_span("straddler");
  TracerProvider& provider = obs.tracer_provider();
  shutdown();
  s.end();  // dropped and counted, no crash
  EXPECT_EQ(provider.stats().spans_dropped, 1u);
}

TEST_F(ObservabilityTest, EnableTracingFalseRecordsNothing) {
  Observability& obs = init_observability(
      options_with_env({{"ENABLE_TRACING", "false"}, {"OTEL_TRACES_EXPORTER", "memory"}}));
  EXPECT_FALSE(obs.tracer_provider().enabled());
  auto f = trace_async("job", [] { return 1; });
  EXPECT_EQ(f(), 1);
  Span s = start_span("x", {{"a", 1}});
  EXPECT_FALSE(s.is_recording());
  s.end();
  force_flush();
  EXPECT_EQ(obs.memory_exporter()->size(), 0u);
}

TEST_F(ObservabilityTest, SdkDisabledRecordsNothing) {
  Observability& obs = init_observability(
      options_with_env({{"OTEL_SDK_DISABLED", "true"}, {"OTEL_TRACES_EXPORTER", "memory"}}));
  EXPECT_FALSE(start_span("x").is_recording());
  force_flush();
  EXPECT_EQ(obs.memory_exporter()->size(), 0u);
}

TEST_F(ObservabilityTest, StrictConfigTurnsWarningsIntoErrors) {
  Options o = options_with_env({{"OTEL_TRACES_EXPORTER", "carrier-pigeon"}});
  o.strict_config = true;
  try {
    init_observability(o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("OTEL_TRACES_EXPORTER"), std::string::npos) << msg;
    EXPECT_NE(msg.find("carrier-pigeon"), std::string::npos) << msg;
  }
  EXPECT_EQ(observability(), nullptr);
  o.strict_config = false;
  Observability& obs = init_observability(o);
  EXPECT_FALSE(obs.config_warnings().empty());
}

TEST_F(ObservabilityTest, ProductionDefaultsToOtlpAndNoConsoleOutput) {
  Observability& obs = init_observability(options_with_env({{"ADMINARA_ENV", "production"}}));
  EXPECT_EQ(obs.deployment_environment(), "production");
  EXPECT_EQ(obs.span_exporter_names(), std::vector<std::string>{"otlp"});
  Observability& dev = (shutdown(), init_observability(options_with_env({})));
  EXPECT_EQ(dev.deployment_environment(), "development");
  EXPECT_EQ(dev.span_exporter_names(), std::vector<std::string>{"console"});
}

// --- metrics through init ------------------------------------------------------------------

double sum_value(const std::vector<MetricData>& data, std::string_view name) {
  for (const auto& m : data) {
    if (m.descriptor.name != name) continue;
    double total = 0;
    for (const auto& p : m.points) {
      if (const auto* s = std::get_if<SumPoint>(&p.value)) total += s->value;
    }
    return total;
  }
  return -1;
}

TEST_F(ObservabilityTest, GetMeterIsANoOpBeforeInit) {
  Meter m = get_meter();
  EXPECT_FALSE(m.enabled());
  m.create_counter("c").add(1);  // nothing happens, nothing breaks
}

TEST_F(ObservabilityTest, ActiveSpansIsMaintainedByTheTracer) {
  Observability& obs = init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "none"}}));
  EXPECT_TRUE(get_meter().enabled());
  EXPECT_EQ(get_meter().scope().name, "adminara");
  {
    Span a = start_span("a");
    Span b = start_span("b");
    EXPECT_EQ(sum_value(obs.meter_provider().collect(), "active_spans"), 2);
  }
  EXPECT_EQ(sum_value(obs.meter_provider().collect(), "active_spans"), 0);
  // create_metrics on the global meter returns the same instruments.
  AdminAraMetrics m = create_metrics(get_meter());
  m.active_spans.add(5);
  EXPECT_EQ(sum_value(obs.meter_provider().collect(), "active_spans"), 5);
}

TEST_F(ObservabilityTest, RenderMetricsShowsTheDesignsNamesAndTheResource) {
  Observability& obs = init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "none"}}));
  EXPECT_GT(obs.prometheus_port(), 0);
  create_metrics(get_meter()).queue_wait_time.record(5000);
  const std::string text = obs.render_metrics();
  EXPECT_NE(text.find("target_info{"), std::string::npos) << text;
  EXPECT_NE(text.find("service_name=\"adminara\""), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE queue_wait_time histogram"), std::string::npos) << text;
  EXPECT_NE(text.find("queue_wait_time_bucket{otel_scope_name=\"adminara\""), std::string::npos)
      << text;
  EXPECT_NE(text.find("queue_wait_time_count{"), std::string::npos) << text;
  EXPECT_NE(text.find("process_cpu_seconds_total"), std::string::npos) << text;
  EXPECT_NE(text.find("adminara_obs_spans_dropped_total"), std::string::npos) << text;
  const std::string om = obs.render_metrics(true);
  EXPECT_TRUE(om.ends_with("# EOF\n")) << om;
}

TEST_F(ObservabilityTest, MetricsCanBeTurnedOff) {
  Observability& a = init_observability(
      options_with_env({{"OTEL_TRACES_EXPORTER", "none"}, {"OTEL_METRICS_EXPORTER", "none"}}));
  EXPECT_EQ(a.prometheus_port(), 0);
  EXPECT_TRUE(get_meter().enabled());  // still collected, just not served
  shutdown();
  Observability& b = init_observability(
      options_with_env({{"OTEL_TRACES_EXPORTER", "none"}, {"ENABLE_METRICS", "false"}}));
  EXPECT_EQ(b.prometheus_port(), 0);
  EXPECT_FALSE(get_meter().enabled());
  shutdown();
  Observability& c = init_observability(
      options_with_env({{"OTEL_TRACES_EXPORTER", "none"}, {"OTEL_SDK_DISABLED", "true"}}));
  EXPECT_EQ(c.prometheus_port(), 0);
  EXPECT_FALSE(get_meter().enabled());
}

TEST_F(ObservabilityTest, BadMetricsVariablesWarnAndUseDefaults) {
  Observability& obs = init_observability(
      options_with_env({{"OTEL_TRACES_EXPORTER", "none"},
                        {"OTEL_METRICS_EXEMPLAR_FILTER", "sometimes"},
                        {"ADMINARA_METRICS_CARDINALITY_LIMIT", "0"},
                        {"OTEL_METRICS_EXPORTER", "prometheus,carrier-pigeon"}}));
  std::string all;
  for (const auto& w : obs.config_warnings()) all += w + "\n";
  EXPECT_NE(all.find("OTEL_METRICS_EXEMPLAR_FILTER"), std::string::npos) << all;
  EXPECT_NE(all.find("ADMINARA_METRICS_CARDINALITY_LIMIT"), std::string::npos) << all;
  EXPECT_NE(all.find("carrier-pigeon"), std::string::npos) << all;
  EXPECT_EQ(obs.meter_provider().cardinality_limit(), 2000u);
  EXPECT_GT(obs.prometheus_port(), 0);
}

// The profiler (issue 4): the global one is built by init, records into get_meter() and adds
// events to the active span; ENABLE_PROFILING, Options::enable_profiling and OTEL_SDK_DISABLED
// turn it off.
TEST_F(ObservabilityTest, GetProfilerIsDisabledBeforeInitAndAfterShutdown) {
  EXPECT_FALSE(get_profiler().enabled());
  get_profiler().mark("a");
  EXPECT_EQ(get_profiler().measure("m", "unknown"), 0.0);  // no-op, no error
  EXPECT_TRUE(get_profiler().measures().empty());

  init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "none"}}));
  EXPECT_TRUE(get_profiler().enabled());
  shutdown();
  EXPECT_FALSE(get_profiler().enabled());
}

TEST_F(ObservabilityTest, GlobalProfilerRecordsMetricAndSpanEvent) {
  Observability& obs = init_observability(options_with_env({{"OTEL_TRACES_EXPORTER", "memory"}}));
  PerformanceProfiler& profiler = get_profiler();
  EXPECT_EQ(&profiler, &get_profiler());  // one global profiler
  ASSERT_TRUE(profiler.enabled());
  {
    auto span = start_span("request");
    auto active = span.activate();
    profiler.mark("webrtc_start");
    profiler.mark("webrtc_connected");
    profiler.measure("webrtc_connection", "webrtc_start", "webrtc_connected");
  }
  ASSERT_EQ(profiler.measures().size(), 1u);
  const std::string text = obs.render_metrics();
  EXPECT_TRUE(std::regex_search(
      text,
      std::regex("\nprofiler_measure_duration_count\\{measure=\"webrtc_connection\"[^}]*\\} 1\n")))
      << text;
  ASSERT_TRUE(force_flush());
  const auto spans = obs.memory_exporter()->spans();
  ASSERT_EQ(spans.size(), 1u);
  ASSERT_EQ(spans[0].events.size(), 1u);
  EXPECT_EQ(spans[0].events[0].name, "profiler.measure");
}

TEST_F(ObservabilityTest, ProfilingCanBeTurnedOff) {
  init_observability(
      options_with_env({{"OTEL_TRACES_EXPORTER", "none"}, {"ENABLE_PROFILING", "false"}}));
  EXPECT_FALSE(get_profiler().enabled());
  get_profiler().mark("a");
  EXPECT_TRUE(get_profiler().measures().empty());
  shutdown();

  init_observability(
      options_with_env({{"OTEL_TRACES_EXPORTER", "none"}, {"OTEL_SDK_DISABLED", "true"}}));
  EXPECT_FALSE(get_profiler().enabled());
  shutdown();

  Options code = options_with_env({{"OTEL_TRACES_EXPORTER", "none"}, {"ENABLE_PROFILING", "true"}});
  code.enable_profiling = false;  // code wins over ENABLE_PROFILING
  init_observability(code);
  EXPECT_FALSE(get_profiler().enabled());
  shutdown();

  // OTEL_SDK_DISABLED wins over code, as for tracing and metrics.
  Options sdk_off =
      options_with_env({{"OTEL_TRACES_EXPORTER", "none"}, {"OTEL_SDK_DISABLED", "true"}});
  sdk_off.enable_profiling = true;
  init_observability(sdk_off);
  EXPECT_FALSE(get_profiler().enabled());
}

TEST_F(ObservabilityTest, BadEnableProfilingWarnsAndKeepsItOn) {
  Observability& obs = init_observability(options_with_env(
      {{"OTEL_TRACES_EXPORTER", "none"}, {"ENABLE_PROFILING", "yes"}, {"OTEL_SDK_DISABLED", "1"}}));
  EXPECT_TRUE(get_profiler().enabled());
  int profiling = 0;
  int sdk_disabled = 0;
  for (const auto& w : obs.config_warnings()) {
    if (w.find("ENABLE_PROFILING=\"yes\"") != std::string::npos) ++profiling;
    if (w.find("OTEL_SDK_DISABLED=\"1\"") != std::string::npos) ++sdk_disabled;
  }
  EXPECT_EQ(profiling, 1);
  EXPECT_EQ(sdk_disabled, 1);  // read by tracing, metrics and the profiler; reported once
}

}  // namespace
}  // namespace adminara::obs
