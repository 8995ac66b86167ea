// A mutex for short critical sections that are often contended by a few threads: a contended
// lock() first spins a bounded number of times, watching the lock word with plain loads and a CPU
// pause between looks, and only then sleeps on a futex. A plain std::mutex (glibc) goes to sleep
// in the kernel at the first contention, so two threads taking turns on a lock held for well
// under a microsecond pay a futex wait and a futex wake (two system calls and a context switch)
// each time; and spinning with try_lock() (an atomic read-modify-write per try) keeps pulling the
// lock's cache line away from the holder, which then takes longer to finish.
//
// The lock word is Drepper's three states ("Futexes Are Tricky", mutex 3): 0 free, 1 locked,
// 2 locked and a thread may sleep on it. unlock() makes a system call only in state 2.
//
// Also the pause used by other bounded spin loops (cpu_relax).
// Thread-safety: a mutex (Lockable); usable with std::unique_lock and condition_variable_any.
// Not recursive; unlocking from a thread that does not hold it is undefined, as for std::mutex.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace adminara::obs::common {

/// Tells the CPU that this is a spin-wait loop (x86 PAUSE, ARM YIELD); a no-op elsewhere.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield");
#endif
}

class SpinMutex {
 public:
  SpinMutex() = default;
  SpinMutex(const SpinMutex&) = delete;
  SpinMutex& operator=(const SpinMutex&) = delete;

  void lock() noexcept {
    std::uint32_t expected = kFree;
    if (state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      return;
    }
    lock_contended();
  }

  bool try_lock() noexcept {
    std::uint32_t expected = kFree;
    return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void unlock() noexcept {
    if (state_.exchange(kFree, std::memory_order_release) == kSleepers) wake_one();
  }

 private:
  static constexpr std::uint32_t kFree = 0;
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kSleepers = 2;
  // ~200 looks cover a critical section of a few hundred nanoseconds to a few microseconds (PAUSE
  // is 10-140 cycles depending on the CPU); beyond that the holder is probably preempted, and
  // spinning would waste the CPU it needs.
  static constexpr int kSpins = 200;

  void lock_contended() noexcept {
    for (int i = 0; i < kSpins; ++i) {
      cpu_relax();
      std::uint32_t seen = state_.load(std::memory_order_relaxed);
      if (seen == kFree && state_.compare_exchange_weak(seen, kLocked, std::memory_order_acquire,
                                                        std::memory_order_relaxed)) {
        return;
      }
    }
    // Mark the lock as having a sleeper before sleeping; whoever takes it this way keeps the
    // mark (it cannot know whether others sleep), so its unlock wakes the next one.
    while (state_.exchange(kSleepers, std::memory_order_acquire) != kFree) wait_while_sleepers();
  }

  void wait_while_sleepers() noexcept {
#if defined(__linux__)
    // Returns at once if the word is no longer kSleepers; spurious returns are harmless.
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, kSleepers,
            nullptr, nullptr, 0);
#else
    state_.wait(kSleepers, std::memory_order_relaxed);
#endif
  }

  void wake_one() noexcept {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
#else
    state_.notify_one();
#endif
  }

  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  std::atomic<std::uint32_t> state_{kFree};
};

}  // namespace adminara::obs::common
