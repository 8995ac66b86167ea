// The metrics SDK's storage: instruments, their series (one per attribute set) and the
// per-thread cells measurements are added into.
//
// Recording (hot path): find the series (a lock-free probe of an open-addressing table, or a
// pointer held by a bound handle), then this thread's cell of it (two loads), then plain relaxed
// load + store into the cell: every cell has a single writer, so there is no read-modify-write
// and no cache line shared between threads. Only creating a series or a thread's first cell in
// a series takes a lock or allocates.
//
// Collection: sums the cells of each series with relaxed loads (a measurement being written
// while the collector reads shows up at the next collection). Histogram counts are derived from
// the bucket counts, so `count` always equals the sum of the buckets.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "adminara/obs/context.h"
#include "adminara/obs/metrics.h"
#include "sdk/metrics/thread_slot.h"

namespace adminara::obs::sdk {

/// Settings and counters shared by a provider's meters and instruments (outlives the provider
/// while any instrument handle exists).
struct ProviderShared {
  std::size_t cardinality_limit = 2000;
  ExemplarFilter exemplar_filter = ExemplarFilter::kTraceBased;
  std::int64_t start_time_unix_nano = 0;
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> overflowed{0};
  std::atomic<std::uint64_t> callback_errors{0};
  std::atomic<std::uint64_t> collections{0};
};

/// One exemplar, written by one thread under a sequence lock and read by the collector.
struct ExemplarCell {
  std::atomic<std::uint32_t> seq{0};
  std::atomic<double> value{0};
  std::atomic<std::int64_t> time{0};  // 0: never written
  std::atomic<std::uint64_t> trace_hi{0};
  std::atomic<std::uint64_t> trace_lo{0};
  std::atomic<std::uint64_t> span{0};
};

/// One thread's share of a series. For histograms, `buckets` std::atomic<uint64_t> counters
/// follow the struct in the same allocation.
struct alignas(64) Cell {
  Cell* next = nullptr;  // the series' list of cells; immutable once published
  std::atomic<double> sum{0};
  std::atomic<double> min{std::numeric_limits<double>::infinity()};
  std::atomic<double> max{-std::numeric_limits<double>::infinity()};
  std::atomic<ExemplarCell*> exemplars{nullptr};  // one per bucket, or one for sums
  bool shared = false;                            // written by many threads with atomic RMW

  std::atomic<std::uint64_t>* counts() noexcept {
    return reinterpret_cast<std::atomic<std::uint64_t>*>(this + 1);
  }
};

// Single-writer update of a cell field: no read-modify-write needed.
inline void private_add(std::atomic<double>& a, double v) noexcept {
  a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}
inline void shared_add(std::atomic<double>& a, double v) noexcept {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

}  // namespace adminara::obs::sdk

namespace adminara::obs::detail {

/// One attribute set of one instrument.
class Series {
 public:
  Series(InstrumentState* owner, std::shared_ptr<const AttributeSet> attributes, std::uint64_t hash,
         bool overflow);
  ~Series();
  Series(const Series&) = delete;
  Series& operator=(const Series&) = delete;

  /// This thread's cell (created on first use); nullptr only when memory ran out.
  sdk::Cell* cell() noexcept {
    const int slot = sdk::this_thread_slot();
    if (slot >= 0 && slot < sdk::kDirectSlots) [[likely]] {
      sdk::Cell* c = direct_[slot].load(std::memory_order_relaxed);
      if (c != nullptr) [[likely]]
        return c;
    }
    return cell_slow(slot);
  }
  sdk::Cell* cells() const noexcept { return head_.load(std::memory_order_acquire); }

  const std::shared_ptr<const AttributeSet>& attributes() const { return attributes_; }
  std::uint64_t hash() const { return hash_; }
  bool overflow() const { return overflow_; }

  // Synchronous gauges: the last value (NaN: never set).
  std::atomic<double> last{std::numeric_limits<double>::quiet_NaN()};
  // Observable instruments, touched only by the collection (serialized).
  double observed = 0;
  std::uint64_t observed_cycle = 0;

