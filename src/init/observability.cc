// The process-wide SDK: init_observability(), shutdown(), and the free functions that use the
// global tracer (start_span, current_span, trace_async's helpers).
#include "adminara/obs/observability.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "adminara/obs/http_server.h"
#include "adminara/obs/web_config.h"
#include "common/clock.h"
#include "common/log.h"
#include "debug/job_registry.h"
#include "debug/pages.h"
#include "debug/tracez.h"
#include "export/otlp/metric_reader.h"
#include "export/otlp/span_exporter.h"
#include "export/prometheus/server.h"
#include "export/prometheus/text_format.h"
#include "init/self_metrics.h"
#include "sdk/config/debug_pages_config.h"
#include "sdk/config/metrics_config.h"
#include "sdk/config/otlp_config.h"
#include "sdk/config/profiler_config.h"
#include "sdk/config/tracing_config.h"

namespace adminara::obs {
namespace {

// What build() resolved for the OTLP exporters (before anything starts).
struct OtlpSetup {
  std::shared_ptr<otlp::OtlpStats> trace_stats = std::make_shared<otlp::OtlpStats>();
  std::shared_ptr<otlp::OtlpStats> metric_stats = std::make_shared<otlp::OtlpStats>();
  otlp::OtlpHttpSpanExporter* span_exporter = nullptr;  // owned by the tracer provider
  std::optional<config::OtlpExporterConfig> metrics;    // set when metrics go over OTLP
  config::OtlpMetricReaderConfig reader;
};

// What build() resolved for the debug pages.
struct DebugSetup {
  bool enabled = false;
  std::optional<net::WebConfig> web_config;  // for the endpoint (TLS, basic auth, headers)
  std::chrono::milliseconds sample_interval{5000};
  std::shared_ptr<debug::TraceZ> tracez;  // also in the span pipeline's exporters
};

class ObservabilityImpl final : public Observability {
 public:
  ObservabilityImpl(config::TracingConfig cfg, const config::MetricsConfig& mcfg,
                    const config::ProfilerConfig& pcfg,
                    std::vector<std::shared_ptr<SpanExporter>> exporters,
                    std::vector<std::string> exporter_names, InMemorySpanExporter* memory,
                    std::vector<std::string> warnings, std::string service_name, OtlpSetup otlp,
                    DebugSetup pages)
      : otlp_(std::move(otlp)),
        meters_(MeterProviderOptions{
            .resource = cfg.resource,
            .cardinality_limit = mcfg.cardinality_limit,
            .exemplar_filter = mcfg.exemplar_filter,
            .enabled = mcfg.enabled,
        }),
        meter_(meters_.get_meter(cfg.resource.get_string("service.name"),
                                 cfg.resource.get_string("service.version"))),
        metrics_(create_metrics(meter_)),
        profiler_(ProfilerOptions{.enabled = pcfg.enabled, .meter = meter_}),
        provider_(TracerProviderOptions{
            .resource = std::move(cfg.resource),
            .sampler = std::move(cfg.sampler),
            .exporters = std::move(exporters),
            .processor = cfg.processor,
            .batch = cfg.batch,
            .limits = cfg.limits,
            .enabled = cfg.enabled,
            .active_spans = metrics_.active_spans.bind(),
            .count_running_spans = pages.enabled,
        }),
        tracer_(provider_.get_tracer(provider_.resource().get_string("service.name"))),
        deployment_(std::move(cfg.deployment_environment)),
        exporter_names_(std::move(exporter_names)),
        memory_(memory),
        warnings_(std::move(warnings)),
        requested_service_name_(std::move(service_name)) {
    if (mcfg.enabled) {
      // The OTLP counters only when an OTLP exporter runs, so /metrics has no idle series.
      const bool otlp_used = otlp_.span_exporter != nullptr || otlp_.metrics.has_value();
      self_metrics_ = register_self_metrics(meters_, provider_, &scrape_stats_,
                                            otlp_used ? otlp_.trace_stats.get() : nullptr,
                                            otlp_used ? otlp_.metric_stats.get() : nullptr);
    }
    if (mcfg.enabled && mcfg.prometheus) {
      render_options_.unit_suffixes = mcfg.unit_suffixes;
      try {
        server_ = std::make_unique<prometheus::MetricsServer>(
            prometheus::MetricsServerOptions{.host = mcfg.prometheus_host,
                                             .port = mcfg.prometheus_port,
                                             .web_config = std::move(pages.web_config)},
            [this](prometheus::Format format, std::string& out) { render(format, out); });
        scrape_stats_.server.store(server_.get(), std::memory_order_release);
      } catch (const std::exception& e) {
        provider_.shutdown();
        throw ConfigError(std::string("the Prometheus endpoint (OTEL_EXPORTER_PROMETHEUS_HOST/"
                                      "OTEL_EXPORTER_PROMETHEUS_PORT) could not start: ") +
                          e.what());
      }
    }
    if (pages.enabled && server_) {
      debug_pages_ = std::make_unique<debug::DebugPages>(
          debug::DebugPagesOptions{
              .service_name = std::string(provider_.resource().get_string("service.name")),
              .sample_interval = pages.sample_interval},
          meters_, provider_, profiler_, std::move(pages.tracez));
      debug_pages_->install(*server_);
      debug::job_registry().set_gathering(true);
    }
    // Last: nothing after it can fail, so a failed init never leaves a reader thread behind.
    if (mcfg.enabled && otlp_.metrics) {
      metric_reader_ = std::make_unique<otlp::OtlpMetricReader>(meters_, *otlp_.metrics,
                                                                otlp_.reader, *otlp_.metric_stats);
    }
  }

