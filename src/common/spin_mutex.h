// A mutex for short critical sections that are often contended by a few threads: lock() first
// retries try_lock() a bounded number of times with a CPU pause between tries, and only then
// blocks in std::mutex. A plain std::mutex (glibc) goes to sleep in the kernel at the first
// contention, so two threads taking turns on a lock held for well under a microsecond pay a futex
// wait and a futex wake (two system calls and a context switch) each time.
//
// Also the pause used by other bounded spin loops (cpu_relax).
// Thread-safety: a mutex (Lockable); usable with std::unique_lock and condition_variable_any.
#pragma once

#include <mutex>

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
  void lock() {
    // ~100 tries cover a critical section of a few hundred nanoseconds (PAUSE is 10-140 cycles
    // depending on the CPU); beyond that the holder is probably preempted and spinning wastes
    // the CPU it needs.
    for (int i = 0; i < kSpins; ++i) {
      if (mu_.try_lock()) return;
      cpu_relax();
    }
    mu_.lock();
  }
  bool try_lock() { return mu_.try_lock(); }
  void unlock() { mu_.unlock(); }

 private:
  static constexpr int kSpins = 100;
  std::mutex mu_;
};

}  // namespace adminara::obs::common
