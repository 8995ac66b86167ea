// MetricHistory: the last minutes of every metric, for the /debug/metricz charts. Fed with the
// MeterProvider's collections by the debug pages' sampling thread (every few seconds, never on a
// recording thread); with the pages off it does not exist.
//
// What it keeps per sample, from the cumulative values and the previous sample:
// - histograms: p50, p95 and p99 of the values recorded since the previous sample (estimated
//   from the bucket counts, see histogram_quantile) and how many there were, all attribute sets
//   merged into one series (sets whose bucket bounds differ from the first are left out and
//   counted);
// - counters (monotonic sums): the rate per second, per attribute set;
// - up-down counters and gauges: the value, per attribute set.
// Each series keeps at most `points` samples (the oldest go), and at most `max_series` series
// exist in all; samples of further series are dropped and counted.
//
// Thread-safety: every member may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "adminara/obs/metric_data.h"

namespace adminara::obs::debug {

/// The q-quantile (0 <= q <= 1) of the values counted in explicit buckets, as Prometheus'
/// histogram_quantile() estimates it: linear interpolation inside the bucket that holds the
/// rank, the first bucket starting at 0 (or at its bound when that is negative), and the bucket
/// above the last bound answered with the last bound. `counts` has bounds.size() + 1 entries
/// (not cumulative). NaN when there are no values or `counts` does not match `bounds`.
double histogram_quantile(double q, const std::vector<double>& bounds,
                          const std::vector<std::uint64_t>& counts);

struct MetricHistoryOptions {
  /// Samples kept per series (at a 5 s interval, 180 are 15 minutes).
  std::size_t points = 180;
  /// Series kept in all metrics together.
  std::size_t max_series = 300;
};

class MetricHistory {
 public:
  explicit MetricHistory(MetricHistoryOptions options = {});

  /// Adds one collection taken at `time_ms` (Unix milliseconds, increasing between calls).
  void add(const std::vector<MetricData>& data, std::int64_t time_ms);

  /// Every metric as JSON: {"interval_ms" (as given), "points" (kept per series), "metrics":
  /// [{"name", "scope", "kind" (histogram, counter, gauge), "unit", "description", "columns":
  /// ["time", ...], "series": [{"attributes", "points":
  /// [[time_ms, values...]]}]}], "stats": {...}}. The four AdminAra metrics come first
  /// (webrtc_connection_time, queue_wait_time, job_processing_time, active_spans), then the
  /// others by name. Histogram columns: time, p50, p95, p99, count; counter: time, rate (per
  /// second); gauge: time, value. A value with no data (no histogram values in an interval) is
  /// null.
  std::string json(std::int64_t interval_ms) const;

  /// Samples dropped because max_series was reached.
  std::uint64_t series_dropped() const;

 private:
  struct Point {
    std::int64_t time_ms = 0;
    std::vector<double> values;  // NaN: no data
  };
  struct Series {
    std::deque<Point> points;
    // The previous cumulative values (counters: one; histograms: the bucket counts).
    std::vector<double> previous;
    std::int64_t previous_time_ms = 0;
    bool has_previous = false;
  };
  struct Metric {
    std::string name;
    std::string scope;
    std::string kind;
    std::string unit;
    std::string description;
    std::map<std::string, Series> series;  // by attribute set ("k=v, k=v")
  };

  Series* series_for(Metric& m, const std::string& attributes);
  void add_point(Series& s, std::int64_t time_ms, std::vector<double> values);
  void add_histogram(Metric& m, const MetricData& d, std::int64_t time_ms);
  void add_counter(Metric& m, const PointData& p, std::int64_t time_ms);

  const MetricHistoryOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Metric> metrics_;  // by scope + name
  std::size_t series_count_ = 0;
  std::uint64_t series_dropped_ = 0;
  std::uint64_t histogram_sets_skipped_ = 0;
};

}  // namespace adminara::obs::debug
