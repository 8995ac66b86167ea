#include "adminara/obs/adminara_metrics.h"

namespace adminara::obs {

AdminAraMetrics create_metrics(Meter meter) {
  AdminAraMetrics m;
  m.webrtc_connection_time =
      meter.create_histogram("webrtc_connection_time",
                             {.description = "WebRTC connection establishment time", .unit = "ms"});
  m.queue_wait_time = meter.create_histogram(
      "queue_wait_time", {.description = "Customer queue wait time", .unit = "ms"});
  m.job_processing_time = meter.create_histogram(
      "job_processing_time", {.description = "Background job processing time", .unit = "ms"});
  m.active_spans = meter.create_up_down_counter("active_spans",
                                                {.description = "Number of active tracing spans"});
  return m;
}

}  // namespace adminara::obs
