// prometheus-cpp's exposer (Debian's prometheus-cpp-dev 1.0.1: civetweb, its default 2 threads)
// serving the series of series.h from a prometheus::Registry, with the same names, labels
// (the scope labels the library adds included) and values as endpoint_ours:
// every scrape collects and serializes. Usage: endpoint_prometheus_cpp [port] (0 or none: a
// free port). Prints "port N" and "body_bytes N", then serves on 127.0.0.1 until SIGTERM, SIGINT
// or end of standard input.
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "bench/endpoint/series.h"

namespace eb = endpoint_bench;

int main(int argc, char** argv) {
  const sigset_t stop_signals = eb::block_stop_signals();
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  const int per_family = eb::series_per_family();

  auto registry = std::make_shared<prometheus::Registry>();
  const prometheus::Labels scope = {{"otel_scope_name", "bench.endpoint"},
                                    {"otel_scope_version", "1.0"}};
  auto labels = [](int s) {
    return prometheus::Labels{{"route", eb::kRoutes[s]}, {"status", eb::status(s)}};
  };
  for (int f = 0; f < eb::kCounterFamilies; ++f) {
    auto& family = prometheus::BuildCounter()
                       .Name(eb::family_name("app_requests", f) + "_total")
                       .Help("Requests served.")
                       .Labels(scope)
                       .Register(*registry);
    for (int s = 0; s < per_family; ++s) {
      family.Add(labels(s)).Increment(eb::counter_value(f, s));
    }
  }
  for (int f = 0; f < eb::kGaugeFamilies; ++f) {
    auto& family = prometheus::BuildGauge()
                       .Name(eb::family_name("app_queue_depth", f))
                       .Help("Items waiting.")
                       .Labels(scope)
                       .Register(*registry);
    for (int s = 0; s < per_family; ++s) family.Add(labels(s)).Set(eb::gauge_value(f, s));
  }
  const prometheus::Histogram::BucketBoundaries bounds = {
      0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
  for (int f = 0; f < eb::kHistogramFamilies; ++f) {
    auto& family = prometheus::BuildHistogram()
                       .Name(eb::family_name("app_request_duration", f))
                       .Help("Request duration.")
                       .Labels(scope)
                       .Register(*registry);
    for (int s = 0; s < per_family; ++s) {
      auto& h = family.Add(labels(s), bounds);
      for (double v : eb::kObservations) h.Observe(v);
    }
  }

  const std::string body = prometheus::TextSerializer().Serialize(registry->Collect());
  if (argc > 2 && std::string(argv[2]) == "--print") std::fputs(body.c_str(), stderr);

  prometheus::Exposer exposer("127.0.0.1:" + std::to_string(port));
  exposer.RegisterCollectable(registry);
  std::printf("port %d\nbody_bytes %zu\n", exposer.GetListeningPorts().at(0), body.size());
  std::fflush(stdout);
  eb::wait_until_stopped(stop_signals);
  return 0;
}
