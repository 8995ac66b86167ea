// Dense per-thread indexes for the metrics cells. Each thread that records a measurement gets the
// lowest free slot for its lifetime; a series keeps one cell per slot, written only by the slot's
// thread (plain load + store, no read-modify-write), and the collector sums the cells. A slot is
// handed to a new thread only after its previous thread has exited (through the registry's
// mutex), so the new owner continues the same cells without a race.
#pragma once

namespace adminara::obs::sdk {

/// The number of slots with private cells; threads beyond it share an atomic cell per series.
inline constexpr int kDirectSlots = 8;
inline constexpr int kSlotPageSize = 128;
inline constexpr int kSlotPages = 31;
inline constexpr int kMaxThreadSlots = kDirectSlots + kSlotPages * kSlotPageSize;

/// This thread's slot: -1 before its first measurement; kSharedSlot when it has none (all slots
/// taken, or the thread is exiting and its slot was returned).
inline constexpr int kSharedSlot = -2;
inline thread_local int t_thread_slot = -1;

/// Slow path: assigns this thread a slot (registered for release at thread exit) and returns it.
int acquire_thread_slot() noexcept;

inline int this_thread_slot() noexcept {
  const int s = t_thread_slot;
  if (s != -1) [[likely]]
    return s;
  return acquire_thread_slot();
}

/// Slots currently owned by live threads (for tests).
int thread_slots_in_use() noexcept;

}  // namespace adminara::obs::sdk
