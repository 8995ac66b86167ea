// RecordPool: the span records of one TracerCore, recycled so that span start/end allocates
// nothing in steady state and a thread keeps reusing its own records (they stay warm in its
// core's cache instead of bouncing between cores).
//
// Each thread that starts spans has a Home: a private cache of free records. Taking a record is
// a vector pop; refilling first takes back this thread's exported records from its batch queue
// (TracerCore::reclaim: they never travel back through the exporter thread), then takes from a
// shared free list under a mutex (rarely), then allocates.
//
// Records are reused most recently freed first, so the records a thread cycles through are only
// those in flight (ended, not yet exported) plus a few: a refill stacks everything the exporter
// is done with on a cold reserve and takes the newest from its top, so older records stay below
// until the queue has nothing to give. Without this, a pool that once
// grew to thousands of records (the exporter was descheduled for a few milliseconds) would be
// cycled through oldest first for good, and every span would start on records that had long
// left the core's cache. Homes of exited threads are adopted
// by new threads, so their number stays at the peak number of concurrent threads. A record
// released by another thread goes back to the home it came from (see refill()).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace adminara::obs::detail {

class SpanRecord;
class TracerCore;

/// One thread's share of a RecordPool. Cache-line aligned: each thread writes its own on every
/// span, and two homes sharing a line would make the threads fight over it.
struct alignas(64) RecordHome {
  std::vector<SpanRecord*> cache;    // owning thread only (under the pool's mutex when unowned)
  std::vector<SpanRecord*> cold;     // same: older free records, newest last (see refill())
  std::vector<SpanRecord*> orphans;  // guarded by the pool's mutex: released by other threads
  std::atomic<bool> in_use{true};    // false once the owning thread exited
};

class RecordPool {
 public:
  using Home = RecordHome;

  explicit RecordPool(TracerCore* core);
  ~RecordPool();
  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;

  /// A free record whose home is the calling thread. Never returns null (allocates if needed).
  SpanRecord* acquire();
  /// Gives a record back from any thread.
  void release(SpanRecord* record) noexcept;
  /// The calling thread's home (created or adopted on first use).
  Home* home_for_this_thread();

  /// Called through the registry when a thread that used this pool exits.
  void thread_exited(Home* home) noexcept;

 private:
  void refill(Home& home);

  TracerCore* const core_;
  const std::uint64_t id_;

  std::mutex mu_;
  std::vector<std::unique_ptr<Home>> homes_;      // guarded by mu_
  std::vector<std::unique_ptr<SpanRecord>> all_;  // guarded by mu_; owns every record
};

}  // namespace adminara::obs::detail
