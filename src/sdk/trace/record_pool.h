// RecordPool: the span records of one TracerCore, recycled so that span start/end allocates
// nothing in steady state and a thread keeps reusing its own records (they stay warm in its
// core's cache instead of bouncing between cores).
//
// Each thread that starts spans has a Home: a private cache of free records plus a lock-free
// ring through which the exporter thread sends that thread's records back after export. Taking
// a record is a vector pop; refilling takes from the ring, then from a shared free list under a
// mutex (rarely), then allocates. Homes of exited threads are adopted by new threads, so their
// number stays at the peak number of concurrent threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "common/spsc_ring.h"

namespace adminara::obs::detail {

class SpanRecord;
class TracerCore;

/// One thread's share of a RecordPool.
struct RecordHome {
  explicit RecordHome(std::size_t capacity) : returns(capacity) {}
  common::SpscRing<SpanRecord> returns;  // exporter thread -> owning thread
  std::vector<SpanRecord*> cache;        // owning thread only
  std::atomic<bool> in_use{true};        // false once the owning thread exited
};

class RecordPool {
 public:
  using Home = RecordHome;

  /// `return_capacity`: how many exported records may wait in one thread's return ring.
  RecordPool(TracerCore* core, std::size_t return_capacity);
  ~RecordPool();
  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;

  /// A free record whose home is the calling thread. Never returns null (allocates if needed).
  SpanRecord* acquire();
  /// Gives a record back from any thread.
  void release(SpanRecord* record) noexcept;
  /// Gives exported records to `home` (the home of the thread that queued them), without
  /// reading the records themselves, so their memory stays in the producing core's cache. Only
  /// ever called by one thread at a time (the batch exporter thread), which makes it the single
  /// producer of every return ring.
  void release_from_exporter(RecordHome* home, std::span<SpanRecord* const> records) noexcept;

  /// The calling thread's home (created or adopted on first use).
  Home* home_for_this_thread();

  /// Called through the registry when a thread that used this pool exits.
  void thread_exited(Home* home) noexcept;

 private:
  void refill(Home& home);

  TracerCore* const core_;
  const std::size_t return_capacity_;
  const std::uint64_t id_;

  std::mutex mu_;
  std::vector<SpanRecord*> free_;                 // guarded by mu_
  std::vector<std::unique_ptr<Home>> homes_;      // guarded by mu_
  std::vector<std::unique_ptr<SpanRecord>> all_;  // guarded by mu_; owns every record
};

}  // namespace adminara::obs::detail
