// The Redis backend: every QueueBackend call is one Lua script (scripts.cc) over BullMQ 6's keys,
// run on a pooled connection. Idle workers of a process share one blocking connection per queue
// (BullMQ's: named `<prefix>:<base64(queue)>`, so Node's getWorkers() lists it), which waits
// on the queue's marker with BZPOPMIN; the other idle threads wait for it to return.
#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <unordered_map>

#include "adminara/obs/jobs_backend.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/tracer.h"
#include "common/log.h"
#include "jobs/redis/redis_client.h"
#include "jobs/redis/scripts.h"

namespace adminara::obs::jobs {
namespace {

using redis::Reply;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                   static_cast<unsigned char>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  if (i < in.size()) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size())
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::int64_t to_i64(std::string_view s, std::int64_t fallback = 0) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p != s.data()) return v;
  // Lua may have written a number as a double ("1.5", "1e+15").
  try {
    return static_cast<std::int64_t>(std::stod(std::string(s)));
  } catch (const std::exception&) {
    return fallback;
  }
}

// JSON text as stored by BullMQ (data, returnvalue); text that is not JSON is kept as a string.
Json parse_json_or_string(const std::string& s) {
  Json j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Json(s);
  return j;
}

// BullMQ's removeOnComplete / removeOnFail: true = remove at once, false = keep all, n = keep the
// last n, {count, age} with age in seconds.
Json encode_retention(const Retention& r) {
  if (r == Retention::keep_all()) return Json(false);
  if (r == Retention::remove()) return Json(true);
  if (r.age.count() == 0) return Json(*r.count);
  Json o = Json::object();
  o["age"] = static_cast<double>(r.age.count()) / 1000.0;
  if (r.count) o["count"] = *r.count;
  return o;
}

Retention decode_retention(const Json& j) {
  if (j.is_boolean()) return j.get<bool>() ? Retention::remove() : Retention::keep_all();
  if (j.is_number()) {
    const double n = j.get<double>();
    return n < 0 ? Retention::keep_all() : Retention::keep_last(static_cast<std::size_t>(n));
  }
  Retention r;
  if (j.is_object()) {
    if (auto c = j.find("count"); c != j.end() && c->is_number() && c->get<double>() >= 0) {
      r.count = static_cast<std::size_t>(c->get<double>());
    }
    if (auto a = j.find("age"); a != j.end() && a->is_number()) {
      r.age = std::chrono::milliseconds(static_cast<std::int64_t>(a->get<double>() * 1000.0 + 0.5));
    }
  }
  return r;
}

// The job's `opts` JSON with BullMQ's names (`tm` = the trace context as a JSON string).
std::string encode_opts(const JobOptions& o, const std::map<std::string, std::string>& tm) {
  Json j = Json::object();
  j["attempts"] = o.attempts;
  if (o.backoff.delay.count() > 0 || o.backoff.type == Backoff::Type::kExponential) {
    j["backoff"] = {
        {"type", o.backoff.type == Backoff::Type::kExponential ? "exponential" : "fixed"},
        {"delay", o.backoff.delay.count()}};
  }
  if (o.delay.count() > 0) j["delay"] = o.delay.count();
  if (o.priority > 0) j["priority"] = o.priority;
  if (!o.job_id.empty()) j["jobId"] = o.job_id;
  if (o.timeout.count() > 0) j["timeout"] = o.timeout.count();
  if (o.remove_on_complete != Retention::keep_all()) {
    j["removeOnComplete"] = encode_retention(o.remove_on_complete);
  }
  if (o.remove_on_fail != Retention::keep_all()) {
    j["removeOnFail"] = encode_retention(o.remove_on_fail);
  }
  if (!tm.empty()) j["tm"] = Json(tm).dump();
  return j.dump();
}

std::int64_t number_or(const Json& j, std::string_view key, std::int64_t fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  return static_cast<std::int64_t>(it->get<double>());
}

