#include "sdk/config/tracing_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "common/log.h"
#include "fake_env.h"

namespace adminara::obs::config {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using testing::EnvMap;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::reader_for;

struct Loaded {
  TracingConfig config;
  std::vector<std::string> warnings;
};

Loaded load(EnvMap env, const Options& options = {}) {
  EnvReader reader = reader_for(std::move(env));
  TracingConfig config = load_tracing_config(options, reader);
  return {std::move(config), reader.warnings()};
}

Loaded load_with(const Options& options, EnvMap env = {}) {
  return load(std::move(env), options);
}

std::string attribute(const Loaded& l, std::string_view key) {
  return std::string(l.config.resource.get_string(key));
}

// Restores the process-wide log level that OTEL_LOG_LEVEL changes.
class LogLevelGuard {
 public:
  LogLevelGuard() : saved_(common::log_level()) {}
  ~LogLevelGuard() { common::set_log_level(saved_); }

 private:
  common::LogLevel saved_;
};

// --- defaults ---

TEST(TracingConfig, DefaultsWithAnEmptyEnvironment) {
  const Loaded l = load({});
  EXPECT_THAT(l.warnings, IsEmpty());
  EXPECT_TRUE(l.config.enabled);
  EXPECT_EQ(l.config.deployment_environment, "development");
  ASSERT_NE(l.config.sampler, nullptr);
  EXPECT_EQ(l.config.sampler->description(), "ParentBased{root=AlwaysOnSampler}");
  EXPECT_THAT(l.config.exporter_names, ElementsAre("console"));
  EXPECT_EQ(l.config.processor, ProcessorKind::kBatch);
  EXPECT_EQ(l.config.batch.schedule_delay, milliseconds(5000));
  EXPECT_EQ(l.config.batch.export_timeout, milliseconds(30000));
  EXPECT_EQ(l.config.batch.max_queue_size, 2048u);
  EXPECT_EQ(l.config.batch.max_export_batch_size, 512u);
  EXPECT_EQ(l.config.limits.attribute_count, 128u);
  EXPECT_EQ(l.config.limits.attribute_value_length, SpanLimits::kNoLimit);
  EXPECT_EQ(l.config.limits.event_count, 128u);
  EXPECT_EQ(l.config.limits.link_count, 128u);
  EXPECT_EQ(l.config.limits.event_attribute_count, 128u);
  EXPECT_EQ(l.config.limits.link_attribute_count, 128u);
}

TEST(TracingConfig, DefaultResource) {
  const Loaded l = load({});
  EXPECT_EQ(attribute(l, "service.name"), "adminara");
  EXPECT_EQ(attribute(l, "service.version"), ADMINARA_OBS_VERSION);
  EXPECT_TRUE(std::regex_match(
      attribute(l, "service.instance.id"),
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_EQ(attribute(l, "deployment.environment.name"), "development");
  EXPECT_EQ(attribute(l, "telemetry.sdk.name"), "adminara-obs");
  EXPECT_EQ(attribute(l, "telemetry.sdk.language"), "cpp");
  EXPECT_EQ(attribute(l, "telemetry.sdk.version"), ADMINARA_OBS_VERSION);
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(attribute(l, "host.name"), host);
  ASSERT_NE(l.config.resource.get("process.pid"), nullptr);
  EXPECT_EQ(*l.config.resource.get("process.pid"), AttributeValue(getpid()));
}

TEST(TracingConfig, EachResourceGetsItsOwnInstanceId) {
  EXPECT_NE(attribute(load({}), "service.instance.id"), attribute(load({}), "service.instance.id"));
}

// --- general: enabled ---

TEST(TracingConfig, EnableTracingFalseDisables) {
  EXPECT_FALSE(load({{"ENABLE_TRACING", "false"}}).config.enabled);
  EXPECT_FALSE(load({{"ENABLE_TRACING", "FALSE"}}).config.enabled);
  EXPECT_TRUE(load({{"ENABLE_TRACING", "true"}}).config.enabled);
  EXPECT_TRUE(load({{"ENABLE_TRACING", ""}}).config.enabled);
}

TEST(TracingConfig, OptionsEnableTracingOverridesEnableTracing) {
  Options on;
  on.enable_tracing = true;
  Options off;
  off.enable_tracing = false;
  EXPECT_TRUE(load_with(on, {{"ENABLE_TRACING", "false"}}).config.enabled);
  EXPECT_FALSE(load_with(off, {{"ENABLE_TRACING", "true"}}).config.enabled);
  // The overridden variable is not read, so its bad value is not reported.
  EXPECT_THAT(load_with(on, {{"ENABLE_TRACING", "maybe"}}).warnings, IsEmpty());
}

TEST(TracingConfig, SdkDisabledWinsOverEverything) {
  Options on;
  on.enable_tracing = true;
  EXPECT_FALSE(load({{"OTEL_SDK_DISABLED", "true"}}).config.enabled);
  EXPECT_FALSE(load({{"OTEL_SDK_DISABLED", "True"}, {"ENABLE_TRACING", "true"}}).config.enabled);
  EXPECT_FALSE(load_with(on, {{"OTEL_SDK_DISABLED", "true"}}).config.enabled);
  EXPECT_TRUE(load({{"OTEL_SDK_DISABLED", "false"}}).config.enabled);
}

TEST(TracingConfig, InvalidBooleansWarnAndUseTheDefault) {
  const Loaded l = load({{"ENABLE_TRACING", "no"}, {"OTEL_SDK_DISABLED", "yes"}});
  EXPECT_TRUE(l.config.enabled);
  EXPECT_THAT(l.warnings, ElementsAre("OTEL_SDK_DISABLED=\"yes\" is not a boolean; accepted: true "
                                      "or false (case-insensitive); using the default false",
                                      "ENABLE_TRACING=\"no\" is not a boolean; accepted: true or "
                                      "false (case-insensitive); using the default true"));
}

// --- general: deployment environment ---

TEST(TracingConfig, AdminaraEnvSelectsTheDeployment) {
  EXPECT_EQ(load({{"ADMINARA_ENV", "production"}}).config.deployment_environment, "production");
  EXPECT_EQ(load({{"ADMINARA_ENV", "Production"}}).config.deployment_environment, "production");
  EXPECT_EQ(load({{"ADMINARA_ENV", "development"}}).config.deployment_environment, "development");
  const Loaded l = load({{"ADMINARA_ENV", "production"}});
  EXPECT_EQ(attribute(l, "deployment.environment.name"), "production");
}

TEST(TracingConfig, InvalidAdminaraEnvWarns) {
  const Loaded l = load({{"ADMINARA_ENV", "staging"}});
  EXPECT_EQ(l.config.deployment_environment, "development");
  EXPECT_THAT(l.warnings, ElementsAre("ADMINARA_ENV=\"staging\" is not a known value; accepted: "
                                      "development, production (case-insensitive); using the "
                                      "default development"));
}

TEST(TracingConfig, NodeEnvIsTheFallback) {
  EXPECT_EQ(load({{"NODE_ENV", "production"}}).config.deployment_environment, "production");
  EXPECT_EQ(load({{"NODE_ENV", " PRODUCTION "}}).config.deployment_environment, "production");
  EXPECT_EQ(load({{"NODE_ENV", "development"}}).config.deployment_environment, "development");
  const Loaded test_env = load({{"NODE_ENV", "test"}});
  EXPECT_EQ(test_env.config.deployment_environment, "development");
  EXPECT_THAT(test_env.warnings, IsEmpty());
}

TEST(TracingConfig, AdminaraEnvWinsOverNodeEnv) {
  EXPECT_EQ(load({{"ADMINARA_ENV", "development"}, {"NODE_ENV", "production"}})
                .config.deployment_environment,
            "development");
  const Loaded l = load({{"ADMINARA_ENV", "prod"}, {"NODE_ENV", "production"}});
  EXPECT_EQ(l.config.deployment_environment, "production");
  EXPECT_THAT(l.warnings, ElementsAre("ADMINARA_ENV=\"prod\" is not a known value; accepted: "
                                      "development, production (case-insensitive); using "
                                      "production (from NODE_ENV=\"production\")"));
}

// --- general: OTEL_LOG_LEVEL ---

TEST(TracingConfig, LogLevelIsApplied) {
  LogLevelGuard guard;
  const std::pair<const char*, common::LogLevel> cases[] = {{"debug", common::LogLevel::kDebug},
                                                            {"INFO", common::LogLevel::kInfo},
                                                            {"warn", common::LogLevel::kWarn},
                                                            {"error", common::LogLevel::kError},
                                                            {"None", common::LogLevel::kNone}};
  for (const auto& [value, level] : cases) {
    common::set_log_level(level == common::LogLevel::kDebug ? common::LogLevel::kError
                                                            : common::LogLevel::kDebug);
    EXPECT_THAT(load({{"OTEL_LOG_LEVEL", value}}).warnings, IsEmpty());
    EXPECT_EQ(common::log_level(), level) << value;
  }
}

TEST(TracingConfig, UnsetLogLevelLeavesTheLevelAlone) {
  LogLevelGuard guard;
  common::set_log_level(common::LogLevel::kError);
  load({});
  EXPECT_EQ(common::log_level(), common::LogLevel::kError);
}

TEST(TracingConfig, InvalidLogLevelWarnsAndUsesInfo) {
  LogLevelGuard guard;
  common::set_log_level(common::LogLevel::kError);
  const Loaded l = load({{"OTEL_LOG_LEVEL", "verbose"}});
  EXPECT_EQ(common::log_level(), common::LogLevel::kInfo);
  EXPECT_THAT(l.warnings, ElementsAre("OTEL_LOG_LEVEL=\"verbose\" is not a known value; accepted: "
                                      "debug, info, warn, error, none (case-insensitive); using "
                                      "the default info"));
}

// --- resource ---

TEST(TracingConfig, ServiceNameFromOptions) {
  Options o;
  o.service_name = "checkout";
  EXPECT_EQ(attribute(load_with(o), "service.name"), "checkout");
}

TEST(TracingConfig, EmptyServiceNameMeansUnknownServiceWithTheExecutableName) {
  Options o;
  o.service_name = "";
  EXPECT_EQ(attribute(load_with(o), "service.name"), "unknown_service:tracing_config_test");
}

TEST(TracingConfig, OtelServiceNameWinsOverEverything) {
  Options o;
  o.service_name = "from-options";
  o.resource_attributes = {{"service.name", "from-resource-attributes"}};
  const Loaded l = load_with(o, {{"OTEL_SERVICE_NAME", " from-env "},
                                 {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-otel-attrs"}});
  EXPECT_EQ(attribute(l, "service.name"), "from-env");
  EXPECT_THAT(l.warnings, IsEmpty());
}

TEST(TracingConfig, BlankOtelServiceNameIsUnset) {
  EXPECT_EQ(attribute(load({{"OTEL_SERVICE_NAME", "  "}}), "service.name"), "adminara");
}

TEST(TracingConfig, ResourceAttributesFromTheEnvironment) {
  const Loaded l = load({{"OTEL_RESOURCE_ATTRIBUTES",
                          "team=payments, region = eu%2Cwest ,service.instance.id=pod-7"}});
  EXPECT_THAT(l.warnings, IsEmpty());
  EXPECT_EQ(attribute(l, "team"), "payments");
  EXPECT_EQ(attribute(l, "region"), "eu,west");
  EXPECT_EQ(attribute(l, "service.instance.id"), "pod-7");
  EXPECT_EQ(attribute(l, "service.name"), "adminara");  // options.service_name wins
}

TEST(TracingConfig, EnvironmentAttributesCanOverrideSdkDefaults) {
  const Loaded l =
      load({{"OTEL_RESOURCE_ATTRIBUTES", "host.name=edge-1,deployment.environment.name=qa"}});
  EXPECT_EQ(attribute(l, "host.name"), "edge-1");
  EXPECT_EQ(attribute(l, "deployment.environment.name"), "qa");
  EXPECT_EQ(l.config.deployment_environment, "development");  // behaviour is ADMINARA_ENV's
}

TEST(TracingConfig, EnvironmentServiceNameAppliesWhenOptionsHaveNone) {
  Options o;
  o.service_name = "";
  EXPECT_EQ(attribute(load_with(o, {{"OTEL_RESOURCE_ATTRIBUTES", "service.name=billing"}}),
                      "service.name"),
            "billing");
}

TEST(TracingConfig, OptionsResourceAttributesWinOverTheEnvironment) {
  Options o;
  o.resource_attributes = {{"team", "core"}, {"service.name", "explicit"}, {"replicas", 3}};
  const Loaded l = load_with(o, {{"OTEL_RESOURCE_ATTRIBUTES", "team=payments,zone=a"}});
  EXPECT_EQ(attribute(l, "team"), "core");
  EXPECT_EQ(attribute(l, "zone"), "a");
  // An explicit attribute beats the (defaulted) service_name field.
  EXPECT_EQ(attribute(l, "service.name"), "explicit");
  ASSERT_NE(l.config.resource.get("replicas"), nullptr);
  EXPECT_EQ(*l.config.resource.get("replicas"), AttributeValue(3));
}

TEST(TracingConfig, ServiceVersionPriority) {
  EXPECT_EQ(
      attribute(load({{"OTEL_RESOURCE_ATTRIBUTES", "service.version=2.0"}}), "service.version"),
      "2.0");
  Options o;
  o.service_version = "1.3.8";
  EXPECT_EQ(attribute(load_with(o, {{"OTEL_RESOURCE_ATTRIBUTES", "service.version=2.0"}}),
                      "service.version"),
            "1.3.8");
  EXPECT_EQ(attribute(load({}), "telemetry.sdk.version"), ADMINARA_OBS_VERSION);
}

TEST(TracingConfig, InstanceIdFromOptions) {
  Options o;
  o.resource_attributes = {{"service.instance.id", "fixed"}};
  EXPECT_EQ(attribute(load_with(o), "service.instance.id"), "fixed");
}

TEST(TracingConfig, InvalidResourceAttributesAreIgnoredEntirely) {
  const Loaded l = load({{"OTEL_RESOURCE_ATTRIBUTES", "team=payments,broken"}});
  EXPECT_EQ(l.config.resource.get("team"), nullptr);
  EXPECT_THAT(l.warnings,
              ElementsAre("OTEL_RESOURCE_ATTRIBUTES=\"team=payments,broken\" is rejected: member "
                          "\"broken\" has no '='; accepted: comma-separated key=value pairs with "
                          "',', '=' and '%' in keys and values percent-encoded as %XX; ignoring "
                          "the whole variable"));
  EXPECT_THAT(load({{"OTEL_RESOURCE_ATTRIBUTES", "a=1,=2"}}).warnings,
              ElementsAre(HasSubstr("is rejected: member \"=2\" has an empty key;")));
  EXPECT_THAT(load({{"OTEL_RESOURCE_ATTRIBUTES", "a=%G0"}}).warnings,
              ElementsAre(HasSubstr("is rejected: member \"a=%G0\" has the bad percent-escape")));
}

TEST(TracingConfig, BuildResourceUsesTheGivenDeploymentEnvironment) {
  EnvReader env = reader_for({});
  const Resource r = build_resource(Options{}, env, "production");
  EXPECT_EQ(r.get_string("deployment.environment.name"), "production");
}

// --- sampling ---

std::string sampler_for(EnvMap env, std::vector<std::string>* warnings = nullptr) {
  EnvReader reader = reader_for(std::move(env));
  auto sampler = sampler_from_env(reader);
  if (warnings != nullptr) *warnings = reader.warnings();
  return sampler ? sampler->description() : "null";
}

TEST(TracingConfig, SamplerNames) {
  EXPECT_EQ(sampler_for({}), "ParentBased{root=AlwaysOnSampler}");
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "always_on"}}), "AlwaysOnSampler");
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "ALWAYS_OFF"}}), "AlwaysOffSampler");
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "traceidratio"}}), "TraceIdRatioBased{1.000000}");
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "parentbased_always_on"}}),
            "ParentBased{root=AlwaysOnSampler}");
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "parentbased_always_off"}}),
            "ParentBased{root=AlwaysOffSampler}");
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", " ParentBased_TraceIdRatio "}}),
            "ParentBased{root=TraceIdRatioBased{1.000000}}");
}

