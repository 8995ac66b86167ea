#include "sdk/trace/batch_processor.h"

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "sdk/trace/tracer_core.h"

namespace adminara::obs::detail {
namespace {

std::atomic<std::uint64_t> g_next_processor_id{1};

// The queues this thread produces into, one per live batch processor (usually one).
struct ThreadProducers {
  struct Entry {
    std::uint64_t processor_id;
    std::shared_ptr<BatchSpanProcessor::Producer> producer;
  };
  std::vector<Entry> entries;
  ~ThreadProducers() {
    for (auto& e : entries) e.producer->thread_gone.store(true, std::memory_order_release);
  }
};

thread_local ThreadProducers t_producers;

}  // namespace

BatchSpanProcessor::BatchSpanProcessor(TracerCore& core,
                                       std::vector<std::shared_ptr<SpanExporter>> exporters,
                                       BatchOptions options)
    : core_(core),
      exporters_(std::move(exporters)),
      options_(options),
      id_(g_next_processor_id.fetch_add(1)) {
  worker_ = std::thread([this] {
    common::set_thread_name("obs-bsp");
    run();
  });
}

BatchSpanProcessor::~BatchSpanProcessor() {
  shutdown(options_.export_timeout);
  // Anything still queued was ended after shutdown's final drain: count it as dropped. (The
  // records themselves belong to the core's pool, which frees them.)
  std::lock_guard lock(producers_mu_);
  for (auto& p : producers_) {
    dropped_full_.fetch_add(p->ring.size(), std::memory_order_relaxed);
    p->processor_gone.store(true, std::memory_order_release);
  }
}

BatchSpanProcessor::Producer& BatchSpanProcessor::producer_for_this_thread() {
  auto& entries = t_producers.entries;
  if (!entries.empty() && entries.front().processor_id == id_) return *entries.front().producer;
  // Forget queues of processors that are gone, then look for ours.
  std::erase_if(entries, [](const ThreadProducers::Entry& e) {
    return e.producer->processor_gone.load(std::memory_order_acquire);
  });
  auto it = std::find_if(entries.begin(), entries.end(),
                         [this](const ThreadProducers::Entry& e) { return e.processor_id == id_; });
  if (it == entries.end()) {
    std::shared_ptr<Producer> p;
    {
      std::lock_guard lock(producers_mu_);
      // Adopt the queue of a thread that exited (with the records it still holds), so the
      // number of queues stays at the peak number of threads and no record is stranded.
      // Prefer the queue that went with the record home this thread adopted: then the records
      // in both came from one earlier thread, and no record of this thread sits next to one
      // another live thread writes.
      RecordHome* home = core_.home_for_this_thread();
      for (const auto& q : producers_) {
        if (!q->thread_gone.load(std::memory_order_acquire)) continue;
        if (!p || q->home == home) p = q;
        if (q->home == home) break;
      }
      if (p) {
        p->thread_gone.store(false, std::memory_order_relaxed);
      } else {
        p = std::make_shared<Producer>(options_.max_queue_size, options_.max_export_batch_size);
        producers_.push_back(p);
      }
      p->home = home;
    }
    entries.insert(entries.begin(), ThreadProducers::Entry{id_, std::move(p)});
  } else if (it != entries.begin()) {
    std::iter_swap(it, entries.begin());
  }
  return *entries.front().producer;
}

void BatchSpanProcessor::on_end(SpanRecord* record) noexcept {
  if (shut_down_.load(std::memory_order_acquire)) {
    counters_.dropped.fetch_add(1, std::memory_order_relaxed);
    core_.release(record);
    return;
  }
  Producer& p = producer_for_this_thread();
  if (!p.ring.push(record) && !(reclaim_into_pool(p) && p.ring.push(record))) {
    static std::atomic<bool> warned{false};
    common::warn_once(warned,
                      "the batch span queue is full (OTEL_BSP_MAX_QUEUE_SIZE); new spans are "
                      "dropped and counted until the exporter catches up");
    dropped_full_.fetch_add(1, std::memory_order_relaxed);
    core_.release(record);
    return;
  }
  if (--p.until_wake == 0) {
    p.until_wake = options_.max_export_batch_size;
    // A full batch is ready. Wake the worker only if it is in its long sleep, or if this
    // thread's queue is filling up: under load it polls on its own, and a wake-up (futex
    // syscall, context switch) costs more than hundreds of spans.
    if (worker_idle_.load(std::memory_order_relaxed) ||
        p.ring.size() >= options_.max_queue_size / 2) {
      {
        std::lock_guard lock(mu_);
        wake_ = true;
      }
      wake_cv_.notify_one();
    }
  }
}

bool BatchSpanProcessor::reclaim_into_pool(Producer& p) noexcept {
  SpanRecord* buf[64];
  std::size_t n = p.ring.reclaim_bulk(buf, std::size(buf));
  for (std::size_t i = 0; i < n; ++i) core_.release(buf[i]);
  return n > 0;
}

std::size_t BatchSpanProcessor::reclaim(SpanRecord** out, std::size_t max) noexcept {
  if (shut_down_.load(std::memory_order_relaxed)) return 0;
  return producer_for_this_thread().ring.reclaim_bulk(out, max);
}

void BatchSpanProcessor::run() {
  // The scratch buffers are allocated here, by the worker, so they come from its own malloc
  // arena: next to the application thread's span records they would share cache lines with them.
  batch_.reserve(options_.max_export_batch_size);
  views_.reserve(options_.max_export_batch_size);
  slices_.reserve(16);
  const auto busy_poll =
      std::min<std::chrono::microseconds>(options_.schedule_delay, kBusyPollInterval);
  bool busy = false;
  std::unique_lock lock(mu_);
  for (;;) {
    worker_idle_.store(!busy, std::memory_order_relaxed);
    wake_cv_.wait_for(lock, busy ? busy_poll : options_.schedule_delay,
                      [this] { return stop_ || wake_ || flush_requested_ != flush_done_; });
    worker_idle_.store(false, std::memory_order_relaxed);
    wake_ = false;
    const bool stopping = stop_;
    const std::uint64_t flush_target = flush_requested_;
    const bool flushing = flush_target != flush_done_;
    lock.unlock();

    common::WallClockOffset::refresh();
    // While spans arrive fast (a poll interval brought a good handful), poll at a short
    // interval instead of sleeping until woken; at lower rates sleep, and let producers wake
    // the worker per full batch (a wake-up per batch is then cheap compared to the spans).
    busy = drain() >= std::min<std::size_t>(kBusyThreshold, options_.max_export_batch_size);
    if (flushing || stopping) {
      for (const auto& e : exporters_) {
        try {
          e->force_flush();
        } catch (...) {
          // counted nowhere: a flush has no spans of its own; the next export reports failures
        }
      }
    }

    lock.lock();
    flush_done_ = flush_target;
    flushed_cv_.notify_all();
    if (stopping) return;
  }
}

std::size_t BatchSpanProcessor::drain() {
  std::vector<std::shared_ptr<Producer>> producers;
  {
    std::lock_guard lock(producers_mu_);
    producers = producers_;
  }
  std::size_t budget = 0;
  for (const auto& p : producers) budget += p->ring.size();
  std::size_t exported = 0;

  const std::size_t max_batch = options_.max_export_batch_size;
  while (budget > 0) {
    batch_.clear();
    slices_.clear();
    for (const auto& p : producers) {
      if (batch_.size() >= max_batch) break;
      std::size_t room = std::min(max_batch - batch_.size(), budget - batch_.size());
      if (room == 0) break;
      std::size_t old = batch_.size();
      batch_.resize(old + room);
      std::size_t got = p->ring.peek_bulk(batch_.data() + old, room);
      batch_.resize(old + got);
      if (got > 0) slices_.emplace_back(p.get(), got);
    }
    if (batch_.empty()) break;
    budget -= std::min(budget, batch_.size());
    exported += batch_.size();
    views_.clear();
    for (SpanRecord* r : batch_) views_.push_back(&r->data);
    export_to_all(exporters_, views_, counters_);
    // Only now may the producing threads reuse the records.
    for (const auto& [producer, count] : slices_) producer->ring.commit(count);
  }
  return exported;
}

bool BatchSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  std::unique_lock lock(mu_);
  if (stop_) return true;
  const std::uint64_t target = ++flush_requested_;
  wake_cv_.notify_one();
  return flushed_cv_.wait_for(lock, timeout, [&] { return flush_done_ >= target; });
}

