// Worker: `concurrency` processing threads, each taking one job at a time from the backend
// (BullMQ's moveToActive loop; a thread that completes a job takes its next one in the same call,
// as moveToFinished with fetchNext), plus one housekeeping thread that renews the locks of running
// jobs, fails the ones over their timeout and runs the stalled check.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <thread>
#include <unordered_map>

#include "adminara/obs/adminara_metrics.h"
#include "adminara/obs/jobs.h"
#include "adminara/obs/propagation.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "common/thread_name.h"
#include "jobs/internal.h"

namespace adminara::obs::jobs {

// Named, not anonymous: Worker::State (external linkage) holds these types.
namespace worker_impl {

// One running job, shared by its processing thread and the housekeeper.
struct Running {
  std::string id;
  std::string token;
  std::string name;
  JobOptions options;
  int attempts_made = 0;
  TimeMs deadline = 0;  // 0: no timeout
  std::stop_source stop;
  std::atomic<bool> finished{false};  // whoever sets it first finishes the job in the backend
  std::string timeout_reason;         // written before `finished` by the housekeeper
};

// What one processing thread runs. A lock per thread rather than one per worker: the threads
// register and remove every job here, and only the housekeeper, close() and running() read
// all of them.
struct Slot {
  std::mutex mu;
  std::shared_ptr<Running> job;  // guarded by mu; null when idle
  // Per job name seen by this thread: its jobs_completed series, bound once. Binding makes both
  // counters' series exist (at 0) from the first job of a name, and a completion then adds
  // without the attribute lookup. Used by the slot's processing thread only.
  std::unordered_map<std::string, BoundCounter> completed_by_name;
};

// Job names are few; the cap bounds the maps only when names carry ids (whose series end in
// the cardinality limit's overflow series anyway). Names past it get their series when counted.
constexpr std::size_t kMaxCountedNames = 1024;

}  // namespace worker_impl

using namespace worker_impl;

struct Worker::State {
  std::string id;
  std::string queue_name;
  std::shared_ptr<QueueBackend> q;
  std::shared_ptr<const Clock> clock;
  Processor processor;
  WorkerOptions options;
  Connection connection;
  Histogram processing_time;
  Histogram wait_time;
  detail::JobCounters counters;
  std::atomic<std::uint64_t> token_counter{0};
  std::stop_source stop;
  std::unique_ptr<Slot[]> slots;  // one per processing thread (options.concurrency)

  std::mutex mu;  // guards everything below
  std::condition_variable_any cv;
  std::uint64_t events = 0;  // bumped on clock jumps and timed job starts (wakes the housekeeper)
  int live_threads = 0;
  std::vector<std::thread> threads;
  std::thread housekeeper;
  Clock::Subscription clock_subscription;
  bool closed = false;
  CloseResult close_result;
  obs::debug::JobRegistry::Handle registration;  // for /debug/jobz

