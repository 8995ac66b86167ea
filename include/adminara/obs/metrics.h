// Metrics: meters and instruments (the AdminAra metrics are in adminara_metrics.h).
//
//   auto requests = obs::get_meter().create_counter("http_requests", {.description = "..."});
//   requests.add(1, {{"route", "/api/queue"}, {"code", 201}});
//   auto ok = requests.bind({{"route", "/healthz"}});           // skips the lookup
//   ok.add(1);
//
// Instruments are cheap handles (one shared pointer) to state owned jointly by the handle and the
// MeterProvider, so a handle stays valid after the provider is destroyed (records then go
// nowhere visible). Recording is thread-safe, lock-free and allocation-free for a series that
// exists: each thread adds into its own cell, merged when the provider collects.
//
// Errors: creating an instrument with an invalid name, invalid histogram bounds or an identity
// that conflicts with an existing instrument throws InstrumentError (the caller can fix that).
// Invalid measurements (a negative or non-finite counter increment, NaN) cannot be acted on by
// the caller, so they are ignored, counted (adminara_obs_metric_measurements_rejected_total) and
// logged once per instrument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/attributes.h"
#include "adminara/obs/metric_data.h"
#include "adminara/obs/resource.h"

namespace adminara::obs {

/// Thrown when an instrument cannot be created as asked; the message names the instrument, what
/// was wrong and what is accepted.
class InstrumentError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {
class InstrumentState;
class Series;
class MeterState;
class MeterProviderState;
}  // namespace detail

/// Attributes passed at a record call, either as a braced list or as a span of a runtime array.
using AttributeSpan = std::span<const AttributeInit>;

/// Description and unit of an instrument ("ms", "By", "1", "{request}"; free text up to 63 ASCII
/// characters).
struct InstrumentOptions {
  std::string_view description;
  std::string_view unit;
};

/// Options of a histogram. `boundaries` empty: OTel's default boundaries
/// 0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000. Otherwise they must be
/// finite and strictly increasing.
struct HistogramOptions {
  std::string_view description;
  std::string_view unit;
  std::vector<double> boundaries;
};

/// OTel's default explicit bucket boundaries.
const std::vector<double>& default_histogram_boundaries();

namespace detail {

/// What every synchronous instrument handle is: a shared pointer to the instrument's state,
/// null for a no-op instrument (default-constructed, or from a disabled meter).
class InstrumentHandle {
 public:
  const InstrumentDescriptor& descriptor() const;

 protected:
  InstrumentHandle() = default;
  explicit InstrumentHandle(std::shared_ptr<InstrumentState> s) : state_(std::move(s)) {}
  std::shared_ptr<InstrumentState> state_;
};

/// What a bound handle is: the instrument's state and one series of it, looked up once.
class BoundSeries {
 protected:
  template <class Bound>
  friend class BindableInstrument;
  std::shared_ptr<InstrumentState> state_;
  Series* series_ = nullptr;
};

/// An instrument whose series can be bound: bind() does the attribute lookup once and returns a
/// `Bound` handle that records without it. Throws InstrumentError only when the attribute set is
/// invalid; past the cardinality limit the bound series is the overflow series.
template <class Bound>
class BindableInstrument : public InstrumentHandle {
 public:
  Bound bind(Attributes attributes = {}) const;
  Bound bind(AttributeSpan attributes) const;

 protected:
  using InstrumentHandle::InstrumentHandle;
};

}  // namespace detail

/// A handle to one series (an instrument plus an attribute set) whose lookup was done once.
/// Copyable; valid as long as any copy or the instrument lives. bind() creates the series, owned
/// by the instrument: it is exported from then on (a counter at 0) even if the handle is dropped,
/// so binding the attribute sets known up front shows them before their first measurement.
class BoundCounter : public detail::BoundSeries {
 public:
  /// Adds `value` (must be finite and >= 0, else ignored and counted).
  void add(double value) const noexcept;
};

/// A monotonic sum ("how many"); exported as a Prometheus counter (`name_total`).
class Counter : public detail::BindableInstrument<BoundCounter> {
 public:
  Counter() = default;  // a no-op instrument
  void add(double value, Attributes attributes = {}) const noexcept;
  void add(double value, AttributeSpan attributes) const noexcept;

