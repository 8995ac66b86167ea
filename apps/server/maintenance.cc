#include "maintenance.h"

#include <optional>

namespace adminara::server {

namespace jobs = obs::jobs;

struct Maintenance::State {
  explicit State(std::shared_ptr<jobs::Backend> backend)
      : queue("maintenance", {.connection = {.backend = std::move(backend)}}) {}
  jobs::Queue queue;
  jobs::Scheduler scheduler{queue};
  std::optional<jobs::Worker> worker;
};

Maintenance::Maintenance(AdminAraService& service, std::shared_ptr<jobs::Backend> backend)
    : s_(std::make_unique<State>(std::move(backend))) {
  const ServerConfig& config = service.config();
  // Finished maintenance jobs are few and small; keep the recent ones for inspection.
  jobs::JobOptions options;
  options.attempts = 3;
  options.backoff = jobs::Backoff::exponential(std::chrono::milliseconds(1000));
  options.remove_on_complete = jobs::Retention::keep_last(100);
  options.remove_on_fail = jobs::Retention::keep_last(500);
  s_->scheduler.init([&](jobs::Scheduler& s) {
    s.upsert(
        "turn_rotation",
        {.job_name = "turn_rotation", .every = config.turn_rotation_interval, .options = options});
    s.upsert("session_cleanup", {.job_name = "session_cleanup",
                                 .every = config.session_cleanup_interval,
                                 .options = options});
    s.upsert("retention",
             {.job_name = "retention", .cron = config.retention_schedule, .options = options});
  });
  s_->worker.emplace(
      s_->queue,
      [&service](jobs::Job& job) -> jobs::Json {
        if (job.name == "turn_rotation") return service.rotate_turn_secret();
        if (job.name == "session_cleanup") return service.cleanup_sessions();
        if (job.name == "retention") return service.apply_retention();
        throw jobs::UnrecoverableError("unknown maintenance job '" + job.name +
                                       "'; known: turn_rotation, session_cleanup, retention");
      },
      jobs::WorkerOptions{.concurrency = 1, .drain_delay = std::chrono::milliseconds(500)});
}

Maintenance::~Maintenance() {
  if (s_ && s_->worker) s_->worker->close(std::chrono::milliseconds(1000));
}

jobs::CloseResult Maintenance::close(std::chrono::milliseconds timeout) {
  return s_->worker->close(timeout);
}

jobs::Queue& Maintenance::queue() {
  return s_->queue;
}

jobs::Scheduler& Maintenance::scheduler() {
  return s_->scheduler;
}

}  // namespace adminara::server
