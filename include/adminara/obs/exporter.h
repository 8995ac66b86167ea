// Span exporters: where finished spans go. The SDK calls an exporter from one thread at a time
// (the batch processor's thread, or the ending thread under the simple processor).
//
// Built in: console (one JSON object per span per line), in-memory (tests), none.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "adminara/obs/span_data.h"

namespace adminara::obs {

enum class ExportResult : std::uint8_t { kSuccess, kFailure };

/// Interface for span exporters.
/// Contract: export_spans() is never called concurrently with itself; the SpanData pointers are
/// valid only during the call. Implementations must not throw (a thrown exception is caught,
/// counted as a failed export and logged once).
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  virtual ExportResult export_spans(std::span<const SpanData* const> spans) = 0;
  /// Flushes anything buffered; returns false when it could not finish.
  virtual bool force_flush() { return true; }
  /// Releases resources; after it, export_spans() may fail.
  virtual void shutdown() {}
};

/// Writes one JSON object per span per line to `out` (not owned; must outlive the exporter).
/// Fields: traceId, spanId, parentSpanId (only with a parent), name, kind, timestamp (start,
/// microseconds since the Unix epoch), duration (microseconds, fractional), attributes, status
/// {code, message}, events [{name, timestamp, attributes}], links, resource (service.name etc.,
/// on every line), droppedAttributesCount/droppedEventsCount/droppedLinksCount when non-zero.
std::unique_ptr<SpanExporter> make_console_exporter(std::ostream& out);

/// Accepts and discards everything (OTEL_TRACES_EXPORTER=none).
std::unique_ptr<SpanExporter> make_noop_exporter();

/// Keeps copies of exported spans in memory; for tests and examples.
/// Thread-safety: all methods are safe to call concurrently.
class InMemorySpanExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanData* const> spans) override;
  /// A copy of everything exported so far. The resource/scope pointers inside stay valid while
  /// the tracer provider that produced the spans is alive.
  std::vector<SpanData> spans() const;
  /// Removes and returns everything exported so far.
  std::vector<SpanData> take();
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<SpanData> spans_;
};

}  // namespace adminara::obs
