#include "sdk/trace/running_spans.h"

#include "common/hash.h"

namespace adminara::obs::detail {
namespace {

std::uint64_t name_hash(std::string_view name) noexcept {
  const std::uint64_t h = common::hash_string(name);
  return h == 0 ? 1 : h;  // 0 marks an empty slot
}

}  // namespace

RunningSpans::RunningSpans() : slots_(std::make_unique<Slot[]>(kCapacity + 1)) {
  slots_[kOverflowSlot].name = std::string(kOverflowName);
}

std::uint32_t RunningSpans::on_start(std::string_view name) noexcept {
  const std::uint64_t h = name_hash(name);
  for (std::uint32_t i = 0; i < kMaxProbes; ++i) {
    const std::uint32_t idx = static_cast<std::uint32_t>(h + i) & (kCapacity - 1);
    Slot& s = slots_[idx];
    const std::uint64_t sh = s.hash.load(std::memory_order_acquire);
    if (sh == 0) break;  // the name is new: insert it (rechecked under the mutex)
    if (sh == h && s.name == name) {
      s.running.fetch_add(1, std::memory_order_relaxed);
      return idx;
    }
  }
  const std::uint32_t idx = insert(name, h);
  if (idx == kOverflowSlot) overflowed_.fetch_add(1, std::memory_order_relaxed);
  slots_[idx].running.fetch_add(1, std::memory_order_relaxed);
  return idx;
}

std::uint32_t RunningSpans::insert(std::string_view name, std::uint64_t h) noexcept {
  std::lock_guard lock(mu_);
  for (std::uint32_t i = 0; i < kMaxProbes; ++i) {
    const std::uint32_t idx = static_cast<std::uint32_t>(h + i) & (kCapacity - 1);
    Slot& s = slots_[idx];
    const std::uint64_t sh = s.hash.load(std::memory_order_relaxed);
    if (sh == h && s.name == name) return idx;  // another thread inserted it meanwhile
    if (sh != 0) continue;
    try {
      s.name.assign(name);
    } catch (...) {
      return kOverflowSlot;  // out of memory: count it without a name
    }
    s.hash.store(h, std::memory_order_release);
    return idx;
  }
  return kOverflowSlot;
}

std::vector<RunningSpanCount> RunningSpans::snapshot() const {
  std::vector<RunningSpanCount> out;
  for (std::uint32_t i = 0; i <= kCapacity; ++i) {
    const Slot& s = slots_[i];
    if (i != kOverflowSlot && s.hash.load(std::memory_order_acquire) == 0) continue;
    const std::int64_t n = s.running.load(std::memory_order_relaxed);
    if (i == kOverflowSlot && n == 0 && overflowed() == 0) continue;
    out.push_back(RunningSpanCount{s.name, n > 0 ? static_cast<std::uint64_t>(n) : 0});
  }
  return out;
}

}  // namespace adminara::obs::detail
