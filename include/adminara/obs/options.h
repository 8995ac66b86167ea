// Options and ConfigError: what init_observability() can be told in code, and the error a value
// that cannot be used raises. Every field's variable, default and accepted values are in
// docs/configuration.md. Read by the configuration resolution (src/sdk/config/) and by
// init_observability() (adminara/obs/observability.h).
//
// Ownership: Options holds shared pointers to the exporters and sampler it names; they are
// shared with the SDK built from it. Thread-safety: a plain value; copy it freely.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/attributes.h"
#include "adminara/obs/exporter.h"
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
  /// Serve the debug pages even when the endpoint is neither bound to a loopback address nor
  /// protected by basic auth or client certificates (web_config_file). Off, such an endpoint
  /// leaves /debug/ unserved (404) and init logs why; on, it serves them with a warning. Unset:
  /// ADMINARA_DEBUG_PAGES_ALLOW_UNPROTECTED, else false.
  std::optional<bool> debug_pages_allow_unprotected;
  /// A Prometheus exporter-toolkit web configuration file (the YAML node_exporter's
  /// --web.config.file takes): TLS, basic auth and response headers for the /metrics + /debug
  /// endpoint (docs/operations.md). A file that cannot be used makes init_observability() throw
  /// ConfigError naming the key. Unset: ADMINARA_WEB_CONFIG_FILE, else plain HTTP without auth.
  std::optional<std::string> web_config_file;
  /// Where the console exporter writes; null: std::cout. Not owned; must outlive shutdown().
  std::ostream* console_output = nullptr;
  /// Turn every configuration warning into a ConfigError thrown by init_observability().
  bool strict_config = false;
  /// Reads a variable; null: the process environment. Lets tests and embedders configure without
  /// touching the real environment.
  std::function<std::optional<std::string>(std::string_view)> getenv;
};

}  // namespace adminara::obs
