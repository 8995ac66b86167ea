// The in-memory backend: one mutex per queue guards BullMQ's structures (a FIFO of waiting jobs,
// prioritized and delayed ordered maps, the active jobs with lock tokens, finished lists for
// retention, the stalled set as a flag on active jobs). The jobs live in one hash map by id; the
// other structures point at its entries (whose addresses are stable), so taking and finishing a
// job costs one lookup by id and no allocation.
//
// Idle workers (BullMQ's marker, as a chain wake-up rather than a thundering herd): the first idle
// thread spins briefly, polling for a ready job without the lock, since on a busy queue the next
// job usually arrives within microseconds; the others sleep on the condition variable. A new job
// wakes one sleeper only when nobody is spinning and no woken sleeper is still on its way (a
// "permit"), and each take wakes the next sleeper while ready jobs remain. So a producer adding
// jobs that one worker thread keeps up with makes no futex calls, and a backlog still brings every
// idle thread in, one after the other.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "adminara/obs/jobs_backend.h"
#include "common/spin_mutex.h"

namespace adminara::obs::jobs {
namespace {

constexpr std::string_view kStalledTooOften = "job stalled more than allowable limit";
// How long the spinning idle thread polls before it sleeps: a few add intervals of a busy
// producer, short enough that an idle queue costs next to nothing.
constexpr std::chrono::microseconds kSpinFor{50};

struct Entry {
  Job job;
  std::string lock_token;  // empty: no lock
  TimeMs lock_expires = 0;
  std::uint64_t order_key = 0;             // prioritized: priority << 32 | seq
  std::pair<TimeMs, std::uint64_t> due{};  // delayed: (due, seq)
  // Active jobs form a doubly linked list (the stalled check walks it).
  Entry* active_prev = nullptr;
  Entry* active_next = nullptr;
  // In BullMQ's `stalled` set: active at the last stalled check, not renewed since.
  bool stall_candidate = false;
  // Set under the lock by the take; cleared, without the lock, once the taking thread has copied
  // the job. While set, nothing writes `job` (only the stalled check could, and it waits a turn).
  std::atomic<bool> copying{false};
};

// The job of an entry just taken, copied outside the queue's lock (see take_locked).
std::optional<Job> copy_taken(Entry* e) {
  if (e == nullptr) return std::nullopt;
  struct Done {
    Entry* e;
    ~Done() { e->copying.store(false, std::memory_order_release); }
  } done{e};
  return std::optional<Job>(std::in_place, e->job);
}

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
      r = add_locked(job);  // `job` then holds a reused node's old job, freed after unlocking
      wake = r.added && wake_one_locked();
    }
    if (wake) cv_.notify_one();
    return r;
  }

  std::vector<AddResult> add_bulk(std::vector<Job> jobs) override {
    std::vector<AddResult> out;
    out.reserve(jobs.size());
    bool wake;
    {
      std::lock_guard lock(mu_);
      for (Job& j : jobs) out.push_back(add_locked(j));
      wake = wake_one_locked();  // the takes wake the others
    }
    if (wake) cv_.notify_one();
    return out;
  }

  std::optional<Job> move_to_active(std::string_view token,
                                    std::chrono::milliseconds lock_duration) override {
    Entry* taken;
    bool wake;
    {
      std::lock_guard lock(mu_);
      taken = take_locked(token, lock_duration, clock_->now_ms(), wake);
    }
    if (wake) cv_.notify_one();
    return copy_taken(taken);
  }

  bool extend_lock(std::string_view id, std::string_view token,
                   std::chrono::milliseconds lock_duration) override {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(std::string(id));
    if (it == jobs_.end() || it->second.lock_token != token) return false;
    it->second.lock_expires = clock_->now_ms() + lock_duration.count();
    it->second.stall_candidate = false;
    return true;
  }

  FinishStatus complete(std::string_view id, std::string_view token, Json return_value,
                        const Retention& keep) override {
    Removed removed;  // destroyed after the lock is released
    std::lock_guard lock(mu_);
    JobMap::iterator it;
    const FinishStatus st = release_locked(id, token, it);
    if (st != FinishStatus::kOk) return st;
    it->second.job.return_value = std::move(return_value);
    finish_locked(it, JobState::kCompleted, keep, clock_->now_ms(), removed);
    return FinishStatus::kOk;
  }

  CompleteResult complete_and_take(std::string_view id, std::string_view token, Json return_value,
                                   const Retention& keep, std::string_view next_token,
                                   std::chrono::milliseconds lock_duration) override {
    CompleteResult r;
    bool wake = false;
    Entry* taken = nullptr;
    Removed removed;  // destroyed after the lock is released
    {
      std::lock_guard lock(mu_);
      JobMap::iterator it;
      r.status = release_locked(id, token, it);
      if (r.status != FinishStatus::kOk) return r;
      it->second.job.return_value = std::move(return_value);
      const TimeMs now = clock_->now_ms();
      finish_locked(it, JobState::kCompleted, keep, now, removed);
      taken = take_locked(next_token, lock_duration, now, wake);
    }
    if (wake) cv_.notify_one();
    r.next = copy_taken(taken);
    return r;
  }

  FinishStatus fail(std::string_view id, std::string_view token, std::string reason,
                    const Retention& keep) override {
    Removed removed;  // destroyed after the lock is released
    std::lock_guard lock(mu_);
    JobMap::iterator it;
    const FinishStatus st = release_locked(id, token, it);
    if (st != FinishStatus::kOk) return st;
    it->second.job.failed_reason = std::move(reason);
    it->second.job.deferred_failure.clear();
    finish_locked(it, JobState::kFailed, keep, clock_->now_ms(), removed);
    return FinishStatus::kOk;
  }

  FinishStatus retry(std::string_view id, std::string_view token, std::string reason,
                     std::chrono::milliseconds backoff) override {
    bool wake;
    {
      std::lock_guard lock(mu_);
      JobMap::iterator it;
      const FinishStatus st = release_locked(id, token, it);
      if (st != FinishStatus::kOk) return st;
      Entry* e = &it->second;
      ++e->job.attempts_made;
      e->job.failed_reason = std::move(reason);
      const TimeMs now = clock_->now_ms();
      if (backoff.count() > 0) {
        place_delayed_locked(*e, now + backoff.count());
      } else {
        e->job.ready_on = now;
        place_ready_locked(*e, /*front=*/false);
      }
      wake = wake_one_locked();
    }
    if (wake) cv_.notify_one();
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
      for (Entry* next = active_head_; next != nullptr;) {
        Entry& e = *next;
        next = e.active_next;
        // Renewed, or the lock exists, or its taker is still copying it (next check, then).
        if (!e.stall_candidate || e.lock_expires > now ||
            e.copying.load(std::memory_order_acquire)) {
          continue;
        }
        const std::string& id = e.job.id;
        unlink_active_locked(e);
        e.lock_token.clear();
        ++e.job.stalled_count;
        if (e.job.stalled_count > max_stalled_count && e.job.scheduler_id.empty()) {
          e.job.deferred_failure = kStalledTooOften;
          r.deferred.push_back(id);
        }
        e.job.ready_on = now;
        e.job.state = JobState::kWaiting;
        wait_.push_front(&e);  // BullMQ RPUSHes: next in line
        r.recovered.push_back(id);
      }
      sync_ready_locked();
      for (Entry* e = active_head_; e != nullptr; e = e->active_next) e->stall_candidate = true;
    }
    if (!r.recovered.empty()) cv_.notify_all();
    return r;
  }

  void wait_for_work(std::chrono::milliseconds max_wait, std::stop_token stop) override {
    std::unique_lock lock(mu_);
    if (fetchable_locked(clock_->now_ms())) return;
    if (!spinning_ && !paused_) {
      // While spinning_ is set, adds wake nobody: this thread sees their jobs, either in the
      // poll or in the check under the lock below.
      spinning_ = true;
      lock.unlock();
      // No sched_yield: on a busy machine it hands the core to another process for a whole time
      // slice (milliseconds) while adds count on this thread to look.
      const auto until = std::chrono::steady_clock::now() + kSpinFor;
      for (int i = 1; ready_.load(std::memory_order_relaxed) == 0 && !stop.stop_requested(); ++i) {
        common::cpu_relax();
        if (i % 16 == 0 && std::chrono::steady_clock::now() >= until) break;
      }
      lock.lock();
      spinning_ = false;
      if (fetchable_locked(clock_->now_ms())) return;
    }
    const std::uint64_t gen = wake_gen_;
    const TimeMs now = clock_->now_ms();
    std::chrono::milliseconds wait = max_wait;
    if (!delayed_.empty()) {
      const TimeMs until_due = delayed_.begin()->first.first - now;
      wait =
          std::clamp(std::chrono::milliseconds(until_due), std::chrono::milliseconds(1), max_wait);
    }
    ++sleepers_;
    cv_.wait_for(lock, stop, wait, [&] {
      return permits_ > 0 || wake_gen_ != gen || fetchable_locked(clock_->now_ms());
    });
    --sleepers_;
    // Whoever leaves first uses the permit: the woken thread it was meant for then sees none
    // and goes on sleeping unless there is work.
    if (permits_ > 0) --permits_;
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
    return JobCounts{wait_.size(),  prioritized_.size(), delayed_.size(),
                     active_count_, completed_.size(),   failed_.size()};
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
    // Erased by iterator: a key argument would point into the node being erased.
    for (const Entry* e : wait_) jobs_.erase(jobs_.find(e->job.id));
    for (const auto& [k, e] : prioritized_) jobs_.erase(jobs_.find(e->job.id));
    wait_.clear();
    prioritized_.clear();
    sync_ready_locked();
    if (include_delayed) {
      n += delayed_.size();
      for (const auto& [k, e] : delayed_) jobs_.erase(jobs_.find(e->job.id));
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
      added = add_locked(first_run).added && wake_one_locked();
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
      added = add_locked(next_run).added && wake_one_locked();
    }
    if (added) cv_.notify_one();
    return true;
  }

 private:
  /// Decides whether a change (a job added, ready or due earlier than before) needs a sleeping
  /// thread woken: only when nobody is spinning and no permit is out (that thread will look).
  /// True: the caller must notify_one() (after unlocking).
  bool wake_one_locked() {
    if (sleepers_ == 0 || permits_ > 0 || spinning_) return false;
    ++permits_;
    return true;
  }

  /// The lock-free hint the spinning thread polls.
  void sync_ready_locked() {
    ready_.store(wait_.size() + prioritized_.size(), std::memory_order_relaxed);
  }

  /// move_to_active's work. `wake`: a sleeping thread should be woken for the jobs still ready.
  /// The caller copies the job after releasing the lock (copy_taken):
  /// the copy allocates and reads the lines the producer wrote, which is too slow to do while
  /// the producer waits for the lock. Null: nothing to take.
  Entry* take_locked(std::string_view token, std::chrono::milliseconds lock_duration, TimeMs now,
                     bool& wake) {
    wake = false;
    promote_locked(now);
    if (paused_) return nullptr;
    Entry* taken;
    if (!wait_.empty()) {
      taken = wait_.front();
      wait_.pop_front();
    } else if (!prioritized_.empty()) {
      auto it = prioritized_.begin();
      taken = it->second;
      prioritized_.erase(it);
    } else {
      return nullptr;
    }
    sync_ready_locked();
    Entry& e = *taken;
    e.copying.store(true, std::memory_order_relaxed);
    e.job.state = JobState::kActive;
    e.lock_token.assign(token);
    e.lock_expires = now + lock_duration.count();
    e.job.processed_on = now;
    ++e.job.attempts_started;
    link_active_locked(e);
    // BullMQ re-adds the marker after a take, so that the next idle worker looks too.
    wake = (!wait_.empty() || !prioritized_.empty()) && wake_one_locked();
    return &e;
  }

  bool fetchable_locked(TimeMs now) const {
    if (paused_) return false;
    if (!wait_.empty() || !prioritized_.empty()) return true;
    return !delayed_.empty() && delayed_.begin()->first.first <= now;
  }

  /// Adds `job` unless its id exists. When it is added into a reused node, `job` receives that
  /// node's previous job, for the caller to free after releasing the lock: the producer then
  /// frees what it allocated itself, which glibc's malloc serves from a per-thread cache, instead
  /// of the worker freeing it (a cross-thread free goes through the arena's lock).
  AddResult add_locked(Job& job) {
    const std::uint64_t counter = next_id_++;  // BullMQ INCRs the id on every add
    if (job.id.empty()) {
      job.id = job.options.job_id.empty() ? std::to_string(counter) : job.options.job_id;
    }
    JobMap::iterator it;
    if (!spare_nodes_.empty()) {
      JobMap::node_type& spare = spare_nodes_.back();
      spare.key() = job.id;
      auto r = jobs_.insert(std::move(spare));
      if (!r.inserted) {
        spare = std::move(r.node);
        return {job.id, false};
      }
      spare_nodes_.pop_back();
      it = r.position;
    } else {
      bool inserted;
      std::tie(it, inserted) = jobs_.try_emplace(job.id);
      if (!inserted) return {job.id, false};
    }
    job.queue = name_;
    const TimeMs now = clock_->now_ms();
    if (job.timestamp == 0) job.timestamp = now;
    Entry& e = it->second;
    std::swap(e.job, job);
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
        wait_.push_front(&e);
      } else {
        wait_.push_back(&e);
      }
    } else {
      e.job.state = JobState::kPrioritized;
      e.order_key =
          (static_cast<std::uint64_t>(e.job.options.priority) << 32) | (seq_++ & 0xffffffffULL);
      prioritized_.emplace(e.order_key, &e);
    }
    sync_ready_locked();
  }

  void place_delayed_locked(Entry& e, TimeMs due) {
    e.job.state = JobState::kDelayed;
    e.job.ready_on = due;
    e.due = {due, seq_++};
    delayed_.emplace(e.due, &e);
  }

  std::size_t promote_locked(TimeMs now) {
    std::size_t n = 0;
    while (!delayed_.empty() && delayed_.begin()->first.first <= now) {
      auto node = delayed_.extract(delayed_.begin());
      place_ready_locked(*node.mapped(), /*front=*/false);
      ++n;
    }
    return n;
  }

  using JobMap = std::unordered_map<std::string, Entry>;

  /// What a call took out of the store. Declared before the lock guard, it is destroyed after
  /// the lock is released, so the jobs' memory goes back to malloc outside the critical section
  /// (a finishing worker otherwise frees the data the producer allocated while the producer waits).
  struct Removed {
    JobMap::node_type first;
    std::vector<JobMap::node_type> more;
    void add(JobMap::node_type node) {
      if (first.empty()) {
        first = std::move(node);
      } else {
        more.push_back(std::move(node));
      }
    }
  };

  FinishStatus release_locked(std::string_view id, std::string_view token, JobMap::iterator& out) {
    auto it = jobs_.find(std::string(id));
    if (it == jobs_.end()) return FinishStatus::kJobMissing;
    Entry& e = it->second;
    if (e.lock_token.empty()) return FinishStatus::kLockMissing;
    if (e.lock_token != token) return FinishStatus::kLockMismatch;
    e.lock_token.clear();
    unlink_active_locked(e);
    out = it;
    return FinishStatus::kOk;
  }

  /// Removes a job, keeping its map node (up to kMaxSpareNodes) for the next add: with
  /// Retention::remove() a steady queue then allocates no node, and does not free in one thread
  /// what another allocated (which costs malloc more than either). The node keeps the job's data
  /// until the next add takes it (see add_locked) and its lock token's buffer. Nothing else needs
  /// resetting: release_locked() already cleared the lock and unlinked the entry from the active
  /// list, and the lock expiry, order key and due time are set whenever the entry is placed.
  void recycle_locked(JobMap::iterator it, Removed& removed) {
    if (spare_nodes_.size() >= kMaxSpareNodes) {
      removed.add(jobs_.extract(it));
      return;
    }
    spare_nodes_.push_back(jobs_.extract(it));
  }

  /// Takes the job `it` (if any) out of the map into `removed` (freed after the lock is
  /// released).
  void discard_locked(JobMap::iterator it, Removed& removed) {
    if (it != jobs_.end()) removed.add(jobs_.extract(it));
  }

  void link_active_locked(Entry& e) {
    e.active_prev = active_tail_;
    e.active_next = nullptr;
    (active_tail_ != nullptr ? active_tail_->active_next : active_head_) = &e;
    active_tail_ = &e;
    ++active_count_;
  }

  void unlink_active_locked(Entry& e) {
    (e.active_prev != nullptr ? e.active_prev->active_next : active_head_) = e.active_next;
    (e.active_next != nullptr ? e.active_next->active_prev : active_tail_) = e.active_prev;
    e.active_prev = e.active_next = nullptr;
    e.stall_candidate = false;
    --active_count_;
  }

  void finish_locked(JobMap::iterator it, JobState state, const Retention& keep, TimeMs now,
                     Removed& removed) {
    Entry& e = it->second;
    ++e.job.attempts_made;
    e.job.state = state;
    e.job.finished_on = now;
    auto& list = state == JobState::kCompleted ? completed_ : failed_;
    if (keep.count && *keep.count == 0) {
      recycle_locked(it, removed);
      return;
    }
    list.emplace_back(now, e.job.id);
    if (keep.count) {
      while (list.size() > *keep.count) {
        discard_locked(jobs_.find(list.front().second), removed);
        list.pop_front();
      }
    }
    if (keep.age.count() > 0) {
      while (!list.empty() && list.front().first < now - keep.age.count()) {
        discard_locked(jobs_.find(list.front().second), removed);
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
        if (auto w = std::find(wait_.begin(), wait_.end(), &e); w != wait_.end()) wait_.erase(w);
        sync_ready_locked();
        break;
      case JobState::kPrioritized:
        prioritized_.erase(e.order_key);
        sync_ready_locked();
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
  common::SpinMutex mu_;
  std::condition_variable_any cv_;
  static constexpr std::size_t kMaxSpareNodes = 64;

  JobMap jobs_;
  std::vector<JobMap::node_type> spare_nodes_;  // see recycle_locked
  std::deque<Entry*> wait_;
  std::map<std::uint64_t, Entry*> prioritized_;
  std::map<std::pair<TimeMs, std::uint64_t>, Entry*> delayed_;
  Entry* active_head_ = nullptr;  // oldest take first
  Entry* active_tail_ = nullptr;
  std::size_t active_count_ = 0;
  std::deque<std::pair<TimeMs, std::string>> completed_;
  std::deque<std::pair<TimeMs, std::string>> failed_;
  std::map<std::string, ScheduleRecord> schedules_;
  std::uint64_t next_id_ = 1;
  std::uint64_t seq_ = 0;
  std::uint64_t wake_gen_ = 0;
  int sleepers_ = 0;       // threads sleeping in wait_for_work
  int permits_ = 0;        // sleepers woken for work that have not yet left wait_for_work
  bool spinning_ = false;  // a thread in wait_for_work polls ready_
  std::atomic<std::size_t> ready_{0};  // wait_.size() + prioritized_.size()
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

CompleteResult QueueBackend::complete_and_take(std::string_view id, std::string_view token,
                                               Json return_value, const Retention& keep,
                                               std::string_view next_token,
                                               std::chrono::milliseconds lock_duration) {
  CompleteResult r;
  r.status = complete(id, token, std::move(return_value), keep);
  if (r.status == FinishStatus::kOk) r.next = move_to_active(next_token, lock_duration);
  return r;
}

std::chrono::milliseconds Backoff::delay_after(int attempts_made) const {
  if (type == Type::kFixed || delay.count() <= 0) return delay;
  const int shift = std::clamp(attempts_made - 1, 0, 40);
  const double ms = static_cast<double>(delay.count()) * static_cast<double>(1ULL << shift);
  constexpr double kMax = static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, kMax)));
}

}  // namespace adminara::obs::jobs