TEST(TracingConfig, SamplerArgSetsTheRatio) {
  EXPECT_EQ(
      sampler_for({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.25"}}),
      "TraceIdRatioBased{0.250000}");
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
                         {"OTEL_TRACES_SAMPLER_ARG", "0"}}),
            "ParentBased{root=TraceIdRatioBased{0.000000}}");
}

TEST(TracingConfig, SamplerArgIsIgnoredWithoutARatioSampler) {
  std::vector<std::string> warnings;
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER_ARG", "0.1"}}, &warnings),
            "ParentBased{root=AlwaysOnSampler}");
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "always_on"}, {"OTEL_TRACES_SAMPLER_ARG", "x"}},
                        &warnings),
            "AlwaysOnSampler");
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(TracingConfig, InvalidSamplerArgWarnsAndUsesOne) {
  std::vector<std::string> warnings;
  EXPECT_EQ(
      sampler_for({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1.5"}},
                  &warnings),
      "TraceIdRatioBased{1.000000}");
  EXPECT_THAT(warnings, ElementsAre("OTEL_TRACES_SAMPLER_ARG=\"1.5\" is out of range; accepted: a "
                                    "number from 0 to 1; using the default 1"));
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
                         {"OTEL_TRACES_SAMPLER_ARG", "ten percent"}},
                        &warnings),
            "ParentBased{root=TraceIdRatioBased{1.000000}}");
  EXPECT_THAT(warnings, ElementsAre("OTEL_TRACES_SAMPLER_ARG=\"ten percent\" is not a number; "
                                    "accepted: a number from 0 to 1; using the default 1"));
}

