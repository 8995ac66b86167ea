#include <algorithm>

#include "adminara/obs/jobs.h"
#include "jobs/cron.h"
#include "jobs/internal.h"

namespace adminara::obs::jobs {

namespace detail {

std::optional<TimeMs> next_run_after(const ScheduleRecord& s, TimeMs run_millis, TimeMs now) {
  const TimeMs after = std::max(run_millis, now);
  if (!s.cron.empty()) return CronExpression::parse(s.cron).next_after(after);
  const TimeMs every = s.every.count();
  if (every <= 0) return std::nullopt;
  TimeMs next = run_millis + every;
  if (next <= now) next = (now / every + 1) * every;  // fell behind: the next slot after now
  return next;
}

std::optional<TimeMs> first_run_at(const ScheduleRecord& s, TimeMs now) {
  if (!s.cron.empty()) return CronExpression::parse(s.cron).next_after(now - 1);
  const TimeMs every = s.every.count();
  if (every <= 0) return std::nullopt;
  return (now + every - 1) / every * every;  // the first slot at or after now
}

Job make_run(const ScheduleRecord& s, TimeMs millis, TimeMs now) {
  Job job;
  job.name = s.job_name;
  job.data = s.data;
  job.options = s.options;
  job.options.job_id.clear();
  job.options.delay = std::chrono::milliseconds(std::max<TimeMs>(0, millis - now));
  job.timestamp = now;
  job.scheduler_id = s.id;
  return job;
}

}  // namespace detail

struct Scheduler::State {
  std::string queue_name;
  Connection connection;
  std::shared_ptr<QueueBackend> backend;
  std::shared_ptr<const Clock> clock;
  obs::debug::JobRegistry::Handle registration;  // its queue, for /debug/jobz
};

Scheduler::Scheduler(const Queue& queue, Connection connection) : s_(std::make_unique<State>()) {
  s_->queue_name = queue.name();
  s_->connection = detail::merge(connection, queue.connection());
  if (connection.backend) {
    s_->backend = connection.backend->queue(queue.name());
    s_->clock = connection.backend->clock();
  } else {
    s_->backend = queue.backend();
    s_->clock = detail::backend_of(queue.connection())->clock();
  }
  s_->registration = detail::register_queue(s_->backend);
}

Scheduler::~Scheduler() = default;

void Scheduler::init(const std::function<void(Scheduler&)>& setup) {
  Span span = detail::start_job_span(s_->connection, "scheduler.init",
                                     {{"messaging.system", detail::kMessagingSystem},
                                      {"messaging.destination.name", s_->queue_name}},
                                     {});
  try {
    {
      Scope scope = span.activate();
      setup(*this);
    }
    span.set_attribute("schedules", static_cast<std::int64_t>(s_->backend->schedules().size()));
    obs::detail::finish_traced_call_ok(span);
  } catch (...) {
    obs::detail::finish_traced_call_error(span, std::current_exception());
    throw;
  }
}

TimeMs Scheduler::upsert(std::string_view id, const ScheduleOptions& options) {
  if (id.empty() || id.find(':') != std::string_view::npos) {
    throw JobError("schedule id \"" + std::string(id) + "\": accepted: a non-empty id without ':'");
  }
  const bool has_every = options.every.count() != 0;
  const bool has_cron = !options.cron.empty();
  if (has_every == has_cron) {
    throw ScheduleError("schedule \"" + std::string(id) +
                        "\": set exactly one of every (an interval in ms) and cron");
  }
  if (has_every && options.every.count() < 0) {
    throw ScheduleError("schedule \"" + std::string(id) + "\": every " +
                        std::to_string(options.every.count()) +
                        " ms; accepted: a positive number of milliseconds");
  }
  if (options.job_name.empty()) {
    throw ScheduleError("schedule \"" + std::string(id) + "\": job_name must not be empty");
  }
  ScheduleRecord rec;
  rec.id = std::string(id);
  rec.job_name = options.job_name;
  rec.every = options.every;
  rec.cron = options.cron;
  rec.data = options.data;
  rec.options = options.options;
  rec.options.job_id.clear();
  rec.options.delay = std::chrono::milliseconds(0);
  const TimeMs now = s_->clock->now_ms();
  const std::optional<TimeMs> first = detail::first_run_at(rec, now);  // validates the cron
  if (!first) {
    throw ScheduleError("schedule \"" + std::string(id) + "\": cron expression \"" + rec.cron +
                        "\" never matches (a day that no month has?)");
  }
  Job run = detail::make_run(rec, *first, now);
  const TimeMs next = s_->backend->upsert_schedule(std::move(rec), std::move(run), *first);
  // The job name is known now: its jobs_completed / jobs_failed series exist from here, at 0.
  (void)detail::add_job_series(detail::job_counters(detail::meter_of(s_->connection)),
                               s_->queue_name, options.job_name);
  return next;
}

bool Scheduler::remove(std::string_view id) {
  return s_->backend->remove_schedule(id);
}

std::vector<ScheduleRecord> Scheduler::list() const {
  return s_->backend->schedules();
}

std::optional<ScheduleRecord> Scheduler::get(std::string_view id) const {
  return s_->backend->get_schedule(id);
}

}  // namespace adminara::obs::jobs
