// Instrument handles, meters and the meter provider (the public metrics API).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "adminara/obs/metrics.h"
#include "common/clock.h"
#include "common/log.h"
#include "sdk/metrics/instrument_state.h"

namespace adminara::obs {

using detail::InstrumentState;
using detail::Series;

namespace {

AttributeSpan as_span(Attributes a) {
  return AttributeSpan(a.begin(), a.size());
}

const InstrumentDescriptor& no_descriptor() {
  static const InstrumentDescriptor d;
  return d;
}

// The record paths of the handles, inlined into both overloads of each.
[[gnu::always_inline]] inline void add_to(InstrumentState* s, double value,
                                          AttributeSpan attributes) noexcept {
  if (s == nullptr || s->reject(value)) return;
  s->add(s->series_for(attributes), value);
}
[[gnu::always_inline]] inline void record_to(InstrumentState* s, double value,
                                             AttributeSpan attributes) noexcept {
  if (s == nullptr || s->reject(value)) return;
  s->record(s->series_for(attributes), value);
}

}  // namespace

// --- handles ------------------------------------------------------------------------------------

namespace detail {

const InstrumentDescriptor& InstrumentHandle::descriptor() const {
  return state_ ? state_->descriptor() : no_descriptor();
}

template <class Bound>
Bound BindableInstrument<Bound>::bind(Attributes attributes) const {
  return bind(as_span(attributes));
}
template <class Bound>
Bound BindableInstrument<Bound>::bind(AttributeSpan attributes) const {
  Bound b;
  if (state_) {
    BoundSeries& series = b;
    series.series_ = state_->series_for_or_throw(attributes);
    series.state_ = state_;
  }
  return b;
}

template class BindableInstrument<BoundCounter>;
template class BindableInstrument<BoundUpDownCounter>;
template class BindableInstrument<BoundHistogram>;

}  // namespace detail

void BoundCounter::add(double value) const noexcept {
  if (state_ && !state_->reject(value)) state_->add(series_, value);
}
void Counter::add(double value, Attributes attributes) const noexcept {
  add_to(state_.get(), value, as_span(attributes));
}
void Counter::add(double value, AttributeSpan attributes) const noexcept {
  add_to(state_.get(), value, attributes);
}

void BoundUpDownCounter::add(double value) const noexcept {
  if (state_ && !state_->reject(value)) state_->add(series_, value);
}
void UpDownCounter::add(double value, Attributes attributes) const noexcept {
  add_to(state_.get(), value, as_span(attributes));
}
void UpDownCounter::add(double value, AttributeSpan attributes) const noexcept {
  add_to(state_.get(), value, attributes);
}

void BoundHistogram::record(double value) const noexcept {
  if (state_ && !state_->reject(value)) state_->record(series_, value);
}
void Histogram::record(double value, Attributes attributes) const noexcept {
  record_to(state_.get(), value, as_span(attributes));
}
void Histogram::record(double value, AttributeSpan attributes) const noexcept {
  record_to(state_.get(), value, attributes);
}
const std::vector<double>& Histogram::boundaries() const {
  return state_ ? state_->boundaries() : default_histogram_boundaries();
}

void Gauge::set(double value, Attributes attributes) const noexcept {
  set(value, as_span(attributes));
}
void Gauge::set(double value, AttributeSpan attributes) const noexcept {
  if (!state_ || state_->reject(value)) return;
  state_->set(state_->series_for(attributes), value);
}

void ObservableResult::observe(double value, Attributes attributes) {
  observe(value, as_span(attributes));
}
void ObservableResult::observe(double value, AttributeSpan attributes) {
  if (state_ != nullptr) state_->observe(value, attributes);
}

struct ObservableInstrument::Registration {
  std::shared_ptr<InstrumentState> state;
  std::uint64_t id = 0;
  std::mutex mu;
  bool removed = false;

  void remove() {
    std::lock_guard lock(mu);
    if (!removed && state) state->remove_callback(id);
    removed = true;
  }
  ~Registration() { remove(); }
};

void ObservableInstrument::remove() {
  if (reg_) reg_->remove();
}
const InstrumentDescriptor& ObservableInstrument::descriptor() const {
  return reg_ && reg_->state ? reg_->state->descriptor() : no_descriptor();
}

// --- names and options --------------------------------------------------------------------------

const std::vector<double>& default_histogram_boundaries() {
  static const std::vector<double> b{0,   5,   10,   25,   50,   75,   100,  250,
                                     500, 750, 1000, 2500, 5000, 7500, 10000};
  return b;
}

std::string_view to_string(InstrumentKind kind) {
  switch (kind) {
    case InstrumentKind::kCounter:
      return "counter";
    case InstrumentKind::kUpDownCounter:
      return "up_down_counter";
    case InstrumentKind::kHistogram:
      return "histogram";
    case InstrumentKind::kGauge:
      return "gauge";
    case InstrumentKind::kObservableCounter:
      return "observable_counter";
    case InstrumentKind::kObservableUpDownCounter:
      return "observable_up_down_counter";
    case InstrumentKind::kObservableGauge:
      return "observable_gauge";
  }
  return "unknown";
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void validate_name(std::string_view name) {
  auto fail = [&](std::string_view why) {
    throw InstrumentError("invalid instrument name '" + std::string(name) +
                          "': " + std::string(why) +
                          "; a name is an ASCII letter followed by up to 254 letters, digits, "
                          "'_', '.', '-' or '/'");
  };
  if (name.empty()) fail("it is empty");
  if (name.size() > 255) fail("it is longer than 255 characters");
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) fail("it does not start with a letter");
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '_' || c == '.' || c == '-' || c == '/')) {
      fail(std::string("it contains '") + c + "'");
    }
  }
}