  void process_loop(Slot& slot);
  void housekeeping_loop();
  std::vector<std::shared_ptr<Running>> running_jobs();
  void next_token(std::string& token) {
    token.assign(id).append(":").append(std::to_string(++token_counter));
  }
  // Runs `job` (locked with `token`) and finishes it. On success, unless the worker is closing,
  // also takes the next job, locked with `next`, and returns it; `looked` tells whether it tried.
  std::optional<Job> run(Job job, const std::string& token, const std::string& next, bool& looked,
                         Slot& slot);
  void advance_schedule(const Job& job);
  // Finishes a failed attempt in the backend: retry with backoff, or fail for good.
  void finish_failure(const Running& r, const std::string& reason, bool unrecoverable);
  // Backend calls that throw (a Redis outage) are logged once per outage and retried every second.
  std::atomic<bool> backend_failing{false};
  void backend_ok();
  void backend_failed(std::string_view doing, const std::exception& e);
  void thread_exit() {
    std::lock_guard lock(mu);
    --live_threads;
    cv.notify_all();
  }
};

Worker::Worker(const Queue& queue, Processor processor, WorkerOptions options)
    : s_(std::make_shared<State>()) {
  if (options.concurrency < 1) {
    throw JobError("concurrency " + std::to_string(options.concurrency) + ": accepted: 1 or more");
  }
  if (options.lock_duration.count() <= 0 || options.stalled_interval.count() <= 0 ||
      options.drain_delay.count() <= 0) {
    throw JobError("lock_duration, stalled_interval and drain_delay must be > 0 ms");
  }
  if (!processor) throw JobError("processor must not be empty");
  State& s = *s_;
  s.id = common::random_uuid_v4();
  s.queue_name = queue.name();
  s.connection = detail::merge(options.connection, queue.connection());
  if (options.connection.backend) {
    s.q = options.connection.backend->queue(queue.name());
    s.clock = options.connection.backend->clock();
  } else {
    s.q = queue.backend();
    s.clock = detail::backend_of(queue.connection())->clock();
  }
  s.processor = std::move(processor);
  s.options = std::move(options);
  Meter meter = detail::meter_of(s.connection);
  s.processing_time = create_metrics(meter).job_processing_time;
  s.wait_time = meter.create_histogram(
      "job_wait_time",
      {.description = "Background job wait time from ready to started", .unit = "ms"});
  s.counters = detail::job_counters(meter);

  std::weak_ptr<State> weak = s_;
  s.clock_subscription = s.clock->on_jump([weak] {
    if (auto st = weak.lock()) {
      std::lock_guard lock(st->mu);
      ++st->events;
      st->cv.notify_all();
    }
  });
  s.slots = std::make_unique<Slot[]>(static_cast<std::size_t>(s.options.concurrency));
  s.registration = obs::debug::job_registry().add_worker([weak](common::JsonWriter& w) {
    auto st = weak.lock();
    if (!st) return;  // being destroyed: left out
    const std::size_t running = st->running_jobs().size();
    bool closed;
    {
      std::lock_guard lock(st->mu);
      closed = st->closed;
    }
    w.begin_object();
    w.key("id").string(st->id);
    w.key("queue").string(st->queue_name);
    w.key("concurrency").number(std::int64_t{st->options.concurrency});
    w.key("running").number(std::uint64_t{running});
    w.key("closed").boolean(closed);
    w.end_object();
  });
  std::lock_guard lock(s.mu);
  s.live_threads = s.options.concurrency + 1;
  for (int i = 0; i < s.options.concurrency; ++i) {
    s.threads.emplace_back([st = s_, i] {
      common::set_thread_name("obs-job:" + st->queue_name);
      st->process_loop(st->slots[static_cast<std::size_t>(i)]);
      st->thread_exit();
    });
  }
  s.housekeeper = std::thread([st = s_] {
    common::set_thread_name("obs-jobhk:" + st->queue_name);
    st->housekeeping_loop();
    st->thread_exit();
  });
}

Worker::~Worker() {
  close(s_->options.close_timeout);
}

const std::string& Worker::id() const {
  return s_->id;
}

std::size_t Worker::running() const {
  return s_->running_jobs().size();
}

std::vector<std::shared_ptr<Running>> Worker::State::running_jobs() {
  std::vector<std::shared_ptr<Running>> out;
  for (int i = 0; i < options.concurrency; ++i) {
    Slot& slot = slots[static_cast<std::size_t>(i)];
    std::lock_guard lock(slot.mu);
    if (slot.job) out.push_back(slot.job);
  }
  return out;
}

CloseResult Worker::close(std::chrono::milliseconds timeout) {
  State& s = *s_;
  std::unique_lock lock(s.mu);
  if (s.closed) return s.close_result;
  s.closed = true;
  s.stop.request_stop();
  s.cv.notify_all();
  const bool done = s.cv.wait_for(lock, timeout, [&] { return s.live_threads == 0; });
  if (done) {
    lock.unlock();
    for (auto& t : s.threads) t.join();
    s.housekeeper.join();
    lock.lock();
  } else {
    s.close_result.clean = false;
    for (const auto& r : s.running_jobs()) {
      s.close_result.still_running.push_back(r->id);
      r->stop.request_stop();
    }
    std::sort(s.close_result.still_running.begin(), s.close_result.still_running.end());
    // The threads keep the state alive and exit when their processors return.
    for (auto& t : s.threads) t.detach();
    s.housekeeper.detach();
  }
  s.threads.clear();
  return s.close_result;
}

void Worker::State::process_loop(Slot& slot) {
  const std::stop_token st = stop.get_token();
  std::string token;
  std::string next;
  std::optional<Job> job;
  // A job in hand has been taken (it is active, locked to us): it runs even when close() came
  // in meanwhile, as it would have had close() come a moment later.
  while (job || !st.stop_requested()) {
    if (!job) {
      next_token(token);
      try {
        job = q->move_to_active(token, options.lock_duration);
        if (!job) {
          q->wait_for_work(options.drain_delay, st);
          continue;
        }
        backend_ok();
      } catch (const std::exception& e) {
        backend_failed("taking a job", e);
        continue;
      }
    }
    next_token(next);
    bool looked = false;
    job = run(std::move(*job), token, next, looked, slot);
    token.swap(next);
    // The completion found the queue empty: wait right away (wait_for_work returns at once when
    // a job arrived since).
    if (!job && looked && !st.stop_requested()) {
      try {
        q->wait_for_work(options.drain_delay, st);
      } catch (const std::exception& e) {
        backend_failed("waiting for jobs", e);
      }
    }
  }
}

void Worker::State::backend_ok() {
  if (backend_failing.load(std::memory_order_relaxed) && backend_failing.exchange(false)) {
    common::log(common::LogLevel::kInfo,
                "jobs: worker on queue " + queue_name + ": the backend answers again");
  }
}

void Worker::State::backend_failed(std::string_view doing, const std::exception& e) {
  if (!backend_failing.exchange(true)) {
    common::log_warn("jobs: worker on queue " + queue_name + ": " + std::string(doing) +
                     " failed: " + e.what() + "; retrying every second");
  }
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop.get_token(), std::chrono::seconds(1), [] { return false; });
}

