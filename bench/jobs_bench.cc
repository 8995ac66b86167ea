// Jobs on the in-memory backend with tracing and metrics on (the global SDK, spans sampled and
// handed to a discarding exporter, metrics recorded): add + process throughput of no-op jobs at
// concurrency 1, 2 and 8, and the latency from add to the processor's start.
//
//   build/bin/jobs_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

#include "adminara/obs/jobs.h"
#include "adminara/obs/observability.h"

namespace {

namespace obs = adminara::obs;
namespace jobs = adminara::obs::jobs;

void init_sdk() {
  static const bool done = [] {
    obs::Options o;
    o.service_name = "jobs-bench";
    o.traces_exporter = "none";
    o.metrics_exporter = "none";
    o.enable_tracing = true;
    o.enable_metrics = true;
    obs::init_observability(o);
    return true;
  }();
  (void)done;
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Process-wide CPU time and context switches, reported per job, to see where the time goes: the
// producer (the benchmark thread while it adds; its wait for the last completion is left out)
// versus the worker threads and the span processor, and how often threads sleep and wake.
struct Usage {
  double cpu_ns = 0;
  double voluntary_switches = 0;
  double involuntary_switches = 0;

  static Usage now() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto ns = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) * 1e9 + static_cast<double>(tv.tv_usec) * 1e3;
    };
    return {ns(ru.ru_utime) + ns(ru.ru_stime), static_cast<double>(ru.ru_nvcsw),
            static_cast<double>(ru.ru_nivcsw)};
  }

  // Adds per-job counters for what happened since `before` (producer_ns: the adds' CPU time).
  static void report(benchmark::State& state, const Usage& before, double producer_ns,
                     double jobs) {
    const Usage after = now();
    if (jobs <= 0) return;
    const double cpu = after.cpu_ns - before.cpu_ns;
    state.counters["cpu_ns/job"] = cpu / jobs;
    state.counters["add_ns/job"] = producer_ns / jobs;
    state.counters["vcsw/job"] = (after.voluntary_switches - before.voluntary_switches) / jobs;
    state.counters["ivcsw/job"] = (after.involuntary_switches - before.involuntary_switches) / jobs;
  }
};

// One producer thread (the benchmark thread) adds kBatch jobs; the worker processes them as they
// arrive. Time = first add to last completion.
void BM_AddAndProcess(benchmark::State& state) {
  init_sdk();
  constexpr int kBatch = 20000;
  jobs::Queue queue("bench", {.connection = {.backend = jobs::make_memory_backend()}});
  std::atomic<std::int64_t> done{0};
  jobs::Worker worker(queue,
                      [&done](jobs::Job&) -> jobs::Json {
                        done.fetch_add(1, std::memory_order_relaxed);
                        return nullptr;
                      },
                      {.concurrency = static_cast<int>(state.range(0))});
  const jobs::JobOptions options{.remove_on_complete = jobs::Retention::remove()};
  std::int64_t target = 0;
  const Usage before = Usage::now();
  double producer_ns = 0;
  for (auto _ : state) {
    target += kBatch;
    const std::int64_t cpu0 = thread_cpu_ns();
    for (int i = 0; i < kBatch; ++i) queue.add("noop", jobs::Json::object(), options);
    producer_ns += static_cast<double>(thread_cpu_ns() - cpu0);
    while (done.load(std::memory_order_relaxed) < target) std::this_thread::yield();
  }
  Usage::report(state, before, producer_ns, static_cast<double>(target));
  worker.close();
  state.SetItemsProcessed(state.iterations() * kBatch);
  if (!obs::observability()->tracer_provider().enabled()) state.SkipWithError("tracing is off");
}
BENCHMARK(BM_AddAndProcess)->Arg(1)->Arg(2)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();

