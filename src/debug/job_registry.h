// JobRegistry: the live queues and workers of this process, for the /debug/jobz page. Queue and
// Scheduler register their queue (by backend queue object, so several handles on one queue show
// once) and Worker registers itself when constructed; each registration ends with its handle
// (the object's destruction). Registering is one mutex and a vector insert per object, never
// per job. The pages read through the registered snapshot functions, which hold shared
// pointers to what they read, so a page request never touches a destroyed object.
//
// Failed attempts are recorded (the last kMaxFailures, older ones evicted and counted) only
// while gathering() is on, which init sets when the debug pages are on.
//
// Thread-safety: every member may be called from any thread. Snapshot functions run on the
// page request's thread without the registry's lock held; they must be thread-safe and may
// throw (the error is shown for that entry); one that writes nothing is left out (its object is
// going away).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/json_writer.h"

namespace adminara::obs::debug {

/// One failed job attempt as a worker saw it.
struct JobFailure {
  std::string queue;
  std::string job_id;
  std::string job_name;
  std::string reason;
  int attempt = 0;           // 1 for the first attempt
  int attempts = 0;          // attempts allowed
  bool final = false;        // no retry follows (attempts used up, or unrecoverable)
  std::int64_t time_ms = 0;  // Unix milliseconds (the queue's clock)
};

class JobRegistry {
 public:
  /// Writes one JSON object (a queue, or a worker) describing the entry now.
  using Snapshot = std::function<void(common::JsonWriter&)>;
  static constexpr std::size_t kMaxFailures = 50;

  /// Ends a registration when destroyed. Movable; a default-constructed one ends nothing.
  class Handle {
   public:
    Handle() = default;
    ~Handle();
    Handle(Handle&& other) noexcept;
    Handle& operator=(Handle&& other) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

   private:
    friend class JobRegistry;
    Handle(JobRegistry* r, std::uint64_t id) : registry_(r), id_(id) {}
    JobRegistry* registry_ = nullptr;
    std::uint64_t id_ = 0;
  };

  /// Registers a queue. `key` identifies the queue (its backend object): queues registered with
  /// the same key show once.
  [[nodiscard]] Handle add_queue(const void* key, Snapshot snapshot);
  /// Registers a worker.
  [[nodiscard]] Handle add_worker(Snapshot snapshot);

  /// Whether failures are recorded (the debug pages are on).
  bool gathering() const { return gathering_.load(std::memory_order_relaxed); }
  void set_gathering(bool on) { gathering_.store(on, std::memory_order_relaxed); }
  /// Keeps a failure (when gathering(); otherwise does nothing).
  void record_failure(JobFailure failure);

  /// {"queues": [...], "workers": [...], "failures": [newest first], "stats": {...}}.
  std::string json() const;

  /// Entries registered now (queues counted per registration).
  std::size_t size() const;

 private:
  struct Entry {
    std::uint64_t id;
    bool queue;
    const void* key;
    Snapshot snapshot;
  };
  Handle add(bool queue, const void* key, Snapshot snapshot);
  void remove(std::uint64_t id) noexcept;

  mutable std::mutex mu_;
  std::vector<Entry> entries_;           // guarded by mu_
  std::uint64_t next_id_ = 1;            // guarded by mu_
  std::deque<JobFailure> failures_;      // guarded by mu_
  std::uint64_t failures_recorded_ = 0;  // guarded by mu_
  std::atomic<bool> gathering_{false};
};

/// The process-wide registry (never destroyed, so objects destroyed at exit can still
/// unregister).
JobRegistry& job_registry();

}  // namespace adminara::obs::debug
