// Jobs: the value types every part of the job system shares (Job, JobOptions, JobState, ...),
// the Clock the job system reads time from, and the storage interface (Backend / QueueBackend)
// that Queue, Worker and Scheduler are built on. Most users only need adminara/obs/jobs.h; this
// header is for tests (ManualClock) and for whoever plugs in another backend.
//
// The storage model is BullMQ's (docs/jobs.md, "Layout"), so that the Redis
// backend can implement every call as one atomic script over BullMQ's keys:
//   - states: waiting (FIFO list), prioritized (by priority, FIFO within one), delayed (by due
//     time), active (with a lock token and lock expiry), completed, failed;
//   - taking a job is one atomic step that first promotes due delayed jobs, sets the lock and
//     counts the attempt as started (moveToActive);
//   - finishing (complete, fail, retry) checks the lock token (moveToFinished, retryJob,
//     moveToDelayed); the retry/backoff decision is made by the worker, not by the backend;
//   - a busy worker completes a job and takes its next one in the same step (moveToFinished
//     with fetchNext), so a steady worker makes one backend call per job;
//   - the stalled check recovers active jobs whose lock expired (moveStalledJobsToWait);
//   - repeat schedules with run ids `repeat:<scheduler id>:<millis>`, advanced by the worker that
//     takes the current run (updateJobScheduler).
// All times are Unix epoch milliseconds read from the backend's Clock.
//
// Thread-safety: every QueueBackend method may be called concurrently from any thread; each one
// is atomic with respect to the others.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adminara/obs/metrics.h"

namespace adminara::obs::jobs {

using Json = nlohmann::json;
/// Unix epoch milliseconds.
using TimeMs = std::int64_t;

/// Where the job system reads the time. Injectable so that tests can move time by hand instead
/// of sleeping through backoff delays or cron intervals.
/// Thread-safety: implementations must be safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Unix epoch milliseconds.
  virtual TimeMs now_ms() const = 0;
  /// Registers `fn` to be called (on the thread that moves the time) whenever the time jumps;
  /// the registration lasts as long as the returned handle. The system clock never calls it.
  using Subscription = std::shared_ptr<void>;
  virtual Subscription on_jump(std::function<void()> fn) const;
};

/// The real time (CLOCK_REALTIME).
std::shared_ptr<const Clock> system_clock();

/// A clock that only moves when told to; for tests. Starts at `start` (default 2026-01-01T00:00Z).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 1767225600000);
  TimeMs now_ms() const override;
  Subscription on_jump(std::function<void()> fn) const override;
  /// Moves the time forward by `by` and wakes every waiter (workers, delayed jobs).
  void advance(std::chrono::milliseconds by);
  /// Sets the time (forward or back) and wakes every waiter.
  void set(TimeMs now);

 private:
  void notify();
  mutable std::mutex mu_;
  TimeMs now_;
  mutable std::vector<std::weak_ptr<std::function<void()>>> listeners_;
};

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

/// A repeat schedule as stored (BullMQ's `repeat:<id>` hash plus its score in `repeat`).
struct ScheduleRecord {
  std::string id;
  std::string job_name;
  std::chrono::milliseconds every{0};  // interval schedules
  std::string cron;                    // cron schedules (exactly one of every / cron is set)
  Json data;
  JobOptions options;
  TimeMs next_run = 0;  // millis of the pending run `repeat:<id>:<next_run>`
  std::int64_t iterations = 0;
  /// Same definition (id, name, interval or cron, data, options); not the run state.
  bool same_definition(const ScheduleRecord& o) const {
    return id == o.id && job_name == o.job_name && every == o.every && cron == o.cron &&
           data == o.data && options == o.options;
  }
};

/// The run id of a schedule's run: `repeat:<schedule id>:<millis>`.
std::string schedule_run_id(std::string_view schedule_id, TimeMs millis);

