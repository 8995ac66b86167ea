// SpanProcessor: receives ended span records from the TracerCore and delivers them to the
// exporters. The processor owns a record from on_end() until it hands it back, either with
// TracerCore::release() or through reclaim() on the thread that ended it.
#pragma once

#include <chrono>

#include "adminara/obs/tracer.h"

namespace adminara::obs::detail {

class SpanRecord;

class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  /// Called on the thread that ended the span. Must not block on exporting and must not throw.
  virtual void on_end(SpanRecord* record) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept = 0;
  virtual void shutdown(std::chrono::milliseconds timeout) noexcept = 0;
  virtual void add_stats(TracerStats& stats) const noexcept = 0;
  /// Called on a thread that needs span records: hands back up to `max` records that this
  /// thread ended and that are fully processed, so they can be reused. Default: none.
  virtual std::size_t reclaim(SpanRecord** /*out*/, std::size_t /*max*/) noexcept { return 0; }
};

}  // namespace adminara::obs::detail

#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include "adminara/obs/exporter.h"

namespace adminara::obs::detail {

/// Counters shared by the processors.
struct ProcessorCounters {
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> export_calls{0};
};

/// Hands `spans` to every exporter, catching exceptions (counted as failures, logged once) and
/// updating `counters`. A span counts as exported when every exporter succeeded with it.
void export_to_all(const std::vector<std::shared_ptr<SpanExporter>>& exporters,
                   std::span<const SpanData* const> spans, ProcessorCounters& counters) noexcept;

}  // namespace adminara::obs::detail
