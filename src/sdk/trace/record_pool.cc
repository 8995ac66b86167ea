#include "sdk/trace/record_pool.h"

#include <algorithm>
#include <unordered_map>

#include "sdk/trace/span_record.h"
#include "sdk/trace/tracer_core.h"

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

RecordPool::RecordPool(TracerCore* core) : core_(core), id_(g_next_pool_id.fetch_add(1)) {
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
        home->cold.insert(home->cold.end(), home->orphans.begin(), home->orphans.end());
        home->orphans.clear();
        break;
      }
    }
    if (home == nullptr) {
      homes_.push_back(std::make_unique<Home>());
      home = homes_.back().get();
      home->cache.reserve(std::max(kRefill, kAllocateBatch));
    }
  }
  t_home.pool_id = id_;
  t_home.home = home;
  return home;
}

void RecordPool::refill(Home& home) {
  // Everything the exporter is done with goes on top of the cold stack (oldest first), and the
  // cache takes the top of that stack: the records freed last, likeliest to be in this core's
  // cache. Older ones stay below until the queue has nothing to give.
  SpanRecord* buf[kRefill];
  while (std::size_t n = core_->reclaim(buf, kRefill)) {
    home.cold.insert(home.cold.end(), buf, buf + n);
  }
  auto take_from = [&](std::vector<SpanRecord*>& from) {
    std::size_t take = std::min(kRefill, from.size());
    home.cache.insert(home.cache.end(), from.end() - static_cast<std::ptrdiff_t>(take), from.end());
    from.resize(from.size() - take);
  };
  take_from(home.cold);
  if (!home.cache.empty()) return;
  std::lock_guard lock(mu_);
  // Records this home gave out that came back through other threads, then those of homes whose
  // thread has exited: reusing a thread's own records keeps two cores from writing to
  // neighbouring heap blocks (a record's strings and vectors were allocated next to others of
  // the same thread).
  take_from(home.orphans);
  if (!home.cache.empty()) return;
  for (auto& h : homes_) {
    if (h->in_use.load(std::memory_order_relaxed)) continue;
    take_from(h->orphans);
    if (home.cache.empty()) take_from(h->cache);
    if (home.cache.empty()) take_from(h->cold);
    if (!home.cache.empty()) return;
  }
  for (std::size_t i = 0; i < kAllocateBatch; ++i) {
    auto rec = std::make_unique<SpanRecord>();
    rec->core = core_;
    rec->preallocate();
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
  // The record the next span will take: its lines are on their way while this span runs.
  if (!home->cache.empty()) home->cache.back()->prefetch_for_write();
  return r;
}

void RecordPool::release(SpanRecord* record) noexcept {
  if (t_home.pool_id == id_ && t_home.home == record->home) {
    record->home->cache.push_back(record);  // the owning thread: no synchronization needed
    return;
  }
  std::lock_guard lock(mu_);
  record->home->orphans.push_back(record);  // back to the home it came from
}

void RecordPool::thread_exited(Home* home) noexcept {
  // The cache stays with the home: the thread that adopts it gets these records.
  std::lock_guard lock(mu_);
  home->in_use.store(false, std::memory_order_release);
}

}  // namespace adminara::obs::detail