  TracerProvider& tracer_provider() override { return provider_; }
  MeterProvider& meter_provider() override { return meters_; }
  Meter meter() const { return meter_; }
  PerformanceProfiler& profiler() { return profiler_; }
  int prometheus_port() const override { return server_ ? server_->port() : 0; }
  std::string render_metrics(bool openmetrics) override {
    std::string out;
    render(openmetrics ? prometheus::Format::kOpenMetrics1 : prometheus::Format::kText004, out);
    return out;
  }
  const Resource& resource() const override { return provider_.resource(); }
  const std::vector<std::string>& config_warnings() const override { return warnings_; }
  const std::string& deployment_environment() const override { return deployment_; }
  const std::vector<std::string>& span_exporter_names() const override { return exporter_names_; }
  InMemorySpanExporter* memory_exporter() override { return memory_; }
  bool debug_pages_enabled() const override { return debug_pages_ != nullptr; }

  const Tracer& default_tracer() const { return tracer_; }
  void set_batch_export_timeout(std::chrono::milliseconds t) { batch_export_timeout_ = t; }
  const std::string& requested_service_name() const { return requested_service_name_; }

  void shutdown_all() {
    if (server_) server_->stop();
    if (debug_pages_) {
      debug_pages_->stop();
      debug::job_registry().set_gathering(false);
    }
    // The final span flush must end within the batch export timeout even when the collector is
    // down: no OTLP request runs past it.
    if (otlp_.span_exporter != nullptr) {
      otlp_.span_exporter->cap_deadline(otlp::deadline_after(batch_export_timeout_));
    }
    provider_.shutdown();
    if (metric_reader_) metric_reader_->shutdown(otlp_.reader.timeout);
  }

  bool flush_all() {
    const bool spans = provider_.force_flush();
    const bool metrics = !metric_reader_ || metric_reader_->force_flush();
    return spans && metrics;
  }

 private:
  void render(prometheus::Format format, std::string& out) {
    scrape_stats_.scrapes.fetch_add(1, std::memory_order_relaxed);
    const std::vector<MetricData> data = meters_.collect();
    const prometheus::RenderStats st =
        prometheus::render(meters_.resource(), data, format, render_options_, out);
    if (st.metrics_dropped > 0) {
      scrape_stats_.metrics_dropped.fetch_add(st.metrics_dropped, std::memory_order_relaxed);
      for (const auto& w : st.warnings) common::warn_once(scrape_stats_.warned_conflict, w);
    }
  }

