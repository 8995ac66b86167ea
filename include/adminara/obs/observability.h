// The entry points: init_observability() builds the process-wide SDK once from Options
// and the environment (OTEL_*, ENABLE_TRACING, ...); shutdown() flushes and stops it.
//
//   int main() {
//     obs::init_observability("adminara");
//     ...
//     obs::shutdown();   // also run automatically at exit
//   }
//
// Thread-safety: all functions here are safe to call from any thread; init and shutdown
// serialize on an internal mutex. Errors: with Options::strict_config, a configuration problem
// throws ConfigError from init; otherwise it is logged to stderr once and the default is used.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/exporter.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/profiler.h"
#include "adminara/obs/resource.h"
#include "adminara/obs/sampler.h"
#include "adminara/obs/tracer.h"

namespace adminara::obs {

/// A configuration value that cannot be used. what() names the variable (or option), the value
/// and what is accepted.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Everything init_observability() can be told in code. Unset fields fall back to the
/// environment, then to the defaults in docs/configuration.md. Code wins over the environment
/// except for OTEL_SERVICE_NAME, which wins over service_name (as OTel specifies).
struct Options {
  std::string service_name = "adminara";
  /// Empty: `service.version` from OTEL_RESOURCE_ATTRIBUTES, else the library version.
  std::string service_version;
  /// Extra resource attributes; they win over OTEL_RESOURCE_ATTRIBUTES.
  std::vector<KeyValue> resource_attributes;
  /// Unset: ENABLE_TRACING (default true) and OTEL_SDK_DISABLED (default false).
  std::optional<bool> enable_tracing;
  /// Comma list of console, memory, otlp, none. Empty: OTEL_TRACES_EXPORTER, else console in
  /// development and otlp in production (deployment from ADMINARA_ENV). otlp sends to
  /// OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT (default http://localhost:4318/v1/traces).
  std::string traces_exporter;
  /// Exporters added in code, in addition to the ones named by traces_exporter.
  std::vector<std::shared_ptr<SpanExporter>> span_exporters;
  /// Null: OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default parentbased_always_on).
  std::shared_ptr<const Sampler> sampler;
  /// Unset: batch.
  std::optional<ProcessorKind> span_processor;
  /// Unset: ENABLE_METRICS (default true) and OTEL_SDK_DISABLED (default false).
  std::optional<bool> enable_metrics;
  /// Comma list of prometheus, otlp, or none. Empty: OTEL_METRICS_EXPORTER, else prometheus.
  /// otlp exports every OTEL_METRIC_EXPORT_INTERVAL to OTEL_EXPORTER_OTLP_[METRICS_]ENDPOINT.
  std::string metrics_exporter;
  /// Unset: OTEL_EXPORTER_PROMETHEUS_HOST, else localhost.
  std::optional<std::string> prometheus_host;
  /// Unset: OTEL_EXPORTER_PROMETHEUS_PORT, else 9464. 0 picks a free port (see
  /// Observability::prometheus_port()).
  std::optional<int> prometheus_port;
  /// Add unit suffixes to Prometheus names (`queue_wait_time_milliseconds`). Unset:
  /// ADMINARA_PROMETHEUS_UNIT_SUFFIXES, else false (names exactly as created).
  std::optional<bool> prometheus_unit_suffixes;
  /// Distinct attribute sets per instrument. Unset: ADMINARA_METRICS_CARDINALITY_LIMIT, else 2000.
  std::optional<std::size_t> cardinality_limit;
  /// Unset: ENABLE_PROFILING (default true) and OTEL_SDK_DISABLED (default false). False makes
  /// get_profiler() a disabled profiler whose calls are no-ops.
  std::optional<bool> enable_profiling;
  /// The live debug pages under /debug/ on the Prometheus endpoint's server (docs/debug-pages.md):
  /// /debug/tracez, /debug/metricz, /debug/profilez, /debug/jobz and their JSON under
  /// /debug/api/. They show span names, attributes and events as recorded: keep secrets out of
  /// spans. They need the Prometheus endpoint (metrics enabled with the prometheus exporter).
  /// Unset: ADMINARA_DEBUG_PAGES, else on in development and off in production (ADMINARA_ENV).
  /// Off: nothing is gathered and /debug/* answers 404.
  std::optional<bool> debug_pages;
  /// How often the pages' metric history samples the metrics (100 ms to 1 h; out of range: a
  /// configuration warning and the nearest bound). Unset: ADMINARA_DEBUG_PAGES_INTERVAL (integer
  /// milliseconds), else 5000.
  std::optional<std::chrono::milliseconds> debug_pages_interval;
  /// Where the console exporter writes; null: std::cout. Not owned; must outlive shutdown().
  std::ostream* console_output = nullptr;
  /// Turn every configuration warning into a ConfigError thrown by init_observability().
  bool strict_config = false;
  /// Reads a variable; null: the process environment. Lets tests and embedders configure without
  /// touching the real environment.
  std::function<std::optional<std::string>(std::string_view)> getenv;
};

/// The process-wide SDK built by init_observability(). Lives until process exit.
class Observability {
 public:
  virtual ~Observability() = default;
  virtual TracerProvider& tracer_provider() = 0;
  /// The tracer named after the service (what start_span() uses).
  virtual Tracer tracer() = 0;
  virtual MeterProvider& meter_provider() = 0;
  /// The meter named after the service (what get_meter() returns).
  virtual Meter meter() = 0;
  /// The AdminAra metrics on meter(); `active_spans` is maintained by the tracer.
  virtual const AdminAraMetrics& metrics() const = 0;
  /// The global profiler (what get_profiler() returns); records into meter().
  virtual PerformanceProfiler& profiler() = 0;
  /// The port the Prometheus endpoint listens on, or 0 when it is not running.
  virtual int prometheus_port() const = 0;
  /// What a scrape of /metrics returns now (text format 0.0.4, or OpenMetrics 1.0).
  virtual std::string render_metrics(bool openmetrics = false) = 0;
  virtual const Resource& resource() const = 0;
  /// Configuration problems found at init (each also logged once).
  virtual const std::vector<std::string>& config_warnings() const = 0;
  /// "development" or "production" (ADMINARA_ENV).
  virtual const std::string& deployment_environment() const = 0;
  /// The names of the active span exporters, e.g. {"console"}.
  virtual const std::vector<std::string>& span_exporter_names() const = 0;
  /// The in-memory exporter when `memory` was selected, else nullptr.
  virtual InMemorySpanExporter* memory_exporter() = 0;
  /// Whether the debug pages are served (under /debug/ on prometheus_port()).
  virtual bool debug_pages_enabled() const = 0;
};

/// Builds the global SDK once. A second call returns the same instance and ignores its
/// arguments (a warning is logged when they differ); after shutdown() a call builds a new one.
/// Throws ConfigError with Options::strict_config for any configuration warning, and always when
/// the Prometheus endpoint cannot listen (the message names host and port).
Observability& init_observability(std::string_view service_name = "adminara");
Observability& init_observability(const Options& options);

/// The global SDK, or nullptr before init / after shutdown.
Observability* observability();

/// The global meter (named after the service). Before init or after
/// shutdown: a no-op meter whose instruments record nothing.
Meter get_meter();
/// The global provider's meter for another instrumentation scope (no-op before init).
Meter get_meter(std::string_view name, std::string_view version = {});

/// Flushes and stops the global SDK. Safe to call twice, without init, and at exit.
void shutdown();

/// Exports everything ended so far through the global SDK; false on timeout.
bool force_flush();

/// The library version, e.g. "0.1.0".
std::string_view version();

}  // namespace adminara::obs
