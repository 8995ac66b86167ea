#include "sdk/config/tracing_config.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "common/log.h"
#include "common/random.h"

#ifndef ADMINARA_OBS_VERSION
#error "ADMINARA_OBS_VERSION is defined by src/sdk/CMakeLists.txt from the project version"
#endif

namespace adminara::obs::config {
namespace {

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::string_view kDevelopment = "development";
constexpr std::string_view kProduction = "production";
constexpr std::string_view kDefaultSampler = "parentbased_always_on";

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& items, std::string_view s) {
  return std::find(items.begin(), items.end(), s) != items.end();
}

std::string join(const std::vector<std::string>& items, std::string_view empty_text) {
  if (items.empty()) return std::string(empty_text);
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

// OTEL_LOG_LEVEL applies only when set, so a level chosen in code (set_log_level) before init
// survives an environment that says nothing.
void apply_log_level(EnvReader& env) {
  static constexpr std::array<std::string_view, 5> kLevels = {"debug", "info", "warn", "error",
                                                              "none"};
  if (!env.raw("OTEL_LOG_LEVEL")) return;
  const auto level = env.get_enum("OTEL_LOG_LEVEL", kLevels, "the default info");
  if (!level) {
    // Either whitespace only (unset) or invalid (warned): both mean the default.
    common::set_log_level(common::LogLevel::kInfo);
    return;
  }
  const auto index = std::find(kLevels.begin(), kLevels.end(), *level) - kLevels.begin();
  common::set_log_level(static_cast<common::LogLevel>(index));
}

// ADMINARA_ENV, else NODE_ENV (the original design's .env sets NODE_ENV=production), else
// development. NODE_ENV is shared with other tools and often says "test" or "staging", so any
// value other than production quietly means development; ADMINARA_ENV is ours and is strict.
std::string deployment_environment_from(EnvReader& env) {
  static constexpr std::array<std::string_view, 2> kEnvironments = {kDevelopment, kProduction};
  const auto node_env = env.raw("NODE_ENV");
  const std::string_view from_node =
      node_env && normalize_word(*node_env) == kProduction ? kProduction : kDevelopment;
  const std::string fallback =
      node_env ? std::string(from_node) + " (from NODE_ENV=" + quoted(*node_env) + ")"
               : "the default development";
  if (auto v = env.get_enum("ADMINARA_ENV", kEnvironments, fallback)) return *v;
  return std::string(from_node);
}

std::string executable_name() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return {};
  std::string_view path(buf, static_cast<std::size_t>(n));
  constexpr std::string_view kDeleted = " (deleted)";  // the binary was replaced while running
  if (path.ends_with(kDeleted)) path.remove_suffix(kDeleted.size());
  return std::string(path.substr(path.rfind('/') + 1));
}

std::string unknown_service_name() {
  const std::string exe = executable_name();
  return exe.empty() ? std::string("unknown_service") : "unknown_service:" + exe;
}

std::optional<std::string> host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return std::nullopt;
  return std::string(buf);
}

std::shared_ptr<const Sampler> ratio_from_arg(EnvReader& env) {
  return trace_id_ratio_sampler(env.get_double("OTEL_TRACES_SAMPLER_ARG", 1.0, 0.0, 1.0));
}

// Options::traces_exporter wins when non-empty. `none` alone selects no exporter. Anything that
// leaves no usable choice falls back to the deployment's default: console in development, otlp
// in production (OTel's default exporter).
std::vector<std::string> exporter_names_from(const Options& options, EnvReader& env,
                                             std::string_view deployment_environment) {
  static constexpr std::array<std::string_view, 4> kExporters = {"console", "memory", "none",
                                                                 "otlp"};
  const std::vector<std::string> fallback = deployment_environment == kProduction
                                                ? std::vector<std::string>{"otlp"}
                                                : std::vector<std::string>{"console"};
  std::string source = "Options::traces_exporter";
  std::string value = options.traces_exporter;
  std::optional<std::vector<std::string>> names;
  if (!value.empty()) {
    names = env.parse_list(source, value, kExporters);
  } else {
    source = "OTEL_TRACES_EXPORTER";
    value = env.raw(source).value_or("");
    names = env.get_list(source, kExporters);
  }
  if (!names) return fallback;

  const auto none = std::find(names->begin(), names->end(), "none");
  if (none == names->end()) return *names;
  names->erase(none);
  if (!names->empty()) {
    env.warn(source + "=" + quoted(value) +
             ": none cannot be combined with other exporters; accepted: none alone, or a list "
             "of console, memory, otlp; using " +
             join(*names, "none"));
  }
  return *names;
}

