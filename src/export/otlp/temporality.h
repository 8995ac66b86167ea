// DeltaConverter: turns the cumulative data MeterProvider::collect() returns into delta
// temporality where OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE asks for it (the OTel
// specification's metrics/sdk_exporters/otlp.md):
//   delta:     Counter, ObservableCounter and Histogram -> delta; up-down counters cumulative
//   lowmemory: Counter and Histogram -> delta; everything else cumulative
// Gauges have no temporality. For each series (scope, instrument, attribute set) it keeps the
// last cumulative value it saw; a delta point is the difference, starting where the previous
// point of that series ended. Synchronous series that did not change are left out (OTel: delta
// reports only series touched since the last collection); observable ones are always reported.
// Exemplars older than the previous collection are dropped. A histogram delta's min/max are
// kept only when the cumulative ones moved in that interval (then they are the interval's
// extremes); otherwise has_min_max is false and they are not exported.
//
// Thread-safety: none; used by the metric reader's thread only.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "adminara/obs/metric_data.h"
#include "sdk/config/otlp_config.h"

namespace adminara::obs::otlp {

class DeltaConverter {
 public:
  explicit DeltaConverter(config::TemporalityPreference preference) : preference_(preference) {}

  /// True when instruments of `kind` are exported with delta temporality.
  bool is_delta(InstrumentKind kind) const;

  /// Rewrites `metrics` (cumulative, as collected) in place to the preferred temporality.
  void convert(std::vector<MetricData>& metrics);

 private:
  struct Last {
    std::int64_t time = 0;  // time_unix_nano of the previous collection of this series
    double sum_value = 0;
    std::vector<std::uint64_t> buckets;
    std::uint64_t count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
  };
  const config::TemporalityPreference preference_;
  std::unordered_map<std::string, Last> last_;
};

}  // namespace adminara::obs::otlp
