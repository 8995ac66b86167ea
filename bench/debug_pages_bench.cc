// What the live debug pages (issue 9) cost the thread that starts and ends spans: the same span
// (start + 2 attributes + end, batch processor, discarding exporter) with the pages' gathering
// off and on, in the same run. "On" is what init_observability() sets up when the pages are on:
// the running-span table in the tracer (a hash and a relaxed atomic at start, a relaxed atomic
// at end) and the TraceZ exporter next to the real exporter on the batch processor's thread.
// Compare the two rows as a ratio; absolute times on these shared machines are noise.
#include <benchmark/benchmark.h>

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "adminara/obs.h"
#include "debug/tracez.h"

namespace obs = adminara::obs;

namespace {

// What is on: the running-span table, the TraceZ exporter, or both (the pages as init sets them);
// the last two: off and on next to an exporter that reads every span, as the console and OTLP
// exporters do (the discarding exporter reads none, so the records' cache lines never leave the
// ending thread's core unless TraceZ reads them).
enum class Pages { kOff, kRunningOnly, kTraceZOnly, kOn, kReadingOff, kReadingOn };

// Reads what an encoding exporter reads of each span (name, ids, times, attribute keys, status).
class ReadingExporter final : public obs::SpanExporter {
 public:
  obs::ExportResult export_spans(std::span<const obs::SpanData* const> spans) override {
    for (const obs::SpanData* s : spans) {
      sum_ += s->name.size() + s->context.span_id().bytes[0] + s->start_time_unix_nano +
              s->end_time_unix_nano + s->attributes.size() + static_cast<int>(s->status.code);
      for (const auto& kv : s->attributes) sum_ += kv.key.size() + kv.key.back();
    }
    benchmark::DoNotOptimize(sum_);
    return obs::ExportResult::kSuccess;
  }

 private:
  std::uint64_t sum_ = 0;
};

obs::TracerProvider& provider(Pages pages) {
  static auto* meters = new obs::MeterProvider();
  auto make = [](bool running, bool tracez, bool reading = false) {
    std::vector<std::shared_ptr<obs::SpanExporter>> exporters = {
        reading ? std::make_shared<ReadingExporter>()
                : std::shared_ptr<obs::SpanExporter>(obs::make_noop_exporter())};
    if (tracez) exporters.push_back(std::make_shared<obs::debug::TraceZ>());
    return new obs::TracerProvider(obs::TracerProviderOptions{
        .exporters = std::move(exporters),
        .processor = obs::ProcessorKind::kBatch,
        // As in trace_bench: a queue large enough that the exporter thread keeps up; drops are
        // reported so that a starved exporter is visible.
        .batch = {.schedule_delay = std::chrono::milliseconds(200),
                  .max_queue_size = 16384,
                  .max_export_batch_size = 512},
        .active_spans = meters->get_meter("bench").create_up_down_counter("active_spans").bind(),
        .count_running_spans = running});
  };
  static obs::TracerProvider* providers[] = {make(false, false),       make(true, false),
                                             make(false, true),        make(true, true),
                                             make(false, false, true), make(true, true, true)};
  return *providers[static_cast<int>(pages)];
}

// Where the exporter thread runs decides what a reading exporter costs: on the ending thread's
// core the records never leave that core's cache, on the other core every record's lines travel
// there and back. Left to the scheduler, the placement changed between runs of one binary. So
// the rows pin: the benchmark thread on CPU 0 and every other thread of the process (the
// exporter threads) on CPU 1, the placement of a service whose exporter runs beside busy request
// threads. (What the two vCPUs are on the host still varies: see bench/RESULTS.md.)
bool pin_exporters_apart() {
  if (std::thread::hardware_concurrency() < 2) return false;
  cpu_set_t mine, others;
  CPU_ZERO(&mine);
  CPU_SET(0, &mine);
  CPU_ZERO(&others);
  CPU_SET(1, &others);
  const pid_t self = static_cast<pid_t>(::gettid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    const pid_t tid = static_cast<pid_t>(std::stoi(entry.path().filename().string()));
    ::sched_setaffinity(tid, sizeof(cpu_set_t), tid == self ? &mine : &others);
  }
  return true;
}

void span_with_two_attributes(benchmark::State& state, Pages pages) {
  obs::TracerProvider& p = provider(pages);
  if (!pin_exporters_apart()) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  obs::Tracer t = p.get_tracer("bench");
  for (int i = 0; i < 2000; ++i) t.start_span("warm", {{"http.request.method", "GET"}}).end();
  for (auto _ : state) {
    obs::Span s = t.start_span("GET /api/queue", {{"http.request.method", "GET"}});
    s.set_attribute("http.response.status_code", 200);
    s.end();
  }
  p.force_flush();
  state.counters["dropped_total"] = static_cast<double>(p.stats().spans_dropped);
  state.SetItemsProcessed(state.iterations());
}

void BM_Span_DebugPagesOff(benchmark::State& state) {
  span_with_two_attributes(state, Pages::kOff);
}
BENCHMARK(BM_Span_DebugPagesOff);

void BM_Span_DebugPagesOn(benchmark::State& state) {
  span_with_two_attributes(state, Pages::kOn);
}
BENCHMARK(BM_Span_DebugPagesOn);

// The two parts of "on" alone, to see where a difference comes from.
void BM_Span_RunningCountsOnly(benchmark::State& state) {
  span_with_two_attributes(state, Pages::kRunningOnly);
}
BENCHMARK(BM_Span_RunningCountsOnly);

void BM_Span_TraceZExporterOnly(benchmark::State& state) {
  span_with_two_attributes(state, Pages::kTraceZOnly);
}
BENCHMARK(BM_Span_TraceZExporterOnly);

void BM_Span_ReadingExporter_DebugPagesOff(benchmark::State& state) {
  span_with_two_attributes(state, Pages::kReadingOff);
}
BENCHMARK(BM_Span_ReadingExporter_DebugPagesOff);

void BM_Span_ReadingExporter_DebugPagesOn(benchmark::State& state) {
  span_with_two_attributes(state, Pages::kReadingOn);
}
BENCHMARK(BM_Span_ReadingExporter_DebugPagesOn);

// The exporter thread's side: TraceZ taking a batch of 512 ended spans (one name, like the rows
// above), per span.
void BM_TraceZ_ExportBatch(benchmark::State& state) {
  obs::debug::TraceZ z;
  std::vector<obs::SpanData> spans(512);
  std::vector<const obs::SpanData*> ptrs;
  std::uint64_t t = 1'700'000'000'000'000'000ULL;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    obs::TraceId trace;
    obs::SpanId id;
    trace.bytes[0] = static_cast<std::uint8_t>(i);
    trace.bytes[15] = static_cast<std::uint8_t>(i >> 8);
    id.bytes[7] = 1;
    spans[i].name = "GET /api/queue";
    spans[i].context = obs::SpanContext(trace, id, obs::TraceFlags{1}, false);
    spans[i].attributes = {{"http.request.method", "GET"}, {"http.response.status_code", 200}};
    ptrs.push_back(&spans[i]);
  }
  for (auto _ : state) {
    for (auto& s : spans) {
      s.start_time_unix_nano = t;
      s.end_time_unix_nano = t + 150;
      t += 200;
    }
    z.export_spans(ptrs);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(spans.size()));
}
BENCHMARK(BM_TraceZ_ExportBatch);

}  // namespace

BENCHMARK_MAIN();
