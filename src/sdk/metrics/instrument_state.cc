#include "sdk/metrics/instrument_state.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>

#include "adminara/obs/context.h"
#include "common/clock.h"
#include "common/log.h"
#include "sdk/metrics/attribute_set.h"

namespace adminara::obs::detail {
namespace {

constexpr std::size_t kCellAlign = 64;

bool is_sum(InstrumentKind k) {
  return k == InstrumentKind::kCounter || k == InstrumentKind::kUpDownCounter ||
         k == InstrumentKind::kObservableCounter || k == InstrumentKind::kObservableUpDownCounter;
}
bool is_observable(InstrumentKind k) {
  return k == InstrumentKind::kObservableCounter || k == InstrumentKind::kObservableUpDownCounter ||
         k == InstrumentKind::kObservableGauge;
}

inline void shared_min(std::atomic<double>& a, double v) noexcept {
  double cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}
inline void shared_max(std::atomic<double>& a, double v) noexcept {
  double cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
void store_be64(std::uint64_t v, std::uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

// Reads an exemplar written under its sequence lock; false when none or torn repeatedly.
bool read_exemplar(const sdk::ExemplarCell& e, Exemplar& out) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::uint32_t s1 = e.seq.load(std::memory_order_acquire);
    if (s1 & 1U) continue;
    Exemplar x;
    // Acquire loads of the fields (plain loads on x86): a field from a newer write makes the
    // second read of seq see that write's odd value (Boehm's fence-free seqlock).
    x.value = e.value.load(std::memory_order_acquire);
    x.time_unix_nano = e.time.load(std::memory_order_acquire);
    store_be64(e.trace_hi.load(std::memory_order_acquire), x.trace_id.bytes.data());
    store_be64(e.trace_lo.load(std::memory_order_acquire), x.trace_id.bytes.data() + 8);
    store_be64(e.span.load(std::memory_order_acquire), x.span_id.bytes.data());
    if (e.seq.load(std::memory_order_relaxed) != s1) continue;
    if (x.time_unix_nano == 0) return false;
    out = x;
    return true;
  }
  return false;
}

}  // namespace

// --- Series -------------------------------------------------------------------------------------

Series::Series(InstrumentState* owner, std::shared_ptr<const AttributeSet> attributes,
               std::uint64_t hash, bool overflow)
    : owner_(owner), attributes_(std::move(attributes)), hash_(hash), overflow_(overflow) {}

Series::~Series() {
  sdk::Cell* c = head_.load(std::memory_order_acquire);
  while (c != nullptr) {
    sdk::Cell* next = c->next;
    delete[] c->exemplars.load(std::memory_order_acquire);
    c->~Cell();
    ::operator delete (c, std::align_val_t{kCellAlign});
    c = next;
  }
  for (auto& p : pages_) delete[] p.load(std::memory_order_acquire);
}

sdk::Cell* Series::new_cell(bool shared) noexcept {
  void* mem = ::operator new (owner_->cell_size(), std::align_val_t{kCellAlign}, std::nothrow);
  if (mem == nullptr) return nullptr;
  auto* c = new (mem) sdk::Cell;
  c->shared = shared;
  std::atomic<std::uint64_t>* counts = c->counts();
  const std::size_t n = (owner_->cell_size() - sizeof(sdk::Cell)) / sizeof(std::uint64_t);
  for (std::size_t i = 0; i < n; ++i) new (&counts[i]) std::atomic<std::uint64_t>(0);
  sdk::Cell* head = head_.load(std::memory_order_relaxed);
  do {
    c->next = head;
  } while (
      !head_.compare_exchange_weak(head, c, std::memory_order_release, std::memory_order_relaxed));
  return c;
}

sdk::Cell* Series::cell_slow(int slot) noexcept {
  std::atomic<sdk::Cell*>* ref = nullptr;
  if (slot >= 0 && slot < sdk::kDirectSlots) {
    ref = &direct_[slot];
  } else if (slot >= sdk::kDirectSlots && slot < sdk::kMaxThreadSlots) {
    const int s = slot - sdk::kDirectSlots;
    auto& page_ref = pages_[s / sdk::kSlotPageSize];
    std::atomic<sdk::Cell*>* page = page_ref.load(std::memory_order_acquire);
    if (page == nullptr) {
      auto* fresh = new (std::nothrow) std::atomic<sdk::Cell*>[sdk::kSlotPageSize]();
      if (fresh == nullptr) return nullptr;
      if (page_ref.compare_exchange_strong(page, fresh, std::memory_order_acq_rel)) {
        page = fresh;
      } else {
        delete[] fresh;  // another thread published the page first
      }
    }
    ref = &page[s % sdk::kSlotPageSize];
  }
  if (ref != nullptr) {
    sdk::Cell* c = ref->load(std::memory_order_relaxed);
    if (c == nullptr) {
      c = new_cell(false);
      ref->store(c, std::memory_order_relaxed);
    }
    return c;
  }
  // No private slot: the series' shared cell.
  sdk::Cell* c = shared_.load(std::memory_order_acquire);
  if (c != nullptr) return c;
  std::lock_guard lock(owner_->shared_cell_mu());
  c = shared_.load(std::memory_order_acquire);
  if (c == nullptr) {
    c = new_cell(true);
    shared_.store(c, std::memory_order_release);
  }
  return c;
}

// --- InstrumentState ----------------------------------------------------------------------------

struct InstrumentState::Table {
  std::size_t mask;
  std::atomic<Series*>* slots;
};

InstrumentState::InstrumentState(InstrumentationScope scope, InstrumentDescriptor descriptor,
                                 std::shared_ptr<const std::vector<double>> bounds,
                                 std::shared_ptr<sdk::ProviderShared> shared)
    : scope_(std::move(scope)),
      descriptor_(std::move(descriptor)),
      boundaries_(bounds ? std::move(bounds) : std::make_shared<const std::vector<double>>()),
      shared_(std::move(shared)) {
  std::size_t bytes = sizeof(sdk::Cell);
  if (descriptor_.kind == InstrumentKind::kHistogram) {
    bytes += (boundaries_->size() + 1) * sizeof(std::uint64_t);
  }
  cell_size_ = (bytes + kCellAlign - 1) / kCellAlign * kCellAlign;
  std::size_t padded = 1;
  while (padded < boundaries_->size() + 1) padded *= 2;
  padded_.assign(padded, std::numeric_limits<double>::infinity());
  std::copy(boundaries_->begin(), boundaries_->end(), padded_.begin());
  exemplar_filter_ = shared_->exemplar_filter;
  counter_exemplars_ = descriptor_.kind == InstrumentKind::kCounter &&
                       exemplar_filter_ != ExemplarFilter::kAlwaysOff;
  auto* t = new Table{15, new std::atomic<Series*>[16]()};
  tables_.emplace_back(t, [](Table* x) {
    delete[] x->slots;
    delete x;
  });
  table_.store(t, std::memory_order_release);
}

InstrumentState::~InstrumentState() = default;

std::size_t InstrumentState::series_count() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

Series* InstrumentState::find(const Table* t, std::uint64_t hash,
                              std::span<const AttributeInit> attributes) const noexcept {
  for (std::size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
    Series* s = t->slots[i].load(std::memory_order_acquire);
    if (s == nullptr) return nullptr;
    if (s->hash() == hash && sdk::attributes_match(*s->attributes(), attributes)) return s;
  }
}

Series* InstrumentState::series_for_slow(std::span<const AttributeInit> attributes) noexcept {
  if (!attributes.empty()) {
    const std::uint64_t h = sdk::hash_attributes(attributes);
    if (Series* s = find(table_.load(std::memory_order_acquire), h, attributes)) [[likely]]
      return s;
    if (full_.load(std::memory_order_acquire)) {
      // At the limit, a new set goes to the overflow series without taking the lock, unless the
      // list repeats a key (then its normalized form may well be a known series).
      bool repeated = false;
      for (std::size_t i = 0; i < attributes.size() && !repeated; ++i) {
        for (std::size_t j = i + 1; j < attributes.size(); ++j) {
          if (attributes[i].key == attributes[j].key) {
            repeated = true;
            break;
          }
        }
      }
      if (!repeated) {
        if (Series* o = overflow_.load(std::memory_order_acquire)) return o;
      }
    }
  }
  try {
    return create(attributes);
  } catch (...) {
    return nullptr;
  }
}

Series* InstrumentState::series_for_or_throw(std::span<const AttributeInit> attributes) {
  if (Series* s = series_for(attributes)) return s;
  throw std::bad_alloc();
}

Series* InstrumentState::overflow_series_locked() {
  Series* o = overflow_.load(std::memory_order_relaxed);
  if (o == nullptr) {
    AttributeSet set;
    set.push_back(KeyValue{"otel.metric.overflow", AttributeValue(true)});
    const std::uint64_t h = sdk::hash_attribute_set(set);
    auto s = std::make_unique<Series>(this, std::make_shared<const AttributeSet>(std::move(set)), h,
                                      true);
    o = s.get();
    series_.push_back(std::move(s));
    overflow_.store(o, std::memory_order_release);
  }
  return o;
}

void InstrumentState::insert_locked(Series* s) {
  Table* t = table_.load(std::memory_order_relaxed);
  std::size_t count = user_series_;  // entries already in the table
  if ((count + 1) * 2 > t->mask + 1) {
    const std::size_t cap = (t->mask + 1) * 2;
    auto* bigger = new Table{cap - 1, new std::atomic<Series*>[cap]()};
    tables_.emplace_back(bigger, [](Table* x) {
      delete[] x->slots;
      delete x;
    });
    for (std::size_t i = 0; i <= t->mask; ++i) {
      Series* old = t->slots[i].load(std::memory_order_relaxed);
      if (old == nullptr) continue;
      std::size_t j = old->hash() & bigger->mask;
      while (bigger->slots[j].load(std::memory_order_relaxed) != nullptr)
        j = (j + 1) & bigger->mask;
      bigger->slots[j].store(old, std::memory_order_relaxed);
    }
    // Readers still probing the old table find every series it had; the old table stays
    // allocated (in tables_) until the instrument goes away.
    table_.store(bigger, std::memory_order_release);
    t = bigger;
  }
  std::size_t j = s->hash() & t->mask;
  while (t->slots[j].load(std::memory_order_relaxed) != nullptr) j = (j + 1) & t->mask;
  t->slots[j].store(s, std::memory_order_release);
}

Series* InstrumentState::create(std::span<const AttributeInit> attributes) {
  AttributeSet set = sdk::normalize_attributes(attributes);
  const std::uint64_t h = sdk::hash_attribute_set(set);
  std::lock_guard lock(mu_);
  if (set.empty()) {
    if (Series* e = empty_.load(std::memory_order_relaxed)) return e;
  } else {
    // Known under its normalized form (an input with repeated keys, or a race with a creator).
    const Table* t = table_.load(std::memory_order_relaxed);
    for (std::size_t i = h & t->mask;; i = (i + 1) & t->mask) {
      Series* s = t->slots[i].load(std::memory_order_relaxed);
      if (s == nullptr) break;
      if (s->hash() == h && *s->attributes() == set) return s;
    }
  }
  if (user_series_ >= shared_->cardinality_limit) {
    full_.store(true, std::memory_order_release);
    return overflow_series_locked();
  }
  const bool empty = set.empty();
  auto s = std::make_unique<Series>(this, std::make_shared<const AttributeSet>(std::move(set)), h,
                                    false);
  Series* raw = s.get();
  series_.push_back(std::move(s));
  if (empty) {
    empty_.store(raw, std::memory_order_release);
  } else {
    insert_locked(raw);
  }
  ++user_series_;
  return raw;
}

void InstrumentState::count_rejected(double v) noexcept {
  const InstrumentKind k = descriptor_.kind;
  rejected_.fetch_add(1, std::memory_order_relaxed);
  shared_->rejected.fetch_add(1, std::memory_order_relaxed);
  if (!warned_reject_.load(std::memory_order_relaxed) && !warned_reject_.exchange(true)) {
    std::string what = k == InstrumentKind::kCounter ? "a counter accepts finite values >= 0"
                       : k == InstrumentKind::kUpDownCounter
                           ? "an up-down counter accepts finite values"
                           : "NaN is not a measurement";
    common::log_warn("metric '" + descriptor_.name + "': ignored the value " + std::to_string(v) +
                     " (" + what + "); further rejected values are only counted");
  }
}

void InstrumentState::count_overflow() noexcept {
  overflowed_.fetch_add(1, std::memory_order_relaxed);
  shared_->overflowed.fetch_add(1, std::memory_order_relaxed);
}

void InstrumentState::add_exemplar(sdk::Cell* c, std::size_t index, double v) noexcept {
  if (c->shared) return;  // exemplars use a single-writer sequence lock
  sdk::ExemplarCell* ex = c->exemplars.load(std::memory_order_relaxed);
  if (ex == nullptr) {
    const std::size_t n = descriptor_.kind == InstrumentKind::kHistogram ? bucket_count() : 1;
    ex = new (std::nothrow) sdk::ExemplarCell[n];
    if (ex == nullptr) return;
    c->exemplars.store(ex, std::memory_order_release);
  }
  sdk::ExemplarCell& e = ex[index];
  const Context* ctx = obs::detail::current_context();
  std::uint64_t hi = 0, lo = 0, sp = 0;
  if (ctx != nullptr && ctx->span_context().is_valid()) {
    hi = load_be64(ctx->span_context().trace_id().bytes.data());
    lo = load_be64(ctx->span_context().trace_id().bytes.data() + 8);
    sp = load_be64(ctx->span_context().span_id().bytes.data());
  }
  const std::uint32_t s = e.seq.load(std::memory_order_relaxed);
  const auto now = static_cast<std::int64_t>(common::wall_ns());
  // Single writer: mark the write in progress, then release-store each field (ordered after the
  // odd sequence number for a reader that sees it), then publish the even number.
  e.seq.store(s + 1, std::memory_order_relaxed);
  e.value.store(v, std::memory_order_release);
  e.time.store(now, std::memory_order_release);
  e.trace_hi.store(hi, std::memory_order_release);
  e.trace_lo.store(lo, std::memory_order_release);
  e.span.store(sp, std::memory_order_release);
  e.seq.store(s + 2, std::memory_order_release);
}

void InstrumentState::record_shared(sdk::Cell* c, std::atomic<std::uint64_t>& n,
                                    double v) noexcept {
  n.fetch_add(1, std::memory_order_relaxed);
  sdk::shared_add(c->sum, v);
  shared_min(c->min, v);
  shared_max(c->max, v);
}

void InstrumentState::set(Series* s, double v) noexcept {
  if (s == nullptr) return;
  if (s->overflow()) count_overflow();
  s->last.store(v, std::memory_order_relaxed);
}

void InstrumentState::observe(double v, std::span<const AttributeInit> attributes) noexcept {
  if (std::isnan(v)) {
    reject(v);
    return;
  }
  Series* s = series_for(attributes);
  if (s == nullptr) return;
  if (s->overflow()) {
    count_overflow();
    // Several sets share the overflow series: sums add up, a gauge keeps the last.
    if (s->observed_cycle == observing_cycle_ &&
        descriptor_.kind != InstrumentKind::kObservableGauge) {
      s->observed += v;
      return;
    }
  }
  s->observed = v;
  s->observed_cycle = observing_cycle_;
}

std::uint64_t InstrumentState::add_callback(ObservableCallback cb) {
  std::lock_guard lock(callbacks_mu_);
  const std::uint64_t id = next_callback_id_++;
  callbacks_.emplace_back(id, std::move(cb));
  return id;
}

void InstrumentState::remove_callback(std::uint64_t id) {
  std::lock_guard lock(callbacks_mu_);
  std::erase_if(callbacks_, [id](const auto& p) { return p.first == id; });
}

void InstrumentState::run_callbacks(std::uint64_t cycle) {
  std::lock_guard lock(callbacks_mu_);
  observing_cycle_ = cycle;
  for (auto& [id, cb] : callbacks_) {
    ObservableResult result(this);
    try {
      cb(result);
    } catch (const std::exception& e) {
      shared_->callback_errors.fetch_add(1, std::memory_order_relaxed);
      common::log_warn("metric '" + descriptor_.name + "': observable callback threw: " + e.what());
    } catch (...) {
      shared_->callback_errors.fetch_add(1, std::memory_order_relaxed);
      common::log_warn("metric '" + descriptor_.name + "': observable callback threw");
    }
  }
}

void InstrumentState::collect(std::uint64_t cycle, std::int64_t now_unix_nano,
                              std::vector<MetricData>& out) {
  const InstrumentKind k = descriptor_.kind;
  if (is_observable(k)) run_callbacks(cycle);
  std::vector<Series*> series;
  {
    std::lock_guard lock(mu_);
    series.reserve(series_.size());
    for (const auto& s : series_) series.push_back(s.get());
  }
  MetricData md;
  md.scope = scope_;
  md.descriptor = descriptor_;
  md.monotonic = k == InstrumentKind::kCounter || k == InstrumentKind::kObservableCounter ||
                 k == InstrumentKind::kHistogram;
  md.points.reserve(series.size());
  for (Series* s : series) {
    PointData p;
    p.attributes = s->attributes();
    p.start_time_unix_nano = shared_->start_time_unix_nano;
    p.time_unix_nano = now_unix_nano;
    if (is_observable(k)) {
      if (s->observed_cycle != cycle) continue;  // not observed this time
      if (k == InstrumentKind::kObservableGauge) {
        p.value = GaugePoint{s->observed};
      } else {
        p.value = SumPoint{s->observed, {}};
      }
    } else if (k == InstrumentKind::kGauge) {
      const double v = s->last.load(std::memory_order_relaxed);
      if (std::isnan(v)) continue;
      p.value = GaugePoint{v};
    } else if (is_sum(k)) {
      SumPoint sp;
      Exemplar latest;
      bool have = false;
      for (sdk::Cell* c = s->cells(); c != nullptr; c = c->next) {
        sp.value += c->sum.load(std::memory_order_relaxed);
        const sdk::ExemplarCell* ex = c->exemplars.load(std::memory_order_acquire);
        Exemplar x;
        if (ex != nullptr && read_exemplar(*ex, x) &&
            (!have || x.time_unix_nano > latest.time_unix_nano)) {
          latest = x;
          have = true;
        }
      }
      if (have) sp.exemplars.push_back(latest);
      p.value = std::move(sp);
    } else {  // histogram
      HistogramPoint hp;
      hp.boundaries = boundaries_;
      const std::size_t nb = bucket_count();
      hp.bucket_counts.assign(nb, 0);
      hp.min = std::numeric_limits<double>::infinity();
      hp.max = -std::numeric_limits<double>::infinity();
      std::vector<Exemplar> best(nb);
      for (sdk::Cell* c = s->cells(); c != nullptr; c = c->next) {
        for (std::size_t i = 0; i < nb; ++i) {
          hp.bucket_counts[i] += c->counts()[i].load(std::memory_order_relaxed);
        }
        hp.sum += c->sum.load(std::memory_order_relaxed);
        hp.min = std::min(hp.min, c->min.load(std::memory_order_relaxed));
        hp.max = std::max(hp.max, c->max.load(std::memory_order_relaxed));
        const sdk::ExemplarCell* ex = c->exemplars.load(std::memory_order_acquire);
        if (ex == nullptr) continue;
        for (std::size_t i = 0; i < nb; ++i) {
          Exemplar x;
          if (read_exemplar(ex[i], x) && x.time_unix_nano > best[i].time_unix_nano) best[i] = x;
        }
      }
      for (std::uint64_t n : hp.bucket_counts) hp.count += n;
      if (hp.count == 0) {
        hp.min = 0;
        hp.max = 0;
      }
      for (const Exemplar& x : best) {
        if (x.time_unix_nano != 0) hp.exemplars.push_back(x);
      }
      p.value = std::move(hp);
    }
    md.points.push_back(std::move(p));
  }
  if (!md.points.empty()) out.push_back(std::move(md));
}

}  // namespace adminara::obs::detail
