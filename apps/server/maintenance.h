// The service's maintenance jobs on the `maintenance` queue: turn_rotation, session_cleanup and
// retention, scheduled by the jobs Scheduler and run by one Worker, each a `job.<name>` span and
// a `job_processing_time` sample (the jobs library does both).
//
// Thread-safety: construct and close from one thread; the jobs run on the worker's threads.
#pragma once

#include <memory>

#include "service.h"

namespace adminara::server {

class Maintenance {
 public:
  /// Creates the queue and the worker and (re)defines the three schedules under the span
  /// `scheduler.init`. `service` must outlive this object. Throws obs::jobs::ScheduleError for a
  /// schedule the jobs library refuses.
  /// `backend`: where the queue lives (null: the process' in-memory backend).
  explicit Maintenance(AdminAraService& service,
                       std::shared_ptr<obs::jobs::Backend> backend = nullptr);
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  /// Stops taking jobs and waits up to `timeout` for the running one; what was still running.
  obs::jobs::CloseResult close(std::chrono::milliseconds timeout);

  obs::jobs::Queue& queue();
  obs::jobs::Scheduler& scheduler();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace adminara::server
