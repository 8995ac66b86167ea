// The Redis backend against Node BullMQ (bench/redis/run runs both on one Redis, interleaved):
// a worker draining 20,000 waiting no-op jobs at concurrency 1, 8 and 50, and a bulk add of
// 20,000 jobs in batches of 1,000, with tracing and metrics on (spans sampled and discarded).
// Redis' own cost per job comes from INFO deltas: server CPU, commands processed (script-internal
// ones included) and EVALSHA calls. Each measurement starts from an empty database.
//
//   ADMINARA_BENCH_REDIS_PORT=6379 build/bin/redis_jobs_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "adminara/obs/jobs.h"
#include "adminara/obs/observability.h"
#include "jobs/redis/redis_client.h"

namespace {

namespace obs = adminara::obs;
namespace jobs = adminara::obs::jobs;
namespace redis = adminara::obs::jobs::redis;

constexpr int kJobs = 20000;

void init_sdk() {
  static const bool done = [] {
    obs::Options o;
    o.service_name = "redis-jobs-bench";
    o.traces_exporter = "none";
    o.metrics_exporter = "none";
    o.enable_tracing = true;
    o.enable_metrics = true;
    obs::init_observability(o);
    return true;
  }();
  (void)done;
}

std::string redis_url() {
  const char* port = std::getenv("ADMINARA_BENCH_REDIS_PORT");
  return port == nullptr ? std::string() : std::string("redis://127.0.0.1:") + port;
}

struct Cost {
  double cpu_s = 0;
  double commands = 0;
  double evalsha = 0;
};

double info_field(const std::string& info, const std::string& name) {
  const std::size_t at = info.find("\n" + name + ":");
  if (at == std::string::npos) return 0;
  return std::strtod(info.c_str() + at + name.size() + 2, nullptr);
}

Cost cost(redis::RedisConnection& c) {
  const std::string info = c.command({"INFO", "all"}).str;
  Cost out;
  out.cpu_s = info_field(info, "used_cpu_user") + info_field(info, "used_cpu_sys");
  out.commands = info_field(info, "total_commands_processed");
  const std::size_t at = info.find("\ncmdstat_evalsha:calls=");
  if (at != std::string::npos) out.evalsha = std::strtod(info.c_str() + at + 23, nullptr);
  return out;
}

void report(benchmark::State& state, const Cost& before, const Cost& after, int n, double seconds) {
  state.counters["redis_cpu_us_per_job"] = (after.cpu_s - before.cpu_s) * 1e6 / n;
  state.counters["redis_commands_per_job"] = (after.commands - before.commands) / n;
  state.counters["evalsha_per_job"] = (after.evalsha - before.evalsha) / n;
  state.counters["jobs_per_s"] = n / seconds;
}

void add_all(jobs::Queue& queue) {
  for (int start = 0; start < kJobs; start += 1000) {
    std::vector<jobs::Queue::BulkJob> batch;
    for (int i = start; i < std::min(kJobs, start + 1000); ++i) {
      batch.push_back({.name = "noop", .data = {{"i", i}}});
    }
    queue.add_bulk(std::move(batch));
  }
}

void BM_RedisWorker(benchmark::State& state) {
  const std::string url = redis_url();
  if (url.empty()) {
    state.SkipWithError("set ADMINARA_BENCH_REDIS_PORT (bench/redis/run does)");
    return;
  }
  init_sdk();
  redis::RedisConnection admin(redis::parse_redis_url(url), std::chrono::seconds(2),
                               std::chrono::seconds(30));
  const int concurrency = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    admin.command({"FLUSHDB"});
    auto backend = jobs::make_redis_backend({.url = url});
    jobs::Queue queue("bench", {.connection = {.backend = backend}, .queue_depth_metrics = false});
    add_all(queue);
    admin.command({"CONFIG", "RESETSTAT"});
    const Cost before = cost(admin);
    std::mutex mu;
    std::condition_variable cv;
    std::atomic<int> done{0};
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    jobs::Worker worker(queue,
                        [&](jobs::Job&) -> jobs::Json {
                          if (done.fetch_add(1, std::memory_order_relaxed) + 1 == kJobs) {
                            std::lock_guard lock(mu);
                            cv.notify_all();
                          }
                          return nullptr;
                        },
                        {.concurrency = concurrency});
    {
      // The last processor call returned; its completion is recorded when counts() says so.
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done.load() == kJobs; });
    }
    while (queue.counts().completed < kJobs) std::this_thread::yield();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    state.PauseTiming();
    const Cost after = cost(admin);
    worker.close();
    report(state, before, after, kJobs, took.count());
    state.ResumeTiming();
  }
}
BENCHMARK(BM_RedisWorker)
    ->Arg(1)
    ->Arg(8)
    ->Arg(50)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_RedisAddBulk(benchmark::State& state) {
  const std::string url = redis_url();
  if (url.empty()) {
    state.SkipWithError("set ADMINARA_BENCH_REDIS_PORT (bench/redis/run does)");
    return;
  }
  init_sdk();
  redis::RedisConnection admin(redis::parse_redis_url(url), std::chrono::seconds(2),
                               std::chrono::seconds(30));
  for (auto _ : state) {
    state.PauseTiming();
    admin.command({"FLUSHDB"});
    auto backend = jobs::make_redis_backend({.url = url});
    jobs::Queue queue("bench", {.connection = {.backend = backend}, .queue_depth_metrics = false});
    admin.command({"CONFIG", "RESETSTAT"});
    const Cost before = cost(admin);
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    add_all(queue);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    state.PauseTiming();
    report(state, before, cost(admin), kJobs, took.count());
    state.ResumeTiming();
  }
}
BENCHMARK(BM_RedisAddBulk)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
