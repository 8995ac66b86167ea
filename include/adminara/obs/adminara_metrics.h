// The AdminAra metrics: the four instruments the AdminAra dashboards and alerts are built on
// (what the Node.js version of AdminAra calls createMetrics()).
//
//   auto metrics = obs::create_metrics(obs::get_meter());
//   metrics.webrtc_connection_time.record(234);                 // ms
//
// Thread-safety: create_metrics() may be called from any thread, any number of times (it returns
// the same instruments each time); recording is as for any instrument (metrics.h).
#pragma once

#include "adminara/obs/metrics.h"

namespace adminara::obs {

/// The four AdminAra metrics, named exactly as the Grafana dashboard's queries expect
/// (deploy/grafana/dashboards/adminara.json; docs/metrics.md).
struct AdminAraMetrics {
  Histogram webrtc_connection_time;  // ms, "WebRTC connection establishment time"
  Histogram queue_wait_time;         // ms, "Customer queue wait time"
  Histogram job_processing_time;     // ms, "Background job processing time"
  UpDownCounter active_spans;        // "Number of active tracing spans"
};

/// Creates (or returns, when they exist) the AdminAra metrics on `meter`. With the global meter
/// (get_meter()), `active_spans` is the one the tracer maintains (+1 at a recording span's start,
/// -1 at its end).
AdminAraMetrics create_metrics(Meter meter);

}  // namespace adminara::obs
