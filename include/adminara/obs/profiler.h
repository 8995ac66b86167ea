// PerformanceProfiler: mark / measure / bottlenecks (docs/profiler.md), bounded, thread-safe and
// cheap enough to leave on in production.
//
//   obs::PerformanceProfiler& profiler = obs::get_profiler();   // after init_observability()
//   profiler.mark("webrtc_start");
//   create_peer_connection();
//   profiler.mark("webrtc_connected");
//   double ms = profiler.measure("webrtc_connection", "webrtc_start", "webrtc_connected");
//   for (const auto& m : profiler.get_bottlenecks(100)) log(m.name, m.duration_ms);
//
//   { auto m = profiler.scope("db.query"); run_query(); }      // measured until end of scope
//
// Every measure is also recorded in the histogram `profiler_measure_duration` (ms, attribute
// `measure`) of the profiler's meter, and added as a `profiler.measure` event to the span active
// on the calling thread (if any), so a slow step shows in Grafana and inside its trace.
//
// Ownership: a PerformanceProfiler owns its marks and measures; it is neither copyable nor
// movable (ScopedMeasure points to it). A ScopedMeasure must not outlive its profiler.
//
// Thread-safety: every member function may be called from any number of threads at once. Marks
// are per profiler and name: mark(name) from two threads writes the same entry, and the last
// mark(name) in time wins, whichever thread set it. Use distinct names (e.g. with a request id)
// for operations that overlap in time.
//
// Memory is bounded: the last `max_measures` measures are kept (older ones are evicted and
// counted, see evicted()); at most `max_marks` marks are kept (setting a new name in a full table
// evicts the mark set least recently, counted in marks_evicted()).
//
// Errors: measure() with a start or end mark that does not exist (never set, cleared, or
// evicted) throws ProfilerError naming the mark, and records nothing. A disabled profiler
// (ENABLE_PROFILING=false) never throws: every call is a no-op; measure() returns 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/metrics.h"

namespace adminara::obs {

/// Thrown by PerformanceProfiler::measure() when a mark it names does not exist; what() names the
/// mark (and the measure).
class ProfilerError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// One completed measure.
struct Measure {
  std::string name;
  /// End minus start, in milliseconds (sub-millisecond precision, monotonic clock).
  double duration_ms = 0;
  /// Wall-clock time of the start of the measured interval (ns since the Unix epoch).
  std::uint64_t start_time_unix_nano = 0;
  /// Wall-clock time when the measure was taken (the Node profiler's `timestamp`).
  std::uint64_t timestamp_unix_nano = 0;
  /// OS thread id (gettid) of the thread that took the measure.
  std::uint64_t thread_id = 0;
};

struct ProfilerOptions {
  /// Measures kept (the newest); older ones are evicted and counted. Must be >= 1.
  std::size_t max_measures = 10000;
  /// Marks kept; a new name in a full table evicts the least recently set mark. Must be >= 1.
  std::size_t max_marks = 10000;
  /// False: every call is a no-op (a single branch).
  bool enabled = true;
  /// Where `profiler_measure_duration` is recorded. Default: a no-op meter (standalone
  /// profilers record no metric); the global profiler uses get_meter().
  Meter meter;
  /// Monotonic nanoseconds. Null: CLOCK_MONOTONIC. For tests and replays; wall-clock timestamps
  /// are derived from it with the process's wall/monotonic offset.
  std::function<std::uint64_t()> clock;
};

class PerformanceProfiler;

/// Measures from its creation (PerformanceProfiler::scope) until stop() or destruction. Move-only.
/// Use it on one thread at a time; it may end on another thread than the one that started it
/// (the measure is then attributed to the ending thread).
class ScopedMeasure {
 public:
  ScopedMeasure() = default;
  ~ScopedMeasure() { stop(); }
  ScopedMeasure(ScopedMeasure&& other) noexcept
      : profiler_(other.profiler_), name_(std::move(other.name_)), start_ns_(other.start_ns_) {
    other.profiler_ = nullptr;
  }
  ScopedMeasure& operator=(ScopedMeasure&& other) noexcept {
    if (this != &other) {
      stop();
      profiler_ = other.profiler_;
      name_ = std::move(other.name_);
      start_ns_ = other.start_ns_;
      other.profiler_ = nullptr;
    }
    return *this;
  }
  ScopedMeasure(const ScopedMeasure&) = delete;
  ScopedMeasure& operator=(const ScopedMeasure&) = delete;

