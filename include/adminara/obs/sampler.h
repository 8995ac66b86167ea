// Samplers decide at span start whether a span is recorded and exported (OTel's built-ins).
//
// Thread-safety: should_sample() is called concurrently from every thread that starts spans; the
// built-in samplers are immutable and safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "adminara/obs/span_context.h"
#include "adminara/obs/span_data.h"

namespace adminara::obs {

enum class SamplingDecision : std::uint8_t { kDrop, kRecordAndSample };

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// `parent` is null for a root span. Must be cheap and must not throw.
  virtual SamplingDecision should_sample(const SpanContext* parent, const TraceId& trace_id,
                                         std::string_view name, SpanKind kind) const = 0;
  /// E.g. "AlwaysOnSampler", "TraceIdRatioBased{0.250000}", "ParentBased{root=AlwaysOnSampler}".
  virtual std::string description() const = 0;
};

std::shared_ptr<const Sampler> always_on_sampler();
std::shared_ptr<const Sampler> always_off_sampler();
/// Samples a deterministic fraction `ratio` (clamped to [0, 1]; NaN counts as 0) of trace ids:
/// the decision depends only on the trace id, and a trace sampled at one ratio is sampled at
/// every larger ratio.
std::shared_ptr<const Sampler> trace_id_ratio_sampler(double ratio);
/// Follows a valid parent's sampled flag (remote or local); uses `root` for root spans and for
/// an invalid parent context. A null `root` means always_on_sampler().
std::shared_ptr<const Sampler> parent_based_sampler(std::shared_ptr<const Sampler> root);

}  // namespace adminara::obs
