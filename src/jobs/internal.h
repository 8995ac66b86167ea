// Shared by queue.cc, worker.cc and scheduler.cc: spans through the connection's tracer, the job
// metrics, and the run-time arithmetic of schedules.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adminara/obs/jobs.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/tracer.h"
#include "debug/job_registry.h"

namespace adminara::obs::jobs::detail {

inline constexpr std::string_view kMessagingSystem = "adminara.jobs";

inline Span start_job_span(const Connection& c, std::string_view name, Attributes attributes,
                           const SpanOptions& options) {
  if (c.tracer) return c.tracer->start_span(name, attributes, options);
  return obs::start_span(name, attributes, options);
}

inline Meter meter_of(const Connection& c) {
  return c.meter ? *c.meter : get_meter();
}

/// jobs_completed and jobs_failed on one meter (the same instruments at every call).
struct JobCounters {
  Counter completed;
  Counter failed;
};
inline JobCounters job_counters(Meter meter) {
  return {meter.create_counter("jobs_completed",
                               {.description = "Background jobs completed", .unit = "{job}"}),
          meter.create_counter("jobs_failed",
                               {.description = "Background jobs failed for good (no attempts left)",
                                .unit = "{job}"})};
}
/// Makes the series of (`queue`, `job_name`) exist in both counters, at 0 until counted, so that
/// a job that never failed shows jobs_failed_total 0 rather than no series (Prometheus'
/// instrumentation guideline "avoid missing metrics"). bind() creates a series without recording,
/// so no exemplar points at the caller's span. Returns the jobs_completed series, bound.
inline BoundCounter add_job_series(const JobCounters& c, std::string_view queue,
                                   std::string_view job_name) {
  c.failed.bind({{"queue", queue}, {"job_name", job_name}});
  return c.completed.bind({{"queue", queue}, {"job_name", job_name}});
}

/// Fields unset in `over` are taken from `base`.
inline Connection merge(const Connection& over, const Connection& base) {
  Connection c = base;
  if (over.backend) c.backend = over.backend;
  if (over.tracer) c.tracer = over.tracer;
  if (over.meter) c.meter = over.meter;
  return c;
}

inline std::shared_ptr<Backend> backend_of(const Connection& c) {
  return c.backend ? c.backend : default_backend();
}

/// The run after the one at `run_millis`, processed at `now`: the next slot of the schedule
/// strictly after both (missed runs are skipped, as in BullMQ). nullopt: no further run.
std::optional<TimeMs> next_run_after(const ScheduleRecord& s, TimeMs run_millis, TimeMs now);
/// The first run of a schedule created at `now`.
std::optional<TimeMs> first_run_at(const ScheduleRecord& s, TimeMs now);
/// The job of one run (its id is set by the backend from the millis).
Job make_run(const ScheduleRecord& s, TimeMs millis, TimeMs now);

/// Registers `q` with the debug pages' job registry (its counts, paused state and schedules are
/// read when /debug/jobz asks); the registration ends with the handle.
obs::debug::JobRegistry::Handle register_queue(std::shared_ptr<QueueBackend> q);

}  // namespace adminara::obs::jobs::detail
