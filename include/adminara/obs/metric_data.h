// Collected metric data: what a MeterProvider's collect() returns and what metric exporters (the
// Prometheus endpoint, OTLP) read. Plain data in OpenTelemetry's metrics data model, with
// cumulative values.
//
// Ownership: every field is owned by the struct, except that attribute sets and histogram
// boundaries are shared, immutable and reference counted (a collection copies no strings).
// Thread-safety: plain data; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "adminara/obs/attributes.h"
#include "adminara/obs/span_context.h"
#include "adminara/obs/span_data.h"

namespace adminara::obs {

/// The instrument kinds of the OpenTelemetry metrics API.
enum class InstrumentKind : std::uint8_t {
  kCounter,
  kUpDownCounter,
  kHistogram,
  kGauge,
  kObservableCounter,
  kObservableUpDownCounter,
  kObservableGauge,
};

/// "counter", "up_down_counter", "histogram", "gauge", "observable_counter", ...
std::string_view to_string(InstrumentKind kind);

/// An instrument's identity as registered: name (case preserved; identity is case-insensitive),
/// description, unit and kind.
struct InstrumentDescriptor {
  std::string name;
  std::string description;
  std::string unit;
  InstrumentKind kind = InstrumentKind::kCounter;
};

/// An attribute set: sorted by key, keys unique.
using AttributeSet = std::vector<KeyValue>;

/// A measurement recorded while a sampled span was active (OpenTelemetry exemplar).
struct Exemplar {
  double value = 0;
  std::int64_t time_unix_nano = 0;
  TraceId trace_id;
  SpanId span_id;
};

/// The value of a Sum (counters, up-down counters and their observable forms).
struct SumPoint {
  double value = 0;
  /// The latest exemplar of this series (counters only), if any was recorded.
  std::vector<Exemplar> exemplars;
};

/// The value of a Gauge (synchronous or observable): the last value set.
struct GaugePoint {
  double value = 0;
};

/// An explicit-bucket histogram. `bucket_counts[i]` counts values in (boundaries[i-1],
/// boundaries[i]] (not cumulative); the last bucket is (boundaries.back(), +Inf). `count` equals
/// the sum of `bucket_counts`.
struct HistogramPoint {
  std::shared_ptr<const std::vector<double>> boundaries;
  std::vector<std::uint64_t> bucket_counts;
  std::uint64_t count = 0;
  double sum = 0;
  /// Meaningful only when count > 0 and has_min_max.
  double min = 0;
  double max = 0;
  /// False when min and max are not known: a delta point made by the OTLP metric reader from
  /// two cumulative ones knows its interval's extremes only when they are new overall extremes.
  bool has_min_max = true;
  /// At most one per bucket: the latest value that fell in it while a sampled span was active.
  std::vector<Exemplar> exemplars;
};

/// One series of a metric: its attributes and value.
struct PointData {
  std::shared_ptr<const AttributeSet> attributes;  // never null
  std::int64_t start_time_unix_nano = 0;
  std::int64_t time_unix_nano = 0;
  std::variant<SumPoint, GaugePoint, HistogramPoint> value;
};

/// How the points' values relate over time. The values match OTLP's enum.
enum class AggregationTemporality : std::uint8_t { kDelta = 1, kCumulative = 2 };

/// One instrument's data from one collection.
struct MetricData {
  InstrumentationScope scope;
  InstrumentDescriptor descriptor;
  /// True for sums that only go up (counters); false for up-down counters and gauges.
  bool monotonic = false;
  AggregationTemporality temporality = AggregationTemporality::kCumulative;
  std::vector<PointData> points;
};

}  // namespace adminara::obs
