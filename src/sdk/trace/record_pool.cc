#include "sdk/trace/record_pool.h"

#include <algorithm>
#include <unordered_map>

#include "sdk/trace/span_record.h"

namespace adminara::obs::detail {
namespace {

constexpr std::size_t kRefill = 32;
constexpr std::size_t kAllocateBatch = 16;

std::atomic<std::uint64_t> g_next_pool_id{1};

// Live pools by id, so an exiting thread only touches a pool that still exists.
std::mutex& registry_mu() {
  static std::mutex mu;
  return mu;
}
std::unordered_map<std::uint64_t, RecordPool*>& registry() {
  // Never destroyed: thread-local destructors may run after static destruction has begun.
  static auto* m = new std::unordered_map<std::uint64_t, RecordPool*>();
  return *m;
}

// This thread's home in the pool it used last (one slot: processes have one tracer provider;
// alternating between several only costs a re-attach).
struct ThreadHome {
  std::uint64_t pool_id = 0;
  RecordPool::Home* home = nullptr;

  void detach() noexcept {
    if (pool_id == 0) return;
    std::lock_guard lock(registry_mu());
    auto it = registry().find(pool_id);
    if (it != registry().end()) it->second->thread_exited(home);
    pool_id = 0;
    home = nullptr;
  }
  ~ThreadHome() { detach(); }
};

thread_local ThreadHome t_home;

}  // namespace

RecordPool::RecordPool(TracerCore* core, std::size_t return_capacity)
    : core_(core),
      return_capacity_(std::max<std::size_t>(return_capacity, kRefill)),
      id_(g_next_pool_id.fetch_add(1)) {
  std::lock_guard lock(registry_mu());
  registry().emplace(id_, this);
}

RecordPool::~RecordPool() {
  {
    std::lock_guard lock(registry_mu());
    registry().erase(id_);
  }
  if (t_home.pool_id == id_) {
    t_home.pool_id = 0;
    t_home.home = nullptr;
  }
}

RecordPool::Home* RecordPool::home_for_this_thread() {
  if (t_home.pool_id == id_) return t_home.home;
  t_home.detach();
  Home* home = nullptr;
  {
    std::lock_guard lock(mu_);
    for (auto& h : homes_) {
      if (!h->in_use.load(std::memory_order_acquire)) {
        h->in_use.store(true, std::memory_order_release);  // adopt an exited thread's home
        home = h.get();
        break;
      }
    }
    if (home == nullptr) {
      homes_.push_back(std::make_unique<Home>(return_capacity_));
      home = homes_.back().get();
      home->cache.reserve(std::max(kRefill, kAllocateBatch));
    }
  }
  t_home.pool_id = id_;
  t_home.home = home;
  return home;
}

void RecordPool::refill(Home& home) {
  // Take everything the exporter returned and reuse the most recent first (the cache is a
  // stack): with a large pool, the same few records stay hot in this core's cache instead of
  // cycling through all of them.
  SpanRecord* buf[kRefill];
  while (std::size_t n = home.returns.pop_bulk(buf, kRefill)) {
    home.cache.insert(home.cache.end(), buf, buf + n);
  }
  if (!home.cache.empty()) return;
  std::lock_guard lock(mu_);
  std::size_t take = std::min(kRefill, free_.size());
  home.cache.insert(home.cache.end(), free_.end() - static_cast<std::ptrdiff_t>(take), free_.end());
  free_.resize(free_.size() - take);
  if (take > 0) return;
  for (std::size_t i = 0; i < kAllocateBatch; ++i) {
    auto rec = std::make_unique<SpanRecord>();
    rec->core = core_;
    home.cache.push_back(rec.get());
    all_.push_back(std::move(rec));
  }
}

SpanRecord* RecordPool::acquire() {
  Home* home = home_for_this_thread();
  if (home->cache.empty()) refill(*home);
  SpanRecord* r = home->cache.back();
  home->cache.pop_back();
  r->home = home;
  return r;
}

void RecordPool::release(SpanRecord* record) noexcept {
  if (t_home.pool_id == id_ && t_home.home == record->home) {
    record->home->cache.push_back(record);  // the owning thread: no synchronization needed
    return;
  }
  std::lock_guard lock(mu_);
  free_.push_back(record);
}

void RecordPool::release_from_exporter(RecordHome* home,
                                       std::span<SpanRecord* const> records) noexcept {
  std::size_t i = 0;
  if (home->in_use.load(std::memory_order_acquire)) {
    i = home->returns.push_bulk(records.data(), records.size());
  }
  if (i == records.size()) return;
  // The thread is gone or its ring is full: share the rest with every thread.
  std::lock_guard lock(mu_);
  free_.insert(free_.end(), records.begin() + static_cast<std::ptrdiff_t>(i), records.end());
}

void RecordPool::thread_exited(Home* home) noexcept {
  std::lock_guard lock(mu_);
  free_.insert(free_.end(), home->cache.begin(), home->cache.end());
  home->cache.clear();
  home->in_use.store(false, std::memory_order_release);
}

}  // namespace adminara::obs::detail
