// The library's own diagnostics: one line to stderr per message, prefixed "[adminara-obs]".
// Hot paths use warn_once() so a misuse repeated a million times is reported once.
#pragma once

#include <atomic>
#include <string_view>

namespace adminara::obs::common {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kNone = 4 };

/// Messages below this level are suppressed (OTEL_LOG_LEVEL; default info).
void set_log_level(LogLevel level) noexcept;
LogLevel log_level() noexcept;

void log(LogLevel level, std::string_view message) noexcept;
inline void log_warn(std::string_view message) noexcept {
  log(LogLevel::kWarn, message);
}
inline void log_error(std::string_view message) noexcept {
  log(LogLevel::kError, message);
}

/// Logs `message` the first time `flag` is seen unset; later calls cost one relaxed load.
inline void warn_once(std::atomic<bool>& flag, std::string_view message) noexcept {
  if (!flag.load(std::memory_order_relaxed) && !flag.exchange(true)) log_warn(message);
}

}  // namespace adminara::obs::common
