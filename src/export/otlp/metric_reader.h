// OtlpMetricReader: OTel's periodic exporting metric reader with the OTLP/HTTP exporter. Its own
// thread collects the MeterProvider every interval (OTEL_METRIC_EXPORT_INTERVAL, time between
// the starts of two exports), converts to the preferred temporality (DeltaConverter), encodes
// and posts within OTEL_METRIC_EXPORT_TIMEOUT (the exporter timeout bounds each request too).
// Application threads only record into their cells: collection never blocks them. Points of an
// export that fails, and points the receiver rejects, are counted in OtlpStats::points_dropped.
//
// Thread-safety: force_flush() and shutdown() may be called from any thread; exports never run
// concurrently (one mutex serializes the periodic and the flushing exports).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "adminara/obs/metrics.h"
#include "export/otlp/http_sender.h"
#include "export/otlp/temporality.h"

namespace adminara::obs::otlp {

class OtlpMetricReader {
 public:
  /// `meters` and `stats` are not owned and must outlive the reader. Starts the thread.
  OtlpMetricReader(MeterProvider& meters, config::OtlpExporterConfig exporter,
                   config::OtlpMetricReaderConfig reader, OtlpStats& stats, RetryPolicy retry = {});
  /// Calls shutdown() with the reader's export timeout.
  ~OtlpMetricReader();
  OtlpMetricReader(const OtlpMetricReader&) = delete;
  OtlpMetricReader& operator=(const OtlpMetricReader&) = delete;

  /// Collects and exports now, on the calling thread; false when the export failed.
  bool force_flush();
  /// Stops the thread and makes one last export, all within `timeout`. Later calls do nothing.
  void shutdown(std::chrono::milliseconds timeout);
  /// Exports completed (successful or not) so far.
  std::uint64_t exports() const;

 private:
  void run();
  bool export_once(OtlpHttpSender::Clock::time_point deadline);

  MeterProvider& meters_;
  const config::OtlpMetricReaderConfig config_;
  OtlpStats& stats_;
  OtlpHttpSender sender_;

  std::mutex export_mu_;  // serializes exports; guards converter_ and body_
  DeltaConverter converter_;
  std::string body_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;          // guarded by mu_
  bool shut_down_ = false;     // guarded by mu_
  std::uint64_t exports_ = 0;  // guarded by mu_
  std::thread thread_;
};

}  // namespace adminara::obs::otlp
