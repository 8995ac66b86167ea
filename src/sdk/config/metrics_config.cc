#include "sdk/config/metrics_config.h"

#include <algorithm>
#include <array>

namespace adminara::obs::config {

MetricsConfig load_metrics_config(const Options& options, EnvReader& env) {
  MetricsConfig c;
  const bool sdk_disabled = env.get_bool("OTEL_SDK_DISABLED", false);
  const bool metrics =
      options.enable_metrics ? *options.enable_metrics : env.get_bool("ENABLE_METRICS", true);
  c.enabled = metrics && !sdk_disabled;

  // "console" is OTel's other metric exporter; it is an accepted word that this build does not
  // provide yet, so it warns instead of being silently ignored.
  static constexpr std::array<std::string_view, 4> kExporters = {"prometheus", "none", "otlp",
                                                                 "console"};
  std::optional<std::vector<std::string>> names;
  std::string source;
  if (!options.metrics_exporter.empty()) {
    source = "Options::metrics_exporter";
    names = env.parse_list(source, options.metrics_exporter, kExporters);
  } else {
    source = "OTEL_METRICS_EXPORTER";
    names = env.get_list(source, kExporters);
  }
  if (names) {
    c.prometheus = std::find(names->begin(), names->end(), "prometheus") != names->end();
    c.otlp = std::find(names->begin(), names->end(), "otlp") != names->end();
    for (const auto& n : *names) {
      if (n == "console") {
        env.warn(source +
                 ": the console metrics exporter is not available in this build; "
                 "accepted: prometheus, otlp, none");
      }
    }
  }

  if (options.prometheus_host) {
    c.prometheus_host = *options.prometheus_host;
  } else if (auto h = env.raw("OTEL_EXPORTER_PROMETHEUS_HOST")) {
    c.prometheus_host = *h;
  }
  c.prometheus_port =
      options.prometheus_port
          ? *options.prometheus_port
          : static_cast<int>(env.get_int("OTEL_EXPORTER_PROMETHEUS_PORT", 9464, 0, 65535));
  if (options.web_config_file) {
    c.web_config_file = *options.web_config_file;
  } else if (auto f = env.raw("ADMINARA_WEB_CONFIG_FILE")) {
    c.web_config_file = std::string(trim_whitespace(*f));
  }
  c.unit_suffixes = options.prometheus_unit_suffixes
                        ? *options.prometheus_unit_suffixes
                        : env.get_bool("ADMINARA_PROMETHEUS_UNIT_SUFFIXES", false);
  c.cardinality_limit = options.cardinality_limit
                            ? *options.cardinality_limit
                            : static_cast<std::size_t>(env.get_int(
                                  "ADMINARA_METRICS_CARDINALITY_LIMIT", 2000, 1, 1000000));
  static constexpr std::array<std::string_view, 3> kFilters = {"trace_based", "always_on",
                                                               "always_off"};
  if (auto f = env.get_enum("OTEL_METRICS_EXEMPLAR_FILTER", kFilters, "the default trace_based")) {
    if (*f == "always_on") c.exemplar_filter = ExemplarFilter::kAlwaysOn;
    if (*f == "always_off") c.exemplar_filter = ExemplarFilter::kAlwaysOff;
  }
  return c;
}

}  // namespace adminara::obs::config