/// Results of a finishing call, as BullMQ's script codes.
enum class FinishStatus : std::uint8_t {
  kOk,
  kJobMissing,    // -1
  kLockMissing,   // -2 (expired, or the stalled check took the job back)
  kNotActive,     // -3
  kLockMismatch,  // -6 (another worker owns it now)
};
std::string_view to_string(FinishStatus status);

struct AddResult {
  std::string id;
  bool added = false;  // false: a job with this id existed
};

/// What complete_and_take returns: the completion's status and, when it succeeded, the next job
/// (taken as move_to_active takes it), or nothing when there was none.
struct CompleteResult {
  FinishStatus status = FinishStatus::kOk;
  std::optional<Job> next;
};

struct StalledResult {
  bool ran = false;  // false: another caller ran the check less than stalled_interval ago
  std::vector<std::string> recovered;  // moved back to waiting (stalled_count incremented)
  std::vector<std::string> deferred;   // of those, marked to fail (stalled too often)
};

/// One queue in a backend. Obtained from Backend::queue(); shared by every Queue, Worker and
/// Scheduler of that name on the backend.
class QueueBackend {
 public:
  virtual ~QueueBackend() = default;
  virtual const std::string& name() const = 0;

  // Producer. `job` carries name, data, options, timestamp and trace_context; the backend
  // assigns an id (an increasing counter) unless options.job_id is set, and the first state from
  // delay and priority. Bulk adds are atomic per job, in order.
  virtual AddResult add(Job job) = 0;
  virtual std::vector<AddResult> add_bulk(std::vector<Job> jobs) = 0;

  // Worker. Promotes due delayed jobs, then takes the next job (waiting FIFO before
  // prioritized), sets its lock to `token` for `lock_duration`, stamps processed_on and counts
  // the attempt started. Nothing when the queue is paused or empty.
  virtual std::optional<Job> move_to_active(std::string_view token,
                                            std::chrono::milliseconds lock_duration) = 0;
  /// Extends the lock if `token` still owns it; false otherwise.
  virtual bool extend_lock(std::string_view id, std::string_view token,
                           std::chrono::milliseconds lock_duration) = 0;
  /// Active -> completed (attempts_made + 1), then applies `keep`.
  virtual FinishStatus complete(std::string_view id, std::string_view token, Json return_value,
                                const Retention& keep) = 0;
  /// complete(), then, when it succeeded, move_to_active(next_token, lock_duration), as one atomic
  /// step (BullMQ's moveToFinished with fetchNext): the worker that finishes a job takes the next
  /// one without a second call. The default makes the two calls; backends override it.
  virtual CompleteResult complete_and_take(std::string_view id, std::string_view token,
                                           Json return_value, const Retention& keep,
                                           std::string_view next_token,
                                           std::chrono::milliseconds lock_duration);
  /// Active -> failed for good (attempts_made + 1), then applies `keep`.
  virtual FinishStatus fail(std::string_view id, std::string_view token, std::string reason,
                            const Retention& keep) = 0;
  /// Active -> delayed by `backoff` (or waiting/prioritized when 0), attempts_made + 1.
  virtual FinishStatus retry(std::string_view id, std::string_view token, std::string reason,
                             std::chrono::milliseconds backoff) = 0;
  /// Moves due delayed jobs to waiting/prioritized; returns how many.
  virtual std::size_t promote_delayed() = 0;
  /// BullMQ's stall check: at most once per `stalled_interval` across all callers; recovers the
  /// jobs that were active at the previous check and whose lock has expired since.
  virtual StalledResult check_stalled(int max_stalled_count,
                                      std::chrono::milliseconds stalled_interval) = 0;
  /// Blocks until a job may be available (a job added or due, resume, a clock jump), `max_wait`
  /// passes or `stop` is requested. May return spuriously.
  virtual void wait_for_work(std::chrono::milliseconds max_wait, std::stop_token stop) = 0;

