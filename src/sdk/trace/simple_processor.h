// SimpleSpanProcessor: exports each span synchronously on the thread that ends it. For tests
// and debugging; exporters are serialized by a mutex, so ending threads wait for each other.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "sdk/trace/span_processor.h"

namespace adminara::obs::detail {

class TracerCore;

class SimpleSpanProcessor final : public SpanProcessor {
 public:
  SimpleSpanProcessor(TracerCore& core, std::vector<std::shared_ptr<SpanExporter>> exporters);
  void on_end(SpanRecord* record) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  void shutdown(std::chrono::milliseconds timeout) noexcept override;
  void add_stats(TracerStats& stats) const noexcept override;

 private:
  TracerCore& core_;
  const std::vector<std::shared_ptr<SpanExporter>> exporters_;
  std::mutex mu_;  // serializes exports
  bool shut_down_ = false;
  std::atomic<std::uint64_t> ended_{0};
  ProcessorCounters counters_;
};

}  // namespace adminara::obs::detail
