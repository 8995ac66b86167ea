// Metrics hot paths against prometheus-cpp (Debian's prometheus-cpp-dev) in the same binary and
// run: counter add (plain, bound, 2-attribute lookup), histogram record, up-down counter add, on
// 1 and 2 threads sharing one instrument; and a scrape of 10,000 counter series / 1,000
// histogram series (collect + render vs Registry::Collect + TextSerializer).
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <string>

#include "adminara/obs/metrics.h"
#include "export/prometheus/text_format.h"

namespace obs = adminara::obs;

namespace {

// Values spread over the default buckets, the same sequence for both libraries.
constexpr std::array<double, 16> kValues = {0.5, 3,   7,   20,  40,   60,   90,   100,
                                            234, 400, 600, 900, 2000, 4000, 8000, 12000};

struct Obs {
  obs::MeterProvider provider;
  obs::Meter meter = provider.get_meter("bench");
  obs::Counter counter = meter.create_counter("requests");
  obs::BoundCounter bound = counter.bind({{"route", "/api/queue"}, {"code", 200}});
  obs::Histogram histogram = meter.create_histogram("latency", {.unit = "ms"});
  obs::UpDownCounter updown = meter.create_up_down_counter("in_flight");
};
Obs& ours() {
  static Obs o;
  return o;
}

prometheus::Histogram::BucketBoundaries prom_bounds() {
  const auto& b = obs::default_histogram_boundaries();
  return prometheus::Histogram::BucketBoundaries(b.begin(), b.end());
}

struct Prom {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& counters =
      prometheus::BuildCounter().Name("requests_total").Help("h").Register(*registry);
  prometheus::Counter& counter = counters.Add({});
  prometheus::Family<prometheus::Histogram>& histograms =
      prometheus::BuildHistogram().Name("latency").Help("h").Register(*registry);
  prometheus::Histogram& histogram = histograms.Add({}, prom_bounds());
  prometheus::Family<prometheus::Gauge>& gauges =
      prometheus::BuildGauge().Name("in_flight").Help("h").Register(*registry);
  prometheus::Gauge& gauge = gauges.Add({});
};
Prom& theirs() {
  static Prom p;
  return p;
}

// --- recording ----------------------------------------------------------------------------------

void BM_Obs_CounterAdd(benchmark::State& state) {
  obs::Counter& c = ours().counter;
  for (auto _ : state) c.add(1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Obs_CounterAdd)->ThreadRange(1, 2)->UseRealTime();

void BM_Obs_CounterAddBound(benchmark::State& state) {
  obs::BoundCounter& c = ours().bound;
  for (auto _ : state) c.add(1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Obs_CounterAddBound)->ThreadRange(1, 2)->UseRealTime();

void BM_Obs_CounterAdd2Attributes(benchmark::State& state) {
  obs::Counter& c = ours().counter;
  for (auto _ : state) c.add(1, {{"route", "/api/queue"}, {"code", 200}});
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Obs_CounterAdd2Attributes)->ThreadRange(1, 2)->UseRealTime();

void BM_Obs_HistogramRecord(benchmark::State& state) {
  obs::Histogram& h = ours().histogram;
  std::size_t i = 0;
  for (auto _ : state) h.record(kValues[i++ & 15]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Obs_HistogramRecord)->ThreadRange(1, 2)->UseRealTime();

void BM_Obs_UpDownCounterAdd(benchmark::State& state) {
  obs::UpDownCounter& u = ours().updown;
  for (auto _ : state) u.add(1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Obs_UpDownCounterAdd)->ThreadRange(1, 2)->UseRealTime();

void BM_Prom_CounterIncrement(benchmark::State& state) {
  prometheus::Counter& c = theirs().counter;
  for (auto _ : state) c.Increment();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Prom_CounterIncrement)->ThreadRange(1, 2)->UseRealTime();

void BM_Prom_FamilyAdd2Labels(benchmark::State& state) {
  auto& family = theirs().counters;
  for (auto _ : state) family.Add({{"route", "/api/queue"}, {"code", "200"}}).Increment();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Prom_FamilyAdd2Labels)->ThreadRange(1, 2)->UseRealTime();

void BM_Prom_HistogramObserve(benchmark::State& state) {
  prometheus::Histogram& h = theirs().histogram;
  std::size_t i = 0;
  for (auto _ : state) h.Observe(kValues[i++ & 15]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Prom_HistogramObserve)->ThreadRange(1, 2)->UseRealTime();

void BM_Prom_GaugeIncrement(benchmark::State& state) {
  prometheus::Gauge& g = theirs().gauge;
  for (auto _ : state) g.Increment();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Prom_GaugeIncrement)->ThreadRange(1, 2)->UseRealTime();

// --- scrape -------------------------------------------------------------------------------------

constexpr int kCounterSeries = 10000;
constexpr int kHistogramSeries = 1000;

std::string route(int i) {
  return "/api/route/" + std::to_string(i / 10);
}

void BM_Obs_ScrapeCounters(benchmark::State& state) {
  obs::MeterProvider provider(obs::MeterProviderOptions{.cardinality_limit = kCounterSeries});
  obs::Counter c = provider.get_meter("bench").create_counter("http_requests");
  for (int i = 0; i < kCounterSeries; ++i) c.add(i, {{"route", route(i)}, {"code", 200 + i % 10}});
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto data = provider.collect();
    obs::prometheus::render(provider.resource(), data, obs::prometheus::Format::kText004, {}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_Obs_ScrapeCounters)->Unit(benchmark::kMillisecond);

void BM_Prom_ScrapeCounters(benchmark::State& state) {
  prometheus::Registry registry;
  auto& family = prometheus::BuildCounter().Name("http_requests_total").Register(registry);
  for (int i = 0; i < kCounterSeries; ++i) {
    family.Add({{"route", route(i)}, {"code", std::to_string(200 + i % 10)}}).Increment(i);
  }
  prometheus::TextSerializer serializer;
  std::string out;
  for (auto _ : state) {
    out = serializer.Serialize(registry.Collect());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_Prom_ScrapeCounters)->Unit(benchmark::kMillisecond);

void BM_Obs_ScrapeHistograms(benchmark::State& state) {
  obs::MeterProvider provider(obs::MeterProviderOptions{.cardinality_limit = kHistogramSeries});
  obs::Histogram h = provider.get_meter("bench").create_histogram("latency");
  for (int i = 0; i < kHistogramSeries; ++i) h.record(kValues[i & 15], {{"route", route(i * 10)}});
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto data = provider.collect();
    obs::prometheus::render(provider.resource(), data, obs::prometheus::Format::kText004, {}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_Obs_ScrapeHistograms)->Unit(benchmark::kMillisecond);

void BM_Prom_ScrapeHistograms(benchmark::State& state) {
  prometheus::Registry registry;
  auto& family = prometheus::BuildHistogram().Name("latency").Register(registry);
  for (int i = 0; i < kHistogramSeries; ++i) {
    family.Add({{"route", route(i * 10)}}, prom_bounds()).Observe(kValues[i & 15]);
  }
  prometheus::TextSerializer serializer;
  std::string out;
  for (auto _ : state) {
    out = serializer.Serialize(registry.Collect());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_Prom_ScrapeHistograms)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
