// Options for tests of init_observability(): the environment is the given map (never the process
// environment), and the Prometheus endpoint takes a free 127.0.0.1 port unless the map names
// one, since tests run in parallel.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "adminara/obs/observability.h"

namespace adminara::obs::testing {

inline Options options_with_env(std::map<std::string, std::string> env) {
  Options o;
  env.emplace("OTEL_EXPORTER_PROMETHEUS_PORT", "0");
  env.emplace("OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1");
  o.getenv = [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

}  // namespace adminara::obs::testing
