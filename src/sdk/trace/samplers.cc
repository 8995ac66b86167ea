// The built-in samplers. All are immutable after construction, so should_sample() needs no
// synchronisation; none of them allocates or locks on the hot path.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "adminara/obs/sampler.h"

namespace adminara::obs {
namespace {

class AlwaysOnSampler final : public Sampler {
 public:
  SamplingDecision should_sample(const SpanContext*, const TraceId&, std::string_view,
                                 SpanKind) const override {
    return SamplingDecision::kRecordAndSample;
  }
  std::string description() const override { return "AlwaysOnSampler"; }
};

class AlwaysOffSampler final : public Sampler {
 public:
  SamplingDecision should_sample(const SpanContext*, const TraceId&, std::string_view,
                                 SpanKind) const override {
    return SamplingDecision::kDrop;
  }
  std::string description() const override { return "AlwaysOffSampler"; }
};

// Samples iff the lower 63 bits of the trace id's last 8 bytes (big-endian) are below
// ratio * 2^63. The decision depends only on the trace id, so every service that uses the same
// ratio keeps the same traces, and a trace kept at some ratio is kept at every larger one (the
// threshold grows with the ratio). The last 8 bytes are the part W3C Level 2 asks to be random.
class TraceIdRatioSampler final : public Sampler {
 public:
  explicit TraceIdRatioSampler(double ratio)
      : ratio_(std::isnan(ratio) ? 0.0 : std::clamp(ratio, 0.0, 1.0)),
        threshold_(threshold_for(ratio_)) {}

  SamplingDecision should_sample(const SpanContext*, const TraceId& trace_id, std::string_view,
                                 SpanKind) const override {
    return decide(threshold_, trace_id);
  }
  std::string description() const override {
    return "TraceIdRatioBased{" + std::to_string(ratio_) + "}";
  }

  std::uint64_t threshold() const { return threshold_; }

  static SamplingDecision decide(std::uint64_t threshold, const TraceId& trace_id) {
    std::uint64_t v = 0;
    for (std::size_t i = 8; i < 16; ++i) v = (v << 8) | trace_id.bytes[i];
    return (v & kLow63) < threshold ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
  }

 private:
  static constexpr std::uint64_t kLow63 = (std::uint64_t{1} << 63) - 1;

  // ratio * 2^63 rounded down; for ratio 1 this is 2^63, above every 63-bit value. Multiplying
  // by a power of two is exact and the conversion is monotone, so the threshold is too.
  static std::uint64_t threshold_for(double ratio) {
    if (ratio >= 1.0) return std::uint64_t{1} << 63;
    return static_cast<std::uint64_t>(std::ldexp(ratio, 63));
  }

  double ratio_;
  std::uint64_t threshold_;
};

// OTel's ParentBased with the default delegates: a valid parent's sampled flag decides (remote or
// local alike), and `root` decides for root spans. An invalid parent context counts as no parent.
// The built-in roots are decided inline, so a root span costs one virtual call, not two.
class ParentBasedSampler final : public Sampler {
 public:
  explicit ParentBasedSampler(std::shared_ptr<const Sampler> root) : root_(std::move(root)) {
    if (!root_) root_ = always_on_sampler();
    if (dynamic_cast<const AlwaysOnSampler*>(root_.get()) != nullptr) {
      root_kind_ = RootKind::kAlwaysOn;
    } else if (dynamic_cast<const AlwaysOffSampler*>(root_.get()) != nullptr) {
      root_kind_ = RootKind::kAlwaysOff;
    } else if (const auto* ratio = dynamic_cast<const TraceIdRatioSampler*>(root_.get())) {
      root_kind_ = RootKind::kRatio;
      threshold_ = ratio->threshold();
    }
  }

  SamplingDecision should_sample(const SpanContext* parent, const TraceId& trace_id,
                                 std::string_view name, SpanKind kind) const override {
    if (parent != nullptr && parent->is_valid()) {
      return parent->is_sampled() ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
    }
    switch (root_kind_) {
      case RootKind::kAlwaysOn:
        return SamplingDecision::kRecordAndSample;
      case RootKind::kAlwaysOff:
        return SamplingDecision::kDrop;
      case RootKind::kRatio:
        return TraceIdRatioSampler::decide(threshold_, trace_id);
      case RootKind::kOther:
        break;
    }
    return root_->should_sample(nullptr, trace_id, name, kind);
  }

  std::string description() const override {
    return "ParentBased{root=" + root_->description() + "}";
  }

 private:
  enum class RootKind : std::uint8_t { kAlwaysOn, kAlwaysOff, kRatio, kOther };

  std::shared_ptr<const Sampler> root_;
  RootKind root_kind_ = RootKind::kOther;
  std::uint64_t threshold_ = 0;
};

}  // namespace

std::shared_ptr<const Sampler> always_on_sampler() {
  static const std::shared_ptr<const Sampler> kSampler = std::make_shared<AlwaysOnSampler>();
  return kSampler;
}

std::shared_ptr<const Sampler> always_off_sampler() {
  static const std::shared_ptr<const Sampler> kSampler = std::make_shared<AlwaysOffSampler>();
  return kSampler;
}

std::shared_ptr<const Sampler> trace_id_ratio_sampler(double ratio) {
  return std::make_shared<TraceIdRatioSampler>(ratio);
}

std::shared_ptr<const Sampler> parent_based_sampler(std::shared_ptr<const Sampler> root) {
  return std::make_shared<ParentBasedSampler>(std::move(root));
}

}  // namespace adminara::obs