std::optional<Job> Worker::State::run(Job job, const std::string& token, const std::string& next,
                                      bool& looked, Slot& slot) {
  std::optional<Job> next_job;
  auto r = std::make_shared<Running>();
  r->id = job.id;
  r->token = token;
  r->name = job.name;
  r->options = job.options;
  r->attempts_made = job.attempts_made;
  if (job.options.timeout.count() > 0) r->deadline = job.processed_on + job.options.timeout.count();
  {
    std::lock_guard lock(slot.mu);
    slot.job = r;
  }
  if (r->deadline != 0) {
    std::lock_guard lock(mu);
    ++events;
    cv.notify_all();
  }
  job.stop_token = r->stop.get_token();
  const BoundCounter* completed = nullptr;
  if (auto it = slot.completed_by_name.find(job.name); it != slot.completed_by_name.end()) {
    completed = &it->second;
  } else if (slot.completed_by_name.size() < kMaxCountedNames) {
    completed = &slot.completed_by_name
                     .emplace(job.name, detail::add_job_series(counters, queue_name, job.name))
                     .first->second;
  }

  wait_time.record(static_cast<double>(std::max<TimeMs>(0, job.processed_on - job.ready_on)),
                   {{"queue", queue_name}, {"job_name", job.name}});
  if (!job.scheduler_id.empty()) advance_schedule(job);

  const Context parent = extract(job.trace_context);
  std::string span_name = "job.";
  span_name += job.name;
  Span span = detail::start_job_span(connection, span_name,
                                     {{"messaging.system", detail::kMessagingSystem},
                                      {"messaging.operation.type", "process"},
                                      {"messaging.destination.name", queue_name},
                                      {"messaging.message.id", job.id},
                                      {"job.name", job.name},
                                      {"job.attempt", job.attempts_made + 1}},
                                     {.kind = SpanKind::kConsumer, .parent = &parent});
  const std::uint64_t start_ns = common::monotonic_ns();
  Json result;
  std::exception_ptr error;
  bool unrecoverable = false;
  if (!job.deferred_failure.empty()) {
    // Stalled too often: failed without running, whatever attempts are left (BullMQ's defa).
    error = std::make_exception_ptr(UnrecoverableError(job.deferred_failure));
    unrecoverable = true;
  } else {
    Scope scope = span.activate();
    try {
      result = processor(job);
    } catch (const UnrecoverableError&) {
      error = std::current_exception();
      unrecoverable = true;
    } catch (...) {
      error = std::current_exception();
    }
  }
  const double duration_ms = static_cast<double>(common::monotonic_ns() - start_ns) / 1e6;

  if (r->finished.exchange(true, std::memory_order_acq_rel)) {
    // The housekeeper failed it on timeout while the processor ran; its result is discarded.
    error = std::make_exception_ptr(std::runtime_error(r->timeout_reason));
  } else if (!error) {
    FinishStatus st;
    std::string why;
    try {
      if (stop.stop_requested()) {
        st = q->complete(job.id, token, std::move(result), job.options.remove_on_complete);
      } else {
        CompleteResult c =
            q->complete_and_take(job.id, token, std::move(result), job.options.remove_on_complete,
                                 next, options.lock_duration);
        st = c.status;
        next_job = std::move(c.next);
        looked = st == FinishStatus::kOk;
      }
      why = to_string(st);
    } catch (const std::exception& e) {
      // The job stays active; once its lock expires the stalled check gives it to a worker again.
      st = FinishStatus::kNotActive;
      why = e.what();
    }
    if (st == FinishStatus::kOk) {
      if (completed != nullptr) {
        completed->add(1);
      } else {
        counters.completed.add(1, {{"queue", queue_name}, {"job_name", job.name}});
      }
    } else {
      error = std::make_exception_ptr(
          std::runtime_error("job " + job.id + " could not be completed: " + why));
    }
  } else {
    std::string reason = "unknown exception";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      reason = e.what();
    } catch (...) {
    }
    finish_failure(*r, reason, unrecoverable);
  }
  if (error) {
    obs::detail::finish_traced_call_error(span, error);
  } else {
    obs::detail::finish_traced_call_ok(span);
  }
  processing_time.record(duration_ms,
                         {{"job_name", job.name}, {"status", error ? "error" : "success"}});
  span.end();
  {
    std::lock_guard lock(slot.mu);
    slot.job.reset();
  }
  return next_job;
}

