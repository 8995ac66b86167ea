// Span: one timed operation in a trace. Created by start_span() or Tracer::start_span().
//
//   auto span = obs::start_span("test.operation", {{"userId", "123"}});
//   span.set_attribute("result", "success");
//   span.end();                                // or let it go out of scope
//
// Ownership: a Span is a move-only handle that owns its in-flight data. end() hands the data to
// the span processor; after that every mutating call is a no-op. A Span destroyed without end()
// is ended then. A non-recording Span (tracing disabled, or not sampled) still carries a valid
// SpanContext so context propagates, but records nothing and costs next to nothing.
//
// Thread-safety: a Span is not synchronized; use one Span from one thread at a time (hand it
// over with std::move). Its SpanContext may be copied to any thread.
// Errors: mutators never throw and never fail loudly; values beyond the span limits are dropped
// and counted on the span (dropped_attributes_count etc.).
#pragma once

#include <cstdint>
#include <exception>
#include <string_view>

#include "adminara/obs/attributes.h"
#include "adminara/obs/context.h"
#include "adminara/obs/span_context.h"
#include "adminara/obs/span_data.h"

namespace adminara::obs {

namespace detail {
class SpanRecord;
class TracerCore;
}  // namespace detail

class Span {
 public:
  /// An invalid, non-recording span.
  Span() = default;
  ~Span() { end(); }
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  /// True until end() when the span is sampled and tracing is enabled.
  bool is_recording() const { return record_ != nullptr; }
  const SpanContext& context() const { return context_; }

  /// Sets (or replaces) an attribute. Beyond the attribute count limit the attribute is dropped
  /// and counted; strings beyond the value length limit are truncated.
  Span& set_attribute(std::string_view key, AttributeView value) {
    if (record_ != nullptr) record_attribute(key, value);
    return *this;
  }
  Span& set_attributes(Attributes attributes);
  /// Adds a timestamped event.
  Span& add_event(std::string_view name, Attributes attributes = {});
  /// Links this span to another span context (ignored when `linked` is invalid).
  Span& add_link(const SpanContext& linked, Attributes attributes = {});
  /// Sets the status. Per OTel: Ok is final; Error replaces Unset; Unset is ignored.
  Span& set_status(StatusCode code, std::string_view description = {});
  /// Records an `exception` event with exception.type and exception.message (does not change
  /// the status; callers decide).
  Span& record_exception(const std::exception& e);
  Span& record_exception(std::string_view type, std::string_view message);
  /// Renames the span.
  Span& update_name(std::string_view name);

  /// Ends the span now (idempotent).
  void end() {
    if (record_ != nullptr) end_recording();
  }

  /// Makes this span the current one on the calling thread until the Scope is destroyed. The
  /// Span must outlive the Scope and must not be moved while active.
  [[nodiscard]] Scope activate() const;

  /// Wall-clock nanoseconds elapsed since start (monotonic), or 0 for a non-recording span.
  std::uint64_t elapsed_nanos() const;

 private:
  friend class detail::TracerCore;
  friend class Tracer;
  Span(SpanContext ctx, detail::SpanRecord* record) : context_(std::move(ctx)), record_(record) {}
  void record_attribute(std::string_view key, AttributeView value);
  void end_recording();

  SpanContext context_;
  detail::SpanRecord* record_ = nullptr;
};

namespace detail {
// trace_async()'s bookkeeping (tracer.h), also used by the job system: on success the span gets
// duration_ms and status=success; on an error, status=error, error.message, an exception event
// and error status.
void finish_traced_call_ok(Span& span) noexcept;
void finish_traced_call_error(Span& span, std::exception_ptr error) noexcept;

// Marks success when the call returned (no new exception in flight).
class TracedCallGuard {
 public:
  explicit TracedCallGuard(Span& span) : span_(span), exceptions_(std::uncaught_exceptions()) {}
  ~TracedCallGuard() {
    if (std::uncaught_exceptions() == exceptions_) finish_traced_call_ok(span_);
  }
  TracedCallGuard(const TracedCallGuard&) = delete;
  TracedCallGuard& operator=(const TracedCallGuard&) = delete;

 private:
  Span& span_;
  int exceptions_;
};
}  // namespace detail

}  // namespace adminara::obs
