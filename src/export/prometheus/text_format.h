// Renders collected metrics (MetricData) as a Prometheus scrape body, in the text exposition
// format 0.0.4 or OpenMetrics 1.0 text (Prometheus' exposition format docs, the OpenMetrics 1.0
// specification, and the OTel specification's "Prometheus and OpenMetrics Compatibility" page).
//
// Mapping, in short: monotonic cumulative sums -> counter (`<name>_total`); non-monotonic sums and
// gauges -> gauge; explicit-bucket histograms -> histogram (`_bucket` cumulative with `+Inf`,
// `_sum`, `_count`); a non-empty resource -> `target_info` first; scope name/version as labels on
// every sample. Metrics whose Prometheus names coincide are merged into one family when their
// types agree, otherwise the later one is dropped. Delta-temporality sums and histograms are
// dropped (a Prometheus endpoint exposes cumulative values only), as are metrics without points.
//
// Labels: attribute keys are sanitised (naming.h); keys that end up with the same label name
// (also with a scope label) are merged into one label whose values are joined with ';' in the
// order of the original keys. On histograms an attribute named `le` is left out (it would
// clash with the bucket label). Exemplars (OpenMetrics only) carry trace_id and span_id.
//
// Thread-safety: render() touches only its arguments; concurrent calls with distinct `out`
// strings are safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/metric_data.h"
#include "adminara/obs/resource.h"

namespace adminara::obs::prometheus {

/// The exposition formats the endpoint can produce.
enum class Format { kText004, kOpenMetrics1 };

struct RenderOptions {
  /// Appends `_<unit word>` to metric names (before `_total`) unless already there; unit `1`
  /// on a gauge then becomes `_ratio`. Off by default: names stay as registered (sanitised).
  bool unit_suffixes = false;
  /// Adds `otel_scope_name` / `otel_scope_version` labels (when non-empty) to every sample.
  bool scope_labels = true;
  /// Emits the resource attributes as one `target_info` sample, first (skipped for an empty
  /// resource).
  bool target_info = true;
};

struct RenderStats {
  /// Metrics left out: name or type conflicts, delta temporality, unusable names.
  std::size_t metrics_dropped = 0;
  /// One human-readable line per dropped metric or ignored conflicting metadata.
  std::vector<std::string> warnings;
};

/// Appends the whole exposition of `metrics` (plus `target_info` for `resource`) in `format` to
/// `out`, which is not cleared. Never throws except std::bad_alloc; malformed input (unsorted
/// bounds, counts not matching bounds) still yields syntactically valid output.
RenderStats render(const Resource& resource, const std::vector<MetricData>& metrics, Format format,
                   const RenderOptions& options, std::string& out);

/// The Content-Type header value for `format`:
/// "text/plain; version=0.0.4; charset=utf-8" or
/// "application/openmetrics-text; version=1.0.0; charset=utf-8".
std::string_view content_type(Format format);

/// Appends `v` the way Go's strconv.FormatFloat(v, 'g', -1, 64) does (shortest round-trip,
/// exponent form below 1e-4 and from 1e+06: `0`, `5`, `0.25`, `1e+06`), with `+Inf`, `-Inf` and
/// `NaN` spelled out. With `canonical` (OpenMetrics `le`), `.0` is added when the result has
/// neither a '.' nor an exponent (`5.0`).
void append_go_float(std::string& out, double v, bool canonical);

/// Appends a sample value: integral values below 2^53 as integers (`42`), other finite values
/// in the shortest round-trip form of std::to_chars, and `NaN`, `+Inf`, `-Inf`.
void append_sample_value(std::string& out, double v);

}  // namespace adminara::obs::prometheus
