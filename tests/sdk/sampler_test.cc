#include "adminara/obs/sampler.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace adminara::obs {
namespace {

constexpr auto kSample = SamplingDecision::kRecordAndSample;
constexpr auto kDrop = SamplingDecision::kDrop;

TraceId trace_id_from(std::uint64_t high, std::uint64_t low) {
  TraceId id;
  for (int i = 0; i < 8; ++i) {
    id.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    id.bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  return id;
}

// 100000 ids from a fixed seed, so the statistics below are reproducible.
const std::vector<TraceId>& fixed_trace_ids() {
  static const std::vector<TraceId> ids = [] {
    std::mt19937_64 rng(20240607);
    std::vector<TraceId> out;
    out.reserve(100000);
    for (int i = 0; i < 100000; ++i) {
      const std::uint64_t high = rng();
      out.push_back(trace_id_from(high, rng()));
    }
    return out;
  }();
  return ids;
}

SamplingDecision root_decision(const Sampler& s, const TraceId& id) {
  return s.should_sample(nullptr, id, "span", SpanKind::kInternal);
}

double sampled_fraction(const Sampler& s) {
  std::size_t n = 0;
  for (const TraceId& id : fixed_trace_ids()) n += root_decision(s, id) == kSample ? 1 : 0;
  return static_cast<double>(n) / static_cast<double>(fixed_trace_ids().size());
}

SpanContext parent(bool sampled, bool remote) {
  return SpanContext(trace_id_from(1, 2), SpanId{{1, 2, 3, 4, 5, 6, 7, 8}},
                     TraceFlags{sampled ? TraceFlags::kSampled : std::uint8_t{0}}, remote);
}

TEST(Sampler, AlwaysOnSamplesEverything) {
  auto s = always_on_sampler();
  EXPECT_EQ(s->description(), "AlwaysOnSampler");
  EXPECT_EQ(sampled_fraction(*s), 1.0);
  const SpanContext p = parent(false, true);
  EXPECT_EQ(s->should_sample(&p, p.trace_id(), "x", SpanKind::kServer), kSample);
  EXPECT_EQ(always_on_sampler(), s);  // a shared singleton
}

TEST(Sampler, AlwaysOffSamplesNothing) {
  auto s = always_off_sampler();
  EXPECT_EQ(s->description(), "AlwaysOffSampler");
  EXPECT_EQ(sampled_fraction(*s), 0.0);
  const SpanContext p = parent(true, false);
  EXPECT_EQ(s->should_sample(&p, p.trace_id(), "x", SpanKind::kClient), kDrop);
}

TEST(Sampler, RatioDescription) {
  EXPECT_EQ(trace_id_ratio_sampler(0.25)->description(), "TraceIdRatioBased{0.250000}");
  EXPECT_EQ(trace_id_ratio_sampler(1)->description(), "TraceIdRatioBased{1.000000}");
  EXPECT_EQ(trace_id_ratio_sampler(0)->description(), "TraceIdRatioBased{0.000000}");
}

TEST(Sampler, RatioIsClampedToZeroOne) {
  EXPECT_EQ(trace_id_ratio_sampler(-0.5)->description(), "TraceIdRatioBased{0.000000}");
  EXPECT_EQ(trace_id_ratio_sampler(7)->description(), "TraceIdRatioBased{1.000000}");
  EXPECT_EQ(trace_id_ratio_sampler(std::numeric_limits<double>::quiet_NaN())->description(),
            "TraceIdRatioBased{0.000000}");
  EXPECT_EQ(sampled_fraction(*trace_id_ratio_sampler(-1)), 0.0);
  EXPECT_EQ(sampled_fraction(*trace_id_ratio_sampler(2)), 1.0);
}

TEST(Sampler, RatioOneSamplesAllAndZeroNone) {
  auto one = trace_id_ratio_sampler(1.0);
  auto zero = trace_id_ratio_sampler(0.0);
  EXPECT_EQ(sampled_fraction(*one), 1.0);
  EXPECT_EQ(sampled_fraction(*zero), 0.0);
  // The extremes of the 63-bit space.
  const TraceId max_id = trace_id_from(~0ULL, ~0ULL);
  const TraceId zero_low = trace_id_from(~0ULL, 0);
  EXPECT_EQ(root_decision(*one, max_id), kSample);
  EXPECT_EQ(root_decision(*zero, zero_low), kDrop);
}

TEST(Sampler, RatioSampledFractionMatchesTheRatio) {
  for (double ratio : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9}) {
    EXPECT_NEAR(sampled_fraction(*trace_id_ratio_sampler(ratio)), ratio, 0.01) << ratio;
  }
}

TEST(Sampler, RatioIsDeterministic) {
  auto a = trace_id_ratio_sampler(0.3);
  auto b = trace_id_ratio_sampler(0.3);
  for (const TraceId& id : fixed_trace_ids())
    ASSERT_EQ(root_decision(*a, id), root_decision(*b, id));
}

TEST(Sampler, RatioIsMonotone) {
  auto low = trace_id_ratio_sampler(0.1);
  auto high = trace_id_ratio_sampler(0.5);
  for (const TraceId& id : fixed_trace_ids()) {
    if (root_decision(*low, id) == kSample) {
      ASSERT_EQ(root_decision(*high, id), kSample);
    }
  }
}

TEST(Sampler, RatioUsesOnlyTheLower63BitsOfTheLastEightBytes) {
  auto s = trace_id_ratio_sampler(0.5);
  // The first 8 bytes and the top bit of the last 8 do not matter.
  const TraceId small = trace_id_from(0, 1);
  EXPECT_EQ(root_decision(*s, small), kSample);
  EXPECT_EQ(root_decision(*s, trace_id_from(~0ULL, 1)), kSample);
  EXPECT_EQ(root_decision(*s, trace_id_from(0, (1ULL << 63) | 1)), kSample);
  // 0.5 * 2^63 = 2^62 is the threshold: below samples, at or above drops.
  EXPECT_EQ(root_decision(*s, trace_id_from(0, (1ULL << 62) - 1)), kSample);
  EXPECT_EQ(root_decision(*s, trace_id_from(0, 1ULL << 62)), kDrop);
  EXPECT_EQ(root_decision(*s, trace_id_from(0, (1ULL << 63) | (1ULL << 62))), kDrop);
}

TEST(Sampler, RatioIgnoresTheParent) {
  auto s = trace_id_ratio_sampler(0.0);
  const SpanContext p = parent(true, true);
  EXPECT_EQ(s->should_sample(&p, p.trace_id(), "x", SpanKind::kInternal), kDrop);
}

struct ParentCase {
  bool sampled;
  bool remote;
};

TEST(Sampler, ParentBasedFollowsTheParentFlag) {
  // With either root, the four parent cases follow the parent's sampled flag.
  for (auto root : {always_on_sampler(), always_off_sampler(), trace_id_ratio_sampler(0.5)}) {
    auto s = parent_based_sampler(root);
    for (ParentCase c : {ParentCase{true, true}, ParentCase{false, true}, ParentCase{true, false},
                         ParentCase{false, false}}) {
      const SpanContext p = parent(c.sampled, c.remote);
      EXPECT_EQ(s->should_sample(&p, trace_id_from(7, 7), "x", SpanKind::kInternal),
                c.sampled ? kSample : kDrop)
          << s->description() << " sampled=" << c.sampled << " remote=" << c.remote;
    }
  }
}

TEST(Sampler, ParentBasedUsesRootForRootSpans) {
  EXPECT_EQ(sampled_fraction(*parent_based_sampler(always_on_sampler())), 1.0);
  EXPECT_EQ(sampled_fraction(*parent_based_sampler(always_off_sampler())), 0.0);
  auto ratio = trace_id_ratio_sampler(0.25);
  auto parent_based = parent_based_sampler(ratio);
  for (const TraceId& id : fixed_trace_ids()) {
    ASSERT_EQ(root_decision(*parent_based, id), root_decision(*ratio, id));
  }
}

TEST(Sampler, ParentBasedTreatsAnInvalidParentAsRoot) {
  auto s = parent_based_sampler(always_off_sampler());
  const SpanContext invalid;  // all-zero ids, not sampled
  EXPECT_EQ(s->should_sample(&invalid, trace_id_from(1, 1), "x", SpanKind::kInternal), kDrop);
  auto on = parent_based_sampler(always_on_sampler());
  EXPECT_EQ(on->should_sample(&invalid, trace_id_from(1, 1), "x", SpanKind::kInternal), kSample);
}

// A user-defined root: ParentBased must call it (with no parent) for root spans only.
class NameSampler final : public Sampler {
 public:
  SamplingDecision should_sample(const SpanContext* parent, const TraceId&, std::string_view name,
                                 SpanKind) const override {
    ++calls;
    saw_parent = saw_parent || parent != nullptr;
    return name == "keep" ? kSample : kDrop;
  }
  std::string description() const override { return "NameSampler"; }
  mutable int calls = 0;
  mutable bool saw_parent = false;
};

TEST(Sampler, ParentBasedDelegatesToACustomRoot) {
  auto custom = std::make_shared<NameSampler>();
  auto s = parent_based_sampler(custom);
  EXPECT_EQ(s->description(), "ParentBased{root=NameSampler}");
  EXPECT_EQ(s->should_sample(nullptr, trace_id_from(1, 1), "keep", SpanKind::kInternal), kSample);
  EXPECT_EQ(s->should_sample(nullptr, trace_id_from(1, 1), "other", SpanKind::kInternal), kDrop);
  const SpanContext p = parent(true, false);
  EXPECT_EQ(s->should_sample(&p, p.trace_id(), "other", SpanKind::kInternal), kSample);
  EXPECT_EQ(custom->calls, 2);
  EXPECT_FALSE(custom->saw_parent);
}

TEST(Sampler, ParentBasedDescriptions) {
  EXPECT_EQ(parent_based_sampler(always_on_sampler())->description(),
            "ParentBased{root=AlwaysOnSampler}");
  EXPECT_EQ(parent_based_sampler(always_off_sampler())->description(),
            "ParentBased{root=AlwaysOffSampler}");
  EXPECT_EQ(parent_based_sampler(trace_id_ratio_sampler(0.1))->description(),
            "ParentBased{root=TraceIdRatioBased{0.100000}}");
  EXPECT_EQ(parent_based_sampler(nullptr)->description(), "ParentBased{root=AlwaysOnSampler}");
}

}  // namespace
}  // namespace adminara::obs