 private:
  friend class Meter;
  using BindableInstrument::BindableInstrument;
};

class BoundUpDownCounter : public detail::BoundSeries {
 public:
  /// Adds `value` (any finite value; NaN and infinities are ignored and counted).
  void add(double value) const noexcept;
};

/// A sum that goes up and down ("how many right now", e.g. active_spans); exported as a gauge.
class UpDownCounter : public detail::BindableInstrument<BoundUpDownCounter> {
 public:
  UpDownCounter() = default;
  void add(double value, Attributes attributes = {}) const noexcept;
  void add(double value, AttributeSpan attributes) const noexcept;

 private:
  friend class Meter;
  using BindableInstrument::BindableInstrument;
};

class BoundHistogram : public detail::BoundSeries {
 public:
  /// Records `value` (NaN is ignored and counted; negative values are accepted).
  void record(double value) const noexcept;
};

/// A distribution of values in explicit buckets, with count, sum, min and max.
class Histogram : public detail::BindableInstrument<BoundHistogram> {
 public:
  Histogram() = default;
  void record(double value, Attributes attributes = {}) const noexcept;
  void record(double value, AttributeSpan attributes) const noexcept;
  /// The bucket boundaries in use.
  const std::vector<double>& boundaries() const;

 private:
  friend class Meter;
  using BindableInstrument::BindableInstrument;
};

/// A synchronous gauge: the last value set wins (across threads, the last in time).
class Gauge : public detail::InstrumentHandle {
 public:
  Gauge() = default;
  /// Sets the value (NaN is ignored and counted).
  void set(double value, Attributes attributes = {}) const noexcept;
  void set(double value, AttributeSpan attributes) const noexcept;

 private:
  friend class Meter;
  using InstrumentHandle::InstrumentHandle;
};

/// What an observable instrument's callback reports into at collection.
class ObservableResult {
 public:
  /// Reports the value of one series. For observable counters and up-down counters the value is
  /// the cumulative total (not an increment). Observing the same attributes twice keeps the last.
  void observe(double value, Attributes attributes = {});
  void observe(double value, AttributeSpan attributes);

 private:
  friend class detail::InstrumentState;
  explicit ObservableResult(detail::InstrumentState* s) : state_(s) {}
  detail::InstrumentState* state_;
};

/// Called at each collection, on the collecting thread; must be thread-safe with respect to the
/// code whose state it reads, should be quick, and must not create instruments. An exception it
/// throws is caught, logged once and counted; the values it observed before are kept.
using ObservableCallback = std::function<void(ObservableResult&)>;

/// Keeps an observable instrument registered; the callback is removed when the last copy of this
/// handle is destroyed or remove() is called, so the state it captures can go away.
class ObservableInstrument {
 public:
  ObservableInstrument() = default;
  void remove();
  const InstrumentDescriptor& descriptor() const;

 private:
  friend class Meter;
  struct Registration;
  explicit ObservableInstrument(std::shared_ptr<Registration> r) : reg_(std::move(r)) {}
  std::shared_ptr<Registration> reg_;
};

/// Creates instruments of one instrumentation scope (a library or a component). Copyable handle;
/// thread-safe. Creating the same instrument twice (same name ignoring case, kind, unit,
/// description and bounds) returns the same instrument; the same name with another kind or unit
/// throws InstrumentError; a different description is kept from the first and warned about.
///
/// Names follow OTel's rule: an ASCII letter, then up to 254 letters, digits, `_`, `.`, `-`, `/`.
class Meter {
 public:
  Meter() = default;  // a no-op meter: its instruments record nothing