void validate_unit(std::string_view name, std::string_view unit) {
  if (unit.size() > 63) {
    throw InstrumentError("instrument '" + std::string(name) +
                          "': unit is longer than 63 characters");
  }
  for (char c : unit) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) {
      throw InstrumentError("instrument '" + std::string(name) + "': unit must be printable ASCII");
    }
  }
}

std::shared_ptr<const std::vector<double>> validate_bounds(std::string_view name,
                                                           const std::vector<double>& b) {
  if (b.empty()) {
    static const auto defaults =
        std::make_shared<const std::vector<double>>(default_histogram_boundaries());
    return defaults;
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i])) {
      throw InstrumentError("histogram '" + std::string(name) + "': boundary " + std::to_string(i) +
                            " is not finite; boundaries must be finite and strictly increasing");
    }
    if (i > 0 && !(b[i] > b[i - 1])) {
      throw InstrumentError("histogram '" + std::string(name) + "': boundary " + std::to_string(i) +
                            " (" + std::to_string(b[i]) + ") is not greater than the one before (" +
                            std::to_string(b[i - 1]) +
                            "); boundaries must be finite and strictly increasing");
    }
  }
  return std::make_shared<const std::vector<double>>(b);
}

}  // namespace

// --- meters and provider -----------------------------------------------------------------------

namespace detail {

class MeterState {
 public:
  MeterState(InstrumentationScope scope, std::shared_ptr<sdk::ProviderShared> shared)
      : scope_(std::move(scope)), shared_(std::move(shared)) {}

  const InstrumentationScope& scope() const { return scope_; }

  std::shared_ptr<InstrumentState> instrument(std::string_view name, std::string_view description,
                                              std::string_view unit, InstrumentKind kind,
                                              const std::vector<double>* bounds) {
    validate_name(name);
    validate_unit(name, unit);
    std::shared_ptr<const std::vector<double>> b;
    if (kind == InstrumentKind::kHistogram) b = validate_bounds(name, *bounds);
    const std::string key = lower(name);
    std::lock_guard lock(mu_);
    for (const auto& existing : instruments_) {
      const InstrumentDescriptor& d = existing->descriptor();
      if (lower(d.name) != key) continue;
      if (d.kind != kind || d.unit != unit) {
        throw InstrumentError("instrument '" + std::string(name) + "' (" +
                              std::string(to_string(kind)) + ", unit '" + std::string(unit) +
                              "') conflicts with '" + d.name + "' (" +
                              std::string(to_string(d.kind)) + ", unit '" + d.unit +
                              "') already registered in meter '" + scope_.name +
                              "'; use another name or the same kind and unit");
      }
      if (d.description != description) {
        common::log_warn("instrument '" + d.name +
                         "' registered again with another description; "
                         "keeping the first ('" +
                         d.description + "')");
      }
      if (b && *b != existing->boundaries()) {
        common::log_warn("histogram '" + d.name +
                         "' registered again with other boundaries; "
                         "keeping the first");
      }
      return existing;
    }
    auto state = std::make_shared<InstrumentState>(
        scope_,
        InstrumentDescriptor{std::string(name), std::string(description), std::string(unit), kind},
        std::move(b), shared_);
    instruments_.push_back(state);
    return state;
  }

  std::vector<std::shared_ptr<InstrumentState>> instruments() const {
    std::lock_guard lock(mu_);
    return instruments_;
  }

 private:
  InstrumentationScope scope_;
  std::shared_ptr<sdk::ProviderShared> shared_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<InstrumentState>> instruments_;
};

class MeterProviderState {
 public:
  explicit MeterProviderState(MeterProviderOptions o)
      : resource(std::move(o.resource)),
        enabled(o.enabled),
        shared(std::make_shared<sdk::ProviderShared>()) {
    shared->cardinality_limit = std::max<std::size_t>(1, o.cardinality_limit);
    shared->exemplar_filter = o.exemplar_filter;
    shared->start_time_unix_nano = static_cast<std::int64_t>(common::wall_ns());
  }

