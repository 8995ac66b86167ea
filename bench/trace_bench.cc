// Tracing hot paths. Compare the rows as ratios within one run (BM_Baseline_* are measured in
// the same run on the same machine); absolute times on these shared machines are noise.
#include "tests/common/allocation_counter.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adminara/obs.h"

namespace obs = adminara::obs;

namespace {

obs::TracerProvider& provider(bool sampled) {
  // As init_observability() sets it up: the tracer keeps the active_spans metric.
  static auto* meters = new obs::MeterProvider();
  auto make = [](std::shared_ptr<const obs::Sampler> sampler) {
    return new obs::TracerProvider(obs::TracerProviderOptions{
        .sampler = std::move(sampler),
        .exporters = {std::shared_ptr<obs::SpanExporter>(obs::make_noop_exporter())},
        .processor = obs::ProcessorKind::kBatch,
        // A queue large enough that the exporter thread keeps up: the benchmark measures the
        // cost to the application thread, and reports drops so a starved exporter is visible.
        .batch = {.schedule_delay = std::chrono::milliseconds(200),
                  .max_queue_size = 16384,
                  .max_export_batch_size = 512},
        .active_spans = meters->get_meter("bench").create_up_down_counter("active_spans").bind()});
  };
  static obs::TracerProvider* on = make(obs::always_on_sampler());
  static obs::TracerProvider* off = make(obs::always_off_sampler());
  return sampled ? *on : *off;
}

void report(benchmark::State& state, obs::TracerProvider& p, std::uint64_t allocations) {
  state.counters["allocs_per_span"] = benchmark::Counter(static_cast<double>(allocations) /
                                                         static_cast<double>(state.iterations()));
  if (state.thread_index() == 0) {
    p.force_flush();
    state.counters["dropped_total"] = static_cast<double>(p.stats().spans_dropped);
  }
}

// Span start + 2 attributes + end through the batch processor into a discarding exporter.
void span_with_two_attributes(benchmark::State& state, bool sampled) {
  obs::TracerProvider& p = provider(sampled);
  obs::Tracer t = p.get_tracer("bench");
  for (int i = 0; i < 2000; ++i) t.start_span("warm", {{"http.request.method", "GET"}}).end();
  const std::uint64_t before = obs::testing::allocation_count();
  for (auto _ : state) {
    obs::Span s = t.start_span("GET /api/queue", {{"http.request.method", "GET"}});
    s.set_attribute("http.response.status_code", 200);
    s.end();
  }
  report(state, p, obs::testing::allocation_count() - before);
  state.SetItemsProcessed(state.iterations());
}

void BM_Span_Sampled(benchmark::State& state) {
  span_with_two_attributes(state, true);
}
BENCHMARK(BM_Span_Sampled)->Threads(1)->Threads(2)->UseRealTime();

void BM_Span_Unsampled(benchmark::State& state) {
  span_with_two_attributes(state, false);
}
BENCHMARK(BM_Span_Unsampled)->Threads(1)->Threads(2)->UseRealTime();

// The same span, on N fresh threads started by the benchmark itself (Google Benchmark's own
// threads:N runs thread 0 on the main thread, which measured slower here). One iteration = each
// thread ending 1,000,000 spans; the time is the wall time of the slowest thread.
void BM_Span_Sampled_FreshThreads(benchmark::State& state) {
  obs::TracerProvider& p = provider(true);
  obs::Tracer t = p.get_tracer("bench");
  const int threads = static_cast<int>(state.range(0));
  constexpr int kSpans = 1000000;
  for (auto _ : state) {
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < threads; ++i) {
      pool.emplace_back([&t] {
        for (int j = 0; j < kSpans; ++j) {
          obs::Span s = t.start_span("GET /api/queue", {{"http.request.method", "GET"}});
          s.set_attribute("http.response.status_code", 200);
          s.end();
        }
      });
    }
    for (auto& th : pool) th.join();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations() * threads * kSpans);
  p.force_flush();
  state.counters["dropped_total"] = static_cast<double>(p.stats().spans_dropped);
}
BENCHMARK(BM_Span_Sampled_FreshThreads)->Arg(1)->Arg(2)->UseManualTime();

