#include "common/log.h"

#include <cstdio>
#include <mutex>
#include <string>

namespace adminara::obs::common {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
}

void set_log_level(LogLevel level) noexcept {
  g_level.store(static_cast<int>(level));
}
LogLevel log_level() noexcept {
  return static_cast<LogLevel>(g_level.load());
}

void log(LogLevel level, std::string_view message) noexcept {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error", ""};
  // One fwrite per line so lines from different threads do not interleave.
  char buf[1024];
  int n =
      std::snprintf(buf, sizeof buf, "[adminara-obs] %s: %.*s\n", kNames[static_cast<int>(level)],
                    static_cast<int>(message.size()), message.data());
  if (n > 0)
    std::fwrite(buf, 1, static_cast<std::size_t>(n) < sizeof buf ? n : sizeof buf - 1, stderr);
}

}  // namespace adminara::obs::common
