#include "debug/metric_history.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "adminara/obs/adminara_metrics.h"
#include "common/json_writer.h"

namespace adminara::obs::debug {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::array<std::string_view, 4> kAdminAraMetrics = {
    "webrtc_connection_time", "queue_wait_time", "job_processing_time", "active_spans"};

std::string attribute_text(const AttributeSet& set) {
  std::string out;
  for (const auto& kv : set) {
    if (!out.empty()) out += ", ";
    out += kv.key;
    out += '=';
    out += kv.value.to_string();
  }
  return out;
}

const char* kind_of(const MetricData& d) {
  switch (d.descriptor.kind) {
    case InstrumentKind::kHistogram:
      return "histogram";
    case InstrumentKind::kCounter:
    case InstrumentKind::kObservableCounter:
      return d.monotonic ? "counter" : "gauge";
    default:
      return "gauge";
  }
}

// Sort key: the AdminAra metrics first in their order, then by name.
std::pair<std::size_t, std::string_view> order_of(const std::string& name) {
  auto it = std::find(kAdminAraMetrics.begin(), kAdminAraMetrics.end(), name);
  return {static_cast<std::size_t>(it - kAdminAraMetrics.begin()), name};
}

}  // namespace

double histogram_quantile(double q, const std::vector<double>& bounds,
                          const std::vector<std::uint64_t>& counts) {
  if (counts.size() != bounds.size() + 1 || std::isnan(q)) return kNaN;
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return kNaN;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(total);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const std::uint64_t before = cumulative;
    cumulative += counts[i];
    if (counts[i] == 0 || static_cast<double>(cumulative) < rank) continue;
    if (i == bounds.size()) return bounds.empty() ? kNaN : bounds.back();  // above the last bound
    const double upper = bounds[i];
    const double lower = i == 0 ? std::min(0.0, upper) : bounds[i - 1];
    const double within = (rank - static_cast<double>(before)) / static_cast<double>(counts[i]);
    return lower + (upper - lower) * within;
  }
  return bounds.empty() ? kNaN : bounds.back();
}

MetricHistory::MetricHistory(MetricHistoryOptions options) : options_(options) {}

MetricHistory::Series* MetricHistory::series_for(Metric& m, const std::string& attributes) {
  auto it = m.series.find(attributes);
  if (it != m.series.end()) return &it->second;
  if (series_count_ >= options_.max_series) {
    ++series_dropped_;
    return nullptr;
  }
  ++series_count_;
  return &m.series[attributes];
}

void MetricHistory::add_point(Series& s, std::int64_t time_ms, std::vector<double> values) {
  if (options_.points == 0) return;
  if (s.points.size() >= options_.points) s.points.pop_front();
  s.points.push_back(Point{time_ms, std::move(values)});
}

void MetricHistory::add_histogram(Metric& m, const MetricData& d, std::int64_t time_ms) {
  // All attribute sets merged (those with the first set's bounds).
  const std::vector<double>* bounds = nullptr;
  std::vector<double> merged;
  for (const auto& p : d.points) {
    const auto* h = std::get_if<HistogramPoint>(&p.value);
    if (h == nullptr || !h->boundaries) continue;
    if (bounds == nullptr) {
      bounds = h->boundaries.get();
      merged.assign(h->bucket_counts.size(), 0.0);
    }
    if (*h->boundaries != *bounds || h->bucket_counts.size() != merged.size()) {
      ++histogram_sets_skipped_;
      continue;
    }
    for (std::size_t i = 0; i < merged.size(); ++i) {
      merged[i] += static_cast<double>(h->bucket_counts[i]);
    }
  }
  if (bounds == nullptr) return;
  Series* s = series_for(m, "");
  if (s == nullptr) return;
  if (s->has_previous && s->previous.size() == merged.size()) {
    std::vector<std::uint64_t> delta(merged.size());
    bool reset = false;
    for (std::size_t i = 0; i < merged.size(); ++i) reset = reset || merged[i] < s->previous[i];
    std::uint64_t count = 0;
    for (std::size_t i = 0; i < merged.size(); ++i) {
      const double v = reset ? merged[i] : merged[i] - s->previous[i];
      delta[i] = static_cast<std::uint64_t>(v);
      count += delta[i];
    }
    add_point(*s, time_ms,
              {histogram_quantile(0.5, *bounds, delta), histogram_quantile(0.95, *bounds, delta),
               histogram_quantile(0.99, *bounds, delta), static_cast<double>(count)});
  }
  s->previous = std::move(merged);
  s->previous_time_ms = time_ms;
  s->has_previous = true;
}

