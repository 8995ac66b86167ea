#include "sdk/trace/span_processor.h"

#include <exception>
#include <string>

#include "common/log.h"

namespace adminara::obs::detail {

void export_to_all(const std::vector<std::shared_ptr<SpanExporter>>& exporters,
                   std::span<const SpanData* const> spans, ProcessorCounters& counters) noexcept {
  if (spans.empty()) return;
  static std::atomic<bool> warned_throw{false};
  bool ok = true;
  for (const auto& exporter : exporters) {
    counters.export_calls.fetch_add(1, std::memory_order_relaxed);
    try {
      if (exporter->export_spans(spans) != ExportResult::kSuccess) ok = false;
    } catch (const std::exception& e) {
      ok = false;
      common::warn_once(
          warned_throw,
          std::string("a span exporter threw (counted as a failed export): ") + e.what());
    } catch (...) {
      ok = false;
      common::warn_once(warned_throw, "a span exporter threw (counted as a failed export)");
    }
  }
  (ok ? counters.exported : counters.failed).fetch_add(spans.size(), std::memory_order_relaxed);
}

}  // namespace adminara::obs::detail