  // Queue administration.
  virtual JobCounts counts() = 0;
  virtual std::optional<Job> get_job(std::string_view id) = 0;
  virtual void pause() = 0;
  virtual void resume() = 0;
  virtual bool paused() = 0;
  /// Removes waiting and prioritized jobs (and delayed ones with `include_delayed`).
  virtual std::size_t drain(bool include_delayed) = 0;

  // Schedules.
  /// Creates or updates a schedule. An identical definition keeps the pending run and returns
  /// its millis; a new or changed one replaces the pending run (unless it is already active)
  /// with `first_run` (whose id is schedule_run_id(id, first_run_millis)).
  virtual TimeMs upsert_schedule(ScheduleRecord schedule, Job first_run,
                                 TimeMs first_run_millis) = 0;
  /// Removes the schedule and its pending run (unless active); false when it did not exist.
  virtual bool remove_schedule(std::string_view id) = 0;
  virtual std::vector<ScheduleRecord> schedules() = 0;
  virtual std::optional<ScheduleRecord> get_schedule(std::string_view id) = 0;
  /// Adds `next_run` (millis `next_millis`) only when the schedule exists and `current_run_id`
  /// is its pending run, so each run is created once however many workers race.
  virtual bool advance_schedule(std::string_view id, std::string_view current_run_id, Job next_run,
                                TimeMs next_millis) = 0;
};

/// A job store: a namespace of queues plus the clock it runs on.
class Backend {
 public:
  virtual ~Backend() = default;
  /// The queue `name`, created on first use; the same object for the same name.
  virtual std::shared_ptr<QueueBackend> queue(std::string_view name) = 0;
  virtual const std::shared_ptr<const Clock>& clock() const = 0;
};

/// An in-memory backend (one process). Null clock: the system clock.
std::shared_ptr<Backend> make_memory_backend(std::shared_ptr<const Clock> clock = nullptr);

/// A Redis URL that cannot be used, or a Redis call that failed for good (the server stayed
/// unreachable for RedisOptions::retry_for, or refused a command). The message names the server
/// (never the password) and the cause.
class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Options of the Redis backend (make_redis_backend).
struct RedisOptions {
  /// `redis://[user:password@]host[:port][/db]` (port 6379 and db 0 by default; user and password
  /// percent-decoded). `rediss://` (TLS) is refused: Debian's hiredis 0.14 has no TLS.
  std::string url = "redis://127.0.0.1:6379";
  /// Key prefix, as BullMQ's `prefix` option: keys are `<prefix>:<queue>:<...>`.
  std::string prefix = "bull";
  /// Stored as the jobs' `pb` (processed by) field and in the worker connection's client name.
  std::string worker_name;
  std::chrono::milliseconds connect_timeout{2000};
  /// Longest wait for the reply to an ordinary (non-blocking) command.
  std::chrono::milliseconds command_timeout{5000};
  /// How long a call keeps retrying (with backoff from 10 ms to 1 s) while Redis is unreachable
  /// before it throws RedisError. Workers log the failure and keep trying after that.
  std::chrono::milliseconds retry_for{30000};
  /// Null: the system clock. Times written to Redis (timestamps, due times, scores) come from it;
  /// lock and stalled-check expiries are Redis' own (real time).
  std::shared_ptr<const Clock> clock;
  /// Where the backend's own counters are registered (adminara_obs_redis_*). Unset: get_meter().
  std::optional<Meter> meter;
};

/// A backend on Redis with BullMQ 6's data layout (docs/jobs.md, "Redis"): queues, workers and
/// schedules shared by every process on the same Redis, Node BullMQ producers and workers
/// included. Connects lazily: the first call that needs Redis opens the first connection.
/// Throws RedisError for an invalid URL.
/// Thread-safety: as every Backend; calls from many threads use a pool of connections.
std::shared_ptr<Backend> make_redis_backend(RedisOptions options = {});
/// The process-wide in-memory backend that Queue, Worker and Scheduler use by default.
std::shared_ptr<Backend> default_backend();

}  // namespace adminara::obs::jobs