// A sampled child span while a parent is active (the common case inside a request).
void BM_Span_SampledChildOfActive(benchmark::State& state) {
  obs::TracerProvider& p = provider(true);
  obs::Tracer t = p.get_tracer("bench");
  obs::Span parent = t.start_span("request");
  obs::Scope scope = parent.activate();
  for (auto _ : state) t.start_span("db.query").end();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Span_SampledChildOfActive);

// The second row is the development default, which also turns the live debug pages on (the
// running-span table and the tracez exporter reading every span; see debug_pages_bench).
void trace_async_call(benchmark::State& state, bool debug_pages) {
  obs::Options o;
  o.traces_exporter = "none";
  o.debug_pages = debug_pages;
  o.getenv = [](std::string_view) { return std::optional<std::string>(); };
  obs::init_observability(o);
  int counter = 0;
  auto traced = obs::trace_async("job.noop", [&counter](int x) { return counter += x; });
  for (int i = 0; i < 2000; ++i) traced(1);
  const std::uint64_t before = obs::testing::allocation_count();
  for (auto _ : state) benchmark::DoNotOptimize(traced(1));
  state.counters["allocs_per_call"] =
      benchmark::Counter(static_cast<double>(obs::testing::allocation_count() - before) /
                         static_cast<double>(state.iterations()));
  obs::shutdown();
}
void BM_TraceAsync_Call(benchmark::State& state) {
  trace_async_call(state, false);
}
BENCHMARK(BM_TraceAsync_Call);
void BM_TraceAsync_Call_DebugPagesOn(benchmark::State& state) {
  trace_async_call(state, true);
}
BENCHMARK(BM_TraceAsync_Call_DebugPagesOn);

// traceparent inject + extract: raw formatting/parsing, and through a header map.
void BM_Traceparent_FormatParse(benchmark::State& state) {
  obs::SpanContext sc(*obs::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                      *obs::SpanId::from_hex("00f067aa0ba902b7"), obs::TraceFlags{1}, false);
  char buf[55];
  for (auto _ : state) {
    obs::format_traceparent(sc, buf);
    auto parsed = obs::parse_traceparent(std::string_view(buf, 55));
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_Traceparent_FormatParse);

void BM_Traceparent_InjectExtract_Callbacks(benchmark::State& state) {
  obs::SpanContext sc(*obs::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                      *obs::SpanId::from_hex("00f067aa0ba902b7"), obs::TraceFlags{1}, false);
  obs::Context ctx = obs::Context().with_span_context(sc);
  std::string header;
  header.reserve(64);
  for (auto _ : state) {
    obs::inject(ctx, [&](std::string_view name, std::string_view value) {
      if (name == "traceparent") header.assign(value);
    });
    obs::Context out = obs::extract([&](std::string_view name) -> std::optional<std::string> {
      if (name == "traceparent") return header;
      return std::nullopt;
    });
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Traceparent_InjectExtract_Callbacks);

void BM_Traceparent_InjectExtract_Map(benchmark::State& state) {
  obs::SpanContext sc(*obs::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                      *obs::SpanId::from_hex("00f067aa0ba902b7"), obs::TraceFlags{1}, false);
  obs::Context ctx = obs::Context().with_span_context(sc);
  std::map<std::string, std::string> headers;
  for (auto _ : state) {
    obs::inject(ctx, headers);
    obs::Context out = obs::extract(headers);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Traceparent_InjectExtract_Map);

// Baselines measured in the same run, to read the rows above as ratios.
void BM_Baseline_SteadyClockRead(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_Baseline_SteadyClockRead);

void BM_Baseline_UncontendedMutex(benchmark::State& state) {
  static std::mutex mu;
  for (auto _ : state) {
    std::lock_guard lock(mu);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Baseline_UncontendedMutex);

void BM_Baseline_SharedAtomicAdd(benchmark::State& state) {
  static std::atomic<std::uint64_t> counter{0};
  for (auto _ : state) counter.fetch_add(1, std::memory_order_relaxed);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_SharedAtomicAdd)->Threads(1)->Threads(2)->UseRealTime();

// Independent work per thread (no shared memory): how well this machine's cores scale at all.
void BM_Baseline_PrivateWork(benchmark::State& state) {
  std::uint64_t x = 88172645463325252ULL + static_cast<std::uint64_t>(state.thread_index());
  for (auto _ : state) {
    for (int i = 0; i < 16; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_PrivateWork)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
