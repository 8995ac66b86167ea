// Jobs: the values every part of the job system shares. A Job with its JobOptions (attempts,
// Backoff, delay, priority, timeout, Retention), the JobState it is in and a queue's JobCounts.
// Plain values: copy them freely; nothing here is shared between threads.
//
// The fields and their meaning follow BullMQ's job hash (BullMQ's src/classes/job.ts), so a job
// written by Node BullMQ reads the same here (docs/jobs.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace adminara::obs::jobs {

using Json = nlohmann::json;
/// Unix epoch milliseconds.
using TimeMs = std::int64_t;

/// How long to wait before the retry of a failed job. BullMQ's rules: fixed waits `delay` every
/// time; exponential waits round(2^n * delay) after the n-th previous attempt (delay, 2 delay,
/// 4 delay, ...). A zero delay retries at once.
struct Backoff {
  enum class Type : std::uint8_t { kFixed, kExponential };
  Type type = Type::kFixed;
  std::chrono::milliseconds delay{0};

  static Backoff fixed(std::chrono::milliseconds d) { return {Type::kFixed, d}; }
  static Backoff exponential(std::chrono::milliseconds d) { return {Type::kExponential, d}; }
  /// The delay before the next attempt when `attempts_made` attempts have failed so far
  /// (attempts_made >= 1).
  std::chrono::milliseconds delay_after(int attempts_made) const;
  friend bool operator==(const Backoff&, const Backoff&) = default;
};

/// Which finished jobs a queue keeps (BullMQ's removeOnComplete / removeOnFail). Default: all.
struct Retention {
  /// Keep at most this many of the newest; 0 removes a job as soon as it finishes; unset: no
  /// count limit.
  std::optional<std::size_t> count;
  /// Remove jobs that finished longer ago than this; 0: no age limit.
  std::chrono::milliseconds age{0};

  static Retention keep_all() { return {}; }
  static Retention remove() { return {0, std::chrono::milliseconds(0)}; }
  static Retention keep_last(std::size_t n) { return {n, std::chrono::milliseconds(0)}; }
  static Retention keep_for(std::chrono::milliseconds a) { return {std::nullopt, a}; }
  friend bool operator==(const Retention&, const Retention&) = default;
};

/// Options of one job (Queue::add).
struct JobOptions {
  /// Total attempts (first run included); values below 1 mean 1.
  int attempts = 1;
  Backoff backoff;
  /// Run no earlier than this long after the add.
  std::chrono::milliseconds delay{0};
  /// 0: none. 1 (highest) .. kMaxPriority (lowest). As in BullMQ, jobs without a priority run
  /// before prioritized ones, FIFO.
  std::uint32_t priority = 0;
  /// A caller-chosen id. Adding a job whose id exists (in any state, while it is kept) adds
  /// nothing and returns the existing id. As in Node BullMQ, it must not be an integer ("42":
  /// those are the queue's own ids) nor contain ':' except in three ':'-separated parts, and it
  /// must not start with "0:" or "repeat:" (reserved for schedules).
  std::string job_id;
  /// 0: none. A run that takes longer fails with "job <id> timed out after <n> ms" (and is
  /// retried when attempts are left); its processor is asked to stop (Job::stop_token).
  std::chrono::milliseconds timeout{0};
  Retention remove_on_complete;
  Retention remove_on_fail;

  static constexpr std::uint32_t kMaxPriority = (1U << 21) - 1;
  friend bool operator==(const JobOptions&, const JobOptions&) = default;
};

enum class JobState : std::uint8_t {
  kWaiting,
  kPrioritized,
  kDelayed,
  kActive,
  kCompleted,
  kFailed,
};
/// "waiting", "prioritized", "delayed", "active", "completed", "failed" (BullMQ's names).
std::string_view to_string(JobState state);

/// Number of jobs per state.
struct JobCounts {
  std::size_t waiting = 0;
  std::size_t prioritized = 0;
  std::size_t delayed = 0;
  std::size_t active = 0;
  std::size_t completed = 0;
  std::size_t failed = 0;
  friend bool operator==(const JobCounts&, const JobCounts&) = default;
};

/// A job: what a processor receives and what Queue::get_job returns (a snapshot; a plain value).
/// The field names follow BullMQ's job hash (in brackets).
struct Job {
  std::string id;
  std::string name;
  std::string queue;
  Json data;
  JobOptions options;
  JobState state = JobState::kWaiting;
  TimeMs timestamp = 0;       // created [timestamp]
  TimeMs ready_on = 0;        // became ready to run (added, delay or backoff over); wait time base
  TimeMs processed_on = 0;    // last move to active [processedOn]
  TimeMs finished_on = 0;     // [finishedOn]
  int attempts_started = 0;   // [ats]
  int attempts_made = 0;      // finished attempts, failed ones included [atm]
  int stalled_count = 0;      // [stc]
  Json return_value;          // [returnvalue]
  std::string failed_reason;  // last failure [failedReason]
  /// Set by the stalled check when the job stalled too often: the next worker fails it without
  /// running it [defa].
  std::string deferred_failure;
  std::string scheduler_id;  // the schedule that created it [rjk]
  /// The producer span's context (traceparent, tracestate), BullMQ's `opts.tm` as a map.
  std::map<std::string, std::string> trace_context;
  /// In a processor: requested when the job times out or the worker's close() gives up waiting.
  std::stop_token stop_token;
};

}  // namespace adminara::obs::jobs