void decode_opts(const std::string& text, JobOptions& o, std::map<std::string, std::string>& tm) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return;
  o.attempts = static_cast<int>(std::max<std::int64_t>(1, number_or(j, "attempts", 1)));
  if (auto b = j.find("backoff"); b != j.end()) {
    if (b->is_number()) {
      o.backoff = Backoff::fixed(std::chrono::milliseconds(b->get<std::int64_t>()));
    } else if (b->is_object()) {
      const auto delay = std::chrono::milliseconds(number_or(*b, "delay", 0));
      const bool exponential = b->value("type", std::string()) == "exponential";
      o.backoff = exponential ? Backoff::exponential(delay) : Backoff::fixed(delay);
    }
  }
  o.delay = std::chrono::milliseconds(number_or(j, "delay", 0));
  o.priority = static_cast<std::uint32_t>(number_or(j, "priority", 0));
  if (auto id = j.find("jobId"); id != j.end() && id->is_string())
    o.job_id = id->get<std::string>();
  o.timeout = std::chrono::milliseconds(number_or(j, "timeout", 0));
  if (auto r = j.find("removeOnComplete"); r != j.end())
    o.remove_on_complete = decode_retention(*r);
  if (auto r = j.find("removeOnFail"); r != j.end()) o.remove_on_fail = decode_retention(*r);
  if (auto t = j.find("tm"); t != j.end() && t->is_string()) {
    const Json ctx = Json::parse(t->get<std::string>(), nullptr, /*allow_exceptions=*/false);
    if (ctx.is_object()) {
      for (const auto& [k, v] : ctx.items()) {
        if (v.is_string()) tm[k] = v.get<std::string>();
      }
    }
  }
}

std::optional<JobState> parse_state(std::string_view s) {
  if (s == "waiting") return JobState::kWaiting;
  if (s == "prioritized") return JobState::kPrioritized;
  if (s == "delayed") return JobState::kDelayed;
  if (s == "active") return JobState::kActive;
  if (s == "completed") return JobState::kCompleted;
  if (s == "failed") return JobState::kFailed;
  return std::nullopt;
}

// A job from its hash (HGETALL as a flat array).
Job decode_job(const std::string& queue, std::string id, const Reply& fields, JobState state) {
  Job job;
  job.id = std::move(id);
  job.queue = queue;
  job.state = state;
  std::int64_t delay = 0;
  std::int64_t ready = -1;
  bool have_atm = false;
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    const std::string& k = fields.elements[i].str;
    const std::string& v = fields.elements[i + 1].str;
    if (k == "name") {
      job.name = v;
    } else if (k == "data") {
      job.data = parse_json_or_string(v);
    } else if (k == "opts") {
      decode_opts(v, job.options, job.trace_context);
    } else if (k == "timestamp") {
      job.timestamp = to_i64(v);
    } else if (k == "delay") {
      delay = to_i64(v);
    } else if (k == "rdy") {
      ready = to_i64(v);
    } else if (k == "processedOn") {
      job.processed_on = to_i64(v);
    } else if (k == "finishedOn") {
      job.finished_on = to_i64(v);
    } else if (k == "ats") {
      job.attempts_started = static_cast<int>(to_i64(v));
    } else if (k == "atm") {
      job.attempts_made = static_cast<int>(to_i64(v));
      have_atm = true;
    } else if (k == "attemptsMade" && !have_atm) {
      job.attempts_made = static_cast<int>(to_i64(v));
    } else if (k == "stc") {
      job.stalled_count = static_cast<int>(to_i64(v));
    } else if (k == "returnvalue") {
      job.return_value = parse_json_or_string(v);
    } else if (k == "failedReason") {
      job.failed_reason = v;
    } else if (k == "defa") {
      job.deferred_failure = v;
    } else if (k == "rjk") {
      job.scheduler_id = v;
    }
  }
  job.ready_on = ready >= 0 ? ready : job.timestamp + delay;
  return job;
}

ScheduleRecord decode_schedule(std::string id, std::int64_t next_run, const Reply& fields) {
  ScheduleRecord s;
  s.id = std::move(id);
  s.next_run = next_run;
  std::map<std::string, std::string> unused;
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    const std::string& k = fields.elements[i].str;
    const std::string& v = fields.elements[i + 1].str;
    if (k == "name") {
      s.job_name = v;
    } else if (k == "every") {
      s.every = std::chrono::milliseconds(to_i64(v));
    } else if (k == "pattern") {
      s.cron = v;
    } else if (k == "data") {
      s.data = parse_json_or_string(v);
    } else if (k == "opts") {
      decode_opts(v, s.options, unused);
    } else if (k == "ic") {
      s.iterations = to_i64(v);
    }
  }
  return s;
}

