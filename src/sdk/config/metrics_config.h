// The metrics part of init_observability(): Options + environment -> the settings of the
// MeterProvider and the Prometheus endpoint. See docs/configuration.md for every variable.
#pragma once

#include <cstddef>
#include <string>

#include "adminara/obs/metrics.h"
#include "adminara/obs/options.h"
#include "sdk/config/env.h"

namespace adminara::obs::config {

struct MetricsConfig {
  // (Options::enable_metrics, else ENABLE_METRICS) && !OTEL_SDK_DISABLED
  bool enabled = true;
  // OTEL_METRICS_EXPORTER: a list of prometheus (default), otlp; or none.
  bool prometheus = true;
  bool otlp = false;
  std::string prometheus_host = "localhost";  // OTEL_EXPORTER_PROMETHEUS_HOST
  int prometheus_port = 9464;                 // OTEL_EXPORTER_PROMETHEUS_PORT (0: any free port)
  bool unit_suffixes = false;                 // ADMINARA_PROMETHEUS_UNIT_SUFFIXES
  std::size_t cardinality_limit = 2000;       // ADMINARA_METRICS_CARDINALITY_LIMIT
  ExemplarFilter exemplar_filter = ExemplarFilter::kTraceBased;  // OTEL_METRICS_EXEMPLAR_FILTER
  std::string web_config_file;  // Options::web_config_file, ADMINARA_WEB_CONFIG_FILE; empty: none
};

/// Resolves the metrics configuration; problems are reported through `env.warnings()`.
MetricsConfig load_metrics_config(const Options& options, EnvReader& env);

}  // namespace adminara::obs::config
