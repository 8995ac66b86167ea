// Time for spans: durations come from the monotonic clock; wall-clock timestamps are derived
// from it with an offset (wall - monotonic) so a span costs one clock read at start and one at
// end. The offset is refreshed from time to time (the batch exporter thread does it each cycle)
// so NTP adjustments reach new spans without a second clock read on the hot path.
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>

namespace adminara::obs::common {

inline std::uint64_t read_clock_ns(clockid_t id) noexcept {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Monotonic nanoseconds (CLOCK_MONOTONIC).
inline std::uint64_t monotonic_ns() noexcept {
  return read_clock_ns(CLOCK_MONOTONIC);
}

/// Wall-clock nanoseconds since the Unix epoch (CLOCK_REALTIME), read directly.
inline std::uint64_t wall_ns() noexcept {
  return read_clock_ns(CLOCK_REALTIME);
}

class WallClockOffset {
 public:
  /// Re-reads both clocks and stores the offset. Cheap; safe from any thread.
  static void refresh() noexcept {
    offset_.store(static_cast<std::int64_t>(wall_ns() - monotonic_ns()), std::memory_order_relaxed);
  }
  /// Converts a monotonic reading to wall-clock nanoseconds since the epoch.
  static std::uint64_t to_wall(std::uint64_t monotonic) noexcept {
    return monotonic + static_cast<std::uint64_t>(offset_.load(std::memory_order_relaxed));
  }

 private:
  static inline std::atomic<std::int64_t> offset_{
      static_cast<std::int64_t>(wall_ns() - monotonic_ns())};
};

}  // namespace adminara::obs::common