TEST(TracingConfig, UnknownSamplerWarnsAndUsesTheDefault) {
  std::vector<std::string> warnings;
  EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", "sometimes"}}, &warnings),
            "ParentBased{root=AlwaysOnSampler}");
  EXPECT_THAT(warnings, ElementsAre("OTEL_TRACES_SAMPLER=\"sometimes\" is not a known value; "
                                    "accepted: always_on, always_off, traceidratio, "
                                    "parentbased_always_on, parentbased_always_off, "
                                    "parentbased_traceidratio (case-insensitive); using the "
                                    "default parentbased_always_on"));
}

TEST(TracingConfig, RemoteSamplersAreNotSupported) {
  for (const char* name : {"jaeger_remote", "parentbased_jaeger_remote", "XRay"}) {
    std::vector<std::string> warnings;
    EXPECT_EQ(sampler_for({{"OTEL_TRACES_SAMPLER", name},
                           {"OTEL_TRACES_SAMPLER_ARG", "endpoint=http://x,pollingIntervalMs=5"}},
                          &warnings),
              "ParentBased{root=AlwaysOnSampler}");
    EXPECT_THAT(warnings,
                ElementsAre("OTEL_TRACES_SAMPLER=\"" + std::string(name) +
                            "\" is not supported by this SDK; accepted: always_on, always_off, "
                            "traceidratio, parentbased_always_on, parentbased_always_off, "
                            "parentbased_traceidratio (case-insensitive); using the default "
                            "parentbased_always_on"));
  }
}

