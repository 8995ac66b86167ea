// A bounded single-producer single-consumer ring of pointers with a return path: the consumer
// reads elements and then marks them consumed; the producer later takes the consumed elements
// back from the slots it wrote itself. Used for per-thread span queues: a thread pushes ended
// span records, the exporter thread exports and commits them, and the thread reuses the records,
// so each record crosses between cores once per span instead of twice.
//
// Indices: head (producer: next slot to write), tail (consumer: everything before it is
// consumed), reclaim (producer: everything before it was taken back). reclaim <= tail <= head;
// the producer may write only while head - reclaim < limit, so a slot is never overwritten
// before its element was taken back. Lock-free and allocation-free after construction.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace adminara::obs::common {

template <class T>
class SpscRing {
 public:
  /// Holds at most `limit` elements between push and reclaim (limit >= 1).
  explicit SpscRing(std::size_t limit)
      : limit_(limit), mask_(std::bit_ceil(limit) - 1), slots_(std::make_unique<T*[]>(mask_ + 1)) {}

  // --- producer side --------------------------------------------------------------------

  /// False when `limit` elements are out (queued, or consumed but not yet reclaimed).
  bool push(T* value) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - reclaim_ >= limit_) return false;
    slots_[head & mask_] = value;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  /// Takes back up to `max` consumed elements (oldest first); returns how many.
  std::size_t reclaim_bulk(T** out, std::size_t max) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    std::size_t n = static_cast<std::size_t>(tail - reclaim_);
    if (n > max) n = max;
    for (std::size_t i = 0; i < n; ++i) out[i] = slots_[(reclaim_ + i) & mask_];
    reclaim_ += n;
    return n;
  }

  // --- consumer side --------------------------------------------------------------------

  /// Copies up to `max` unconsumed elements (oldest first) without consuming them.
  std::size_t peek_bulk(T** out, std::size_t max) const noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    std::size_t n = static_cast<std::size_t>(head - tail);
    if (n > max) n = max;
    for (std::size_t i = 0; i < n; ++i) out[i] = slots_[(tail + i) & mask_];
    return n;
  }

  /// Marks the next `n` elements consumed (after peek_bulk returned at least `n`); from now on
  /// the producer may take them back.
  void commit(std::size_t n) noexcept {
    tail_.store(tail_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

  // --- any thread ---------------------------------------------------------------------------

  /// Approximate number of unconsumed elements.
  std::size_t size() const noexcept {
    return static_cast<std::size_t>(head_.load(std::memory_order_acquire) -
                                    tail_.load(std::memory_order_acquire));
  }
  /// Elements ever pushed.
  std::uint64_t pushed() const noexcept { return head_.load(std::memory_order_acquire); }

 private:
  const std::size_t limit_;
  const std::size_t mask_;
  std::unique_ptr<T*[]> slots_;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  std::uint64_t reclaim_ = 0;  // producer only
  alignas(64) std::atomic<std::uint64_t> tail_{0};
};

}  // namespace adminara::obs::common
