#include "export/otlp/metric_reader.h"

#include "common/log.h"
#include "common/thread_name.h"
#include "export/otlp/span_exporter.h"

namespace adminara::obs::otlp {

OtlpMetricReader::OtlpMetricReader(MeterProvider& meters, config::OtlpExporterConfig exporter,
                                   config::OtlpMetricReaderConfig reader, OtlpStats& stats,
                                   RetryPolicy retry)
    : meters_(meters),
      config_(reader),
      stats_(stats),
      sender_(std::move(exporter), "metrics", stats, retry),
      converter_(reader.temporality) {
  thread_ = std::thread([this] {
    common::set_thread_name("obs-otlp-metric");
    run();
  });
}

OtlpMetricReader::~OtlpMetricReader() {
  shutdown(config_.timeout);
}

void OtlpMetricReader::run() {
  using Clock = OtlpHttpSender::Clock;
  auto next = Clock::now() + config_.interval;
  std::unique_lock lock(mu_);
  for (;;) {
    if (cv_.wait_until(lock, next, [this] { return stop_; })) return;
    lock.unlock();
    // The interval is between the starts of two exports; a slow export delays the next one
    // instead of queuing several.
    const auto started = Clock::now();
    export_once(deadline_after(config_.timeout));
    next = std::max(started + config_.interval, Clock::now());
    lock.lock();
  }
}

bool OtlpMetricReader::export_once(OtlpHttpSender::Clock::time_point deadline) {
  std::lock_guard export_lock(export_mu_);
  bool ok = true;
  try {
    std::vector<MetricData> data = meters_.collect();
    converter_.convert(data);
    const std::size_t points = encode_metrics(meters_.resource(), data, sender_.encoding(), body_);
    if (points > 0) {
      const auto exporter_deadline = deadline_after(sender_.config().timeout);
      const auto r = sender_.send(body_, std::min(deadline, exporter_deadline));
      ok = r.ok;
      if (r.ok) {
        const auto rejected = static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.rejected));
        stats_.points_exported.fetch_add(points - std::min<std::uint64_t>(points, rejected),
                                         std::memory_order_relaxed);
        stats_.points_dropped.fetch_add(std::min<std::uint64_t>(points, rejected),
                                        std::memory_order_relaxed);
      } else {
        stats_.points_dropped.fetch_add(points, std::memory_order_relaxed);
      }
    }
  } catch (const std::exception& e) {
    // Only std::bad_alloc can get here; the next interval tries again.
    static std::atomic<bool> warned{false};
    common::warn_once(warned, std::string("OTLP metrics export failed: ") + e.what());
    ok = false;
  }
  std::lock_guard lock(mu_);
  ++exports_;
  return ok;
}

bool OtlpMetricReader::force_flush() {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return false;
  }
  return export_once(deadline_after(config_.timeout));
}

void OtlpMetricReader::shutdown(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stop_ = true;
  }
  const auto deadline = deadline_after(timeout);
  // A periodic export in flight must end by the deadline too.
  sender_.cap_deadline(deadline);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  export_once(deadline);
  sender_.cancel();
}

std::uint64_t OtlpMetricReader::exports() const {
  std::lock_guard lock(mu_);
  return exports_;
}

}  // namespace adminara::obs::otlp