  OtlpSetup otlp_;  // first: its stats outlive the exporters and the self-metrics
  std::chrono::milliseconds batch_export_timeout_{30000};
  MeterProvider meters_;
  Meter meter_;
  AdminAraMetrics metrics_;
  PerformanceProfiler profiler_;
  TracerProvider provider_;
  Tracer tracer_;
  std::string deployment_;
  std::vector<std::string> exporter_names_;
  InMemorySpanExporter* memory_;
  std::vector<std::string> warnings_;
  std::string requested_service_name_;
  ScrapeStats scrape_stats_;
  prometheus::RenderOptions render_options_;
  std::vector<ObservableInstrument> self_metrics_;
  std::unique_ptr<otlp::OtlpMetricReader> metric_reader_;  // reads meters_; goes before them
  std::unique_ptr<debug::DebugPages> debug_pages_;         // served by server_; goes after it
  std::unique_ptr<prometheus::MetricsServer> server_;      // last: stopped before the rest goes
};

std::mutex g_mu;
std::atomic<ObservabilityImpl*> g_current{nullptr};
// Instances are never deleted: a Span started before shutdown() may still end afterwards (and is
// then dropped and counted), so the core it points to must stay alive until exit.
std::vector<ObservabilityImpl*>* g_retired = nullptr;

void shutdown_at_exit() {
  shutdown();
}

ObservabilityImpl* build(const Options& options) {
  config::EnvReader env(options.getenv);
  config::TracingConfig cfg = config::load_tracing_config(options, env);
  const config::MetricsConfig mcfg = config::load_metrics_config(options, env);
  const config::ProfilerConfig pcfg = config::load_profiler_config(options, env);
  const config::DebugPagesConfig dcfg =
      config::load_debug_pages_config(options, env, cfg.deployment_environment);
  OtlpSetup otlp;
  const bool otlp_traces =
      cfg.enabled && std::find(cfg.exporter_names.begin(), cfg.exporter_names.end(), "otlp") !=
                         cfg.exporter_names.end();
  std::optional<config::OtlpExporterConfig> otlp_trace_config;
  if (otlp_traces) {
    otlp_trace_config = config::load_otlp_exporter_config(env, config::OtlpSignal::kTraces);
  }
  if (mcfg.enabled && mcfg.otlp) {
    otlp.metrics = config::load_otlp_exporter_config(env, config::OtlpSignal::kMetrics);
    otlp.reader = config::load_otlp_metric_reader_config(env);
  }
  std::vector<std::string> warnings = env.warnings();
  if (options.strict_config && !warnings.empty()) {
    std::string msg = "invalid observability configuration:";
    for (const auto& w : warnings) msg += "\n  - " + w;
    throw ConfigError(msg);
  }
  for (const auto& w : warnings) common::log_warn(w);

  std::vector<std::shared_ptr<SpanExporter>> exporters;
  std::vector<std::string> names;
  InMemorySpanExporter* memory = nullptr;
  for (const auto& name : cfg.exporter_names) {
    if (name == "console") {
      std::ostream& out = options.console_output != nullptr ? *options.console_output : std::cout;
      exporters.push_back(make_console_exporter(out));
    } else if (name == "otlp") {
      if (!otlp_trace_config) continue;  // tracing is disabled
      auto e = std::make_shared<otlp::OtlpHttpSpanExporter>(std::move(*otlp_trace_config),
                                                            *otlp.trace_stats);
      otlp.span_exporter = e.get();
      exporters.push_back(std::move(e));
    } else if (name == "memory") {
      auto m = std::make_shared<InMemorySpanExporter>();
      memory = m.get();
      exporters.push_back(std::move(m));
    } else {
      continue;  // "none" and names the config layer already warned about
    }
    names.push_back(name);
  }
  for (const auto& e : options.span_exporters) {
    if (e) exporters.push_back(e);
  }
  // The pages live on the Prometheus endpoint's server; without it there is nothing to serve
  // them, so nothing is gathered either.
  DebugSetup pages;
  pages.enabled = dcfg.enabled && mcfg.enabled && mcfg.prometheus;
  pages.sample_interval = dcfg.sample_interval;
  if (dcfg.enabled && !pages.enabled && dcfg.explicit_choice) {
    common::log_warn(
        "the debug pages (ADMINARA_DEBUG_PAGES) need the Prometheus endpoint, which is off "
        "(ENABLE_METRICS / OTEL_METRICS_EXPORTER / OTEL_SDK_DISABLED); they are not served");
  }
  if (mcfg.enabled && mcfg.prometheus && !mcfg.web_config_file.empty()) {
    // Throws ConfigError naming the file, the key and what is accepted: an endpoint meant to be
    // protected never starts unprotected.
    pages.web_config = net::load_web_config(mcfg.web_config_file);
  }
  if (pages.enabled) {
    // The pages show span attributes, profiles and job data: fail closed. They are served on a
    // loopback address, or behind basic auth or verified client certificates, or when allowed
    // explicitly.
    const bool authenticated = pages.web_config && pages.web_config->authenticates_clients();
    std::string warning;
    pages.enabled = config::serve_debug_pages(dcfg, mcfg.prometheus_host, mcfg.prometheus_port,
                                              net::is_loopback_host(mcfg.prometheus_host),
                                              authenticated, warning);
    if (!warning.empty()) {
      common::log_warn(warning);
      warnings.push_back(warning);
    }
  }
  if (pages.enabled && cfg.enabled) {
    // Fed on the span pipeline's exporter thread, like any exporter.
    pages.tracez = std::make_shared<debug::TraceZ>();
    exporters.push_back(pages.tracez);
  }
  const auto batch_timeout = cfg.batch.export_timeout;
  auto* impl = new ObservabilityImpl(std::move(cfg), mcfg, pcfg, std::move(exporters),
                                     std::move(names), memory, std::move(warnings),
                                     options.service_name, std::move(otlp), std::move(pages));
  impl->set_batch_export_timeout(batch_timeout);
  return impl;
}

}  // namespace

Observability& init_observability(std::string_view service_name) {
  Options o;
  o.service_name = std::string(service_name);
  return init_observability(o);
}

Observability& init_observability(const Options& options) {
  std::lock_guard lock(g_mu);
  if (ObservabilityImpl* cur = g_current.load(std::memory_order_acquire)) {
    if (cur->requested_service_name() != options.service_name) {
      common::log_warn("init_observability() was already called (service '" +
                       cur->requested_service_name() +
                       "'); the new options are ignored and the existing instance is returned");
    }
    return *cur;
  }
  ObservabilityImpl* impl = build(options);
  static const bool registered = [] { return std::atexit(shutdown_at_exit) == 0; }();
  (void)registered;
  g_current.store(impl, std::memory_order_release);
  return *impl;
}

Meter get_meter() {
  ObservabilityImpl* cur = g_current.load(std::memory_order_acquire);
  return cur != nullptr ? cur->meter() : Meter();
}

Meter get_meter(std::string_view name, std::string_view version) {
  ObservabilityImpl* cur = g_current.load(std::memory_order_acquire);
  return cur != nullptr ? cur->meter_provider().get_meter(name, version) : Meter();
}

PerformanceProfiler& get_profiler() {
  ObservabilityImpl* cur = g_current.load(std::memory_order_acquire);
  if (cur != nullptr) return cur->profiler();
  static PerformanceProfiler disabled(ProfilerOptions{.enabled = false});
  return disabled;
}

Observability* observability() {
  return g_current.load(std::memory_order_acquire);
}

void shutdown() {
  std::lock_guard lock(g_mu);
  ObservabilityImpl* cur = g_current.exchange(nullptr, std::memory_order_acq_rel);
  if (cur == nullptr) return;
  cur->shutdown_all();
  if (g_retired == nullptr) g_retired = new std::vector<ObservabilityImpl*>();
  g_retired->push_back(cur);
}

bool force_flush() {
  ObservabilityImpl* cur = g_current.load(std::memory_order_acquire);
  return cur == nullptr || cur->flush_all();
}

Span start_span(std::string_view name, Attributes attributes) {
  static const SpanOptions kDefaults{};
  return start_span(name, attributes, kDefaults);
}

Span start_span(std::string_view name, Attributes attributes, const SpanOptions& options) {
  ObservabilityImpl* cur = g_current.load(std::memory_order_acquire);
  if (cur == nullptr) return Tracer().start_span(name, attributes, options);
  return cur->default_tracer().start_span(name, attributes, options);
}

}  // namespace adminara::obs
