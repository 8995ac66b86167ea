// Background jobs: queues, workers and repeat schedules, every job traced and timed (BullMQ's
// Queue, Worker and job schedulers in C++; docs/jobs.md).
//
//   namespace jobs = adminara::obs::jobs;
//   jobs::Queue queue("maintenance");
//   queue.add("turn_rotation", {{"bytes", 32}}, {.attempts = 3,
//                                                 .backoff = jobs::Backoff::exponential(500ms)});
//   jobs::Worker worker(queue, [](jobs::Job& job) -> jobs::Json {
//     return {{"secret", rotate(job.data["bytes"])}};   // or throw to fail the attempt
//   }, {.concurrency = 2});
//   jobs::Scheduler scheduler(queue);
//   scheduler.init([](jobs::Scheduler& s) {            // traced as `scheduler.init`
//     s.upsert("turn-rotation", {.job_name = "turn_rotation", .cron = "0 3 * * *"});
//   });
//   ...
//   worker.close();
//
// Tracing: Queue::add starts a producer span `add <queue>.<name>` and stores its context in the
// job (traceparent); the worker runs the processor inside a consumer span `job.<name>` parented
// on it, with messaging attributes, `duration_ms` and `status` as trace_async sets them, and the
// error recorded on failure. Metrics: job_processing_time (ms; job_name, status), job_wait_time
// (ms, ready -> started; queue, job_name), jobs_completed and jobs_failed (queue, job_name), and
// job_queue_depth (observable; queue, state). See docs/jobs.md.
//
// Delivery is at-least-once: a job whose worker stops renewing its lock (a hung or killed
// process) is recovered by the stalled check and may run again.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/jobs_backend.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/tracer.h"

namespace adminara::obs::jobs {

/// A job or queue option that cannot be used (bad job id, priority out of range, ...). The
/// message names the option, the value and what is accepted.
class JobError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A schedule that cannot be used: a cron expression or interval the parser rejects. The message
/// names the field and the accepted form.
class ScheduleError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Throw from a processor to fail the job for good, without the retries it has left.
class UnrecoverableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where a Queue, Worker or Scheduler gets its backend, tracer and meter. Unset: the defaults.
struct Connection {
  /// Null: default_backend() (in-memory, process-wide, system clock).
  std::shared_ptr<Backend> backend;
  /// Unset: the global tracer (init_observability), as start_span() uses.
  std::optional<Tracer> tracer;
  /// Unset: get_meter() (the global meter; a no-op before init).
  std::optional<Meter> meter;
};

struct QueueOptions {
  Connection connection;
  /// Register the job_queue_depth gauge for this queue.
  bool queue_depth_metrics = true;
};

/// A named queue on a backend: adds jobs and administers them. Queues with the same name on the
/// same backend are the same queue.
/// Thread-safety: every method may be called concurrently from any thread.
/// Ownership: a cheap handle to shared state; Workers and Schedulers keep what they need, so the
/// Queue may be destroyed before them.
class Queue {
 public:
  /// Throws JobError when `name` is empty or contains ':' (BullMQ's key separator).
  explicit Queue(std::string name, QueueOptions options = {});
  ~Queue();
  Queue(Queue&&) noexcept;
  Queue& operator=(Queue&&) noexcept;
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  const std::string& name() const;

  /// Adds a job under a producer span and returns its id (the existing id when options.job_id
  /// names a job that exists). Throws JobError for invalid options (job_id, priority).
  std::string add(std::string_view name, Json data = Json::object(),
                  const JobOptions& options = {});
  struct BulkJob {
    std::string name;
    Json data = Json::object();
    JobOptions options;
  };
  /// Adds several jobs (one producer span each); the ids in order. Validates all first, so an
  /// invalid one adds nothing.
  std::vector<std::string> add_bulk(std::vector<BulkJob> jobs);

  JobCounts counts() const;
  /// The job (any state) while it is kept; nullopt when unknown or removed by retention.
  std::optional<Job> get_job(std::string_view id) const;
  /// Workers stop taking jobs until resume(); adds still queue. Running jobs finish.
  void pause();
  void resume();
  bool is_paused() const;
  /// Removes waiting and prioritized jobs (and delayed ones with `include_delayed`); returns how
  /// many. Active and finished jobs stay.
  std::size_t drain(bool include_delayed = false);

