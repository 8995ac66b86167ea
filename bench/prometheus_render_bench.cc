// Prometheus scrape rendering: 10,000 counter series with 2 labels, and 1,000 histogram series
// over the default OpenTelemetry bounds, in text 0.0.4 and OpenMetrics 1.0. The output string is
// reused across iterations, as a server thread would reuse its buffer.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "export/prometheus/text_format.h"

namespace obs = adminara::obs;
namespace prom = adminara::obs::prometheus;

namespace {

const obs::Resource& resource() {
  static const obs::Resource r({{"service.name", "bench"}, {"service.instance.id", "i-1"}});
  return r;
}

std::vector<obs::MetricData> counters() {
  obs::MetricData m;
  m.scope = {"adminara.bench", "1.0"};
  m.descriptor = {"http.server.requests", "Requests served", "{request}",
                  obs::InstrumentKind::kCounter};
  m.monotonic = true;
  for (int i = 0; i < 10'000; ++i) {
    obs::PointData p;
    p.attributes = std::make_shared<const obs::AttributeSet>(
        obs::AttributeSet{{"http.method", i % 2 == 0 ? "GET" : "POST"},
                          {"http.route", "/api/v1/item/" + std::to_string(i)}});
    p.value = obs::SumPoint{static_cast<double>(i) * 3.0, {}};
    m.points.push_back(std::move(p));
  }
  return {std::move(m)};
}

std::vector<obs::MetricData> histograms() {
  auto bounds = std::make_shared<const std::vector<double>>(
      std::vector<double>{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000});
  obs::MetricData m;
  m.scope = {"adminara.bench", "1.0"};
  m.descriptor = {"http.server.duration", "Request duration", "ms",
                  obs::InstrumentKind::kHistogram};
  m.monotonic = true;
  for (int i = 0; i < 1'000; ++i) {
    obs::HistogramPoint h;
    h.boundaries = bounds;
    h.bucket_counts.assign(16, 0);
    for (std::size_t b = 0; b < 16; ++b) h.bucket_counts[b] = static_cast<std::uint64_t>(i + b);
    for (auto c : h.bucket_counts) h.count += c;
    h.sum = 1234.5 + i;
    obs::PointData p;
    p.attributes = std::make_shared<const obs::AttributeSet>(
        obs::AttributeSet{{"http.route", "/api/v1/item/" + std::to_string(i)}});
    p.value = std::move(h);
    m.points.push_back(std::move(p));
  }
  return {std::move(m)};
}

void run(benchmark::State& state, const std::vector<obs::MetricData>& metrics, prom::Format f) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    prom::render(resource(), metrics, f, {}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}

void BM_Render10kCounters_Text004(benchmark::State& state) {
  static const auto metrics = counters();
  run(state, metrics, prom::Format::kText004);
}
void BM_Render10kCounters_OpenMetrics(benchmark::State& state) {
  static const auto metrics = counters();
  run(state, metrics, prom::Format::kOpenMetrics1);
}
void BM_Render1kHistograms_Text004(benchmark::State& state) {
  static const auto metrics = histograms();
  run(state, metrics, prom::Format::kText004);
}
void BM_Render1kHistograms_OpenMetrics(benchmark::State& state) {
  static const auto metrics = histograms();
  run(state, metrics, prom::Format::kOpenMetrics1);
}

BENCHMARK(BM_Render10kCounters_Text004)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Render10kCounters_OpenMetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Render1kHistograms_Text004)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Render1kHistograms_OpenMetrics)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
