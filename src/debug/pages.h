// DebugPages: the live pages under /debug/ on the Prometheus endpoint's HTTP server (issue 9).
// init_observability() creates one when the pages are on (ADMINARA_DEBUG_PAGES,
// Options::debug_pages) and installs it on the /metrics server; with the pages off none exists,
// nothing is gathered, and /debug/* answers 404 like any unknown path.
//
// What each page reads (docs/debug-pages.md has the JSON):
//   /debug/tracez,   /debug/api/tracez[/samples|/trace]  TraceZ (an exporter in the span
//                    pipeline) and TracerProvider::running_spans()
//   /debug/metricz,  /debug/api/metricz                  MetricHistory, fed by a sampling thread
//                    that collects the MeterProvider every sample_interval
//   /debug/profilez, /debug/api/profilez[/chrome-trace]  the PerformanceProfiler, read on request
//   /debug/jobz,     /debug/api/jobz                     the JobRegistry, read on request
//
// Requests: GET or HEAD only (other methods: 405); query strings longer than kMaxQueryBytes or
// invalid parameters: 400 with a message naming the parameter and what is accepted.
//
// Thread-safety: handle() may run on any number of server threads at once. Lifetime: the
// providers and the profiler passed in must outlive the DebugPages; stop() (also run by the
// destructor) joins the sampling thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "adminara/obs/metrics.h"
#include "adminara/obs/profiler.h"
#include "adminara/obs/tracer.h"
#include "debug/metric_history.h"
#include "debug/tracez.h"

namespace adminara::obs::prometheus {
class MetricsServer;
}

namespace adminara::obs::debug {

struct DebugPagesOptions {
  std::string service_name;
  /// How often the metric history takes a sample.
  std::chrono::milliseconds sample_interval{5000};
  MetricHistoryOptions history;
};

/// One HTTP answer (what handle() returns; install() sends it).
struct PageResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class DebugPages {
 public:
  /// Query strings longer than this are refused (400).
  static constexpr std::size_t kMaxQueryBytes = 2048;
  /// Span names longer than this are refused in queries (400).
  static constexpr std::size_t kMaxNameBytes = 1024;

  /// Starts the sampling thread. `tracez` is the exporter the span pipeline feeds (null: an
  /// empty one, so the tracez page shows running spans only).
  DebugPages(DebugPagesOptions options, MeterProvider& meters, const TracerProvider& tracer,
             const PerformanceProfiler& profiler, std::shared_ptr<TraceZ> tracez);
  ~DebugPages();
  DebugPages(const DebugPages&) = delete;
  DebugPages& operator=(const DebugPages&) = delete;

  /// The paths served, for install() and tests.
  static const std::vector<std::string_view>& paths();

  /// Registers every path on `server` (GET and HEAD).
  void install(prometheus::MetricsServer& server);

  /// Answers GET `path` with the given query parameters (a parameter given twice: the first).
  /// `query_bytes` is the length of the raw query string. Never throws: an internal error is a
  /// 500 with its message.
  PageResponse handle(std::string_view path, const std::multimap<std::string, std::string>& params,
                      std::size_t query_bytes) const;

  /// Takes one metric sample now (the sampling thread does this every sample_interval).
  void sample_now();
  /// Stops the sampling thread (idempotent).
  void stop();

  const MetricHistory& history() const { return history_; }

 private:
  PageResponse route(std::string_view path,
                     const std::multimap<std::string, std::string>& params) const;
  void run_sampler();

  const DebugPagesOptions options_;
  MeterProvider& meters_;
  const TracerProvider& tracer_;
  const PerformanceProfiler& profiler_;
  const std::shared_ptr<TraceZ> tracez_;
  MetricHistory history_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread sampler_;
};

}  // namespace adminara::obs::debug
