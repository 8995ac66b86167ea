// The profiler part of init_observability(): Options + environment -> the global
// PerformanceProfiler's settings. See docs/configuration.md.
#pragma once

#include "adminara/obs/options.h"
#include "sdk/config/env.h"

namespace adminara::obs::config {

struct ProfilerConfig {
  // (Options::enable_profiling, else ENABLE_PROFILING) && !OTEL_SDK_DISABLED
  bool enabled = true;
};

/// Resolves the profiler configuration; problems are reported through `env.warnings()`.
ProfilerConfig load_profiler_config(const Options& options, EnvReader& env);

}  // namespace adminara::obs::config
