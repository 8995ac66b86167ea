#include "sdk/config/debug_pages_config.h"

#include <algorithm>
#include <string>

namespace adminara::obs::config {

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
