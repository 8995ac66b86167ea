// Tracer provider, tracers and the free functions start_span() and trace_async() (docs/tracing.md).
//
//   obs::init_observability("adminara");
//   auto span = obs::start_span("test.operation", {{"userId", "123"}});
//   auto init_scheduler = obs::trace_async("scheduler.init", [&] { return schedule_all(); });
//   init_scheduler();   // a child span of the caller's context with duration_ms and status
//
// Thread-safety: TracerProvider, Tracer, start_span and the callables returned by trace_async
// are safe to use from any number of threads. Span start/end never take a lock in steady state
// and never wait for an exporter.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "adminara/obs/attributes.h"
#include "adminara/obs/context.h"
#include "adminara/obs/exporter.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/resource.h"
#include "adminara/obs/sampler.h"
#include "adminara/obs/span.h"

namespace adminara::obs {

/// OTel span limits (OTEL_SPAN_* / OTEL_ATTRIBUTE_* variables). What exceeds them is dropped
/// and counted on the span; string values longer than the length limit are truncated.
struct SpanLimits {
  static constexpr std::uint32_t kNoLimit = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t attribute_count = 128;
  std::uint32_t attribute_value_length = kNoLimit;
  std::uint32_t event_count = 128;
  std::uint32_t link_count = 128;
  std::uint32_t event_attribute_count = 128;
  std::uint32_t link_attribute_count = 128;
};

/// Batch span processor settings (OTEL_BSP_* variables; OTel defaults).
struct BatchOptions {
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};
  std::uint32_t max_queue_size = 2048;
  std::uint32_t max_export_batch_size = 512;
};

enum class ProcessorKind : std::uint8_t {
  kBatch,   // spans queue in memory and a background thread exports them (default)
  kSimple,  // the ending thread exports synchronously (tests, debugging)
};

struct TracerProviderOptions {
  Resource resource;
  std::shared_ptr<const Sampler> sampler;  // null: parentbased_always_on
  /// Where spans go; several exporters each get every span. Empty: spans are dropped.
  std::vector<std::shared_ptr<SpanExporter>> exporters;
  ProcessorKind processor = ProcessorKind::kBatch;
  BatchOptions batch;
  SpanLimits limits;
  /// When false every span is non-recording (ENABLE_TRACING=false, OTEL_SDK_DISABLED=true).
  bool enabled = true;
  /// Gets +1 when a recording span starts and -1 when it ends (init binds the `active_spans`
  /// metric here). Default: none.
  BoundUpDownCounter active_spans;
  /// Count running (started, not yet ended) recording spans per name, for
  /// TracerProvider::running_spans() (init sets it when the debug pages are on). Costs a hash
  /// of the name and one relaxed atomic at start and one relaxed atomic at end; false (the
  /// default) costs one branch.
  bool count_running_spans = false;
};

/// How many recording spans named `name` are running now (TracerProvider::running_spans()).
struct RunningSpanCount {
  std::string name;
  std::uint64_t running = 0;
};

/// Counters of the span pipeline (also exposed as self-metrics once metrics exist).
struct TracerStats {
  std::uint64_t spans_ended = 0;     // recording spans ended
  std::uint64_t spans_exported = 0;  // handed to exporters that reported success
  std::uint64_t spans_dropped = 0;   // dropped because the batch queue was full or shut down
  std::uint64_t spans_failed = 0;    // in exports that failed
  std::uint64_t export_calls = 0;
};

struct SpanOptions {
  SpanKind kind = SpanKind::kInternal;
  /// Parent to use instead of the thread's current context (e.g. one extracted from headers).
  const Context* parent = nullptr;
  /// Start a new trace, ignoring the current context.
  bool root = false;
  /// Links to other span contexts (invalid ones are ignored).
  std::vector<SpanContext> links;
};

namespace detail {
class TracerCore;
}

/// Creates spans for one instrumentation scope. A cheap, copyable handle; valid while its
/// TracerProvider lives. A default-constructed Tracer creates non-recording spans.
class Tracer {
 public:
  Tracer() = default;
  /// Starts a span, child of `options.parent` or else of the thread's current context.
  Span start_span(std::string_view name, Attributes attributes, const SpanOptions& options) const;
  Span start_span(std::string_view name, Attributes attributes = {}) const;
  const InstrumentationScope* scope() const { return scope_; }

 private:
  friend class TracerProvider;
  Tracer(detail::TracerCore* core, const InstrumentationScope* scope)
      : core_(core), scope_(scope) {}
  detail::TracerCore* core_ = nullptr;
  const InstrumentationScope* scope_ = nullptr;
};

/// Owns the span pipeline: resource, sampler, processor, exporters and span storage.
/// Lifetime: every Span it created must be ended or destroyed before it is destroyed.
/// Errors: the constructor throws std::invalid_argument for inconsistent options (a batch size
/// of 0 or above the queue size); nothing else throws.
class TracerProvider {
 public:
  explicit TracerProvider(TracerProviderOptions options);
  ~TracerProvider();
  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  /// The tracer for a scope; the same name and version return the same scope.
  Tracer get_tracer(std::string_view name, std::string_view version = {});
  /// Exports everything ended so far; false when it did not finish within `timeout`.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  /// Flushes and stops the pipeline (idempotent). Spans ended later are dropped and counted.
  void shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));

  const Resource& resource() const;
  const Sampler& sampler() const;
  const SpanLimits& limits() const;
  bool enabled() const;
  TracerStats stats() const;
  /// Running recording spans per name (names seen since the provider started, running or not),
  /// counted under the name each span started with. Empty unless
  /// TracerProviderOptions::count_running_spans was set. Names past the table's capacity (1024)
  /// are counted together under "(other span names)". Thread-safe; allocates the result.
  std::vector<RunningSpanCount> running_spans() const;

 private:
  std::unique_ptr<detail::TracerCore> core_;
};

/// Starts a span with the global tracer (see init_observability). Before init or after
/// shutdown the span is non-recording but still carries the parent's context.
Span start_span(std::string_view name, Attributes attributes, const SpanOptions& options);
Span start_span(std::string_view name, Attributes attributes = {});

/// Wraps `fn` so that each call runs inside a new span `name` (a child of the caller's current
/// context, and current while fn runs). On return the span gets `duration_ms` (double) and
/// `status`="success"; on an exception it gets `status`="error", `error.message`, an exception
/// event and error status, and the very same exception is rethrown. The returned callable
/// takes fn's arguments and returns exactly what fn returns (void, references and move-only
/// values included). It is copyable when fn is; calls may run concurrently if fn allows it.
template <class F>
auto trace_async(std::string name, F fn) {
  return [name = std::move(name),
          fn = std::move(fn)]<class... Args>(Args&&... args) mutable -> decltype(auto) {
    Span span = obs::start_span(name);
    Scope scope = span.activate();
    try {
      detail::TracedCallGuard guard(span);
      return std::invoke(fn, std::forward<Args>(args)...);
    } catch (...) {
      detail::finish_traced_call_error(span, std::current_exception());
      throw;
    }
  };
}

}  // namespace adminara::obs
