#include <algorithm>
#include <utility>

#include "adminara/obs/jobs.h"
#include "adminara/obs/propagation.h"
#include "jobs/internal.h"

namespace adminara::obs::jobs {

struct Queue::State {
  std::string name;
  Connection connection;
  std::shared_ptr<QueueBackend> backend;
  std::shared_ptr<const Clock> clock;
  ObservableInstrument depth_gauge;
  obs::debug::JobRegistry::Handle registration;  // last: ends first

  // Adds one validated job under its producer span; `span_name` is scratch space.
  std::string add(std::string_view job_name, Json data, const JobOptions& options, TimeMs now,
                  std::string& span_name);
  // The job to add, its producer span started (into `span`) and its context injected.
  Job make_job(std::string_view job_name, Json data, const JobOptions& options, TimeMs now,
               std::string& span_name, Span& span);
};

namespace {

// What the backend did with an added job, on its producer span.
void tag_added(Span& span, const AddResult& r) {
  span.set_attribute("messaging.message.id", r.id);
  if (!r.added) span.set_attribute("job.deduplicated", true);
}

// A canonical decimal integer ("42", "-7"; not "007" or "4.2"): what the `id` counter produces.
bool is_integer_id(std::string_view id) {
  if (id.starts_with('-')) id.remove_prefix(1);
  if (id.empty() || (id.size() > 1 && id[0] == '0')) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void validate(const JobOptions& o) {
  const std::string& id = o.job_id;
  // Node BullMQ 6.7.0's producer refuses integer custom ids ("Custom Id cannot be integers"):
  // they would collide with the ids its `id` counter hands out, and an add with a taken id is a
  // duplicate that adds nothing. It also refuses ids with ':' unless they have exactly three
  // ':'-separated parts ("Custom Id cannot contain :"). Observed by running Node's Queue.add
  // (tests/interop/bullmq_cli.js); we refuse the same ids so that both producers agree.
  const auto colons = std::count(id.begin(), id.end(), ':');
  if (id.starts_with("0:") || id.starts_with("repeat:") || is_integer_id(id) ||
      (colons > 0 && colons != 2)) {
    throw JobError("job_id \"" + id +
                   "\": accepted: a string that is not an integer (those are the queue's own ids) "
                   "and has no ':' unless in three ':'-separated parts, not starting with \"0:\" "
                   "or \"repeat:\" (reserved for schedules)");
  }
  if (o.priority > JobOptions::kMaxPriority) {
    throw JobError("priority " + std::to_string(o.priority) + ": accepted: 0 (none) or 1-" +
                   std::to_string(JobOptions::kMaxPriority));
  }
  if (o.delay.count() < 0 || o.timeout.count() < 0 || o.backoff.delay.count() < 0) {
    throw JobError("delay, timeout and backoff.delay must be >= 0 ms");
  }
}

}  // namespace

Queue::Queue(std::string name, QueueOptions options) : s_(std::make_unique<State>()) {
  if (name.empty() || name.find(':') != std::string::npos) {
    throw JobError("queue name \"" + name + "\": accepted: a non-empty name without ':'");
  }
  s_->name = std::move(name);
  s_->connection = std::move(options.connection);
  std::shared_ptr<Backend> backend = detail::backend_of(s_->connection);
  s_->backend = backend->queue(s_->name);
  s_->clock = backend->clock();
  if (options.queue_depth_metrics) {
    std::shared_ptr<QueueBackend> q = s_->backend;
    s_->depth_gauge =
        detail::meter_of(s_->connection)
            .create_observable_gauge(
                "job_queue_depth",
                [q](ObservableResult& r) {
                  const JobCounts c = q->counts();
                  const std::string& n = q->name();
                  r.observe(static_cast<double>(c.waiting), {{"queue", n}, {"state", "waiting"}});
                  r.observe(static_cast<double>(c.prioritized),
                            {{"queue", n}, {"state", "prioritized"}});
                  r.observe(static_cast<double>(c.delayed), {{"queue", n}, {"state", "delayed"}});
                  r.observe(static_cast<double>(c.active), {{"queue", n}, {"state", "active"}});
                  r.observe(static_cast<double>(c.completed),
                            {{"queue", n}, {"state", "completed"}});
                  r.observe(static_cast<double>(c.failed), {{"queue", n}, {"state", "failed"}});
                },
                {.description = "Jobs in a queue per state", .unit = "{job}"});
  }
  s_->registration = detail::register_queue(s_->backend);
}

namespace detail {

obs::debug::JobRegistry::Handle register_queue(std::shared_ptr<QueueBackend> q) {
  const void* key = q.get();
  return obs::debug::job_registry().add_queue(key, [q = std::move(q)](common::JsonWriter& w) {
    // Read first, so that a backend that throws leaves nothing half written.
    const JobCounts c = q->counts();
    const bool paused = q->paused();
    const std::vector<ScheduleRecord> schedules = q->schedules();
    w.begin_object();
    w.key("name").string(q->name());
    w.key("counts").begin_object();
    w.key("waiting").number(std::uint64_t{c.waiting});
    w.key("prioritized").number(std::uint64_t{c.prioritized});
    w.key("delayed").number(std::uint64_t{c.delayed});
    w.key("active").number(std::uint64_t{c.active});
    w.key("completed").number(std::uint64_t{c.completed});
    w.key("failed").number(std::uint64_t{c.failed});
    w.end_object();
    w.key("paused").boolean(paused);
    w.key("schedules").begin_array();
    for (const ScheduleRecord& r : schedules) {
      w.begin_object();
      w.key("id").string(r.id);
      w.key("job_name").string(r.job_name);
      w.key("every_ms").number(std::int64_t{r.every.count()});
      w.key("cron").string(r.cron);
      w.key("next_run_ms").number(std::int64_t{r.next_run});
      w.key("iterations").number(std::int64_t{r.iterations});
      w.end_object();
    }
    w.end_array();
    w.end_object();
  });
}

}  // namespace detail

Queue::~Queue() = default;
Queue::Queue(Queue&&) noexcept = default;
Queue& Queue::operator=(Queue&&) noexcept = default;

const std::string& Queue::name() const {
  return s_->name;
}

std::string Queue::add(std::string_view name, Json data, const JobOptions& options) {
  validate(options);
  std::string span_name;
  return s_->add(name, std::move(data), options, s_->clock->now_ms(), span_name);
}

std::vector<std::string> Queue::add_bulk(std::vector<BulkJob> jobs) {
  for (const BulkJob& b : jobs) validate(b.options);
  const TimeMs now = s_->clock->now_ms();
  std::string span_name;
  // One producer span per job, then one backend call for all (one round trip per many jobs on
  // Redis), then each span gets its job's id.
  std::vector<Span> spans;
  std::vector<Job> batch;
  spans.reserve(jobs.size());
  batch.reserve(jobs.size());
  for (BulkJob& b : jobs) {
    batch.push_back(
        s_->make_job(b.name, std::move(b.data), b.options, now, span_name, spans.emplace_back()));
  }
  std::vector<AddResult> results;
  try {
    results = s_->backend->add_bulk(std::move(batch));
  } catch (const std::exception& e) {
    for (Span& span : spans) span.set_status(StatusCode::kError, e.what());
    throw;
  }
  std::vector<std::string> ids;
  ids.reserve(results.size());
  for (std::size_t i = 0; i < results.size() && i < spans.size(); ++i) {
    tag_added(spans[i], results[i]);
    ids.push_back(std::move(results[i].id));
  }
  return ids;
}

Job Queue::State::make_job(std::string_view job_name, Json data, const JobOptions& options,
                           TimeMs now, std::string& span_name, Span& span) {
  span_name.assign("add ").append(name).append(".").append(job_name);
  span = detail::start_job_span(connection, span_name,
                                {{"messaging.system", detail::kMessagingSystem},
                                 {"messaging.operation.type", "send"},
                                 {"messaging.destination.name", name},
                                 {"job.name", job_name}},
                                {.kind = SpanKind::kProducer});
  Job job;
  job.name = job_name;
  job.data = std::move(data);
  job.options = options;
  job.timestamp = now;
  if (span.context().is_valid()) {
    inject(Context::current().with_span_context(span.context()), job.trace_context);
  }
  return job;
}

std::string Queue::State::add(std::string_view job_name, Json data, const JobOptions& options,
                              TimeMs now, std::string& span_name) {
  Span span;
  Job job = make_job(job_name, std::move(data), options, now, span_name, span);
  AddResult r;
  try {
    r = backend->add(std::move(job));
  } catch (const std::exception& e) {
    span.set_status(StatusCode::kError, e.what());
    throw;
  }
  tag_added(span, r);
  return std::move(r.id);
}

JobCounts Queue::counts() const {
  return s_->backend->counts();
}

std::optional<Job> Queue::get_job(std::string_view id) const {
  return s_->backend->get_job(id);
}

void Queue::pause() {
  s_->backend->pause();
}

void Queue::resume() {
  s_->backend->resume();
}

bool Queue::is_paused() const {
  return s_->backend->paused();
}

std::size_t Queue::drain(bool include_delayed) {
  return s_->backend->drain(include_delayed);
}

const std::shared_ptr<QueueBackend>& Queue::backend() const {
  return s_->backend;
}

const Connection& Queue::connection() const {
  return s_->connection;
}

}  // namespace adminara::obs::jobs
