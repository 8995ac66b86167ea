#include "init/self_metrics.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "adminara/obs/observability.h"
#include "sdk/metrics/process_stats.h"

namespace adminara::obs {
namespace {

// One /proc read serves every process metric of a collection.
class ProcessStatsCache {
 public:
  sdk::ProcessStats get() {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!read_ || now - read_at_ > std::chrono::milliseconds(100)) {
      stats_ = sdk::read_process_stats();
      read_at_ = now;
      read_ = true;
    }
    return stats_;
  }

 private:
  std::mutex mu_;
  bool read_ = false;
  std::chrono::steady_clock::time_point read_at_;
  sdk::ProcessStats stats_;
};

}  // namespace

std::vector<ObservableInstrument> register_self_metrics(MeterProvider& meters,
                                                        TracerProvider& tracing,
                                                        const ScrapeStats* scrapes,
                                                        const otlp::OtlpStats* otlp_traces,
                                                        const otlp::OtlpStats* otlp_metrics) {
  std::vector<ObservableInstrument> out;
  Meter self = meters.get_meter("adminara.obs", version());
  auto counter = [&](std::string_view name, std::string_view description, auto read) {
    out.push_back(self.create_observable_counter(
        name, [read](ObservableResult& r) { r.observe(static_cast<double>(read())); },
        {.description = description}));
  };
  TracerProvider* t = &tracing;
  MeterProvider* m = &meters;
  counter("adminara_obs_spans_ended", "Recording spans ended",
          [t] { return t->stats().spans_ended; });
  counter("adminara_obs_spans_exported", "Spans exporters accepted",
          [t] { return t->stats().spans_exported; });
  counter("adminara_obs_spans_dropped",
          "Spans dropped because the export queue was full or the SDK was shut down",
          [t] { return t->stats().spans_dropped; });
  counter("adminara_obs_spans_failed", "Spans in exports that failed",
          [t] { return t->stats().spans_failed; });
  counter("adminara_obs_span_export_calls", "Calls to span exporters",
          [t] { return t->stats().export_calls; });
  counter("adminara_obs_metric_measurements_rejected",
          "Measurements ignored as invalid (negative or non-finite counter increments, NaN)",
          [m] { return m->stats().measurements_rejected; });
  counter("adminara_obs_metric_overflow_measurements",
          "Measurements recorded into an overflow series because an instrument reached its "
          "cardinality limit",
          [m] { return m->stats().overflow_measurements; });
  counter("adminara_obs_metric_callback_errors", "Observable instrument callbacks that threw",
          [m] { return m->stats().callback_errors; });
  counter("adminara_obs_prometheus_scrapes", "Scrapes of the Prometheus endpoint",
          [scrapes] { return scrapes->scrapes.load(std::memory_order_relaxed); });
  counter("adminara_obs_prometheus_metrics_dropped",
          "Metrics left out of a scrape because another metric had the same name and another type",
          [scrapes] { return scrapes->metrics_dropped.load(std::memory_order_relaxed); });

  // The endpoint's HTTP server: what it refused or closed, so a flood or a misconfigured scraper
  // shows on the dashboard (docs/metrics.md).
  auto http_counter = [&](std::string_view name, std::string_view description, auto observe) {
    out.push_back(self.create_observable_counter(
        name,
        [scrapes, observe](ObservableResult& r) {
          if (const auto* s = scrapes->server.load(std::memory_order_acquire)) {
            observe(r, s->stats());
          }
        },
        {.description = description}));
  };
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  http_counter("adminara_obs_http_connections_accepted", "Connections the endpoint accepted",
               [d](ObservableResult& r, const net::HttpServerStats& s) {
                 r.observe(d(s.connections_accepted));
               });
  http_counter("adminara_obs_http_connections_rejected",
               "Connections closed at once because the endpoint had max_connections open",
               [d](ObservableResult& r, const net::HttpServerStats& s) {
                 r.observe(d(s.connections_rejected));
               });
  http_counter("adminara_obs_http_requests_refused",
               "Requests the endpoint answered with an error before any handler ran, by reason",
               [d](ObservableResult& r, const net::HttpServerStats& s) {
                 r.observe(d(s.header_too_large), {{"reason", "header_too_large"}});
                 r.observe(d(s.body_too_large), {{"reason", "body_too_large"}});
                 r.observe(d(s.bad_requests), {{"reason", "bad_request"}});
                 r.observe(d(s.auth_failures), {{"reason", "unauthorized"}});
                 r.observe(d(s.in_flight_rejections), {{"reason", "in_flight_limit"}});
                 r.observe(d(s.handler_errors), {{"reason", "handler_error"}});
               });
  http_counter("adminara_obs_http_connections_closed",
               "Connections the endpoint closed itself, by reason (a deadline, a failed TLS "
               "handshake)",
               [d](ObservableResult& r, const net::HttpServerStats& s) {
                 r.observe(d(s.head_timeouts), {{"reason", "head_timeout"}});
                 r.observe(d(s.body_timeouts), {{"reason", "body_timeout"}});
                 r.observe(d(s.idle_timeouts), {{"reason", "idle_timeout"}});
                 r.observe(d(s.write_timeouts), {{"reason", "write_timeout"}});
                 r.observe(d(s.tls_handshake_failures), {{"reason", "tls_handshake_failed"}});
               });
  out.push_back(self.create_observable_gauge(
      "adminara_obs_http_connections_open",
      [scrapes](ObservableResult& r) {
        if (const auto* s = scrapes->server.load(std::memory_order_acquire)) {
          r.observe(static_cast<double>(s->stats().connections_open));
        }
      },
      {.description = "Connections open to the endpoint"}));

  // The OTLP exporters, one series per signal.
  using OtlpField = std::atomic<std::uint64_t> otlp::OtlpStats::*;
  auto otlp_counter = [&](std::string_view name, std::string_view description, OtlpField field) {
    out.push_back(self.create_observable_counter(
        name,
        [otlp_traces, otlp_metrics, field](ObservableResult& r) {
          r.observe(static_cast<double>((otlp_traces->*field).load(std::memory_order_relaxed)),
                    {{"signal", "traces"}});
          r.observe(static_cast<double>((otlp_metrics->*field).load(std::memory_order_relaxed)),
                    {{"signal", "metrics"}});
        },
        {.description = description}));
  };
  if (otlp_traces != nullptr && otlp_metrics != nullptr) {
    otlp_counter("adminara_obs_otlp_requests",
                 "HTTP requests sent to the OTLP endpoint, retries included",
                 &otlp::OtlpStats::requests);
    otlp_counter("adminara_obs_otlp_retries", "OTLP requests that were retries of a failed one",
                 &otlp::OtlpStats::retries);
    otlp_counter("adminara_obs_otlp_export_failures",
                 "OTLP exports given up after retries, or not retried (their data is lost)",
                 &otlp::OtlpStats::export_failures);
    otlp_counter("adminara_obs_otlp_rejected",
                 "Spans or data points the OTLP receiver rejected in a partial success",
                 &otlp::OtlpStats::rejected);
    const otlp::OtlpStats* ms = otlp_metrics;
    counter("adminara_obs_metric_points_exported", "Metric data points the OTLP receiver accepted",
            [ms] { return ms->points_exported.load(std::memory_order_relaxed); });
    counter("adminara_obs_metric_points_dropped",
            "Metric data points lost: in OTLP exports that failed, or rejected by the receiver",
            [ms] { return ms->points_dropped.load(std::memory_order_relaxed); });
  }

  // The standard process metrics (names as Prometheus client libraries export them).
  auto cache = std::make_shared<ProcessStatsCache>();
  using Field = std::optional<double> sdk::ProcessStats::*;
  auto process = [&](bool is_counter, std::string_view name, std::string_view unit,
                     std::string_view description, Field field) {
    ObservableCallback cb = [cache, field](ObservableResult& r) {
      const sdk::ProcessStats s = cache->get();
      if (const std::optional<double>& v = s.*field) r.observe(*v);
    };
    InstrumentOptions o{.description = description, .unit = unit};
    out.push_back(is_counter ? self.create_observable_counter(name, std::move(cb), o)
                             : self.create_observable_gauge(name, std::move(cb), o));
  };
  process(true, "process_cpu_seconds", "s", "Total user and system CPU time spent in seconds.",
          &sdk::ProcessStats::cpu_seconds);
  process(false, "process_resident_memory_bytes", "By", "Resident memory size in bytes.",
          &sdk::ProcessStats::resident_memory_bytes);
  process(false, "process_virtual_memory_bytes", "By", "Virtual memory size in bytes.",
          &sdk::ProcessStats::virtual_memory_bytes);
  process(false, "process_start_time_seconds", "s",
          "Start time of the process since unix epoch in seconds.",
          &sdk::ProcessStats::start_time_seconds);
  process(false, "process_open_fds", "", "Number of open file descriptors.",
          &sdk::ProcessStats::open_fds);
  process(false, "process_max_fds", "", "Maximum number of open file descriptors.",
          &sdk::ProcessStats::max_fds);
  process(false, "process_threads", "", "Number of OS threads in the process.",
          &sdk::ProcessStats::threads);
  return out;
}

}  // namespace adminara::obs