  Resource resource;
  bool enabled;
  std::shared_ptr<sdk::ProviderShared> shared;
  std::mutex mu;  // meters_
  std::vector<std::shared_ptr<MeterState>> meters;
  std::mutex collect_mu;
  std::uint64_t cycle = 0;
};

}  // namespace detail

Counter Meter::create_counter(std::string_view name, const InstrumentOptions& o) {
  if (!state_) return Counter();
  return Counter(
      state_->instrument(name, o.description, o.unit, InstrumentKind::kCounter, nullptr));
}
UpDownCounter Meter::create_up_down_counter(std::string_view name, const InstrumentOptions& o) {
  if (!state_) return UpDownCounter();
  return UpDownCounter(
      state_->instrument(name, o.description, o.unit, InstrumentKind::kUpDownCounter, nullptr));
}
Histogram Meter::create_histogram(std::string_view name, const HistogramOptions& o) {
  if (!state_) return Histogram();
  return Histogram(
      state_->instrument(name, o.description, o.unit, InstrumentKind::kHistogram, &o.boundaries));
}
Gauge Meter::create_gauge(std::string_view name, const InstrumentOptions& o) {
  if (!state_) return Gauge();
  return Gauge(state_->instrument(name, o.description, o.unit, InstrumentKind::kGauge, nullptr));
}

ObservableInstrument Meter::create_observable_counter(std::string_view name, ObservableCallback cb,
                                                      const InstrumentOptions& o) {
  return create_observable(name, std::move(cb), o, InstrumentKind::kObservableCounter);
}
ObservableInstrument Meter::create_observable_up_down_counter(std::string_view name,
                                                              ObservableCallback cb,
                                                              const InstrumentOptions& o) {
  return create_observable(name, std::move(cb), o, InstrumentKind::kObservableUpDownCounter);
}
ObservableInstrument Meter::create_observable_gauge(std::string_view name, ObservableCallback cb,
                                                    const InstrumentOptions& o) {
  return create_observable(name, std::move(cb), o, InstrumentKind::kObservableGauge);
}

ObservableInstrument Meter::create_observable(std::string_view name, ObservableCallback cb,
                                              const InstrumentOptions& o, InstrumentKind kind) {
  if (!state_) return ObservableInstrument();
  auto inst = state_->instrument(name, o.description, o.unit, kind, nullptr);
  auto reg = std::make_shared<ObservableInstrument::Registration>();
  if (cb) reg->id = inst->add_callback(std::move(cb));
  reg->state = std::move(inst);
  return ObservableInstrument(std::move(reg));
}

const InstrumentationScope& Meter::scope() const {
  static const InstrumentationScope none;
  return state_ ? state_->scope() : none;
}
bool Meter::enabled() const {
  return state_ != nullptr;
}

MeterProvider::MeterProvider(MeterProviderOptions options)
    : state_(std::make_shared<detail::MeterProviderState>(std::move(options))) {}

MeterProvider::~MeterProvider() = default;

Meter MeterProvider::get_meter(std::string_view name, std::string_view version) {
  if (!state_->enabled) return Meter();
  std::lock_guard lock(state_->mu);
  for (const auto& m : state_->meters) {
    if (m->scope().name == name && m->scope().version == version) return Meter(m);
  }
  auto m = std::make_shared<detail::MeterState>(
      InstrumentationScope{std::string(name), std::string(version)}, state_->shared);
  state_->meters.push_back(m);
  return Meter(std::move(m));
}

std::vector<MetricData> MeterProvider::collect() {
  std::lock_guard collect_lock(state_->collect_mu);
  const std::uint64_t cycle = ++state_->cycle;
  std::vector<std::shared_ptr<detail::MeterState>> meters;
  {
    std::lock_guard lock(state_->mu);
    meters = state_->meters;
  }
  const auto now = static_cast<std::int64_t>(common::wall_ns());
  std::vector<MetricData> out;
  for (const auto& m : meters) {
    for (const auto& inst : m->instruments()) inst->collect(cycle, now, out);
  }
  state_->shared->collections.fetch_add(1, std::memory_order_relaxed);
  return out;
}

const Resource& MeterProvider::resource() const {
  return state_->resource;
}
std::size_t MeterProvider::cardinality_limit() const {
  return state_->shared->cardinality_limit;
}
MeterProviderStats MeterProvider::stats() const {
  const sdk::ProviderShared& s = *state_->shared;
  return MeterProviderStats{
      .measurements_rejected = s.rejected.load(std::memory_order_relaxed),
      .overflow_measurements = s.overflowed.load(std::memory_order_relaxed),
      .callback_errors = s.callback_errors.load(std::memory_order_relaxed),
      .collections = s.collections.load(std::memory_order_relaxed),
  };
}

}  // namespace adminara::obs