  const std::shared_ptr<QueueBackend>& backend() const;
  const Connection& connection() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

struct WorkerOptions {
  /// Jobs run at once, each on its own thread (>= 1).
  int concurrency = 1;
  /// Lock held on a running job; renewed every lock_duration / 2 while it runs.
  std::chrono::milliseconds lock_duration{30000};
  /// How often the stalled check runs (shared by all workers of a queue).
  std::chrono::milliseconds stalled_interval{30000};
  /// A job recovered from a stall more often than this fails ("job stalled more than allowable
  /// limit").
  int max_stalled_count = 1;
  /// Longest idle wait before looking for jobs again (new jobs and due delayed jobs wake idle
  /// workers at once; this bounds the wait for other backends' events).
  std::chrono::milliseconds drain_delay{5000};
  /// Used by the destructor when close() was not called.
  std::chrono::milliseconds close_timeout{30000};
  /// Override the queue's backend, tracer or meter (unset fields: the Queue's).
  Connection connection;
};

/// Processes a job: returns its result (stored as the return value) or throws to fail the
/// attempt (std::exception::what() becomes the failed reason; UnrecoverableError skips retries).
/// Runs on a worker thread inside the job's span; must be thread-safe when concurrency > 1.
using Processor = std::function<Json(Job& job)>;

/// What close() found.
struct CloseResult {
  bool clean = true;  // every running job finished in time
  /// Jobs still running when the timeout passed. Their locks are no longer renewed, so the
  /// stalled check gives them to another worker; their results, if any, are discarded.
  std::vector<std::string> still_running;
};

/// Takes jobs from one queue and runs them, at most `concurrency` at a time, from the
/// constructor until close(). Failed attempts with attempts left go back with their backoff;
/// jobs over their timeout fail; scheduled runs create their schedule's next run. The first job
/// of each name makes its jobs_completed and jobs_failed series exist (at 0 until counted).
/// Thread-safety: close() may be called from any thread (not from a processor).
class Worker {
 public:
  /// Throws JobError when options are invalid (concurrency < 1, non-positive durations).
  Worker(const Queue& queue, Processor processor, WorkerOptions options = {});
  /// Calls close(options.close_timeout) unless close() was called.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Stops taking jobs and waits up to `timeout` for the running ones. Idempotent (a second call
  /// returns the first result).
  CloseResult close(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  /// Jobs running now.
  std::size_t running() const;
  /// This worker's id (a random UUID); lock tokens are `<id>:<n>`.
  const std::string& id() const;

 private:
  struct State;
  std::shared_ptr<State> s_;
};

/// A repeat schedule (Scheduler::upsert). Exactly one of `every` and `cron` must be set.
struct ScheduleOptions {
  std::string job_name;
  /// Interval: runs at every multiple of `every` since the Unix epoch (so schedulers in
  /// different processes pick the same run times).
  std::chrono::milliseconds every{0};
  /// Cron, UTC: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading
  /// seconds field; *, lists, ranges, steps, month and day names, @hourly etc. (docs/jobs.md).
  std::string cron;
  Json data = Json::object();
  /// Options of each run (job_id and delay are ignored: runs have deterministic ids and times).
  JobOptions options;
};

/// Creates and manages repeat schedules on a queue. Each run is a normal job with the id
/// `repeat:<schedule id>:<millis>`, so schedulers in several processes never create a run twice.
/// The next run is created by the worker that takes the current one (as in BullMQ).
/// Thread-safety: every method may be called concurrently.
class Scheduler {
 public:
  explicit Scheduler(const Queue& queue, Connection connection = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Runs `setup` (which typically upserts the schedules) inside the span `scheduler.init`, with
  /// duration_ms and status like trace_async; rethrows what it throws.
  void init(const std::function<void(Scheduler&)>& setup);
  /// Creates or updates schedule `id`; an identical definition changes nothing. Returns the
  /// millis of the pending run. Throws ScheduleError for a bad cron expression or interval, or
  /// when a cron expression never matches, and JobError for an empty id or one with ':'. The
  /// job name's jobs_completed and jobs_failed series exist from then on (at 0 until counted).
  TimeMs upsert(std::string_view id, const ScheduleOptions& options);
  /// Removes the schedule and its pending run; false when it did not exist.
  bool remove(std::string_view id);
  std::vector<ScheduleRecord> list() const;
  std::optional<ScheduleRecord> get(std::string_view id) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// Checks a cron expression (the Scheduler's syntax); throws ScheduleError naming the field.
void validate_cron(std::string_view expression);
/// The first run of `expression` strictly after `after` (Unix ms, UTC); nullopt when it never
/// matches. Throws ScheduleError for an invalid expression.
std::optional<TimeMs> next_cron_run(std::string_view expression, TimeMs after);

}  // namespace adminara::obs::jobs