  /// Ends the measure now and returns its duration in ms; later calls return 0.
  double stop() noexcept {
    if (profiler_ == nullptr) return 0;
    return finish();
  }
  /// False for a default-constructed, stopped or moved-from scope, and with a disabled profiler.
  bool active() const { return profiler_ != nullptr; }

 private:
  friend class PerformanceProfiler;
  ScopedMeasure(PerformanceProfiler* p, std::string_view name, std::uint64_t start_ns)
      : profiler_(p), name_(name), start_ns_(start_ns) {}
  double finish() noexcept;

  PerformanceProfiler* profiler_ = nullptr;
  std::string name_;  // copied: the caller's string may be a temporary
  std::uint64_t start_ns_ = 0;
};

class PerformanceProfiler {
 public:
  /// Throws std::invalid_argument when max_measures or max_marks is 0.
  explicit PerformanceProfiler(ProfilerOptions options = {});
  ~PerformanceProfiler();
  PerformanceProfiler(const PerformanceProfiler&) = delete;
  PerformanceProfiler& operator=(const PerformanceProfiler&) = delete;

  bool enabled() const { return enabled_; }

  /// Sets mark `name` to now (replacing an earlier mark of that name).
  void mark(std::string_view name) {
    if (enabled_) set_mark(name);
  }

  /// Records the interval from mark `start_mark` to now as measure `name`; returns it in ms.
  /// Throws ProfilerError when `start_mark` does not exist (nothing is recorded).
  double measure(std::string_view name, std::string_view start_mark) {
    return enabled_ ? measure_marks(name, start_mark, nullptr) : 0;
  }
  /// Records the interval from `start_mark` to `end_mark` as measure `name`; returns it in ms
  /// (negative when `end_mark` was set before `start_mark`). Throws ProfilerError when either
  /// mark does not exist (nothing is recorded).
  double measure(std::string_view name, std::string_view start_mark, std::string_view end_mark) {
    return enabled_ ? measure_marks(name, start_mark, &end_mark) : 0;
  }

  /// Starts a measure that ends when the returned object is destroyed (or stop()ped).
  [[nodiscard]] ScopedMeasure scope(std::string_view name) {
    if (!enabled_) return {};
    return ScopedMeasure(this, name, now_ns());
  }

  /// Kept measures whose duration is strictly above `threshold_ms` (a measure of exactly the
  /// threshold is not a bottleneck), oldest first.
  std::vector<Measure> get_bottlenecks(double threshold_ms = 100) const;
  /// All kept measures, oldest first.
  std::vector<Measure> measures() const;

  void clear_marks();
  /// Drops the kept measures (the eviction count stays).
  void clear_measures();
  /// clear_marks() and clear_measures().
  void clear();

  /// Measures evicted because more than max_measures were taken.
  std::uint64_t evicted() const;
  /// Marks evicted because more than max_marks names were set.
  std::uint64_t marks_evicted() const;
  /// Marks currently kept.
  std::size_t mark_count() const;

  /// The kept measures as Chrome Trace Event JSON ("X" events with ts/dur in µs, pid, the OS
  /// thread id, args.duration_ms and args.bottleneck = duration > bottleneck_threshold_ms). Opens
  /// in Perfetto UI (ui.perfetto.dev) and chrome://tracing.
  std::string to_chrome_trace_json(double bottleneck_threshold_ms = 100) const;
  /// Writes to_chrome_trace_json() to `path` (replacing it). Throws std::runtime_error naming
  /// the path when it cannot be written.
  void write_chrome_trace(const std::string& path, double bottleneck_threshold_ms = 100) const;

 private:
  friend class ScopedMeasure;
  struct State;

  std::uint64_t now_ns() const;
  void set_mark(std::string_view name);
  double measure_marks(std::string_view name, std::string_view start_mark,
                       const std::string_view* end_mark);
  /// Stores the measure, records the histogram and the span event; returns the duration in ms.
  double record(std::string_view name, std::uint64_t start_ns, std::uint64_t end_ns) noexcept;

  bool enabled_;
  std::unique_ptr<State> state_;
};

inline double ScopedMeasure::finish() noexcept {
  PerformanceProfiler* p = profiler_;
  profiler_ = nullptr;
  return p->record(name_, start_ns_, p->now_ns());
}

/// The global profiler built by init_observability() (ENABLE_PROFILING, Options::enable_profiling,
/// OTEL_SDK_DISABLED decide whether it is enabled; it records into get_meter()). Before init and
/// after shutdown: a disabled profiler. The reference stays valid until process exit.
PerformanceProfiler& get_profiler();

}  // namespace adminara::obs
