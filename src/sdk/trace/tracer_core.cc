#include "sdk/trace/tracer_core.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "sdk/trace/batch_processor.h"
#include "sdk/trace/simple_processor.h"

namespace adminara::obs::detail {
namespace {

std::atomic<std::uint64_t> g_next_core_id{1};

// Random ids that are never all zero (the invalid id).
void fill_random_id(std::array<std::uint8_t, 16>& bytes) {
  std::uint64_t hi, lo;
  do {
    hi = common::random_u64();
    lo = common::random_u64();
  } while ((hi | lo) == 0);
  std::memcpy(bytes.data(), &hi, 8);
  std::memcpy(bytes.data() + 8, &lo, 8);
}
void fill_random_id(std::array<std::uint8_t, 8>& bytes) {
  std::uint64_t v;
  do {
    v = common::random_u64();
  } while (v == 0);
  std::memcpy(bytes.data(), &v, 8);
}

}  // namespace

TracerCore::TracerCore(TracerProviderOptions options)
    : id_(g_next_core_id.fetch_add(1)),
      resource_(std::move(options.resource)),
      sampler_(options.sampler ? std::move(options.sampler)
                               : parent_based_sampler(always_on_sampler())),
      limits_(options.limits),
      enabled_(options.enabled),
      active_spans_(std::move(options.active_spans)),
      running_(options.count_running_spans ? std::make_unique<RunningSpans>() : nullptr) {
  pool_ = std::make_unique<RecordPool>(this);
  if (options.processor == ProcessorKind::kBatch) {
    const BatchOptions& b = options.batch;
    if (b.max_queue_size == 0 || b.max_export_batch_size == 0 ||
        b.max_export_batch_size > b.max_queue_size) {
      throw std::invalid_argument(
          "BatchOptions: max_queue_size and max_export_batch_size must be at least 1 and "
          "max_export_batch_size must not exceed max_queue_size (got " +
          std::to_string(b.max_queue_size) + " and " + std::to_string(b.max_export_batch_size) +
          ")");
    }
    processor_ = std::make_unique<BatchSpanProcessor>(*this, std::move(options.exporters), b);
  } else {
    processor_ = std::make_unique<SimpleSpanProcessor>(*this, std::move(options.exporters));
  }
  common::WallClockOffset::refresh();
}

TracerCore::~TracerCore() {
  shutdown(std::chrono::milliseconds(30000));
  processor_.reset();  // may still release records into the pool
  pool_.reset();
}

const InstrumentationScope* TracerCore::scope(std::string_view name, std::string_view version) {
  std::lock_guard lock(scopes_mu_);
  for (const auto& s : scopes_) {
    if (s.name == name && s.version == version) return &s;
  }
  return &scopes_.emplace_back(InstrumentationScope{std::string(name), std::string(version)});
}

Span TracerCore::start_span(const InstrumentationScope* scope, std::string_view name,
                            Attributes attributes, const SpanOptions& options) {
  const SpanContext* parent = nullptr;
  if (!options.root) {
    if (options.parent != nullptr) {
      parent = &options.parent->span_context();
    } else if (const Context* cur = obs::detail::current_context(); cur != nullptr) {
      parent = &cur->span_context();
    }
    if (parent != nullptr && !parent->is_valid()) parent = nullptr;
  }
  if (!enabled_) {
    // Tracing off: a non-recording span that carries the parent's identity, so whatever is
    // propagated downstream is what arrived.
    return parent != nullptr ? Span(*parent, nullptr) : Span();
  }

  TraceId trace_id;
  if (parent != nullptr) {
    trace_id = parent->trace_id();
  } else {
    fill_random_id(trace_id.bytes);
  }
  SpanId span_id;
  fill_random_id(span_id.bytes);

  const SamplingDecision decision = sampler_->should_sample(parent, trace_id, name, options.kind);
  std::uint8_t flags = parent != nullptr ? (parent->trace_flags().value & TraceFlags::kRandom) : 0;
  std::shared_ptr<const TraceState> trace_state =
      parent != nullptr ? parent->trace_state_ptr() : nullptr;

  if (decision == SamplingDecision::kDrop) {
    return Span(SpanContext(trace_id, span_id, TraceFlags{flags}, false, std::move(trace_state)),
                nullptr);
  }
  return start_recording(scope, name, attributes, options, parent, trace_id, span_id,
                         static_cast<std::uint8_t>(flags | TraceFlags::kSampled),
                         std::move(trace_state));
}

Span TracerCore::start_recording(const InstrumentationScope* scope, std::string_view name,
                                 Attributes attributes, const SpanOptions& options,
                                 const SpanContext* parent, const TraceId& trace_id,
                                 const SpanId& span_id, std::uint8_t flags,
                                 std::shared_ptr<const TraceState> trace_state) {
  SpanRecord* rec = pool_->acquire();
  const std::uint64_t start = common::monotonic_ns();
  rec->begin(name, start);
  SpanData& d = rec->data;
  d.context = SpanContext(trace_id, span_id, TraceFlags{flags}, false, std::move(trace_state));
  if (parent != nullptr) {
    d.parent_span_id = parent->span_id();
    d.parent_is_remote = parent->is_remote();
  } else {
    d.parent_span_id = SpanId{};
    d.parent_is_remote = false;
  }
  d.kind = options.kind;
  d.start_time_unix_nano = common::WallClockOffset::to_wall(start);
  d.end_time_unix_nano = 0;
  d.scope = scope;
  d.resource = &resource_;
  for (const auto& a : attributes) rec->set_attribute(a.key, a.value, limits_);
  for (const auto& l : options.links) rec->add_link(l, {}, limits_);
  active_spans_.add(1);
  if (running_) rec->running_slot = running_->on_start(name);
  return Span(d.context, rec);
}

void TracerCore::end_span(SpanRecord* record) noexcept {
  const std::uint64_t end = common::monotonic_ns();
  SpanData& d = record->data;
  d.end_time_unix_nano = d.start_time_unix_nano + (end - record->start_monotonic_ns);
  record->seal();
  active_spans_.add(-1);
  if (running_) running_->on_end(record->running_slot);
  processor_->on_end(record);
}

bool TracerCore::force_flush(std::chrono::milliseconds timeout) noexcept {
  return processor_->force_flush(timeout);
}

void TracerCore::shutdown(std::chrono::milliseconds timeout) noexcept {
  processor_->shutdown(timeout);
}

TracerStats TracerCore::stats() const noexcept {
  TracerStats s;
  processor_->add_stats(s);
  return s;
}

}  // namespace adminara::obs::detail