FinishStatus finish_status(long long code) {
  switch (code) {
    case 0:
      return FinishStatus::kOk;
    case -1:
      return FinishStatus::kJobMissing;
    case -2:
      return FinishStatus::kLockMissing;
    case -6:
      return FinishStatus::kLockMismatch;
    default:
      return FinishStatus::kNotActive;
  }
}

std::string ms_string(std::chrono::milliseconds ms) {
  return std::to_string(ms.count());
}

// What one backend's queues share: the pool, options and the self-metrics.
struct Shared {
  explicit Shared(RedisOptions o)
      : options(std::move(o)),
        pool(redis::PoolOptions{.url = redis::parse_redis_url(options.url),
                                .connect_timeout = options.connect_timeout,
                                .command_timeout = options.command_timeout,
                                .retry_for = options.retry_for}),
        clock(options.clock ? options.clock : system_clock()) {
    if (options.prefix.empty() || options.prefix.find(':') != std::string::npos) {
      throw RedisError("redis prefix \"" + options.prefix +
                       "\": accepted: a non-empty prefix without ':'");
    }
    Meter meter = options.meter ? *options.meter : get_meter();
    redis::RedisStats* st = &pool.stats();
    auto counter = [&](std::string_view name, std::string_view description,
                       std::atomic<std::uint64_t> redis::RedisStats::*field) {
      instruments.push_back(meter.create_observable_counter(
          name,
          [st, field](ObservableResult& r) {
            r.observe(static_cast<double>((st->*field).load(std::memory_order_relaxed)));
          },
          {.description = description}));
    };
    counter("adminara_obs_redis_calls", "Calls to Redis by the jobs backend (scripts, commands)",
            &redis::RedisStats::commands);
    counter("adminara_obs_redis_connection_errors",
            "Redis connections that could not be opened or broke; the call was retried",
            &redis::RedisStats::connection_errors);
    counter("adminara_obs_redis_reply_errors", "Error replies from Redis to the jobs backend",
            &redis::RedisStats::reply_errors);
    counter("adminara_obs_redis_calls_failed",
            "Redis calls given up after retrying for retry_for (the caller got a RedisError)",
            &redis::RedisStats::gave_up);
  }

  RedisOptions options;
  redis::Pool pool;
  std::shared_ptr<const Clock> clock;
  std::vector<ObservableInstrument> instruments;
};

class RedisQueue final : public QueueBackend {
 public:
  RedisQueue(std::string name, std::shared_ptr<Shared> shared)
      : name_(std::move(name)),
        shared_(std::move(shared)),
        prefix_(shared_->options.prefix + ":" + name_ + ":"),
        keys_{prefix_ + "meta"} {
    client_name_ = shared_->options.prefix + ":" + base64(name_);
    if (!shared_->options.worker_name.empty()) {
      client_name_ += ":w:" + shared_->options.worker_name;
    }
  }

  ~RedisQueue() override = default;

  void subscribe(const std::shared_ptr<RedisQueue>& self) {
    std::weak_ptr<RedisQueue> weak = self;
    jump_subscription_ = shared_->clock->on_jump([weak] {
      if (auto q = weak.lock()) q->wake_all();
    });
  }

  const std::string& name() const override { return name_; }

  AddResult add(Job job) override {
    const Reply r = run(redis::scripts::add_job(), add_args(job));
    return {r.elements.at(0).as_string(), r.elements.at(1).as_int() == 1};
  }

