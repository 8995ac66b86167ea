// TraceZ: what the /debug/tracez page shows, gathered from ended spans. It is a SpanExporter:
// init adds it to the span pipeline when the debug pages are on, so it runs on the batch span
// processor's exporter thread (never on the thread that ends the span) and sees every sampled
// span that pipeline exports. With the pages off it does not exist.
//
// Per span name it keeps: completed spans per latency bucket (OpenCensus boundaries, see
// kLatencyBucketLowerNs; spans with error status are not in these, they count as errors), the
// error count, and bounded samples: the last `samples_per_bucket` spans of each latency bucket
// and of the errors, taken at most once per `min_sample_interval_ns` of span end time per bucket
// once the bucket is full (so a burst does not replace all samples at once). For each sampled
// span it keeps the spans of its trace that this process ends: those in the same export batch
// (children usually end just before their parent, and a batch holds what ended within the
// schedule delay, up to the batch size) and every later one (the parent), up to
// `max_trace_spans` per trace and `max_kept_spans` in all; what does not fit is dropped and
// counted. Children that ended in an earlier batch than the sampled span are not shown. Spans of
// traces without a sample are counted and not copied.
//
// Thread-safety: every member may be called from any thread (one mutex; export_spans holds it
// for one batch, the JSON snapshots for one copy).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adminara/obs/exporter.h"
#include "adminara/obs/tracer.h"

namespace adminara::obs::debug {

/// Number of latency buckets.
inline constexpr std::size_t kLatencyBuckets = 9;
/// Lower bounds of the latency buckets in nanoseconds: [0, 10µs), [10µs, 100µs), [100µs, 1ms),
/// [1ms, 10ms), [10ms, 100ms), [100ms, 1s), [1s, 10s), [10s, 100s), [100s, ∞).
inline constexpr std::array<std::uint64_t, kLatencyBuckets> kLatencyBucketLowerNs = {
    0,           10'000,        100'000,        1'000'000,      10'000'000,
    100'000'000, 1'000'000'000, 10'000'000'000, 100'000'000'000};
/// The sample set index of the error samples (after the latency buckets).
inline constexpr std::size_t kErrorSamples = kLatencyBuckets;

/// The latency bucket of a duration.
std::size_t latency_bucket(std::uint64_t duration_ns);
/// "[0, 10µs)", "[10µs, 100µs)", ..., "[100s, ∞)".
std::string_view latency_bucket_label(std::size_t bucket);

struct TraceZOptions {
  std::size_t samples_per_bucket = 8;
  /// Distinct span names kept; spans of further names are counted in names_dropped only.
  std::size_t max_span_names = 500;
  /// Spans kept per sampled trace, and in all sampled traces together.
  std::size_t max_trace_spans = 64;
  std::size_t max_kept_spans = 16384;
  /// Once a bucket holds samples_per_bucket samples, a new one replaces the oldest only when it
  /// ended at least this long after the newest (span end times, not the wall clock).
  std::uint64_t min_sample_interval_ns = 1'000'000'000;
};

/// Counters of what TraceZ could not keep.
struct TraceZStats {
  std::uint64_t spans_seen = 0;
  std::uint64_t names_dropped = 0;        // spans of names past max_span_names (not counted)
  std::uint64_t trace_spans_dropped = 0;  // spans of sampled traces past the trace limits
};

class TraceZ final : public SpanExporter {
 public:
  explicit TraceZ(TraceZOptions options = {});

  /// Takes in ended spans (the exporter thread; never fails).
  ExportResult export_spans(std::span<const SpanData* const> spans) override;

  /// The summary as JSON: {"buckets": [labels], "spans": [{"name", "latency": [9 counts],
  /// "errors", "running"}], sorted by name, "stats": {...}}. `running` comes from
  /// TracerProvider::running_spans(): names that are running but never ended appear too.
  std::string summary_json(const std::vector<RunningSpanCount>& running) const;
  /// The samples of `name` in latency bucket `bucket` (0-8) or kErrorSamples, newest first, as
  /// JSON: {"name", "bucket", "label", "samples": [span...]}. Unknown names give an empty list.
  std::string samples_json(std::string_view name, std::size_t bucket) const;
  /// The kept spans of a trace (sampled traces only), ordered by start time, as JSON:
  /// {"trace_id", "spans": [span...]}; an unknown trace gives an empty list.
  std::string trace_json(const TraceId& trace_id) const;

  TraceZStats stats() const;
  /// Spans currently kept for sampled traces (bounded by max_kept_spans).
  std::size_t kept_spans() const;

  /// A kept copy of a span (scope name copied: the provider's pointers are not kept).
  struct KeptSpan {
    SpanData data;
    std::string scope;
  };

 private:
  struct Sample {
    KeptSpan span;
  };
  struct SampleSet {
    std::deque<Sample> samples;  // newest at the back
  };
  struct NameStats {
    std::array<std::uint64_t, kLatencyBuckets> latency{};
    std::uint64_t errors = 0;
    std::array<SampleSet, kLatencyBuckets + 1> sets;
  };
  struct KeptTrace {
    std::vector<KeptSpan> spans;
    std::uint32_t refs = 0;  // samples that show this trace
  };
  struct TraceIdHash {
    std::size_t operator()(const TraceId& id) const noexcept;
  };

  void take(const SpanData& span);
  void maybe_sample(NameStats& stats, std::size_t set, const SpanData& span);
  void pin(const SpanData& span);
  void unpin(const TraceId& id);
  void keep_in_trace(KeptTrace& trace, const SpanData& span);

  const TraceZOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, NameStats, std::less<>> names_;
  std::unordered_map<TraceId, KeptTrace, TraceIdHash> traces_;
  std::size_t kept_spans_ = 0;
  TraceZStats stats_;
};

}  // namespace adminara::obs::debug
