#include "adminara/obs/exporter.h"

namespace adminara::obs {

ExportResult InMemorySpanExporter::export_spans(std::span<const SpanData* const> spans) {
  std::lock_guard lock(mu_);
  for (const SpanData* s : spans) spans_.push_back(*s);
  return ExportResult::kSuccess;
}

std::vector<SpanData> InMemorySpanExporter::spans() const {
  std::lock_guard lock(mu_);
  return spans_;
}

std::vector<SpanData> InMemorySpanExporter::take() {
  std::lock_guard lock(mu_);
  return std::exchange(spans_, {});
}

std::size_t InMemorySpanExporter::size() const {
  std::lock_guard lock(mu_);
  return spans_.size();
}

}  // namespace adminara::obs
