#include "sdk/metrics/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <new>

namespace adminara::obs::sdk {
namespace {

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The whole of `token` as a non-negative decimal integer.
std::optional<std::uint64_t> to_uint(std::string_view token) {
  std::uint64_t value = 0;
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, value);
  if (token.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The next whitespace-separated token of `text` from `pos` (advanced past it); empty at the end.
std::string_view next_token(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
  std::size_t start = pos;
  while (pos < text.size() && !is_space(text[pos])) ++pos;
  return text.substr(start, pos - start);
}

// The line of `text` that starts with `prefix` (without its newline), or nullopt.
std::optional<std::string_view> find_line(std::string_view text, std::string_view prefix) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (line.starts_with(prefix)) return line;
    pos = eol + 1;
  }
  return std::nullopt;
}

// Appends the contents of `path` to `out` (cleared first). procfs files report size 0, so this
// reads until EOF rather than trusting fstat. Stops quietly at `limit` bytes.
bool read_file(const std::string& path, std::string& out, std::size_t limit = 4 << 20) {
  out.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = true;
  std::array<char, 4096> chunk;
  while (out.size() < limit) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return ok;
}

// Entries of the directory `path` except "." and "..", and except the descriptor used to list it
// (it shows up in /proc/self/fd while we read it).
std::optional<double> count_fds(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return std::nullopt;
  }
  std::uint64_t count = 0;
  bool ok = true;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      ok = errno == 0;
      break;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (auto number = to_uint(name); number && *number == static_cast<std::uint64_t>(fd)) continue;
    ++count;
  }
  ::closedir(dir);  // also closes fd
  if (!ok) return std::nullopt;
  return static_cast<double>(count);
}

}  // namespace

bool parse_proc_stat(std::string_view self_stat, long ticks_per_second, long page_size,
                     std::optional<double> boot_time_seconds, ProcessStats& out) noexcept {
  // Field 2, the command name, is "(comm)" where comm itself may contain ") ": fields 3... start
  // after the last ')'. Token k after it is field k + 3 (proc(5)).
  std::size_t comm_end = self_stat.rfind(')');
  if (comm_end == std::string_view::npos) return false;
  constexpr int kUtime = 11, kStime = 12, kNumThreads = 17, kStartTime = 19, kVsize = 20, kRss = 21;
  std::optional<std::uint64_t> utime, stime, num_threads, start_time, vsize, rss;
  std::size_t pos = comm_end + 1;
  for (int k = 0; k <= kRss; ++k) {
    std::string_view token = next_token(self_stat, pos);
    // The kernel ends the line with '\n' after 52 fields; a token that runs into the end of the
    // input may have been cut off ("150" read as "1"), so it is not trusted.
    if (token.empty() || pos == self_stat.size()) break;
    switch (k) {
      case kUtime:
        utime = to_uint(token);
        break;
      case kStime:
        stime = to_uint(token);
        break;
      case kNumThreads:
        num_threads = to_uint(token);
        break;
      case kStartTime:
        start_time = to_uint(token);
        break;
      case kVsize:
        vsize = to_uint(token);
        break;
      // rss is signed in the kernel's format; a negative value fails to_uint and is omitted.
      case kRss:
        rss = to_uint(token);
        break;
      default:
        break;
    }
  }

  bool all = true;
  const bool have_ticks = ticks_per_second > 0;
  const auto ticks = static_cast<double>(ticks_per_second);
  if (utime && stime && have_ticks) {
    out.cpu_seconds = (static_cast<double>(*utime) + static_cast<double>(*stime)) / ticks;
  } else {
    all = false;
  }
  if (rss && page_size > 0) {
    out.resident_memory_bytes = static_cast<double>(*rss) * static_cast<double>(page_size);
  } else {
    all = false;
  }
  if (vsize) {
    out.virtual_memory_bytes = static_cast<double>(*vsize);
  } else {
    all = false;
  }
  if (num_threads) {
    out.threads = static_cast<double>(*num_threads);
  } else {
    all = false;
  }
  if (boot_time_seconds) {
    if (start_time && have_ticks) {
      out.start_time_seconds = *boot_time_seconds + static_cast<double>(*start_time) / ticks;
    } else {
      all = false;
    }
  }
  return all;
}

std::optional<double> parse_boot_time(std::string_view proc_stat) noexcept {
  std::optional<std::string_view> line = find_line(proc_stat, "btime ");
  if (!line || line->data() + line->size() == proc_stat.data() + proc_stat.size()) {
    return std::nullopt;  // no line, or no newline after it: possibly cut off
  }
  std::size_t pos = 0;
  next_token(*line, pos);  // "btime"
  std::optional<std::uint64_t> value = to_uint(next_token(*line, pos));
  if (!value || !next_token(*line, pos).empty()) return std::nullopt;
  return static_cast<double>(*value);
}

std::optional<double> parse_max_open_files(std::string_view limits) noexcept {
  // "Max open files            1024                 1048576              files     "
  constexpr std::string_view kRow = "Max open files ";
  std::optional<std::string_view> line = find_line(limits, kRow);
  if (!line) return std::nullopt;
  std::size_t pos = kRow.size();
  std::optional<std::uint64_t> soft = to_uint(next_token(*line, pos));
  if (!soft) return std::nullopt;  // also "unlimited": see the header
  return static_cast<double>(*soft);
}

ProcessStats read_process_stats(const std::string& proc_root) noexcept {
  ProcessStats stats;
  try {
    std::string text;
    text.reserve(4096);
    std::optional<double> boot_time;
    if (read_file(proc_root + "/stat", text)) boot_time = parse_boot_time(text);
    if (read_file(proc_root + "/self/stat", text)) {
      parse_proc_stat(text, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE), boot_time, stats);
    }
    if (read_file(proc_root + "/self/limits", text)) stats.max_fds = parse_max_open_files(text);
    stats.open_fds = count_fds(proc_root + "/self/fd");
  } catch (const std::bad_alloc&) {
    // Only string allocations can throw; keep what was gathered.
  }
  return stats;
}

}  // namespace adminara::obs::sdk
