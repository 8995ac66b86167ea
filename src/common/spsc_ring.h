// A bounded single-producer single-consumer ring of pointers. Lock-free and allocation-free
// after construction: push is a few plain loads and one release store. Used for per-thread span
// queues so threads that end spans never contend with each other or with the exporter.
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
  /// Holds at most `limit` elements (limit >= 1).
  explicit SpscRing(std::size_t limit)
      : limit_(limit), mask_(std::bit_ceil(limit) - 1), slots_(std::make_unique<T*[]>(mask_ + 1)) {}

  /// Producer only. False when full (the element is not taken).
  bool push(T* value) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - cached_tail_ >= limit_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head - cached_tail_ >= limit_) return false;
    }
    slots_[head & mask_] = value;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  /// Producer only. Pushes as many of `values` as fit with one release store; returns how many.
  std::size_t push_bulk(T* const* values, std::size_t n) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - cached_tail_ + n > limit_) cached_tail_ = tail_.load(std::memory_order_acquire);
    const std::size_t room = limit_ - static_cast<std::size_t>(head - cached_tail_);
    if (n > room) n = room;
    for (std::size_t i = 0; i < n; ++i) slots_[(head + i) & mask_] = values[i];
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  /// Producer only: elements in the ring as last seen (may over-estimate).
  std::size_t producer_size() const noexcept {
    return head_.load(std::memory_order_relaxed) - cached_tail_;
  }

  /// Consumer only. Moves up to `max` elements to `out`; returns how many.
  std::size_t pop_bulk(T** out, std::size_t max) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    std::size_t n = static_cast<std::size_t>(head - tail);
    if (n > max) n = max;
    for (std::size_t i = 0; i < n; ++i) out[i] = slots_[(tail + i) & mask_];
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  /// Any thread: approximate number of queued elements.
  std::size_t size() const noexcept {
    return static_cast<std::size_t>(head_.load(std::memory_order_acquire) -
                                    tail_.load(std::memory_order_acquire));
  }
  /// Any thread: elements ever pushed.
  std::uint64_t pushed() const noexcept { return head_.load(std::memory_order_acquire); }

 private:
  const std::size_t limit_;
  const std::size_t mask_;
  std::unique_ptr<T*[]> slots_;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  std::uint64_t cached_tail_ = 0;  // producer's copy of tail_
  alignas(64) std::atomic<std::uint64_t> tail_{0};
};

}  // namespace adminara::obs::common
