// The in-memory backend: one mutex per queue guards BullMQ's structures (a FIFO of waiting ids,
// prioritized and delayed ordered maps, the active set with lock tokens, finished lists for
// retention, the stalled set). Idle workers wait on the queue's condition variable, which adds,
// resumes and clock jumps signal (BullMQ's marker).
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "adminara/obs/jobs_backend.h"

namespace adminara::obs::jobs {
namespace {

constexpr std::string_view kStalledTooOften = "job stalled more than allowable limit";

struct Entry {
  Job job;
  std::string lock_token;  // empty: no lock
  TimeMs lock_expires = 0;
  std::uint64_t order_key = 0;             // prioritized: priority << 32 | seq
  std::pair<TimeMs, std::uint64_t> due{};  // delayed: (due, seq)
};

class MemoryQueue final : public QueueBackend {
 public:
  MemoryQueue(std::string name, std::shared_ptr<const Clock> clock)
      : name_(std::move(name)), clock_(std::move(clock)) {}

  const std::string& name() const override { return name_; }

  AddResult add(Job job) override {
    AddResult r;
    bool wake;
    {
      std::lock_guard lock(mu_);
      r = add_locked(std::move(job));
      wake = r.added && waiters_ > 0;
    }
    if (wake) cv_.notify_one();
    return r;
  }

  std::vector<AddResult> add_bulk(std::vector<Job> jobs) override {
    std::vector<AddResult> out;
    out.reserve(jobs.size());
    {
      std::lock_guard lock(mu_);
      for (Job& j : jobs) out.push_back(add_locked(std::move(j)));
    }
    cv_.notify_all();
    return out;
  }

  std::optional<Job> move_to_active(std::string_view token,
                                    std::chrono::milliseconds lock_duration) override {
    std::lock_guard lock(mu_);
    const TimeMs now = clock_->now_ms();
    promote_locked(now);
    if (paused_) return std::nullopt;
    std::string id;
    if (!wait_.empty()) {
      id = std::move(wait_.front());
      wait_.pop_front();
    } else if (!prioritized_.empty()) {
      auto it = prioritized_.begin();
      id = std::move(it->second);
      prioritized_.erase(it);
    } else {
      return std::nullopt;
    }
    auto it = jobs_.find(id);
    Entry& e = it->second;
    e.job.state = JobState::kActive;
    e.lock_token.assign(token);
    e.lock_expires = now + lock_duration.count();
    e.job.processed_on = now;
    ++e.job.attempts_started;
    active_.insert(it->first);
    return e.job;
  }

  bool extend_lock(std::string_view id, std::string_view token,
                   std::chrono::milliseconds lock_duration) override {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(std::string(id));
    if (it == jobs_.end() || it->second.lock_token != token) return false;
    it->second.lock_expires = clock_->now_ms() + lock_duration.count();
    stalled_.erase(it->first);
    return true;
  }

  FinishStatus complete(std::string_view id, std::string_view token, Json return_value,
                        const Retention& keep) override {
    std::lock_guard lock(mu_);
    Entry* e = nullptr;
    const FinishStatus st = release_locked(id, token, e);
    if (st != FinishStatus::kOk) return st;
    e->job.return_value = std::move(return_value);
    finish_locked(*e, JobState::kCompleted, keep);
    return FinishStatus::kOk;
  }

  FinishStatus fail(std::string_view id, std::string_view token, std::string reason,
                    const Retention& keep) override {
    std::lock_guard lock(mu_);
    Entry* e = nullptr;
    const FinishStatus st = release_locked(id, token, e);
    if (st != FinishStatus::kOk) return st;
    e->job.failed_reason = std::move(reason);
    e->job.deferred_failure.clear();
    finish_locked(*e, JobState::kFailed, keep);
    return FinishStatus::kOk;
  }

  FinishStatus retry(std::string_view id, std::string_view token, std::string reason,
                     std::chrono::milliseconds backoff) override {
    {
      std::lock_guard lock(mu_);
      Entry* e = nullptr;
      const FinishStatus st = release_locked(id, token, e);
      if (st != FinishStatus::kOk) return st;
      ++e->job.attempts_made;
      e->job.failed_reason = std::move(reason);
      const TimeMs now = clock_->now_ms();
      if (backoff.count() > 0) {
        place_delayed_locked(*e, now + backoff.count());
      } else {
        e->job.ready_on = now;
        place_ready_locked(*e, /*front=*/false);
      }
    }
    cv_.notify_one();
    return FinishStatus::kOk;
  }

