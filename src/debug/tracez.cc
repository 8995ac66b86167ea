#include "debug/tracez.h"

#include <algorithm>

#include "api/attribute_json.h"
#include "common/hash.h"
#include "common/json_writer.h"

namespace adminara::obs::debug {
namespace {

constexpr std::array<std::string_view, kLatencyBuckets> kBucketLabels = {
    "[0, 10µs)",   "[10µs, 100µs)", "[100µs, 1ms)", "[1ms, 10ms)", "[10ms, 100ms)",
    "[100ms, 1s)", "[1s, 10s)",     "[10s, 100s)",  "[100s, ∞)"};

// Unix nanoseconds as microseconds: exact enough for a page, and within a JavaScript number's
// exact integer range (nanoseconds since 1970 are not).
double micros(std::uint64_t unix_nano) {
  return static_cast<double>(unix_nano) / 1000.0;
}

void write_attributes(common::JsonWriter& w, const std::vector<KeyValue>& attributes) {
  w.begin_array();
  for (const auto& kv : attributes) {
    w.begin_object().key("key").string(kv.key).key("value");
    write_json(w, kv.value);
    w.end_object();
  }
  w.end_array();
}

void write_span(common::JsonWriter& w, const TraceZ::KeptSpan& k) {
  const SpanData& s = k.data;
  w.begin_object();
  w.key("trace_id").string(s.context.trace_id().to_hex());
  w.key("span_id").string(s.context.span_id().to_hex());
  if (s.has_parent()) w.key("parent_span_id").string(s.parent_span_id.to_hex());
  w.key("parent_is_remote").boolean(s.parent_is_remote);
  w.key("name").string(s.name);
  w.key("kind").string(to_string(s.kind));
  w.key("scope").string(k.scope);
  w.key("start_us").number(micros(s.start_time_unix_nano));
  w.key("duration_us").number(static_cast<double>(s.duration_nanos()) / 1000.0);
  w.key("status").begin_object();
  w.key("code").string(to_string(s.status.code));
  w.key("description").string(s.status.description);
  w.end_object();
  w.key("attributes");
  write_attributes(w, s.attributes);
  w.key("events").begin_array();
  for (const auto& e : s.events) {
    w.begin_object().key("name").string(e.name).key("time_us").number(micros(e.time_unix_nano));
    w.key("attributes");
    write_attributes(w, e.attributes);
    w.end_object();
  }
  w.end_array();
  w.key("links").begin_array();
  for (const auto& l : s.links) {
    w.begin_object();
    w.key("trace_id").string(l.context.trace_id().to_hex());
    w.key("span_id").string(l.context.span_id().to_hex());
    w.key("attributes");
    write_attributes(w, l.attributes);
    w.end_object();
  }
  w.end_array();
  w.key("dropped_attributes").number(std::uint64_t{s.dropped_attributes_count});
  w.key("dropped_events").number(std::uint64_t{s.dropped_events_count});
  w.key("dropped_links").number(std::uint64_t{s.dropped_links_count});
  w.end_object();
}

// A copy of a span; the provider's pointers are not kept.
TraceZ::KeptSpan kept(const SpanData& src) {
  TraceZ::KeptSpan k{src, src.scope != nullptr ? src.scope->name : std::string()};
  k.data.scope = nullptr;
  k.data.resource = nullptr;
  return k;
}

}  // namespace

std::size_t latency_bucket(std::uint64_t duration_ns) {
  std::size_t b = 0;
  while (b + 1 < kLatencyBuckets && duration_ns >= kLatencyBucketLowerNs[b + 1]) ++b;
  return b;
}

std::string_view latency_bucket_label(std::size_t bucket) {
  return bucket < kLatencyBuckets ? kBucketLabels[bucket] : std::string_view("errors");
}

std::size_t TraceZ::TraceIdHash::operator()(const TraceId& id) const noexcept {
  return static_cast<std::size_t>(common::hash_bytes(id.bytes.data(), id.bytes.size(), 0));
}

TraceZ::TraceZ(TraceZOptions options) : options_(options) {}

ExportResult TraceZ::export_spans(std::span<const SpanData* const> spans) {
  std::lock_guard lock(mu_);
  // First the counts and the samples (which pin their traces), then the spans of pinned traces:
  // so a sampled span's children that ended in the same batch before it are kept too. Spans of
  // other traces are not copied at all.
  for (const SpanData* s : spans) take(*s);
  if (traces_.empty()) return ExportResult::kSuccess;
  for (const SpanData* s : spans) {
    if (auto it = traces_.find(s->context.trace_id()); it != traces_.end()) {
      keep_in_trace(it->second, *s);
    }
  }
  return ExportResult::kSuccess;
}

void TraceZ::take(const SpanData& span) {
  ++stats_.spans_seen;
  auto it = names_.find(span.name);
  if (it == names_.end()) {
    if (names_.size() >= options_.max_span_names) {
      ++stats_.names_dropped;
      return;
    }
    it = names_.emplace(span.name, NameStats{}).first;
  }
  NameStats& st = it->second;
  std::size_t set;
  if (span.status.code == StatusCode::kError) {
    ++st.errors;
    set = kErrorSamples;
  } else {
    set = latency_bucket(span.duration_nanos());
    ++st.latency[set];
  }
  maybe_sample(st, set, span);
}

void TraceZ::maybe_sample(NameStats& st, std::size_t set, const SpanData& span) {
  if (options_.samples_per_bucket == 0) return;
  auto& samples = st.sets[set].samples;
  if (samples.size() >= options_.samples_per_bucket) {
    const std::uint64_t newest = samples.back().span.data.end_time_unix_nano;
    if (span.end_time_unix_nano < newest + options_.min_sample_interval_ns) return;
    const TraceId oldest = samples.front().span.data.context.trace_id();
    samples.pop_front();
    unpin(oldest);
  }
  samples.push_back(Sample{kept(span)});
  pin(span);
}

void TraceZ::pin(const SpanData& span) {
  ++traces_[span.context.trace_id()].refs;  // its spans join in export_spans()
}

void TraceZ::unpin(const TraceId& id) {
  auto it = traces_.find(id);
  if (it == traces_.end() || --it->second.refs > 0) return;
  kept_spans_ -= it->second.spans.size();
  traces_.erase(it);
}

void TraceZ::keep_in_trace(KeptTrace& trace, const SpanData& span) {
  for (const KeptSpan& k : trace.spans) {
    if (k.data.context.span_id() == span.context.span_id()) return;  // already there
  }
  if (trace.spans.size() >= options_.max_trace_spans || kept_spans_ >= options_.max_kept_spans) {
    ++stats_.trace_spans_dropped;
    return;
  }
  trace.spans.push_back(kept(span));
  ++kept_spans_;
}

std::string TraceZ::summary_json(const std::vector<RunningSpanCount>& running) const {
  struct Row {
    const NameStats* stats = nullptr;
    std::uint64_t running = 0;
  };
  std::string out;
  std::lock_guard lock(mu_);
  std::map<std::string_view, Row> rows;
  for (const auto& [name, st] : names_) rows[name].stats = &st;
  for (const auto& r : running) {
    if (r.running > 0 || rows.contains(r.name)) rows[r.name].running = r.running;
  }
  common::JsonWriter w(out);
  w.begin_object();
  w.key("buckets").begin_array();
  for (auto label : kBucketLabels) w.string(label);
  w.end_array();
  w.key("spans").begin_array();
  for (const auto& [name, row] : rows) {
    w.begin_object().key("name").string(name);
    w.key("latency").begin_array();
    for (std::size_t b = 0; b < kLatencyBuckets; ++b) {
      w.number(row.stats != nullptr ? row.stats->latency[b] : std::uint64_t{0});
    }
    w.end_array();
    w.key("errors").number(row.stats != nullptr ? row.stats->errors : std::uint64_t{0});
    w.key("running").number(row.running);
    w.end_object();
  }
  w.end_array();
  w.key("stats").begin_object();
  w.key("spans_seen").number(stats_.spans_seen);
  w.key("names_dropped").number(stats_.names_dropped);
  w.key("trace_spans_dropped").number(stats_.trace_spans_dropped);
  w.key("kept_spans").number(std::uint64_t{kept_spans_});
  w.key("max_span_names").number(std::uint64_t{options_.max_span_names});
  w.end_object();
  w.end_object();
  return out;
}

std::string TraceZ::samples_json(std::string_view name, std::size_t bucket) const {
  std::string out;
  common::JsonWriter w(out);
  w.begin_object().key("name").string(name);
  w.key("bucket").number(std::uint64_t{bucket});
  w.key("label").string(latency_bucket_label(bucket));
  w.key("samples").begin_array();
  {
    std::lock_guard lock(mu_);
    auto it = names_.find(name);
    if (it != names_.end() && bucket <= kErrorSamples) {
      const auto& samples = it->second.sets[bucket].samples;
      for (auto s = samples.rbegin(); s != samples.rend(); ++s) write_span(w, s->span);
    }
  }
  w.end_array().end_object();
  return out;
}

std::string TraceZ::trace_json(const TraceId& trace_id) const {
  std::vector<const KeptSpan*> spans;
  std::string out;
  common::JsonWriter w(out);
  w.begin_object().key("trace_id").string(trace_id.to_hex());
  w.key("spans").begin_array();
  {
    std::lock_guard lock(mu_);
    auto it = traces_.find(trace_id);
    if (it != traces_.end()) {
      for (const auto& k : it->second.spans) spans.push_back(&k);
    }
    std::stable_sort(spans.begin(), spans.end(), [](const KeptSpan* a, const KeptSpan* b) {
      return a->data.start_time_unix_nano < b->data.start_time_unix_nano;
    });
    for (const KeptSpan* k : spans) write_span(w, *k);
  }
  w.end_array().end_object();
  return out;
}

TraceZStats TraceZ::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::size_t TraceZ::kept_spans() const {
  std::lock_guard lock(mu_);
  return kept_spans_;
}

}  // namespace adminara::obs::debug