BatchOptions batch_options_from(EnvReader& env) {
  BatchOptions batch;
  batch.schedule_delay = env.get_duration("OTEL_BSP_SCHEDULE_DELAY", batch.schedule_delay);
  batch.export_timeout = env.get_timeout("OTEL_BSP_EXPORT_TIMEOUT", batch.export_timeout);
  batch.max_queue_size = static_cast<std::uint32_t>(
      env.get_int("OTEL_BSP_MAX_QUEUE_SIZE", batch.max_queue_size, 1, kInt32Max));
  const auto batch_size =
      env.get_int("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", batch.max_export_batch_size, 1, kInt32Max);
  if (batch_size > batch.max_queue_size) {
    // Also reached with the default 512 and a smaller queue: the batch can never exceed it.
    const auto set = env.raw("OTEL_BSP_MAX_EXPORT_BATCH_SIZE");
    const std::string queue = std::to_string(batch.max_queue_size);
    env.warn("OTEL_BSP_MAX_EXPORT_BATCH_SIZE" +
             (set ? "=" + quoted(*set) : " (the default " + std::to_string(batch_size) + ")") +
             " is greater than the queue size " + queue +
             " (OTEL_BSP_MAX_QUEUE_SIZE); accepted: an integer from 1 to the queue size; using " +
             queue);
    batch.max_export_batch_size = batch.max_queue_size;
  } else {
    batch.max_export_batch_size = static_cast<std::uint32_t>(batch_size);
  }
  return batch;
}

// Model-specific variable first, then the generic one, then the default (OTel's limit rule).
SpanLimits span_limits_from(EnvReader& env) {
  constexpr std::string_view kGenericCount = "OTEL_ATTRIBUTE_COUNT_LIMIT";
  constexpr std::string_view kGenericLength = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT";
  SpanLimits limits;
  const auto generic_count = env.find_int(kGenericCount, 0, kInt32Max, "the default 128");
  const auto generic_length = env.find_int(kGenericLength, 0, kInt32Max, "the default (no limit)");

  auto limit = [&env](std::string_view name, std::optional<std::int64_t> generic,
                      std::string_view generic_name, std::uint32_t def) {
    std::string fallback;
    if (generic) {
      fallback = std::string(generic_name) + "=" + std::to_string(*generic);
    } else if (def == SpanLimits::kNoLimit) {
      fallback = "the default (no limit)";
    } else {
      fallback = "the default " + std::to_string(def);
    }
    if (auto v = env.find_int(name, 0, kInt32Max, fallback)) return static_cast<std::uint32_t>(*v);
    return generic ? static_cast<std::uint32_t>(*generic) : def;
  };
  limits.attribute_count = limit("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", generic_count, kGenericCount,
                                 limits.attribute_count);
  limits.attribute_value_length = limit("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", generic_length,
                                        kGenericLength, limits.attribute_value_length);
  limits.event_count = limit("OTEL_SPAN_EVENT_COUNT_LIMIT", std::nullopt, {}, limits.event_count);
  limits.link_count = limit("OTEL_SPAN_LINK_COUNT_LIMIT", std::nullopt, {}, limits.link_count);
  limits.event_attribute_count = limit("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", generic_count,
                                       kGenericCount, limits.event_attribute_count);
  limits.link_attribute_count = limit("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", generic_count,
                                      kGenericCount, limits.link_attribute_count);
  return limits;
}

}  // namespace

TracingConfig load_tracing_config(const Options& options, EnvReader& env) {
  apply_log_level(env);
  TracingConfig config;
  config.deployment_environment = deployment_environment_from(env);
  // OTEL_SDK_DISABLED turns the whole SDK off and wins over everything, code included: it is the
  // operator's switch. ENABLE_TRACING is AdminAra's default-on switch (docs/configuration.md),
  // which code overrides.
  const bool sdk_disabled = env.get_bool("OTEL_SDK_DISABLED", false);
  const bool tracing =
      options.enable_tracing ? *options.enable_tracing : env.get_bool("ENABLE_TRACING", true);
  config.enabled = tracing && !sdk_disabled;
  config.resource = build_resource(options, env, config.deployment_environment);
  config.sampler = options.sampler ? options.sampler : sampler_from_env(env);
  config.exporter_names = exporter_names_from(options, env, config.deployment_environment);
  config.processor = options.span_processor.value_or(ProcessorKind::kBatch);
  if (config.processor == ProcessorKind::kBatch) config.batch = batch_options_from(env);
  config.limits = span_limits_from(env);
  return config;
}