TEST(TracingConfig, OptionsSamplerWinsAndTheVariableIsNotRead) {
  Options o;
  o.sampler = always_off_sampler();
  const Loaded l = load_with(o, {{"OTEL_TRACES_SAMPLER", "bogus"}});
  EXPECT_EQ(l.config.sampler, o.sampler);
  EXPECT_THAT(l.warnings, IsEmpty());
}

TEST(TracingConfig, LoadUsesTheEnvironmentSampler) {
  EXPECT_EQ(load({{"OTEL_TRACES_SAMPLER", "always_off"}}).config.sampler->description(),
            "AlwaysOffSampler");
}

// --- exporters ---

std::vector<std::string> exporters(EnvMap env, std::vector<std::string>* warnings = nullptr,
                                   const Options& options = {}) {
  Loaded l = load(std::move(env), options);
  if (warnings != nullptr) *warnings = l.warnings;
  return l.config.exporter_names;
}

TEST(TracingConfig, ExporterDefaultsDependOnTheDeployment) {
  EXPECT_THAT(exporters({}), ElementsAre("console"));
  EXPECT_THAT(exporters({{"ADMINARA_ENV", "production"}}), ElementsAre("otlp"));
  EXPECT_THAT(exporters({{"NODE_ENV", "production"}}), ElementsAre("otlp"));
}