  std::size_t promote_delayed() override {
    std::size_t n;
    {
      std::lock_guard lock(mu_);
      n = promote_locked(clock_->now_ms());
    }
    if (n > 0) cv_.notify_all();
    return n;
  }

  StalledResult check_stalled(int max_stalled_count,
                              std::chrono::milliseconds stalled_interval) override {
    StalledResult r;
    {
      std::lock_guard lock(mu_);
      const TimeMs now = clock_->now_ms();
      if (has_checked_ && now < last_stall_check_ + stalled_interval.count()) return r;
      has_checked_ = true;
      last_stall_check_ = now;
      r.ran = true;
      for (const std::string& id : stalled_) {
        auto it = jobs_.find(id);
        if (it == jobs_.end() || it->second.job.state != JobState::kActive) continue;
        Entry& e = it->second;
        if (e.lock_expires > now) continue;  // the lock still exists
        active_.erase(it->first);
        e.lock_token.clear();
        ++e.job.stalled_count;
        if (e.job.stalled_count > max_stalled_count && e.job.scheduler_id.empty()) {
          e.job.deferred_failure = kStalledTooOften;
          r.deferred.push_back(id);
        }
        e.job.ready_on = now;
        e.job.state = JobState::kWaiting;
        wait_.push_front(it->first);  // BullMQ RPUSHes: next in line
        r.recovered.push_back(id);
      }
      stalled_.clear();
      stalled_.insert(active_.begin(), active_.end());
    }
    if (!r.recovered.empty()) cv_.notify_all();
    return r;
  }

  void wait_for_work(std::chrono::milliseconds max_wait, std::stop_token stop) override {
    std::unique_lock lock(mu_);
    const std::uint64_t gen = wake_gen_;
    const TimeMs now = clock_->now_ms();
    if (fetchable_locked(now)) return;
    std::chrono::milliseconds wait = max_wait;
    if (!delayed_.empty()) {
      const TimeMs until_due = delayed_.begin()->first.first - now;
      wait =
          std::clamp(std::chrono::milliseconds(until_due), std::chrono::milliseconds(1), max_wait);
    }
    ++waiters_;
    cv_.wait_for(lock, stop, wait,
                 [&] { return wake_gen_ != gen || fetchable_locked(clock_->now_ms()); });
    --waiters_;
  }

  /// Wakes every waiter (clock jumps).
  void wake_all() {
    {
      std::lock_guard lock(mu_);
      ++wake_gen_;
    }
    cv_.notify_all();
  }

  JobCounts counts() override {
    std::lock_guard lock(mu_);
    return JobCounts{wait_.size(),   prioritized_.size(), delayed_.size(),
                     active_.size(), completed_.size(),   failed_.size()};
  }

  std::optional<Job> get_job(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(std::string(id));
    if (it == jobs_.end()) return std::nullopt;
    return it->second.job;
  }

  void pause() override {
    std::lock_guard lock(mu_);
    paused_ = true;
  }

  void resume() override {
    {
      std::lock_guard lock(mu_);
      paused_ = false;
      ++wake_gen_;
    }
    cv_.notify_all();
  }

  bool paused() override {
    std::lock_guard lock(mu_);
    return paused_;
  }

  std::size_t drain(bool include_delayed) override {
    std::lock_guard lock(mu_);
    std::size_t n = wait_.size() + prioritized_.size();
    for (const std::string& id : wait_) jobs_.erase(id);
    for (const auto& [k, id] : prioritized_) jobs_.erase(id);
    wait_.clear();
    prioritized_.clear();
    if (include_delayed) {
      n += delayed_.size();
      for (const auto& [k, id] : delayed_) jobs_.erase(id);
      delayed_.clear();
    }
    return n;
  }

  TimeMs upsert_schedule(ScheduleRecord schedule, Job first_run, TimeMs first_run_millis) override {
    bool added = false;
    TimeMs result;
    {
      std::lock_guard lock(mu_);
      auto it = schedules_.find(schedule.id);
      if (it != schedules_.end() && it->second.same_definition(schedule)) {
        return it->second.next_run;
      }
      std::int64_t iterations = 0;
      if (it != schedules_.end()) {
        remove_pending_locked(schedule_run_id(schedule.id, it->second.next_run));
        iterations = it->second.iterations;
      }
      schedule.next_run = first_run_millis;
      schedule.iterations = iterations + 1;
      const std::string id = schedule.id;
      schedules_[id] = std::move(schedule);
      first_run.id = schedule_run_id(id, first_run_millis);
      added = add_locked(std::move(first_run)).added;
      result = first_run_millis;
    }
    if (added) cv_.notify_one();
    return result;
  }