// Layers, later wins on a key: SDK defaults < OTEL_RESOURCE_ATTRIBUTES < Options::service_name /
// service_version (when non-empty) < Options::resource_attributes < OTEL_SERVICE_NAME.
Resource build_resource(const Options& options, EnvReader& env,
                        const std::string& deployment_environment) {
  const std::string version = ADMINARA_OBS_VERSION;
  std::vector<KeyValue> defaults = {
      {"service.name", unknown_service_name()},
      {"service.version", version},
      {"service.instance.id", common::random_uuid_v4()},
      {"deployment.environment.name", deployment_environment},
      {"telemetry.sdk.name", "adminara-obs"},
      {"telemetry.sdk.language", "cpp"},
      {"telemetry.sdk.version", version},
  };
  if (auto host = host_name()) defaults.push_back({"host.name", std::move(*host)});
  defaults.push_back({"process.pid", static_cast<std::int64_t>(getpid())});
  Resource resource(std::move(defaults));

  if (const auto value = env.raw("OTEL_RESOURCE_ATTRIBUTES")) {
    std::string error;
    if (auto attributes = parse_resource_attributes(*value, &error)) {
      resource = resource.merged_with(Resource(std::move(*attributes)));
    } else {
      env.warn("OTEL_RESOURCE_ATTRIBUTES=" + quoted(*value) + " is rejected: " + error +
               "; accepted: comma-separated key=value pairs with ',', '=' and '%' in keys and "
               "values percent-encoded as %XX; ignoring the whole variable");
    }
  }

  std::vector<KeyValue> from_code;
  if (!options.service_name.empty()) from_code.push_back({"service.name", options.service_name});
  if (!options.service_version.empty()) {
    from_code.push_back({"service.version", options.service_version});
  }
  from_code.insert(from_code.end(), options.resource_attributes.begin(),
                   options.resource_attributes.end());
  resource = resource.merged_with(Resource(std::move(from_code)));

  if (const auto name = env.raw("OTEL_SERVICE_NAME"); name && !trim_whitespace(*name).empty()) {
    resource = resource.merged_with(
        Resource(std::vector<KeyValue>{{"service.name", trim_whitespace(*name)}}));
  }
  return resource;
}

std::shared_ptr<const Sampler> sampler_from_env(EnvReader& env) {
  static constexpr std::array<std::string_view, 6> kSamplers = {"always_on",
                                                                "always_off",
                                                                "traceidratio",
                                                                "parentbased_always_on",
                                                                "parentbased_always_off",
                                                                "parentbased_traceidratio"};
  static constexpr std::array<std::string_view, 3> kUnsupported = {
      "jaeger_remote", "parentbased_jaeger_remote", "xray"};
  static constexpr std::string_view kAccepted =
      "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, "
      "parentbased_traceidratio";
  const std::string fallback = "the default " + std::string(kDefaultSampler);
  std::optional<std::string> name;
  if (const auto value = env.raw("OTEL_TRACES_SAMPLER");
      value && contains(kUnsupported, normalize_word(*value))) {
    env.warn("OTEL_TRACES_SAMPLER=" + quoted(*value) + " is not supported by this SDK; accepted: " +
             std::string(kAccepted) + " (case-insensitive); using " + fallback);
  } else {
    name = env.get_enum("OTEL_TRACES_SAMPLER", kSamplers, fallback);
  }
  // OTEL_TRACES_SAMPLER_ARG is read only for the ratio samplers named explicitly (OTel: the
  // argument applies only when OTEL_TRACES_SAMPLER is set).
  const std::string_view chosen = name ? std::string_view(*name) : kDefaultSampler;
  if (chosen == "always_on") return always_on_sampler();
  if (chosen == "always_off") return always_off_sampler();
  if (chosen == "traceidratio") return ratio_from_arg(env);
  if (chosen == "parentbased_always_off") return parent_based_sampler(always_off_sampler());
  if (chosen == "parentbased_traceidratio") return parent_based_sampler(ratio_from_arg(env));
  return parent_based_sampler(always_on_sampler());
}

}  // namespace adminara::obs::config