TEST(TracingConfig, ExporterList) {
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "memory"}}), ElementsAre("memory"));
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", " Console , memory,console"}}),
              ElementsAre("console", "memory"));
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "console"}, {"ADMINARA_ENV", "production"}}),
              ElementsAre("console"));
}

TEST(TracingConfig, NoneSelectsNoExporter) {
  std::vector<std::string> warnings;
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "none"}}, &warnings), IsEmpty());
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "NONE"}}, &warnings), IsEmpty());
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(TracingConfig, NoneCombinedWithOthersIsDropped) {
  std::vector<std::string> warnings;
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "none,console"}}, &warnings),
              ElementsAre("console"));
  EXPECT_THAT(warnings, ElementsAre("OTEL_TRACES_EXPORTER=\"none,console\": none cannot be "
                                    "combined with other exporters; accepted: none alone, or a "
                                    "list of console, memory, otlp; using console"));
}

TEST(TracingConfig, UnknownExporterWarnsAndIsSkipped) {
  std::vector<std::string> warnings;
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "console,zipkin"}}, &warnings),
              ElementsAre("console"));
  EXPECT_THAT(warnings, ElementsAre("OTEL_TRACES_EXPORTER=\"console,zipkin\" contains the unknown "
                                    "item \"zipkin\"; accepted: console, memory, none, otlp "
                                    "(comma-separated, case-insensitive); skipped"));
  // Nothing usable left: the variable behaves as unset.
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "jaeger"}}, &warnings), ElementsAre("console"));
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "jaeger"}, {"ADMINARA_ENV", "production"}}),
              ElementsAre("otlp"));
}

