#include "sdk/trace/simple_processor.h"

#include "sdk/trace/tracer_core.h"

namespace adminara::obs::detail {

SimpleSpanProcessor::SimpleSpanProcessor(TracerCore& core,
                                         std::vector<std::shared_ptr<SpanExporter>> exporters)
    : core_(core), exporters_(std::move(exporters)) {}

void SimpleSpanProcessor::on_end(SpanRecord* record) noexcept {
  ended_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    if (shut_down_) {
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
    } else {
      const SpanData* one[] = {&record->data};
      export_to_all(exporters_, one, counters_);
    }
  }
  core_.release(record);
}

bool SimpleSpanProcessor::force_flush(std::chrono::milliseconds) noexcept {
  std::lock_guard lock(mu_);
  bool ok = true;
  for (const auto& e : exporters_) ok = e->force_flush() && ok;
  return ok;
}

void SimpleSpanProcessor::shutdown(std::chrono::milliseconds) noexcept {
  std::lock_guard lock(mu_);
  if (shut_down_) return;
  shut_down_ = true;
  for (const auto& e : exporters_) {
    e->force_flush();
    e->shutdown();
  }
}

void SimpleSpanProcessor::add_stats(TracerStats& stats) const noexcept {
  stats.spans_ended += ended_.load(std::memory_order_relaxed);
  stats.spans_exported += counters_.exported.load(std::memory_order_relaxed);
  stats.spans_failed += counters_.failed.load(std::memory_order_relaxed);
  stats.spans_dropped += counters_.dropped.load(std::memory_order_relaxed);
  stats.export_calls += counters_.export_calls.load(std::memory_order_relaxed);
}

}  // namespace adminara::obs::detail
