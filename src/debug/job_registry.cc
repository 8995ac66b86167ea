#include "debug/job_registry.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace adminara::obs::debug {

JobRegistry::Handle::~Handle() {
  if (registry_ != nullptr) registry_->remove(id_);
}

JobRegistry::Handle::Handle(Handle&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), id_(other.id_) {}

JobRegistry::Handle& JobRegistry::Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    if (registry_ != nullptr) registry_->remove(id_);
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

JobRegistry::Handle JobRegistry::add_queue(const void* key, Snapshot snapshot) {
  return add(true, key, std::move(snapshot));
}

JobRegistry::Handle JobRegistry::add_worker(Snapshot snapshot) {
  return add(false, nullptr, std::move(snapshot));
}

JobRegistry::Handle JobRegistry::add(bool queue, const void* key, Snapshot snapshot) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_id_++;
  entries_.push_back(Entry{id, queue, key, std::move(snapshot)});
  return Handle(this, id);
}

void JobRegistry::remove(std::uint64_t id) noexcept {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [id](const Entry& e) { return e.id == id; });
}

void JobRegistry::record_failure(JobFailure failure) {
  if (!gathering()) return;
  std::lock_guard lock(mu_);
  ++failures_recorded_;
  if (failures_.size() >= kMaxFailures) failures_.pop_front();
  failures_.push_back(std::move(failure));
}

std::size_t JobRegistry::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::string JobRegistry::json() const {
  std::vector<Entry> entries;
  std::deque<JobFailure> failures;
  std::uint64_t recorded;
  {
    std::lock_guard lock(mu_);
    entries = entries_;
    failures = failures_;
    recorded = failures_recorded_;
  }
  // One entry per queue key, in registration order.
  std::vector<const void*> seen;
  std::string out;
  common::JsonWriter w(out);
  w.begin_object();
  for (bool queues : {true, false}) {
    w.key(queues ? "queues" : "workers").begin_array();
    for (const Entry& e : entries) {
      if (e.queue != queues) continue;
      if (queues) {
        if (std::find(seen.begin(), seen.end(), e.key) != seen.end()) continue;
        seen.push_back(e.key);
      }
      std::string one;
      try {
        common::JsonWriter ow(one);
        e.snapshot(ow);
      } catch (const std::exception& ex) {
        one.clear();
        common::JsonWriter ew(one);
        ew.begin_object().key("error").string(ex.what()).end_object();
      } catch (...) {
        one = R"({"error":"unknown exception"})";
      }
      if (!one.empty()) w.raw(one);
    }
    w.end_array();
  }
  w.key("failures").begin_array();
  for (auto it = failures.rbegin(); it != failures.rend(); ++it) {
    w.begin_object();
    w.key("queue").string(it->queue);
    w.key("job_id").string(it->job_id);
    w.key("job_name").string(it->job_name);
    w.key("reason").string(it->reason);
    w.key("attempt").number(std::int64_t{it->attempt});
    w.key("attempts").number(std::int64_t{it->attempts});
    w.key("final").boolean(it->final);
    w.key("time_ms").number(it->time_ms);
    w.end_object();
  }
  w.end_array();
  w.key("stats").begin_object();
  w.key("failures_recorded").number(recorded);
  w.key("failures_kept").number(std::uint64_t{failures.size()});
  w.key("max_failures").number(std::uint64_t{kMaxFailures});
  w.end_object();
  w.end_object();
  return out;
}

JobRegistry& job_registry() {
  static auto* r = new JobRegistry();
  return *r;
}

}  // namespace adminara::obs::debug
