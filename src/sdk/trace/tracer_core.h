// TracerCore: the implementation behind TracerProvider. Owns the resource, sampler, limits,
// instrumentation scopes, the span processor and the pool of span records.
//
// Span records come from a RecordPool (per-thread caches; see record_pool.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "adminara/obs/tracer.h"
#include "sdk/trace/record_pool.h"
#include "sdk/trace/running_spans.h"
#include "sdk/trace/span_processor.h"
#include "sdk/trace/span_record.h"

namespace adminara::obs::detail {

class TracerCore {
 public:
  explicit TracerCore(TracerProviderOptions options);
  ~TracerCore();

  Span start_span(const InstrumentationScope* scope, std::string_view name, Attributes attributes,
                  const SpanOptions& options);
  /// Ends a recording span: stamps the end time and hands the record to the processor.
  void end_span(SpanRecord* record) noexcept;
  /// Returns a record to the pool (any thread).
  void release(SpanRecord* record) noexcept { pool_->release(record); }
  /// The calling thread's share of the record pool.
  RecordHome* home_for_this_thread() { return pool_->home_for_this_thread(); }
  /// Takes back records this thread queued for export and the exporter is done with.
  std::size_t reclaim(SpanRecord** out, std::size_t max) noexcept {
    return processor_->reclaim(out, max);
  }

  const InstrumentationScope* scope(std::string_view name, std::string_view version);
  bool force_flush(std::chrono::milliseconds timeout) noexcept;
  void shutdown(std::chrono::milliseconds timeout) noexcept;
  TracerStats stats() const noexcept;
  /// Null unless TracerProviderOptions::count_running_spans.
  const RunningSpans* running_spans() const { return running_.get(); }

  const Resource& resource() const { return resource_; }
  const Sampler& sampler() const { return *sampler_; }
  const SpanLimits& limits() const { return limits_; }
  bool enabled() const { return enabled_; }
  std::uint64_t id() const { return id_; }

 private:
  // The sampled part of start_span, kept out of line so the non-recording path stays small.
  [[gnu::noinline]] Span start_recording(const InstrumentationScope* scope, std::string_view name,
                                         Attributes attributes, const SpanOptions& options,
                                         const SpanContext* parent, const TraceId& trace_id,
                                         const SpanId& span_id, std::uint8_t flags,
                                         std::shared_ptr<const TraceState> trace_state);
  const std::uint64_t id_;
  const Resource resource_;
  const std::shared_ptr<const Sampler> sampler_;
  const SpanLimits limits_;
  const bool enabled_;
  const BoundUpDownCounter active_spans_;
  const std::unique_ptr<RunningSpans> running_;  // null unless counting running spans
  std::unique_ptr<RecordPool> pool_;
  std::unique_ptr<SpanProcessor> processor_;

  std::mutex scopes_mu_;
  std::deque<InstrumentationScope> scopes_;  // deque: stable addresses

  std::mutex pool_mu_;
  std::vector<SpanRecord*> free_;                 // guarded by pool_mu_
  std::vector<std::unique_ptr<SpanRecord>> all_;  // guarded by pool_mu_
};

}  // namespace adminara::obs::detail
