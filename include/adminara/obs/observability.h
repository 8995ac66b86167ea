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

#include "adminara/obs/adminara_metrics.h"
#include "adminara/obs/exporter.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/options.h"
#include "adminara/obs/profiler.h"
#include "adminara/obs/resource.h"
#include "adminara/obs/tracer.h"

namespace adminara::obs {

/// The process-wide SDK built by init_observability(). Lives until process exit.
class Observability {
 public:
  virtual ~Observability() = default;
  virtual TracerProvider& tracer_provider() = 0;
  /// The meters' provider, for collecting its data directly (MeterProvider::collect()). The
  /// service's meter is get_meter(), its tracer is what start_span() uses, its profiler is
  /// get_profiler(), and create_metrics(get_meter()) returns the AdminAra metrics.
  virtual MeterProvider& meter_provider() = 0;
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

/// Flushes and stops the global SDK. Safe to call twice, without init, and at exit.
void shutdown();

/// Exports everything ended so far through the global SDK; false on timeout.
bool force_flush();

/// The library version, e.g. "0.1.0".
std::string_view version();

}  // namespace adminara::obs