void BatchSpanProcessor::shutdown(std::chrono::milliseconds) noexcept {
  if (shut_down_.exchange(true)) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_cv_.notify_one();
  // The worker drains everything queued before it stops. Exporters bound their own calls by
  // their timeouts, so joining cannot hang forever on a well-behaved exporter.
  if (worker_.joinable()) worker_.join();
  drain();  // spans that arrived between the worker's last drain and the shutdown flag
  for (const auto& e : exporters_) {
    try {
      e->shutdown();
    } catch (...) {
    }
  }
}

void BatchSpanProcessor::add_stats(TracerStats& stats) const noexcept {
  std::uint64_t pushed = 0;
  {
    std::lock_guard lock(producers_mu_);
    for (const auto& p : producers_) pushed += p->ring.pushed();
  }
  const std::uint64_t dropped_full = dropped_full_.load(std::memory_order_relaxed);
  const std::uint64_t dropped_late = counters_.dropped.load(std::memory_order_relaxed);
  stats.spans_ended += pushed + dropped_full + dropped_late;
  stats.spans_dropped += dropped_full + dropped_late;
  stats.spans_exported += counters_.exported.load(std::memory_order_relaxed);
  stats.spans_failed += counters_.failed.load(std::memory_order_relaxed);
  stats.export_calls += counters_.export_calls.load(std::memory_order_relaxed);
}

}  // namespace adminara::obs::detail
