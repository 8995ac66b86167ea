// The debug pages part of init_observability(): Options + environment -> whether the live pages
// under /debug/ run, and how often their metric history samples. See docs/configuration.md.
#pragma once

#include <chrono>
#include <string_view>

#include "adminara/obs/options.h"
#include "sdk/config/env.h"

namespace adminara::obs::config {

struct DebugPagesConfig {
  // Options::debug_pages, else ADMINARA_DEBUG_PAGES, else on in development and off in production.
  bool enabled = false;
  // Whether the choice was made explicitly (code or variable), not by the deployment default.
  bool explicit_choice = false;
  // Options::debug_pages_interval, else ADMINARA_DEBUG_PAGES_INTERVAL (ms), else 5000.
  std::chrono::milliseconds sample_interval{5000};
  // Options::debug_pages_allow_unprotected, else ADMINARA_DEBUG_PAGES_ALLOW_UNPROTECTED, else
  // false: serve them on an endpoint that is neither loopback nor authenticated.
  bool allow_unprotected = false;
};

inline constexpr std::chrono::milliseconds kMinDebugPagesInterval{100};
inline constexpr std::chrono::milliseconds kMaxDebugPagesInterval{3600000};

/// Whether pages that are on get served on an endpoint bound to `host` (`loopback`: it resolves
/// to a loopback address; `authenticated`: basic auth or verified client certificates). They fail
/// closed: false, with `warning` saying why and what to change, unless `allow_unprotected` (then
/// true, and `warning` says they are served unprotected). `warning` is empty when the endpoint is
/// loopback or authenticated.
bool serve_debug_pages(const DebugPagesConfig& config, std::string_view host, int port,
                       bool loopback, bool authenticated, std::string& warning);

/// Resolves the debug pages configuration for `deployment_environment` ("development" or
/// "production"); problems are reported through `env.warnings()`.
DebugPagesConfig load_debug_pages_config(const Options& options, EnvReader& env,
                                         std::string_view deployment_environment);

}  // namespace adminara::obs::config
