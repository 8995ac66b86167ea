// The library's /metrics endpoint (prometheus::MetricsServer on net::HttpServer) serving the
// series of series.h from the metrics SDK: every scrape collects and renders, as the library's
// own endpoint does. Usage: endpoint_ours [port] (0 or none: a free port). Prints "port N" and
// "body_bytes N", then serves on 127.0.0.1 until SIGTERM, SIGINT or end of standard input.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "adminara/obs/metrics.h"
#include "bench/endpoint/series.h"
#include "export/prometheus/server.h"
#include "export/prometheus/text_format.h"

namespace obs = adminara::obs;
namespace prom = adminara::obs::prometheus;
namespace eb = endpoint_bench;

int main(int argc, char** argv) {
  const sigset_t stop_signals = eb::block_stop_signals();
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  const int per_family = eb::series_per_family();

  obs::MeterProvider provider(obs::MeterProviderOptions{.cardinality_limit = 100});
  obs::Meter meter = provider.get_meter("bench.endpoint", "1.0");
  for (int f = 0; f < eb::kCounterFamilies; ++f) {
    obs::Counter c = meter.create_counter(eb::family_name("app_requests", f),
                                          {.description = "Requests served."});
    for (int s = 0; s < per_family; ++s) {
      c.add(eb::counter_value(f, s), {{"route", eb::kRoutes[s]}, {"status", eb::status(s)}});
    }
  }
  for (int f = 0; f < eb::kGaugeFamilies; ++f) {
    obs::Gauge g = meter.create_gauge(eb::family_name("app_queue_depth", f),
                                      {.description = "Items waiting."});
    for (int s = 0; s < per_family; ++s) {
      g.set(eb::gauge_value(f, s), {{"route", eb::kRoutes[s]}, {"status", eb::status(s)}});
    }
  }
  for (int f = 0; f < eb::kHistogramFamilies; ++f) {
    obs::Histogram h = meter.create_histogram(eb::family_name("app_request_duration", f),
                                              {.description = "Request duration."});
    for (int s = 0; s < per_family; ++s) {
      for (double v : eb::kObservations) {
        h.record(v, {{"route", eb::kRoutes[s]}, {"status", eb::status(s)}});
      }
    }
  }

  auto render = [&provider](prom::Format format, std::string& out) {
    const auto data = provider.collect();
    prom::render(provider.resource(), data, format, {}, out);
  };
  std::string body;
  render(prom::Format::kText004, body);
  if (argc > 2 && std::string(argv[2]) == "--print") std::fputs(body.c_str(), stderr);

  prom::MetricsServer server(prom::MetricsServerOptions{.host = "127.0.0.1", .port = port}, render);
  std::printf("port %d\nbody_bytes %zu\n", server.port(), body.size());
  std::fflush(stdout);
  eb::wait_until_stopped(stop_signals);
  server.stop();
  return 0;
}
