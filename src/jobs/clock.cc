#include <algorithm>

#include "adminara/obs/jobs_backend.h"
#include "common/clock.h"

namespace adminara::obs::jobs {

Clock::Subscription Clock::on_jump(std::function<void()> /*fn*/) const {
  return nullptr;
}

namespace {
class SystemClock final : public Clock {
 public:
  TimeMs now_ms() const override { return static_cast<TimeMs>(common::wall_ns() / 1000000ULL); }
};
}  // namespace

std::shared_ptr<const Clock> system_clock() {
  static const std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

ManualClock::ManualClock(TimeMs start) : now_(start) {}

TimeMs ManualClock::now_ms() const {
  std::lock_guard lock(mu_);
  return now_;
}

Clock::Subscription ManualClock::on_jump(std::function<void()> fn) const {
  auto holder = std::make_shared<std::function<void()>>(std::move(fn));
  std::lock_guard lock(mu_);
  std::erase_if(listeners_, [](const auto& w) { return w.expired(); });
  listeners_.push_back(holder);
  return holder;
}

void ManualClock::advance(std::chrono::milliseconds by) {
  {
    std::lock_guard lock(mu_);
    now_ += by.count();
  }
  notify();
}

void ManualClock::set(TimeMs now) {
  {
    std::lock_guard lock(mu_);
    now_ = now;
  }
  notify();
}

void ManualClock::notify() {
  std::vector<std::shared_ptr<std::function<void()>>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& w : listeners_) {
      if (auto p = w.lock()) live.push_back(std::move(p));
    }
  }
  for (const auto& fn : live) (*fn)();
}

}  // namespace adminara::obs::jobs
