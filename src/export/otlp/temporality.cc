#include "export/otlp/temporality.h"

#include <algorithm>

namespace adminara::obs::otlp {
namespace {

// A series' identity across collections: scope, instrument name and attribute values.
std::string series_key(const MetricData& m, const PointData& p) {
  std::string key = m.scope.name;
  key += '\0';
  key += m.scope.version;
  key += '\0';
  key += m.descriptor.name;
  for (const KeyValue& kv : *p.attributes) {
    key += '\0';
    key += kv.key;
    key += '\1';
    key += std::to_string(kv.value.storage().index());
    key += kv.value.to_string();
  }
  return key;
}

bool observable(InstrumentKind k) {
  return k == InstrumentKind::kObservableCounter || k == InstrumentKind::kObservableUpDownCounter ||
         k == InstrumentKind::kObservableGauge;
}

}  // namespace

bool DeltaConverter::is_delta(InstrumentKind kind) const {
  switch (preference_) {
    case config::TemporalityPreference::kCumulative:
      return false;
    case config::TemporalityPreference::kDelta:
      return kind == InstrumentKind::kCounter || kind == InstrumentKind::kObservableCounter ||
             kind == InstrumentKind::kHistogram;
    case config::TemporalityPreference::kLowMemory:
      return kind == InstrumentKind::kCounter || kind == InstrumentKind::kHistogram;
  }
  return false;
}

void DeltaConverter::convert(std::vector<MetricData>& metrics) {
  for (MetricData& m : metrics) {
    if (!is_delta(m.descriptor.kind)) continue;
    m.temporality = AggregationTemporality::kDelta;
    const bool always_report = observable(m.descriptor.kind);
    std::vector<PointData> out;
    out.reserve(m.points.size());
    for (PointData& p : m.points) {
      const std::string key = series_key(m, p);
      auto [it, fresh] = last_.try_emplace(key);
      Last& last = it->second;
      const std::int64_t start = fresh ? p.start_time_unix_nano : last.time;
      bool changed = true;
      if (auto* s = std::get_if<SumPoint>(&p.value)) {
        const double cumulative = s->value;
        // A cumulative value that went down (a reset) starts over from zero.
        const double delta =
            !fresh && cumulative >= last.sum_value ? cumulative - last.sum_value : cumulative;
        changed = fresh || delta != 0;
        last.sum_value = cumulative;
        s->value = delta;
        std::erase_if(s->exemplars, [&](const Exemplar& e) { return e.time_unix_nano < start; });
      } else if (auto* h = std::get_if<HistogramPoint>(&p.value)) {
        const bool reset =
            !fresh && (h->count < last.count || h->bucket_counts.size() != last.buckets.size());
        const HistogramPoint cumulative = *h;
        if (!fresh && !reset) {
          for (std::size_t i = 0; i < h->bucket_counts.size(); ++i) {
            h->bucket_counts[i] -= std::min(h->bucket_counts[i], last.buckets[i]);
          }
          h->count -= last.count;
          h->sum -= last.sum;
          // The interval's extremes are known only when they are new overall extremes.
          const bool min_known = last.count == 0 || cumulative.min < last.min;
          const bool max_known = last.count == 0 || cumulative.max > last.max;
          h->has_min_max = h->count > 0 && min_known && max_known;
        }
        changed = fresh || reset || h->count != 0;
        last.buckets = cumulative.bucket_counts;
        last.count = cumulative.count;
        last.sum = cumulative.sum;
        last.min = cumulative.min;
        last.max = cumulative.max;
        std::erase_if(h->exemplars, [&](const Exemplar& e) { return e.time_unix_nano < start; });
      }
      last.time = p.time_unix_nano;
      if (!changed && !always_report) continue;
      p.start_time_unix_nano = start;
      out.push_back(std::move(p));
    }
    m.points = std::move(out);
  }
}

}  // namespace adminara::obs::otlp