  std::vector<AddResult> add_bulk(std::vector<Job> jobs) override {
    // kPerCall jobs per script call (short enough not to hold Redis up for other clients), and
    // kCallsPerTrip calls pipelined per round trip.
    constexpr std::size_t kPerCall = 100;
    constexpr std::size_t kCallsPerTrip = 10;
    std::vector<AddResult> out;
    out.reserve(jobs.size());
    const redis::Script& script = redis::scripts::add_jobs();
    std::vector<std::vector<std::string>> calls;
    auto flush = [&] {
      const std::vector<Reply> replies = shared_->pool.with_connection(
          [&](redis::RedisConnection& c) { return script.run_pipelined(c, keys_, calls); });
      for (const Reply& r : replies) {
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
          out.push_back({r.elements[i].as_string(), r.elements[i + 1].as_int() == 1});
        }
      }
      calls.clear();
    };
    for (std::size_t start = 0; start < jobs.size(); start += kPerCall) {
      std::vector<std::string> args{prefix_};
      for (std::size_t i = start; i < std::min(jobs.size(), start + kPerCall); ++i) {
        std::vector<std::string> a = add_args(jobs[i]);
        args.insert(args.end(), std::make_move_iterator(a.begin() + 1),
                    std::make_move_iterator(a.end()));
      }
      calls.push_back(std::move(args));
      if (calls.size() == kCallsPerTrip) flush();
    }
    if (!calls.empty()) flush();
    return out;
  }

  std::optional<Job> move_to_active(std::string_view token,
                                    std::chrono::milliseconds lock_duration) override {
    const Reply r = run(redis::scripts::move_to_active(),
                        {prefix_, std::to_string(now()), std::string(token),
                         ms_string(lock_duration), shared_->options.worker_name});
    return taken(r, 0);
  }

  bool extend_lock(std::string_view id, std::string_view token,
                   std::chrono::milliseconds lock_duration) override {
    return run(redis::scripts::extend_lock(),
               {prefix_, std::string(id), std::string(token), ms_string(lock_duration)})
               .as_int() == 1;
  }

  FinishStatus complete(std::string_view id, std::string_view token, Json return_value,
                        const Retention& keep) override {
    return finish_status(finish(id, token, "completed", return_value.dump(), keep, 0, false, {}, {})
                             .elements.at(0)
                             .as_int());
  }

  CompleteResult complete_and_take(std::string_view id, std::string_view token, Json return_value,
                                   const Retention& keep, std::string_view next_token,
                                   std::chrono::milliseconds lock_duration) override {
    const Reply r = finish(id, token, "completed", return_value.dump(), keep, 0, true, next_token,
                           lock_duration);
    CompleteResult out;
    out.status = finish_status(r.elements.at(0).as_int());
    if (out.status == FinishStatus::kOk) out.next = taken(r, 1);
    return out;
  }

  FinishStatus fail(std::string_view id, std::string_view token, std::string reason,
                    const Retention& keep) override {
    return finish_status(
        finish(id, token, "failed", reason, keep, 0, false, {}, {}).elements.at(0).as_int());
  }

  FinishStatus retry(std::string_view id, std::string_view token, std::string reason,
                     std::chrono::milliseconds backoff) override {
    const Reply r = run(redis::scripts::retry_job(),
                        {prefix_, std::string(id), std::string(token), std::to_string(now()),
                         ms_string(backoff), std::move(reason)});
    return finish_status(r.elements.at(0).as_int());
  }

  std::size_t promote_delayed() override {
    return static_cast<std::size_t>(
        run(redis::scripts::promote_delayed(), {prefix_, std::to_string(now())}).as_int());
  }

  StalledResult check_stalled(int max_stalled_count,
                              std::chrono::milliseconds stalled_interval) override {
    const Reply r =
        run(redis::scripts::check_stalled(), {prefix_, std::to_string(max_stalled_count),
                                              std::to_string(now()), ms_string(stalled_interval)});
    StalledResult out;
    out.ran = r.elements.at(0).as_int() == 1;
    if (out.ran) {
      for (const Reply& id : r.elements.at(1).elements) out.recovered.push_back(id.str);
      for (const Reply& id : r.elements.at(2).elements) out.deferred.push_back(id.str);
    }
    return out;
  }

  void wait_for_work(std::chrono::milliseconds max_wait, std::stop_token stop) override;

  JobCounts counts() override {
    const Reply r = run(redis::scripts::counts(), {prefix_});
    auto n = [&](std::size_t i) { return static_cast<std::size_t>(r.elements.at(i).as_int()); };
    return {n(0), n(1), n(2), n(3), n(4), n(5)};
  }

  std::optional<Job> get_job(std::string_view id) override {
    const Reply r = run(redis::scripts::get_job(), {prefix_, std::string(id)});
    if (r.elements.empty()) return std::nullopt;
    const std::optional<JobState> state = parse_state(r.elements.at(0).str);
    if (!state) return std::nullopt;  // a state this API does not model (flows)
    return decode_job(name_, std::string(id), r.elements.at(1), *state);
  }

  void pause() override { run(redis::scripts::pause(), {prefix_, "1"}); }
  void resume() override {
    run(redis::scripts::pause(), {prefix_, "0"});
    wake_all();
  }
  bool paused() override { return !shared_->pool.command({"HGET", keys_[0], "paused"}).is_nil(); }
  std::size_t drain(bool include_delayed) override {
    return static_cast<std::size_t>(
        run(redis::scripts::drain(), {prefix_, include_delayed ? "1" : "0"}).as_int());
  }

  TimeMs upsert_schedule(ScheduleRecord schedule, Job first_run, TimeMs first_run_millis) override {
    const TimeMs t = now();
    const Reply r = run(redis::scripts::upsert_schedule(),
                        {prefix_, schedule.id, schedule.job_name,
                         schedule.every.count() > 0 ? ms_string(schedule.every) : std::string(),
                         schedule.cron, schedule.data.dump(), encode_opts(schedule.options, {}),
                         std::to_string(first_run_millis), std::to_string(first_run.timestamp),
                         std::to_string(std::max<TimeMs>(0, first_run_millis - t)),
                         std::to_string(first_run.options.priority), std::to_string(t)});
    return r.as_int();
  }

  bool remove_schedule(std::string_view id) override {
    return run(redis::scripts::remove_schedule(), {prefix_, std::string(id)}).as_int() == 1;
  }

  std::vector<ScheduleRecord> schedules() override { return read_schedules(""); }

  std::optional<ScheduleRecord> get_schedule(std::string_view id) override {
    std::vector<ScheduleRecord> all = read_schedules(id);
    if (all.empty()) return std::nullopt;
    return std::move(all.front());
  }

  bool advance_schedule(std::string_view id, std::string_view current_run_id, Job next_run,
                        TimeMs next_millis) override {
    const TimeMs t = now();
    return run(redis::scripts::advance_schedule(),
               {prefix_, std::string(id), std::string(current_run_id), std::to_string(next_millis),
                std::to_string(next_run.timestamp),
                std::to_string(std::max<TimeMs>(0, next_millis - t)),
                std::to_string(next_run.options.priority), std::to_string(t)})
               .as_int() == 1;
  }

  void wake_all();

 private:
  TimeMs now() const { return shared_->clock->now_ms(); }

  Reply run(const redis::Script& script, std::vector<std::string> args) {
    return shared_->pool.run(script, keys_, args);
  }

  std::vector<std::string> add_args(const Job& job) const {
    return {prefix_,
            job.options.job_id,
            job.name,
            std::to_string(job.timestamp),
            job.data.dump(),
            encode_opts(job.options, job.trace_context),
            std::to_string(job.options.delay.count()),
            std::to_string(job.options.priority),
            job.scheduler_id,
            std::to_string(now())};
  }

  Reply finish(std::string_view id, std::string_view token, std::string_view target,
               std::string value, const Retention& keep, int attempts, bool fetch_next,
               std::string_view next_token, std::chrono::milliseconds lock_duration) {
    const long long count = keep.count ? static_cast<long long>(*keep.count) : -1;
    return run(redis::scripts::move_to_finished(),
               {prefix_, std::string(id), std::string(token), std::to_string(now()),
                std::string(target), std::move(value), std::to_string(count), ms_string(keep.age),
                std::to_string(attempts), fetch_next ? "1" : "0", std::string(next_token),
                ms_string(lock_duration), shared_->options.worker_name});
  }

  // A job from takeNext's reply at `r.elements[at]` ({id, fields} or {"", next due}).
  std::optional<Job> taken(const Reply& r, std::size_t at) {
    const std::string& id = r.elements.at(at).str;
    if (id.empty()) {
      next_due_.store(r.elements.at(at + 1).as_int(), std::memory_order_relaxed);
      return std::nullopt;
    }
    return decode_job(name_, id, r.elements.at(at + 1), JobState::kActive);
  }

  std::vector<ScheduleRecord> read_schedules(std::string_view id) {
    const Reply r = run(redis::scripts::schedules(), {prefix_, std::string(id)});
    std::vector<ScheduleRecord> out;
    for (std::size_t i = 0; i + 2 < r.elements.size(); i += 3) {
      out.push_back(
          decode_schedule(r.elements[i].str, r.elements[i + 1].as_int(), r.elements[i + 2]));
    }
    return out;
  }

  void unblock();

  const std::string name_;
  const std::shared_ptr<Shared> shared_;
  const std::string prefix_;
  const std::vector<std::string> keys_;
  std::string client_name_;
  Clock::Subscription jump_subscription_;
  std::atomic<TimeMs> next_due_{0};  // earliest delayed job seen by the last empty take

  // Idle waiting: one thread blocks on the marker (on `blocker_`), the others on `wait_cv_`.
  std::mutex wait_mu_;
  std::condition_variable_any wait_cv_;
  bool blocking_ = false;                            // guarded by wait_mu_
  std::uint64_t wake_generation_ = 0;                // guarded by wait_mu_
  bool wake_pending_ = false;                        // guarded by wait_mu_; set by wake_all()
  std::unique_ptr<redis::RedisConnection> blocker_;  // used only by the blocking thread
  std::atomic<long long> blocker_client_id_{0};
  std::atomic<bool> warned_{false};
};

