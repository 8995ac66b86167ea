#include "export/otlp/span_exporter.h"

namespace adminara::obs::otlp {

OtlpHttpSender::Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  using Clock = OtlpHttpSender::Clock;
  // Past a year the limit is "none": now + milliseconds::max() would overflow.
  if (timeout >= std::chrono::hours(24 * 365)) return Clock::time_point::max();
  return Clock::now() + timeout;
}

OtlpHttpSpanExporter::OtlpHttpSpanExporter(config::OtlpExporterConfig config, OtlpStats& stats,
                                           RetryPolicy retry)
    : sender_(std::move(config), "traces", stats, retry) {}

ExportResult OtlpHttpSpanExporter::export_spans(std::span<const SpanData* const> spans) {
  if (spans.empty()) return ExportResult::kSuccess;
  encode_traces(spans, sender_.encoding(), body_);
  const auto result = sender_.send(body_, deadline_after(sender_.config().timeout));
  // Keep the buffer from growing without bound after one huge batch.
  if (body_.capacity() > (std::size_t{8} << 20)) std::string().swap(body_);
  return result.ok ? ExportResult::kSuccess : ExportResult::kFailure;
}

void OtlpHttpSpanExporter::shutdown() {
  sender_.cancel();
}

}  // namespace adminara::obs::otlp