TEST(TracingConfig, OtlpIsAnExporter) {
  std::vector<std::string> warnings;
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "otlp"}}, &warnings), ElementsAre("otlp"));
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "OTLP, console"}}, &warnings),
              ElementsAre("otlp", "console"));
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "otlp,memory"}}, &warnings),
              ElementsAre("otlp", "memory"));
  EXPECT_THAT(warnings, IsEmpty());
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "otlp,none"}}, &warnings), ElementsAre("otlp"));
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("none cannot be combined with other exporters")));
}

TEST(TracingConfig, OptionsTracesExporterWins) {
  Options o;
  o.traces_exporter = "memory, console";
  std::vector<std::string> warnings;
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "bogus"}}, &warnings, o),
              ElementsAre("memory", "console"));
  EXPECT_THAT(warnings, IsEmpty());
  o.traces_exporter = "none";
  EXPECT_THAT(exporters({{"OTEL_TRACES_EXPORTER", "console"}}, nullptr, o), IsEmpty());
}

TEST(TracingConfig, OptionsTracesExporterWarningsNameTheOption) {
  Options o;
  o.traces_exporter = "memory,kafka";
  std::vector<std::string> warnings;
  EXPECT_THAT(exporters({}, &warnings, o), ElementsAre("memory"));
  EXPECT_THAT(warnings, ElementsAre("Options::traces_exporter=\"memory,kafka\" contains the "
                                    "unknown item \"kafka\"; accepted: console, memory, none, otlp "
                                    "(comma-separated, case-insensitive); skipped"));
}

