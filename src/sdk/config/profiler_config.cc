#include "sdk/config/profiler_config.h"

namespace adminara::obs::config {

ProfilerConfig load_profiler_config(const Options& options, EnvReader& env) {
  ProfilerConfig c;
  // As for tracing and metrics: OTEL_SDK_DISABLED is the operator's switch and wins over code.
  const bool sdk_disabled = env.get_bool("OTEL_SDK_DISABLED", false);
  const bool profiling =
      options.enable_profiling ? *options.enable_profiling : env.get_bool("ENABLE_PROFILING", true);
  c.enabled = profiling && !sdk_disabled;
  return c;
}

}  // namespace adminara::obs::config
