// The tracing part of init_observability(): Options + environment -> the settings of the
// TracerProvider. See docs/configuration.md for every variable, default and accepted value.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adminara/obs/observability.h"
#include "adminara/obs/resource.h"
#include "adminara/obs/sampler.h"
#include "adminara/obs/tracer.h"
#include "sdk/config/env.h"

namespace adminara::obs::config {

struct TracingConfig {
  bool enabled = true;                 // ENABLE_TRACING && !OTEL_SDK_DISABLED (or Options)
  std::string deployment_environment;  // ADMINARA_ENV: "development" (default) or "production"
  Resource resource;
  std::shared_ptr<const Sampler> sampler;
  std::vector<std::string> exporter_names;  // from Options or OTEL_TRACES_EXPORTER, or default
  ProcessorKind processor = ProcessorKind::kBatch;
  BatchOptions batch;
  SpanLimits limits;
};

/// Resolves the tracing configuration. Problems are reported through `env.warnings()`.
TracingConfig load_tracing_config(const Options& options, EnvReader& env);

/// The resource: service.name (OTEL_SERVICE_NAME wins over options.service_name),
/// service.version, service.instance.id (random UUID v4), telemetry.sdk.*, host.name,
/// process.pid, deployment.environment.name, plus OTEL_RESOURCE_ATTRIBUTES and
/// options.resource_attributes (code wins over the variable).
Resource build_resource(const Options& options, EnvReader& env,
                        const std::string& deployment_environment);

/// The sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG.
std::shared_ptr<const Sampler> sampler_from_env(EnvReader& env);

}  // namespace adminara::obs::config
