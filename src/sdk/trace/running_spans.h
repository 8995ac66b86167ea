// RunningSpans: how many recording spans of each name have started and not yet ended, for the
// live tracez page. Kept only when the provider is asked to (TracerProviderOptions::
// count_running_spans); otherwise the tracer has no table and pays one predictable branch.
//
// A fixed open-addressing table of name slots. Starting a span hashes its name, finds the slot
// (lock-free once the name is known; a mutex only the first time a name is seen) and adds 1 with
// a relaxed atomic; the slot index travels in the span record, so ending a span is one relaxed
// atomic subtraction on that slot. A span counts under the name it started with (update_name()
// does not move it). Names beyond the table's capacity share one overflow slot, and the number
// of spans started there is counted (overflowed()).
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/tracer.h"

namespace adminara::obs::detail {

class RunningSpans {
 public:
  /// Distinct names kept (a power of two). Further names share the overflow slot.
  static constexpr std::uint32_t kCapacity = 1024;
  /// The slot of spans whose name did not fit.
  static constexpr std::uint32_t kOverflowSlot = kCapacity;
  /// What the overflow slot is called in snapshots.
  static constexpr std::string_view kOverflowName = "(other span names)";

  RunningSpans();
  RunningSpans(const RunningSpans&) = delete;
  RunningSpans& operator=(const RunningSpans&) = delete;

  /// Counts a started span; returns the slot to pass to on_end(). Never throws (a name that
  /// cannot be stored goes to the overflow slot).
  std::uint32_t on_start(std::string_view name) noexcept;
  /// Counts the end of a span started with on_start() (one relaxed atomic).
  void on_end(std::uint32_t slot) noexcept {
    slots_[slot].running.fetch_sub(1, std::memory_order_relaxed);
  }

  /// Every name seen, with its running count now (names with 0 running included), in no
  /// particular order.
  std::vector<RunningSpanCount> snapshot() const;
  /// Spans started whose name went to the overflow slot.
  std::uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

 private:
  // One cache line per slot: two names started on different cores must not share a line.
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> hash{0};  // 0: empty; published (release) after `name` is set
    std::atomic<std::int64_t> running{0};
    std::string name;  // written once, before `hash`, under mu_
  };
  static constexpr std::uint32_t kMaxProbes = 32;

  std::uint32_t insert(std::string_view name, std::uint64_t hash) noexcept;

  std::unique_ptr<Slot[]> slots_;  // kCapacity + 1 (the overflow slot)
  std::atomic<std::uint64_t> overflowed_{0};
  std::mutex mu_;  // serializes inserts
};

}  // namespace adminara::obs::detail
