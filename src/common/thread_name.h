// Names the library's own threads, so that `top -H`, `ps -L`, perf and debuggers tell them apart
// from the application's ("obs-bsp", "obs-job:<queue>", ...).
#pragma once

#include <pthread.h>

#include <cstddef>
#include <string_view>

namespace adminara::obs::common {

/// Names the calling thread `name`, cut to the 15 bytes Linux keeps. Best effort: a failure
/// leaves the inherited name. Thread-safe (affects only the calling thread).
inline void set_thread_name(std::string_view name) noexcept {
  char buf[16];
  const std::size_t n = name.size() < sizeof(buf) - 1 ? name.size() : sizeof(buf) - 1;
  name.copy(buf, n);
  buf[n] = '\0';
  (void)pthread_setname_np(pthread_self(), buf);
}

}  // namespace adminara::obs::common