void RedisQueue::wake_all() {
  {
    std::lock_guard lock(wait_mu_);
    wake_pending_ = true;
    ++wake_generation_;
  }
  wait_cv_.notify_all();
  unblock();
}

void RedisQueue::unblock() {
  const long long id = blocker_client_id_.load(std::memory_order_acquire);
  if (id == 0) return;
  try {
    shared_->pool.command({"CLIENT", "UNBLOCK", std::to_string(id)});
  } catch (const std::exception&) {
    // The blocking call ends at its timeout anyway.
  }
}

void RedisQueue::wait_for_work(std::chrono::milliseconds max_wait, std::stop_token stop) {
  std::unique_lock lock(wait_mu_);
  if (stop.stop_requested()) return;
  if (wake_pending_) {  // the clock jumped (or the queue resumed) since this thread last looked
    wake_pending_ = false;
    return;
  }
  if (blocking_) {
    const std::uint64_t seen = wake_generation_;
    wait_cv_.wait_for(lock, stop, max_wait, [&] { return wake_generation_ != seen; });
    return;
  }
  blocking_ = true;
  lock.unlock();

  std::chrono::milliseconds timeout = max_wait;
  if (const TimeMs due = next_due_.load(std::memory_order_relaxed); due > 0) {
    timeout = std::chrono::milliseconds(std::clamp<TimeMs>(due - now(), 1, max_wait.count()));
  }
  try {
    if (!blocker_ || blocker_->broken()) {
      blocker_client_id_.store(0, std::memory_order_release);
      blocker_ = shared_->pool.open_dedicated(client_name_);
      blocker_client_id_.store(blocker_->command({"CLIENT", "ID"}).as_int(),
                               std::memory_order_release);
    }
    std::stop_callback on_stop(stop, [this] { unblock(); });
    bool jumped;
    {
      std::lock_guard relock(wait_mu_);
      jumped = std::exchange(wake_pending_, false);
    }
    if (!jumped && !stop.stop_requested()) {
      blocker_->set_timeout(timeout + std::chrono::seconds(2));
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(timeout.count()) / 1000.0);
      const Reply r = blocker_->command({"BZPOPMIN", prefix_ + "marker", seconds});
      if (r.type == Reply::Type::kError) throw redis::RedisReplyError(r.str + " (BZPOPMIN)");
    }
    warned_.store(false, std::memory_order_relaxed);
  } catch (const std::exception& e) {
    if (!warned_.exchange(true)) {
      common::log_warn(std::string("jobs: waiting for work on queue ") + name_ + ": " + e.what());
    }
    blocker_.reset();
    blocker_client_id_.store(0, std::memory_order_release);
    lock.lock();
    wait_cv_.wait_for(lock, stop, std::min(max_wait, std::chrono::milliseconds(1000)),
                      [] { return false; });
    lock.unlock();
  }
  lock.lock();
  blocking_ = false;
  ++wake_generation_;
  lock.unlock();
  wait_cv_.notify_all();
}

class RedisBackend final : public Backend {
 public:
  explicit RedisBackend(RedisOptions options)
      : shared_(std::make_shared<Shared>(std::move(options))) {}

  std::shared_ptr<QueueBackend> queue(std::string_view name) override {
    std::lock_guard lock(mu_);
    auto it = queues_.find(std::string(name));
    if (it != queues_.end()) return it->second;
    auto q = std::make_shared<RedisQueue>(std::string(name), shared_);
    q->subscribe(q);
    queues_.emplace(std::string(name), q);
    return q;
  }

  const std::shared_ptr<const Clock>& clock() const override { return shared_->clock; }

 private:
  std::shared_ptr<Shared> shared_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<RedisQueue>> queues_;
};

}  // namespace

std::shared_ptr<Backend> make_redis_backend(RedisOptions options) {
  return std::make_shared<RedisBackend>(std::move(options));
}

}  // namespace adminara::obs::jobs
