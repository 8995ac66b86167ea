#include "sdk/config/debug_pages_config.h"

#include <algorithm>
#include <string>

namespace adminara::obs::config {

bool serve_debug_pages(const DebugPagesConfig& config, std::string_view host, int port,
                       bool loopback, bool authenticated, std::string& warning) {
  warning.clear();
  if (loopback || authenticated) return true;
  warning = "the debug pages on " + std::string(host) + ":" + std::to_string(port) +
            " (OTEL_EXPORTER_PROMETHEUS_HOST) would be reachable beyond this host without basic "
            "auth or client certificates; ";
  if (config.allow_unprotected) {
    warning += "serving them because ADMINARA_DEBUG_PAGES_ALLOW_UNPROTECTED is set";
    return true;
  }
  warning +=
      "not serving them (set basic_auth_users or client_auth_type: RequireAndVerifyClientCert in "
      "ADMINARA_WEB_CONFIG_FILE, bind to a loopback address, or set "
      "ADMINARA_DEBUG_PAGES_ALLOW_UNPROTECTED=true)";
  return false;
}

DebugPagesConfig load_debug_pages_config(const Options& options, EnvReader& env,
                                         std::string_view deployment_environment) {
  DebugPagesConfig c;
  const bool by_default = deployment_environment != "production";
  if (options.debug_pages) {
    c.enabled = *options.debug_pages;
    c.explicit_choice = true;
  } else {
    c.explicit_choice = env.raw("ADMINARA_DEBUG_PAGES").has_value();
    c.enabled = env.get_bool("ADMINARA_DEBUG_PAGES", by_default);
  }
  if (options.debug_pages_interval) {
    const std::chrono::milliseconds v = *options.debug_pages_interval;
    c.sample_interval = std::clamp(v, kMinDebugPagesInterval, kMaxDebugPagesInterval);
    if (c.sample_interval != v) {
      env.warn("Options::debug_pages_interval=" + std::to_string(v.count()) +
               "ms is out of range; accepted: 100 to 3600000 ms; using " +
               std::to_string(c.sample_interval.count()) + "ms");
    }
  } else {
    c.sample_interval = std::chrono::milliseconds(env.get_int("ADMINARA_DEBUG_PAGES_INTERVAL", 5000,
                                                              kMinDebugPagesInterval.count(),
                                                              kMaxDebugPagesInterval.count()));
  }
  c.allow_unprotected = options.debug_pages_allow_unprotected
                            ? *options.debug_pages_allow_unprotected
                            : env.get_bool("ADMINARA_DEBUG_PAGES_ALLOW_UNPROTECTED", false);
  return c;
}

}  // namespace adminara::obs::config
