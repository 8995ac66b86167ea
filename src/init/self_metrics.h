// The library's own metrics (span pipeline, metrics SDK, Prometheus endpoint) and the standard
// Prometheus process metrics, registered as observable instruments on the global provider.
// docs/metrics.md lists them.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "adminara/obs/metrics.h"
#include "adminara/obs/tracer.h"
#include "export/otlp/http_sender.h"
#include "export/prometheus/server.h"

namespace adminara::obs {

/// Counters of the /metrics endpoint, updated by the scrape thread.
struct ScrapeStats {
  std::atomic<std::uint64_t> scrapes{0};
  std::atomic<std::uint64_t> metrics_dropped{0};  // metrics left out for a conflicting TYPE
  std::atomic<bool> warned_conflict{false};
  /// The endpoint's server once it runs (its connection and refusal counters); null before.
  /// The server outlives every collection that reads it.
  std::atomic<const prometheus::MetricsServer*> server{nullptr};
};

/// Registers the self-metrics and process metrics; they stay registered while the returned
/// handles live. `scrapes`, `otlp_traces` and `otlp_metrics` (the OTLP exporters' counters, each
/// reported with attribute signal="traces" / "metrics") must outlive them.
std::vector<ObservableInstrument> register_self_metrics(MeterProvider& meters,
                                                        TracerProvider& tracing,
                                                        const ScrapeStats* scrapes,
                                                        const otlp::OtlpStats* otlp_traces,
                                                        const otlp::OtlpStats* otlp_metrics);

}  // namespace adminara::obs
