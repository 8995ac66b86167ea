// Prefetching a cache line for writing.
#pragma once

namespace adminara::obs::common {

/// Asks the CPU to fetch the cache line holding `p` in a state ready to be written (PREFETCHW on
/// x86-64: the line's copies in other cores' caches are invalidated ahead of the first store).
/// Without -mprfchw, GCC turns __builtin_prefetch(p, 1) into a plain read prefetch, which does
/// nothing for a line that is already readable here but shared with another core, so this uses
/// the instruction directly. Every x86-64 CPU decodes it (as a no-op where unsupported). Never
/// faults; a hint only.
inline void prefetch_for_write(const void* p) noexcept {
#if defined(__x86_64__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1);
#endif
}

}  // namespace adminara::obs::common