 private:
  sdk::Cell* cell_slow(int slot) noexcept;
  sdk::Cell* new_cell(bool shared) noexcept;

  InstrumentState* owner_;
  std::shared_ptr<const AttributeSet> attributes_;
  std::uint64_t hash_;
  bool overflow_;
  std::atomic<sdk::Cell*> head_{nullptr};
  std::atomic<sdk::Cell*> shared_{nullptr};
  std::atomic<sdk::Cell*> direct_[sdk::kDirectSlots] = {};
  std::atomic<std::atomic<sdk::Cell*>*> pages_[sdk::kSlotPages] = {};
};

/// An instrument: descriptor, series table, and (observables) callbacks.
class InstrumentState {
 public:
  InstrumentState(InstrumentationScope scope, InstrumentDescriptor descriptor,
                  std::shared_ptr<const std::vector<double>> bounds,
                  std::shared_ptr<sdk::ProviderShared> shared);
  ~InstrumentState();
  InstrumentState(const InstrumentState&) = delete;
  InstrumentState& operator=(const InstrumentState&) = delete;

  const InstrumentDescriptor& descriptor() const { return descriptor_; }
  const InstrumentationScope& scope() const { return scope_; }
  InstrumentKind kind() const { return descriptor_.kind; }
  const std::vector<double>& boundaries() const { return *boundaries_; }
  const std::shared_ptr<const std::vector<double>>& shared_boundaries() const {
    return boundaries_;
  }
  /// Bytes of a cell of this instrument (a multiple of 64).
  std::size_t cell_size() const { return cell_size_; }
  std::size_t bucket_count() const { return boundaries_->size() + 1; }

  /// The series of `attributes`: found without locking when it exists, else created; past the
  /// cardinality limit, the overflow series. nullptr only when memory ran out.
  Series* series_for(std::span<const AttributeInit> attributes) noexcept {
    if (attributes.empty()) {
      Series* e = empty_.load(std::memory_order_acquire);
      if (e != nullptr) [[likely]]
        return e;
    }
    return series_for_slow(attributes);
  }
  /// Like series_for, but may throw std::bad_alloc (bind()).
  Series* series_for_or_throw(std::span<const AttributeInit> attributes);

  /// True (and counted, warned once) when `v` is not a valid measurement for this kind:
  /// counters take finite values >= 0, up-down counters finite values, the rest anything but NaN.
  bool reject(double v) noexcept {
    constexpr double kMax = std::numeric_limits<double>::max();
    bool bad;
    switch (descriptor_.kind) {
      case InstrumentKind::kCounter:
        bad = !(v >= 0 && v <= kMax);
        break;
      case InstrumentKind::kUpDownCounter:
        bad = !(v >= -kMax && v <= kMax);
        break;
      default:
        bad = v != v;
        break;
    }
    if (!bad) [[likely]]
      return false;
    count_rejected(v);
    return true;
  }

  // Measurements, already validated with reject(). Inline: these are the hot paths.
  void add(Series* s, double v) noexcept {  // counters, up-down counters
    if (s == nullptr) [[unlikely]]
      return;
    if (s->overflow()) [[unlikely]]
      count_overflow();
    sdk::Cell* c = s->cell();
    if (c == nullptr) [[unlikely]]
      return;
    if (!c->shared) [[likely]] {
      sdk::private_add(c->sum, v);
    } else {
      sdk::shared_add(c->sum, v);
    }
    if (counter_exemplars_ && exemplar_wanted()) [[unlikely]]
      add_exemplar(c, 0, v);
  }
  void record(Series* s, double v) noexcept {  // histograms
    if (s == nullptr) [[unlikely]]
      return;
    if (s->overflow()) [[unlikely]]
      count_overflow();
    sdk::Cell* c = s->cell();
    if (c == nullptr) [[unlikely]]
      return;
    // Branchless lower bound over the bounds padded with +Inf to a power of two: the index of
    // the first bound >= v, which is v's bucket (upper-inclusive).
    std::size_t i = 0;
    const double* b = padded_.data();
    for (std::size_t step = padded_.size() / 2; step > 0; step /= 2) {
      i += b[i + step - 1] < v ? step : 0;
    }
    std::atomic<std::uint64_t>& n = c->counts()[i];
    if (!c->shared) [[likely]] {
      n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      sdk::private_add(c->sum, v);
      if (v < c->min.load(std::memory_order_relaxed)) c->min.store(v, std::memory_order_relaxed);
      if (v > c->max.load(std::memory_order_relaxed)) c->max.store(v, std::memory_order_relaxed);
    } else {
      record_shared(c, n, v);
    }
    if (exemplar_filter_ != ExemplarFilter::kAlwaysOff && exemplar_wanted()) [[unlikely]]
      add_exemplar(c, i, v);
  }
  void set(Series* s, double v) noexcept;  // gauges
  /// For observable instruments, during collection.
  void observe(double v, std::span<const AttributeInit> attributes) noexcept;