void MetricHistory::add_counter(Metric& m, const PointData& p, std::int64_t time_ms) {
  const auto* sum = std::get_if<SumPoint>(&p.value);
  if (sum == nullptr) return;
  Series* s = series_for(m, attribute_text(*p.attributes));
  if (s == nullptr) return;
  if (s->has_previous && time_ms > s->previous_time_ms) {
    const double prev = s->previous.empty() ? 0 : s->previous[0];
    const double delta = sum->value >= prev ? sum->value - prev : sum->value;  // reset: from 0
    const double seconds = static_cast<double>(time_ms - s->previous_time_ms) / 1000.0;
    add_point(*s, time_ms, {delta / seconds});
  }
  s->previous.assign(1, sum->value);
  s->previous_time_ms = time_ms;
  s->has_previous = true;
}

void MetricHistory::add(const std::vector<MetricData>& data, std::int64_t time_ms) {
  std::lock_guard lock(mu_);
  for (const MetricData& d : data) {
    const std::string key = d.scope.name + '\n' + d.descriptor.name;
    Metric& m = metrics_[key];
    if (m.name.empty()) {
      m.name = d.descriptor.name;
      m.scope = d.scope.name;
      m.kind = kind_of(d);
      m.unit = d.descriptor.unit;
      m.description = d.descriptor.description;
    }
    if (m.kind == "histogram") {
      add_histogram(m, d, time_ms);
      continue;
    }
    for (const auto& p : d.points) {
      if (m.kind == "counter") {
        add_counter(m, p, time_ms);
        continue;
      }
      double value = kNaN;
      if (const auto* g = std::get_if<GaugePoint>(&p.value)) value = g->value;
      if (const auto* s = std::get_if<SumPoint>(&p.value)) value = s->value;
      if (Series* s = series_for(m, attribute_text(*p.attributes))) add_point(*s, time_ms, {value});
    }
  }
}

std::string MetricHistory::json(std::int64_t interval_ms) const {
  std::string out;
  common::JsonWriter w(out);
  std::lock_guard lock(mu_);
  std::vector<const Metric*> sorted;
  for (const auto& [key, m] : metrics_) sorted.push_back(&m);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Metric* a, const Metric* b) {
    return order_of(a->name) < order_of(b->name);
  });
  w.begin_object();
  w.key("interval_ms").number(interval_ms);
  w.key("points").number(std::uint64_t{options_.points});
  w.key("metrics").begin_array();
  for (const Metric* m : sorted) {
    w.begin_object();
    w.key("name").string(m->name);
    w.key("scope").string(m->scope);
    w.key("kind").string(m->kind);
    w.key("unit").string(m->unit);
    w.key("description").string(m->description);
    w.key("columns").begin_array().string("time");
    if (m->kind == "histogram") {
      w.string("p50").string("p95").string("p99").string("count");
    } else {
      w.string(m->kind == "counter" ? "rate" : "value");
    }
    w.end_array();
    w.key("series").begin_array();
    for (const auto& [attributes, s] : m->series) {
      w.begin_object().key("attributes").string(attributes);
      w.key("points").begin_array();
      for (const Point& p : s.points) {
        w.begin_array().number(p.time_ms);
        for (double v : p.values) {
          if (std::isfinite(v)) {
            w.number(v);
          } else {
            w.null();
          }
        }
        w.end_array();
      }
      w.end_array().end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
  w.key("stats").begin_object();
  w.key("series").number(std::uint64_t{series_count_});
  w.key("max_series").number(std::uint64_t{options_.max_series});
  w.key("series_dropped").number(series_dropped_);
  w.key("histogram_sets_skipped").number(histogram_sets_skipped_);
  w.end_object().end_object();
  return out;
}

std::uint64_t MetricHistory::series_dropped() const {
  std::lock_guard lock(mu_);
  return series_dropped_;
}

}  // namespace adminara::obs::debug
