// The tracing part of init_observability(): Options + environment -> the settings of the
// TracerProvider. See docs/configuration.md for every variable, default and accepted value.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adminara/obs/options.h"
#include "adminara/obs/resource.h"
#include "adminara/obs/sampler.h"
#include "adminara/obs/tracer.h"
#include "sdk/config/env.h"

namespace adminara::obs::config {

struct TracingConfig {
  // (Options::enable_tracing, else ENABLE_TRACING) && !OTEL_SDK_DISABLED
  bool enabled = true;
  // ADMINARA_ENV, else NODE_ENV: "development" (default) or "production"
  std::string deployment_environment;
  Resource resource;
  std::shared_ptr<const Sampler> sampler;
  std::vector<std::string> exporter_names;  // from Options or OTEL_TRACES_EXPORTER, or default
  ProcessorKind processor = ProcessorKind::kBatch;
  BatchOptions batch;
  SpanLimits limits;
};

/// Resolves the tracing configuration. Problems are reported through `env.warnings()`.
/// Also applies OTEL_LOG_LEVEL (when set) to the library's log level, before anything else.
/// Batch settings are read only when the processor is kBatch, and a variable overridden by an
/// Options field is not read (so its bad value is not reported).
TracingConfig load_tracing_config(const Options& options, EnvReader& env);

/// The resource: service.name (OTEL_SERVICE_NAME wins over options.service_name),
/// service.version, service.instance.id (random UUID v4), telemetry.sdk.*, host.name,
/// process.pid, deployment.environment.name, plus OTEL_RESOURCE_ATTRIBUTES and
/// options.resource_attributes (code wins over the variable). Later wins on a key:
/// SDK defaults < OTEL_RESOURCE_ATTRIBUTES < options.service_name / service_version (non-empty)
/// < options.resource_attributes < OTEL_SERVICE_NAME.
Resource build_resource(const Options& options, EnvReader& env,
                        const std::string& deployment_environment);

/// The sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default
/// parentbased_always_on; jaeger_remote and xray are not supported and warn).
std::shared_ptr<const Sampler> sampler_from_env(EnvReader& env);

}  // namespace adminara::obs::config
