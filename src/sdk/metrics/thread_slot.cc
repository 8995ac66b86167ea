#include "sdk/metrics/thread_slot.h"

#include <mutex>
#include <vector>

namespace adminara::obs::sdk {
namespace {

class SlotRegistry {
 public:
  int acquire() {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < used_.size(); ++i) {
      if (!used_[i]) {
        used_[i] = true;
        ++in_use_;
        return static_cast<int>(i);
      }
    }
    if (used_.size() >= static_cast<std::size_t>(kMaxThreadSlots)) return kSharedSlot;
    used_.push_back(true);
    ++in_use_;
    return static_cast<int>(used_.size() - 1);
  }
  void release(int slot) {
    std::lock_guard lock(mu_);
    used_[static_cast<std::size_t>(slot)] = false;
    --in_use_;
  }
  int in_use() {
    std::lock_guard lock(mu_);
    return in_use_;
  }

 private:
  std::mutex mu_;
  std::vector<bool> used_;
  int in_use_ = 0;
};

// Never destroyed: threads may exit (and release their slots) after static destruction began.
SlotRegistry& registry() {
  static auto* r = new SlotRegistry;
  return *r;
}

struct SlotOwner {
  int slot;
  SlotOwner() : slot(registry().acquire()) { t_thread_slot = slot; }
  ~SlotOwner() {
    // Measurements made later in this thread's exit (other thread_local destructors) use the
    // shared cells.
    t_thread_slot = kSharedSlot;
    if (slot >= 0) registry().release(slot);
  }
  SlotOwner(const SlotOwner&) = delete;
  SlotOwner& operator=(const SlotOwner&) = delete;
};

}  // namespace

int acquire_thread_slot() noexcept {
  try {
    thread_local SlotOwner owner;
    return owner.slot;
  } catch (...) {  // the registry could not grow: share
    t_thread_slot = kSharedSlot;
    return kSharedSlot;
  }
}

int thread_slots_in_use() noexcept {
  return registry().in_use();
}

}  // namespace adminara::obs::sdk