  Counter create_counter(std::string_view name, const InstrumentOptions& options = {});
  UpDownCounter create_up_down_counter(std::string_view name,
                                       const InstrumentOptions& options = {});
  Histogram create_histogram(std::string_view name, const HistogramOptions& options = {});
  Gauge create_gauge(std::string_view name, const InstrumentOptions& options = {});
  ObservableInstrument create_observable_counter(std::string_view name, ObservableCallback cb,
                                                 const InstrumentOptions& options = {});
  ObservableInstrument create_observable_up_down_counter(std::string_view name,
                                                         ObservableCallback cb,
                                                         const InstrumentOptions& options = {});
  ObservableInstrument create_observable_gauge(std::string_view name, ObservableCallback cb,
                                               const InstrumentOptions& options = {});

  /// The scope (name, version) instruments of this meter are reported under.
  const InstrumentationScope& scope() const;
  /// False for a default-constructed meter and for meters of a disabled provider.
  bool enabled() const;

 private:
  friend class MeterProvider;
  explicit Meter(std::shared_ptr<detail::MeterState> s) : state_(std::move(s)) {}
  ObservableInstrument create_observable(std::string_view name, ObservableCallback cb,
                                         const InstrumentOptions& options, InstrumentKind kind);
  std::shared_ptr<detail::MeterState> state_;
};

/// Which measurements may become exemplars (OTEL_METRICS_EXEMPLAR_FILTER).
enum class ExemplarFilter : std::uint8_t {
  kTraceBased,  // only measurements made while a sampled span is active (default)
  kAlwaysOn,    // like kTraceBased, but also measurements outside a span (no trace id)
  kAlwaysOff,
};

struct MeterProviderOptions {
  Resource resource;
  /// Distinct attribute sets kept per instrument; measurements with further sets go to the
  /// overflow series {otel.metric.overflow=true}. Must be >= 1.
  std::size_t cardinality_limit = 2000;
  ExemplarFilter exemplar_filter = ExemplarFilter::kTraceBased;
  /// False: every meter is a no-op (OTEL_SDK_DISABLED).
  bool enabled = true;
};

/// Counters about the metrics SDK itself (also exported as self-metrics).
struct MeterProviderStats {
  std::uint64_t measurements_rejected = 0;  // negative/non-finite counter adds, NaN records
  std::uint64_t overflow_measurements = 0;  // measurements that went to an overflow series
  std::uint64_t callback_errors = 0;        // observable callbacks that threw
  std::uint64_t collections = 0;
};

/// Owns meters and their instruments and collects their data. Thread-safe: recording,
/// collecting and creating instruments may happen concurrently on any threads.
class MeterProvider {
 public:
  explicit MeterProvider(MeterProviderOptions options = {});
  ~MeterProvider();
  MeterProvider(const MeterProvider&) = delete;
  MeterProvider& operator=(const MeterProvider&) = delete;

  /// The meter for a scope; the same (name, version) returns a meter over the same instruments.
  Meter get_meter(std::string_view name, std::string_view version = {});

  /// Runs observable callbacks and returns every instrument's cumulative data, ordered by meter
  /// then instrument creation. Never blocks recording threads (they keep adding into their
  /// cells); collections are serialized with each other.
  std::vector<MetricData> collect();

  const Resource& resource() const;
  std::size_t cardinality_limit() const;
  MeterProviderStats stats() const;

 private:
  std::shared_ptr<detail::MeterProviderState> state_;
};

/// The global meter, named after the service (the Node.js API's getMeter()). Before
/// init_observability() or after shutdown(): a no-op meter whose instruments record nothing.
/// Defined with the global SDK (src/init/observability.cc). Thread-safe.
Meter get_meter();
/// The global provider's meter for another instrumentation scope (no-op before init).
Meter get_meter(std::string_view name, std::string_view version = {});

}  // namespace adminara::obs