void Worker::State::finish_failure(const Running& r, const std::string& reason,
                                   bool unrecoverable) {
  const int attempts = std::max(1, r.options.attempts);
  obs::debug::JobRegistry& registry = obs::debug::job_registry();
  if (registry.gathering()) {
    registry.record_failure({.queue = queue_name,
                             .job_id = r.id,
                             .job_name = r.name,
                             .reason = reason,
                             .attempt = r.attempts_made + 1,
                             .attempts = attempts,
                             .final = unrecoverable || r.attempts_made + 1 >= attempts,
                             .time_ms = clock->now_ms()});
  }
  try {
    FinishStatus st;
    if (!unrecoverable && r.attempts_made + 1 < attempts) {
      st = q->retry(r.id, r.token, reason, r.options.backoff.delay_after(r.attempts_made + 1));
    } else {
      st = q->fail(r.id, r.token, reason, r.options.remove_on_fail);
      if (st == FinishStatus::kOk) {
        counters.failed.add(1, {{"queue", queue_name}, {"job_name", r.name}});
      }
    }
    if (st != FinishStatus::kOk) {
      common::log_warn("jobs: a failed job could not be moved on (" + std::string(to_string(st)) +
                       ")");
    }
  } catch (const std::exception& e) {
    // The job stays active; once its lock expires the stalled check gives it to a worker again.
    common::log_warn("jobs: failed job " + r.id + " could not be moved on: " + e.what());
  }
}

void Worker::State::advance_schedule(const Job& job) {
  try {
    const std::optional<ScheduleRecord> sched = q->get_schedule(job.scheduler_id);
    if (!sched) return;
    const std::size_t colon = job.id.rfind(':');
    const TimeMs run_millis = std::stoll(job.id.substr(colon + 1));
    const TimeMs now = clock->now_ms();
    const std::optional<TimeMs> next = detail::next_run_after(*sched, run_millis, now);
    if (!next) return;
    q->advance_schedule(sched->id, job.id, detail::make_run(*sched, *next, now), *next);
  } catch (const std::exception& e) {
    common::log_warn(std::string("jobs: could not create the next run of a schedule: ") + e.what());
  }
}

void Worker::State::housekeeping_loop() {
  const std::stop_token st = stop.get_token();
  const TimeMs renew_every = std::max<TimeMs>(1, options.lock_duration.count() / 2);
  TimeMs next_renew = clock->now_ms() + renew_every;
  TimeMs next_stall_check = clock->now_ms();  // BullMQ checks at start-up
  std::vector<std::shared_ptr<Running>> snapshot;
  while (!st.stop_requested()) {
    const TimeMs now = clock->now_ms();
    std::uint64_t seen_events;
    TimeMs next_deadline = 0;
    {
      std::lock_guard lock(mu);
      seen_events = events;
    }
    snapshot = running_jobs();
    for (const auto& r : snapshot) {
      if (r->deadline == 0 || r->finished.load(std::memory_order_acquire)) continue;
      if (r->deadline <= now) {
        r->timeout_reason = "job " + r->id + " timed out after " +
                            std::to_string(r->options.timeout.count()) + " ms";
        if (!r->finished.exchange(true, std::memory_order_acq_rel)) {
          r->stop.request_stop();
          finish_failure(*r, r->timeout_reason, /*unrecoverable=*/false);
        }
      } else if (next_deadline == 0 || r->deadline < next_deadline) {
        next_deadline = r->deadline;
      }
    }
    try {
      if (now >= next_renew) {
        for (const auto& r : snapshot) {
          if (!r->finished.load(std::memory_order_acquire)) {
            q->extend_lock(r->id, r->token, options.lock_duration);
          }
        }
        next_renew = now + renew_every;
      }
      if (now >= next_stall_check) {
        q->check_stalled(options.max_stalled_count, options.stalled_interval);
        next_stall_check = now + options.stalled_interval.count();
      }
    } catch (const std::exception& e) {
      // Retried at the next turn (at most a second away); the processing threads log the outage.
      if (next_renew <= now) next_renew = now + 1000;
      if (next_stall_check <= now) next_stall_check = now + 1000;
      common::log(common::LogLevel::kDebug, std::string("jobs: housekeeping: ") + e.what());
    }
    TimeMs next = std::min(next_renew, next_stall_check);
    if (next_deadline != 0) next = std::min(next, next_deadline);
    const auto wait =
        std::chrono::milliseconds(std::clamp<TimeMs>(next - clock->now_ms(), 1, 1000));
    std::unique_lock lock(mu);
    cv.wait_for(lock, st, wait, [&] { return events != seen_events; });
  }
}

}  // namespace adminara::obs::jobs