// Bulk add (one call, 1,000 jobs) then process, concurrency 8.
void BM_AddBulkAndProcess(benchmark::State& state) {
  init_sdk();
  constexpr int kBatch = 20000;
  jobs::Queue queue("bench-bulk", {.connection = {.backend = jobs::make_memory_backend()}});
  std::atomic<std::int64_t> done{0};
  jobs::Worker worker(queue,
                      [&done](jobs::Job&) -> jobs::Json {
                        done.fetch_add(1, std::memory_order_relaxed);
                        return nullptr;
                      },
                      {.concurrency = 8});
  std::vector<jobs::Queue::BulkJob> bulk(
      1000, {"noop", jobs::Json::object(), {.remove_on_complete = jobs::Retention::remove()}});
  std::int64_t target = 0;
  const Usage before = Usage::now();
  double producer_ns = 0;
  for (auto _ : state) {
    target += kBatch;
    const std::int64_t cpu0 = thread_cpu_ns();
    for (int i = 0; i < kBatch / 1000; ++i) queue.add_bulk(bulk);
    producer_ns += static_cast<double>(thread_cpu_ns() - cpu0);
    while (done.load(std::memory_order_relaxed) < target) std::this_thread::yield();
  }
  Usage::report(state, before, producer_ns, static_cast<double>(target));
  worker.close();
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_AddBulkAndProcess)->Unit(benchmark::kMillisecond)->UseRealTime();

// Latency from add to the processor's first line, one job at a time into an idle worker (the
// worker is waiting, so this includes the wake-up), concurrency 8. Reports p50 / p99 in us.
void BM_AddToStartLatency(benchmark::State& state) {
  init_sdk();
  jobs::Queue queue("bench-latency", {.connection = {.backend = jobs::make_memory_backend()}});
  std::atomic<std::int64_t> started_at{0};
  jobs::Worker worker(queue,
                      [&](jobs::Job&) -> jobs::Json {
                        started_at.store(steady_ns(), std::memory_order_release);
                        return nullptr;
                      },
                      {.concurrency = 8});
  const jobs::JobOptions options{.remove_on_complete = jobs::Retention::remove()};
  std::vector<double> latencies;
  for (auto _ : state) {
    started_at.store(0, std::memory_order_relaxed);
    const std::int64_t t0 = steady_ns();
    queue.add("noop", jobs::Json::object(), options);
    std::int64_t t1;
    while ((t1 = started_at.load(std::memory_order_acquire)) == 0) std::this_thread::yield();
    latencies.push_back(static_cast<double>(t1 - t0) / 1000.0);
    // Let the worker go idle again.
    while (queue.counts().active != 0) std::this_thread::yield();
  }
  worker.close();
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    state.counters["p50_us"] = latencies[latencies.size() / 2];
    state.counters["p99_us"] = latencies[latencies.size() * 99 / 100];
  }
}
BENCHMARK(BM_AddToStartLatency)->Iterations(5000)->UseRealTime();

// Reference row, no library code: two threads hand one cache line back and forth (an atomic
// counter each increments in turn); the time per round trip. A job crosses from the producer to
// a worker and back through such lines, so this is the machine's price for that, which on a
// VM changes with where the host puts the two vCPUs (same core's caches or far apart). Read the
// jobs rows against it: they move together.
void BM_CoreToCoreRoundTrip(benchmark::State& state) {
  alignas(64) std::atomic<std::int64_t> ball{0};
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    std::int64_t next = 1;
    while (!stop.load(std::memory_order_relaxed)) {
      if (ball.load(std::memory_order_acquire) == next) {
        ball.store(next + 1, std::memory_order_release);
        next += 2;
      }
    }
  });
  std::int64_t mine = 0;
  for (auto _ : state) {
    ball.store(mine + 1, std::memory_order_release);
    while (ball.load(std::memory_order_acquire) != mine + 2) {
    }
    mine += 2;
  }
  stop.store(true);
  partner.join();
}
BENCHMARK(BM_CoreToCoreRoundTrip)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
