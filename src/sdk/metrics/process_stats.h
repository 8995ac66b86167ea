// ProcessStats: the Prometheus standard process metrics of this process on Linux (Prometheus'
// "Writing client libraries" docs, "Process metrics"; as client_golang's process collector reads
// them), read from procfs. A value that cannot be read or parsed is left empty so the caller
// omits that metric instead of exporting a bogus value.
//
// Sources: /proc/self/stat (cpu, memory, threads, start time relative to boot), the `btime` line of
// /proc/stat (boot time), /proc/self/limits (`Max open files`, soft column) and the entries of
// /proc/self/fd.
//
// The parsers are pure functions over the file contents, so they can be tested with any input;
// read_process_stats() reads the files and calls them. Nothing here throws, keeps state or caches
// anything: every function is safe to call from any thread at any time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace adminara::obs::sdk {

/// One snapshot of the process metrics, in base units (seconds, bytes, Unix time). Every field is
/// empty when its source could not be read or parsed.
struct ProcessStats {
  std::optional<double> cpu_seconds;            // (utime + stime) / ticks per second
  std::optional<double> resident_memory_bytes;  // rss pages * page size
  std::optional<double> virtual_memory_bytes;   // vsize (already bytes)
  std::optional<double> start_time_seconds;     // btime + starttime / ticks per second
  std::optional<double> open_fds;  // entries of /proc/self/fd, not counting the reader's own
  std::optional<double> max_fds;   // soft `Max open files`; empty when "unlimited" (see below)
  std::optional<double> threads;   // num_threads
};

/// Parses the contents of /proc/<pid>/stat into `out`'s cpu_seconds, resident_memory_bytes,
/// virtual_memory_bytes, threads and (when `boot_time_seconds` is given) start_time_seconds. The
/// command name (field 2) may contain spaces and parentheses: the fields are counted from the
/// last ')'. A field that is missing, not a number, negative or out of range is left untouched,
/// as is a number that runs into the end of the input (it may have been cut off). The fields that
/// need `ticks_per_second` (cpu, start time) or `page_size` (rss) are left untouched when it is
/// not positive. Returns true when
/// every one of those fields was set. Never throws; does not allocate.
bool parse_proc_stat(std::string_view self_stat, long ticks_per_second, long page_size,
                     std::optional<double> boot_time_seconds, ProcessStats& out) noexcept;

/// The boot time (Unix seconds) from the `btime` line of /proc/stat; nullopt when that line is
/// missing, malformed or not ended by a newline (the number may have been cut off). Never throws;
/// does not allocate.
std::optional<double> parse_boot_time(std::string_view proc_stat) noexcept;

/// The soft limit of the `Max open files` row of /proc/<pid>/limits; nullopt when the row is
/// missing or malformed, and also when the soft limit is `unlimited`: Linux never allows an
/// unlimited RLIMIT_NOFILE (it is capped by fs.nr_open), so that text would not describe a real
/// limit, and the Prometheus guidelines prefer omitting a metric to exporting a bogus value
/// (client_golang would report 2^64-1 there). Never throws; does not allocate.
std::optional<double> parse_max_open_files(std::string_view limits) noexcept;

/// Reads <proc_root>/self/stat, <proc_root>/stat, <proc_root>/self/limits and counts the entries
/// of <proc_root>/self/fd (the directory descriptor this call opens to list it is not counted).
/// `proc_root` is "/proc" in production; tests pass a directory laid out the same way. Uses
/// sysconf(_SC_CLK_TCK) and sysconf(_SC_PAGESIZE). Whatever cannot be read is left empty; never
/// throws (not even std::bad_alloc: what was gathered until then is returned). Each call reads
/// the files afresh, costing a few system calls and a buffer the size of /proc/stat.
ProcessStats read_process_stats(const std::string& proc_root = "/proc") noexcept;

}  // namespace adminara::obs::sdk