// --- batch processor ---

TEST(TracingConfig, BatchSettingsFromTheEnvironment) {
  const Loaded l = load({{"OTEL_BSP_SCHEDULE_DELAY", "200"},
                         {"OTEL_BSP_EXPORT_TIMEOUT", "1000"},
                         {"OTEL_BSP_MAX_QUEUE_SIZE", "4096"},
                         {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1024"}});
  EXPECT_THAT(l.warnings, IsEmpty());
  EXPECT_EQ(l.config.batch.schedule_delay, milliseconds(200));
  EXPECT_EQ(l.config.batch.export_timeout, milliseconds(1000));
  EXPECT_EQ(l.config.batch.max_queue_size, 4096u);
  EXPECT_EQ(l.config.batch.max_export_batch_size, 1024u);
}

TEST(TracingConfig, BatchZeroDelayAndNoTimeout) {
  const Loaded l = load({{"OTEL_BSP_SCHEDULE_DELAY", "0"}, {"OTEL_BSP_EXPORT_TIMEOUT", "0"}});
  EXPECT_EQ(l.config.batch.schedule_delay, milliseconds(0));
  EXPECT_EQ(l.config.batch.export_timeout, milliseconds::max());
}

TEST(TracingConfig, InvalidBatchSettingsWarnAndUseDefaults) {
  const Loaded l = load({{"OTEL_BSP_SCHEDULE_DELAY", "-1"},
                         {"OTEL_BSP_EXPORT_TIMEOUT", "30s"},
                         {"OTEL_BSP_MAX_QUEUE_SIZE", "abc"},
                         {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0"}});
  EXPECT_EQ(l.config.batch.schedule_delay, milliseconds(5000));
  EXPECT_EQ(l.config.batch.export_timeout, milliseconds(30000));
  EXPECT_EQ(l.config.batch.max_queue_size, 2048u);
  EXPECT_EQ(l.config.batch.max_export_batch_size, 512u);
  EXPECT_THAT(
      l.warnings,
      ElementsAre("OTEL_BSP_SCHEDULE_DELAY=\"-1\" is out of range; accepted: an integer number of "
                  "milliseconds from 0 to 2147483647; using the default 5000",
                  "OTEL_BSP_EXPORT_TIMEOUT=\"30s\" is not an integer; accepted: an integer number "
                  "of milliseconds from 0 to 2147483647, 0 meaning no limit; using the default "
                  "30000",
                  "OTEL_BSP_MAX_QUEUE_SIZE=\"abc\" is not an integer; accepted: an integer from 1 "
                  "to 2147483647; using the default 2048",
                  "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\"0\" is out of range; accepted: an integer "
                  "from 1 to 2147483647; using the default 512"));
}

TEST(TracingConfig, BatchSizeAboveTheQueueSizeIsClamped) {
  const Loaded l =
      load({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200"}});
  EXPECT_EQ(l.config.batch.max_queue_size, 100u);
  EXPECT_EQ(l.config.batch.max_export_batch_size, 100u);
  EXPECT_THAT(l.warnings,
              ElementsAre("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\"200\" is greater than the queue size "
                          "100 (OTEL_BSP_MAX_QUEUE_SIZE); accepted: an integer from 1 to the "
                          "queue size; using 100"));
}

TEST(TracingConfig, DefaultBatchSizeAboveASmallQueueIsClamped) {
  const Loaded l = load({{"OTEL_BSP_MAX_QUEUE_SIZE", "256"}});
  EXPECT_EQ(l.config.batch.max_export_batch_size, 256u);
  EXPECT_THAT(l.warnings,
              ElementsAre("OTEL_BSP_MAX_EXPORT_BATCH_SIZE (the default 512) is greater than the "
                          "queue size 256 (OTEL_BSP_MAX_QUEUE_SIZE); accepted: an integer from 1 "
                          "to the queue size; using 256"));
}

TEST(TracingConfig, SimpleProcessorFromOptionsSkipsBatchSettings) {
  Options o;
  o.span_processor = ProcessorKind::kSimple;
  const Loaded l = load_with(o, {{"OTEL_BSP_MAX_QUEUE_SIZE", "abc"}});
  EXPECT_EQ(l.config.processor, ProcessorKind::kSimple);
  EXPECT_THAT(l.warnings, IsEmpty());
  o.span_processor = ProcessorKind::kBatch;
  EXPECT_EQ(load_with(o).config.processor, ProcessorKind::kBatch);
}

// --- limits ---

TEST(TracingConfig, SpecificLimits) {
  const Loaded l = load({{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "10"},
                         {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "256"},
                         {"OTEL_SPAN_EVENT_COUNT_LIMIT", "11"},
                         {"OTEL_SPAN_LINK_COUNT_LIMIT", "12"},
                         {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "13"},
                         {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "0"}});
  EXPECT_THAT(l.warnings, IsEmpty());
  EXPECT_EQ(l.config.limits.attribute_count, 10u);
  EXPECT_EQ(l.config.limits.attribute_value_length, 256u);
  EXPECT_EQ(l.config.limits.event_count, 11u);
  EXPECT_EQ(l.config.limits.link_count, 12u);
  EXPECT_EQ(l.config.limits.event_attribute_count, 13u);
  EXPECT_EQ(l.config.limits.link_attribute_count, 0u);
}

TEST(TracingConfig, GenericLimitsAreTheFallback) {
  const Loaded l = load({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "64"},
                         {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1000"},
                         {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "8"}});
  EXPECT_THAT(l.warnings, IsEmpty());
  EXPECT_EQ(l.config.limits.attribute_count, 64u);
  EXPECT_EQ(l.config.limits.attribute_value_length, 1000u);
  EXPECT_EQ(l.config.limits.event_attribute_count, 8u);  // specific wins
  EXPECT_EQ(l.config.limits.link_attribute_count, 64u);
  // Event and link counts have no generic variable.
  EXPECT_EQ(l.config.limits.event_count, 128u);
  EXPECT_EQ(l.config.limits.link_count, 128u);
}

TEST(TracingConfig, InvalidSpecificLimitFallsBackToTheGenericOne) {
  const Loaded l = load({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "64"},
                         {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-3"},
                         {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "long"},
                         {"OTEL_SPAN_EVENT_COUNT_LIMIT", "many"}});
  EXPECT_EQ(l.config.limits.attribute_count, 64u);
  EXPECT_EQ(l.config.limits.attribute_value_length, SpanLimits::kNoLimit);
  EXPECT_EQ(l.config.limits.event_count, 128u);
  EXPECT_THAT(
      l.warnings,
      ElementsAre("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=\"-3\" is out of range; accepted: an integer "
                  "from 0 to 2147483647; using OTEL_ATTRIBUTE_COUNT_LIMIT=64",
                  "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT=\"long\" is not an integer; accepted: an "
                  "integer from 0 to 2147483647; using the default (no limit)",
                  "OTEL_SPAN_EVENT_COUNT_LIMIT=\"many\" is not an integer; accepted: an integer "
                  "from 0 to 2147483647; using the default 128"));
}

TEST(TracingConfig, InvalidGenericLimitsWarnOnce) {
  const Loaded l =
      load({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "lots"}, {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "-1"}});
  EXPECT_EQ(l.config.limits.attribute_count, 128u);
  EXPECT_EQ(l.config.limits.event_attribute_count, 128u);
  EXPECT_EQ(l.config.limits.link_attribute_count, 128u);
  EXPECT_EQ(l.config.limits.attribute_value_length, SpanLimits::kNoLimit);
  EXPECT_THAT(l.warnings,
              ElementsAre("OTEL_ATTRIBUTE_COUNT_LIMIT=\"lots\" is not an integer; accepted: an "
                          "integer from 0 to 2147483647; using the default 128",
                          "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=\"-1\" is out of range; accepted: an "
                          "integer from 0 to 2147483647; using the default (no limit)"));
}

}  // namespace
}  // namespace adminara::obs::config