  bool remove_schedule(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = schedules_.find(std::string(id));
    if (it == schedules_.end()) return false;
    remove_pending_locked(schedule_run_id(id, it->second.next_run));
    schedules_.erase(it);
    return true;
  }

  std::vector<ScheduleRecord> schedules() override {
    std::lock_guard lock(mu_);
    std::vector<ScheduleRecord> out;
    out.reserve(schedules_.size());
    for (const auto& [id, s] : schedules_) out.push_back(s);
    return out;
  }

  std::optional<ScheduleRecord> get_schedule(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = schedules_.find(std::string(id));
    if (it == schedules_.end()) return std::nullopt;
    return it->second;
  }

  bool advance_schedule(std::string_view id, std::string_view current_run_id, Job next_run,
                        TimeMs next_millis) override {
    bool added = false;
    {
      std::lock_guard lock(mu_);
      auto it = schedules_.find(std::string(id));
      if (it == schedules_.end() || schedule_run_id(id, it->second.next_run) != current_run_id) {
        return false;
      }
      it->second.next_run = next_millis;
      ++it->second.iterations;
      next_run.id = schedule_run_id(id, next_millis);
      added = add_locked(std::move(next_run)).added;
    }
    if (added) cv_.notify_one();
    return true;
  }

 private:
  bool fetchable_locked(TimeMs now) const {
    if (paused_) return false;
    if (!wait_.empty() || !prioritized_.empty()) return true;
    return !delayed_.empty() && delayed_.begin()->first.first <= now;
  }

  AddResult add_locked(Job job) {
    const std::uint64_t counter = next_id_++;  // BullMQ INCRs the id on every add
    if (job.id.empty()) {
      job.id = job.options.job_id.empty() ? std::to_string(counter) : job.options.job_id;
    }
    if (jobs_.contains(job.id)) return {job.id, false};
    job.queue = name_;
    const TimeMs now = clock_->now_ms();
    if (job.timestamp == 0) job.timestamp = now;
    std::string key = job.id;
    auto [it, inserted] = jobs_.emplace(std::move(key), Entry{std::move(job)});
    Entry& e = it->second;
    if (e.job.options.delay.count() > 0) {
      place_delayed_locked(e, e.job.timestamp + e.job.options.delay.count());
    } else {
      e.job.ready_on = now;
      place_ready_locked(e, /*front=*/false);
    }
    return {it->first, true};
  }

  void place_ready_locked(Entry& e, bool front) {
    if (e.job.options.priority == 0) {
      e.job.state = JobState::kWaiting;
      if (front) {
        wait_.push_front(e.job.id);
      } else {
        wait_.push_back(e.job.id);
      }
    } else {
      e.job.state = JobState::kPrioritized;
      e.order_key =
          (static_cast<std::uint64_t>(e.job.options.priority) << 32) | (seq_++ & 0xffffffffULL);
      prioritized_.emplace(e.order_key, e.job.id);
    }
  }

  void place_delayed_locked(Entry& e, TimeMs due) {
    e.job.state = JobState::kDelayed;
    e.job.ready_on = due;
    e.due = {due, seq_++};
    delayed_.emplace(e.due, e.job.id);
  }

  std::size_t promote_locked(TimeMs now) {
    std::size_t n = 0;
    while (!delayed_.empty() && delayed_.begin()->first.first <= now) {
      auto node = delayed_.extract(delayed_.begin());
      place_ready_locked(jobs_.find(node.mapped())->second, /*front=*/false);
      ++n;
    }
    return n;
  }

  FinishStatus release_locked(std::string_view id, std::string_view token, Entry*& out) {
    auto it = jobs_.find(std::string(id));
    if (it == jobs_.end()) return FinishStatus::kJobMissing;
    Entry& e = it->second;
    if (e.lock_token.empty()) return FinishStatus::kLockMissing;
    if (e.lock_token != token) return FinishStatus::kLockMismatch;
    e.lock_token.clear();
    stalled_.erase(it->first);
    active_.erase(it->first);
    out = &e;
    return FinishStatus::kOk;
  }

  void finish_locked(Entry& e, JobState state, const Retention& keep) {
    const TimeMs now = clock_->now_ms();
    ++e.job.attempts_made;
    e.job.state = state;
    e.job.finished_on = now;
    auto& list = state == JobState::kCompleted ? completed_ : failed_;
    if (keep.count && *keep.count == 0) {
      jobs_.erase(e.job.id);
      return;
    }
    list.emplace_back(now, e.job.id);
    if (keep.count) {
      while (list.size() > *keep.count) {
        jobs_.erase(list.front().second);
        list.pop_front();
      }
    }
    if (keep.age.count() > 0) {
      while (!list.empty() && list.front().first < now - keep.age.count()) {
        jobs_.erase(list.front().second);
        list.pop_front();
      }
    }
  }