  // Observable callbacks.
  std::uint64_t add_callback(ObservableCallback cb);
  void remove_callback(std::uint64_t id);

  /// Appends this instrument's data (if it has any points) to `out`. Collection only.
  void collect(std::uint64_t cycle, std::int64_t now_unix_nano, std::vector<MetricData>& out);

  std::uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  std::uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }
  std::size_t series_count() const;
  /// Guards the creation of shared cells (threads without a private slot).
  std::mutex& shared_cell_mu() { return shared_cell_mu_; }

 private:
  struct Table;
  Series* find(const Table* t, std::uint64_t hash,
               std::span<const AttributeInit> attributes) const noexcept;
  Series* series_for_slow(std::span<const AttributeInit> attributes) noexcept;
  Series* create(std::span<const AttributeInit> attributes);
  void count_rejected(double v) noexcept;
  void count_overflow() noexcept;
  void record_shared(sdk::Cell* c, std::atomic<std::uint64_t>& n, double v) noexcept;
  bool exemplar_wanted() const noexcept {
    if (exemplar_filter_ == ExemplarFilter::kAlwaysOn) return true;
    const Context* ctx = obs::detail::t_current_context;
    return ctx != nullptr && ctx->span_context().is_sampled() && ctx->span_context().is_valid();
  }
  Series* overflow_series_locked();
  void insert_locked(Series* s);
  void run_callbacks(std::uint64_t cycle);
  void add_exemplar(sdk::Cell* c, std::size_t index, double v) noexcept;

  InstrumentationScope scope_;
  InstrumentDescriptor descriptor_;
  std::shared_ptr<const std::vector<double>> boundaries_;
  std::shared_ptr<sdk::ProviderShared> shared_;
  std::size_t cell_size_;
  std::vector<double> padded_;  // bounds + +Inf up to a power of two (histograms)
  ExemplarFilter exemplar_filter_;
  bool counter_exemplars_;  // a counter, and the filter is not always_off

  std::atomic<Table*> table_{nullptr};
  std::atomic<Series*> empty_{nullptr};  // the series without attributes, once created
  std::atomic<bool> full_{false};        // at the cardinality limit
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> overflowed_{0};
  std::atomic<bool> warned_reject_{false};
  std::atomic<bool> warned_overflow_{false};

  mutable std::mutex mu_;  // series creation; never taken by recording of existing series
  std::vector<std::unique_ptr<Series>> series_;
  std::vector<std::unique_ptr<Table, void (*)(Table*)>> tables_;
  std::atomic<Series*> overflow_{nullptr};
  std::mutex shared_cell_mu_;
  std::size_t user_series_ = 0;

  std::mutex callbacks_mu_;  // held while callbacks run, so remove_callback() waits for them
  std::vector<std::pair<std::uint64_t, ObservableCallback>> callbacks_;
  std::uint64_t next_callback_id_ = 1;
  std::uint64_t observing_cycle_ = 0;
};

}  // namespace adminara::obs::detail
