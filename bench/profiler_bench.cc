// PerformanceProfiler hot paths (issue 4): a mark + measure pair and a scoped measure, enabled
// (recording into a MeterProvider's histogram, as the global profiler does) and disabled, on 1
// and 2 threads; plus a steady_clock read in the same run, to read the rows as ratios.
#include <benchmark/benchmark.h>

#include <chrono>

#include "adminara/obs/metrics.h"
#include "adminara/obs/profiler.h"

namespace obs = adminara::obs;

namespace {

struct Enabled {
  obs::MeterProvider meters;
  obs::PerformanceProfiler profiler{{.meter = meters.get_meter("bench")}};
};
Enabled& enabled() {
  static Enabled e;
  return e;
}

obs::PerformanceProfiler& disabled() {
  static obs::PerformanceProfiler p({.enabled = false});
  return p;
}

void BM_Profiler_ScopedMeasure(benchmark::State& state) {
  obs::PerformanceProfiler& p = enabled().profiler;
  for (auto _ : state) {
    auto m = p.scope("db.query");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Profiler_ScopedMeasure)->Threads(1)->Threads(2)->UseRealTime();

// Two marks and a measure between them (docs/profiler.md's usage), each thread with its own names.
void BM_Profiler_MarkMeasurePair(benchmark::State& state) {
  obs::PerformanceProfiler& p = enabled().profiler;
  const bool first = state.thread_index() == 0;
  const char* start = first ? "webrtc_start" : "webrtc_start_2";
  const char* end = first ? "webrtc_connected" : "webrtc_connected_2";
  for (auto _ : state) {
    p.mark(start);
    p.mark(end);
    benchmark::DoNotOptimize(p.measure("webrtc_connection", start, end));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Profiler_MarkMeasurePair)->Threads(1)->Threads(2)->UseRealTime();

void BM_Profiler_Disabled_ScopedMeasure(benchmark::State& state) {
  obs::PerformanceProfiler& p = disabled();
  for (auto _ : state) {
    auto m = p.scope("db.query");
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_Profiler_Disabled_ScopedMeasure);

void BM_Profiler_Disabled_Mark(benchmark::State& state) {
  obs::PerformanceProfiler& p = disabled();
  for (auto _ : state) {
    p.mark("webrtc_start");
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Profiler_Disabled_Mark);

void BM_Profiler_Disabled_MarkMeasurePair(benchmark::State& state) {
  obs::PerformanceProfiler& p = disabled();
  for (auto _ : state) {
    p.mark("webrtc_start");
    p.mark("webrtc_connected");
    benchmark::DoNotOptimize(p.measure("webrtc_connection", "webrtc_start", "webrtc_connected"));
  }
}
BENCHMARK(BM_Profiler_Disabled_MarkMeasurePair);

// Baseline measured in the same run.
void BM_Baseline_SteadyClockRead(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_Baseline_SteadyClockRead);

}  // namespace

BENCHMARK_MAIN();