  void remove_pending_locked(const std::string& id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    Entry& e = it->second;
    switch (e.job.state) {
      case JobState::kWaiting:
        if (auto w = std::find(wait_.begin(), wait_.end(), id); w != wait_.end()) wait_.erase(w);
        break;
      case JobState::kPrioritized:
        prioritized_.erase(e.order_key);
        break;
      case JobState::kDelayed:
        delayed_.erase(e.due);
        break;
      default:
        return;  // active or finished: leave it
    }
    jobs_.erase(it);
  }

  const std::string name_;
  const std::shared_ptr<const Clock> clock_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::unordered_map<std::string, Entry> jobs_;
  std::deque<std::string> wait_;
  std::map<std::uint64_t, std::string> prioritized_;
  std::map<std::pair<TimeMs, std::uint64_t>, std::string> delayed_;
  std::unordered_set<std::string> active_;
  std::unordered_set<std::string> stalled_;
  std::deque<std::pair<TimeMs, std::string>> completed_;
  std::deque<std::pair<TimeMs, std::string>> failed_;
  std::map<std::string, ScheduleRecord> schedules_;
  std::uint64_t next_id_ = 1;
  std::uint64_t seq_ = 0;
  std::uint64_t wake_gen_ = 0;
  int waiters_ = 0;  // threads in wait_for_work (adds only signal when someone waits)
  TimeMs last_stall_check_ = 0;
  bool has_checked_ = false;
  bool paused_ = false;
};

class MemoryBackend final : public Backend {
 public:
  explicit MemoryBackend(std::shared_ptr<const Clock> clock)
      : clock_(clock ? std::move(clock) : system_clock()), registry_(std::make_shared<Registry>()) {
    std::weak_ptr<Registry> weak = registry_;
    subscription_ = clock_->on_jump([weak] {
      if (auto reg = weak.lock()) {
        std::vector<std::shared_ptr<MemoryQueue>> queues;
        {
          std::lock_guard lock(reg->mu);
          for (auto& [name, q] : reg->queues) queues.push_back(q);
        }
        for (auto& q : queues) q->wake_all();
      }
    });
  }

  std::shared_ptr<QueueBackend> queue(std::string_view name) override {
    std::lock_guard lock(registry_->mu);
    auto& q = registry_->queues[std::string(name)];
    if (!q) q = std::make_shared<MemoryQueue>(std::string(name), clock_);
    return q;
  }

  const std::shared_ptr<const Clock>& clock() const override { return clock_; }

 private:
  struct Registry {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<MemoryQueue>> queues;
  };
  std::shared_ptr<const Clock> clock_;
  std::shared_ptr<Registry> registry_;
  Clock::Subscription subscription_;
};

}  // namespace

std::shared_ptr<Backend> make_memory_backend(std::shared_ptr<const Clock> clock) {
  return std::make_shared<MemoryBackend>(std::move(clock));
}

std::shared_ptr<Backend> default_backend() {
  static const std::shared_ptr<Backend> backend = make_memory_backend(nullptr);
  return backend;
}

std::string schedule_run_id(std::string_view schedule_id, TimeMs millis) {
  std::string id = "repeat:";
  id += schedule_id;
  id += ':';
  id += std::to_string(millis);
  return id;
}

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::kWaiting:
      return "waiting";
    case JobState::kPrioritized:
      return "prioritized";
    case JobState::kDelayed:
      return "delayed";
    case JobState::kActive:
      return "active";
    case JobState::kCompleted:
      return "completed";
    case JobState::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string_view to_string(FinishStatus status) {
  switch (status) {
    case FinishStatus::kOk:
      return "ok";
    case FinishStatus::kJobMissing:
      return "job missing";
    case FinishStatus::kLockMissing:
      return "lock missing";
    case FinishStatus::kNotActive:
      return "not active";
    case FinishStatus::kLockMismatch:
      return "lock owned by another worker";
  }
  return "unknown";
}

std::chrono::milliseconds Backoff::delay_after(int attempts_made) const {
  if (type == Type::kFixed || delay.count() <= 0) return delay;
  const int shift = std::clamp(attempts_made - 1, 0, 40);
  const double ms = static_cast<double>(delay.count()) * static_cast<double>(1ULL << shift);
  constexpr double kMax = static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, kMax)));
}

}  // namespace adminara::obs::jobs
