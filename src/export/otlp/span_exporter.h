// OtlpHttpSpanExporter: the `otlp` trace exporter. Encodes each batch the batch processor hands
// it (protobuf or JSON per OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL) and posts it with an
// OtlpHttpSender, within the exporter timeout (OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT).
//
// It runs on the batch processor's thread, never on application threads: while the collector is
// down or slow only that thread waits, and spans beyond the queue are dropped and counted by the
// processor. A failed export returns kFailure (its spans are counted as failed).
//
// Thread-safety: export_spans() is called by one thread at a time (SpanExporter's contract);
// shutdown() and cap_deadline() may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "adminara/obs/exporter.h"
#include "export/otlp/http_sender.h"

namespace adminara::obs::otlp {

class OtlpHttpSpanExporter final : public SpanExporter {
 public:
  /// `stats` is not owned and must outlive the exporter.
  OtlpHttpSpanExporter(config::OtlpExporterConfig config, OtlpStats& stats, RetryPolicy retry = {});

  ExportResult export_spans(std::span<const SpanData* const> spans) override;
  /// Ends retry waits and makes later exports fail at once.
  void shutdown() override;
  /// No export runs past `deadline` from now on (bounds the final flush of a shutdown).
  void cap_deadline(OtlpHttpSender::Clock::time_point deadline) { sender_.cap_deadline(deadline); }

 private:
  OtlpHttpSender sender_;
  std::string body_;  // reused between exports
};

/// now + `timeout`, where a timeout of milliseconds::max() (no limit) gives time_point::max().
OtlpHttpSender::Clock::time_point deadline_after(std::chrono::milliseconds timeout);

}  // namespace adminara::obs::otlp