namespace adminara::obs {

namespace {
const SpanOptions kDefaultSpanOptions{};
}

Span Tracer::start_span(std::string_view name, Attributes attributes) const {
  if (core_ != nullptr) return core_->start_span(scope_, name, attributes, kDefaultSpanOptions);
  return start_span(name, attributes, kDefaultSpanOptions);
}

Span Tracer::start_span(std::string_view name, Attributes attributes,
                        const SpanOptions& options) const {
  if (core_ == nullptr) {
    const SpanContext* parent = options.parent != nullptr ? &options.parent->span_context()
                                : detail::current_context() != nullptr
                                    ? &detail::current_context()->span_context()
                                    : nullptr;
    return (parent != nullptr && parent->is_valid() && !options.root) ? Span(*parent, nullptr)
                                                                      : Span();
  }
  return core_->start_span(scope_, name, attributes, options);
}

TracerProvider::TracerProvider(TracerProviderOptions options)
    : core_(std::make_unique<detail::TracerCore>(std::move(options))) {}

TracerProvider::~TracerProvider() = default;

Tracer TracerProvider::get_tracer(std::string_view name, std::string_view version) {
  return Tracer(core_.get(), core_->scope(name, version));
}

bool TracerProvider::force_flush(std::chrono::milliseconds timeout) {
  return core_->force_flush(timeout);
}
void TracerProvider::shutdown(std::chrono::milliseconds timeout) {
  core_->shutdown(timeout);
}
const Resource& TracerProvider::resource() const {
  return core_->resource();
}
const Sampler& TracerProvider::sampler() const {
  return core_->sampler();
}
const SpanLimits& TracerProvider::limits() const {
  return core_->limits();
}
bool TracerProvider::enabled() const {
  return core_->enabled();
}
TracerStats TracerProvider::stats() const {
  return core_->stats();
}
std::vector<RunningSpanCount> TracerProvider::running_spans() const {
  const detail::RunningSpans* r = core_->running_spans();
  return r != nullptr ? r->snapshot() : std::vector<RunningSpanCount>{};
}

}  // namespace adminara::obs
