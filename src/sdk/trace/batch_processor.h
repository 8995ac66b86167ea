// BatchSpanProcessor: queues ended spans in memory and exports them in batches from its own
// thread (OTel's batch span processor; OTEL_BSP_* settings).
//
// Each thread that ends spans gets its own lock-free ring (capacity max_queue_size), so ending a
// span is a handful of plain stores: threads never contend with each other, and never wait for
// the exporter. Exported records stay in the ring until the thread takes them back for new
// spans (reclaim), so a record crosses to the exporter's core and never back. When a thread's ring
// is full the new span is dropped and counted. The worker wakes every schedule_delay, whenever a
// thread has queued max_export_batch_size spans, and on force_flush()/shutdown(); it exports
// everything queued, max_export_batch_size at a time, and never runs two exports at once. While
// spans keep coming it polls every millisecond instead of being woken, so producing threads make no
// system calls.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/spsc_ring.h"
#include "sdk/trace/span_processor.h"

namespace adminara::obs::detail {

class TracerCore;
struct RecordHome;

class BatchSpanProcessor final : public SpanProcessor {
 public:
  BatchSpanProcessor(TracerCore& core, std::vector<std::shared_ptr<SpanExporter>> exporters,
                     BatchOptions options);
  ~BatchSpanProcessor() override;

  void on_end(SpanRecord* record) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  void shutdown(std::chrono::milliseconds timeout) noexcept override;
  void add_stats(TracerStats& stats) const noexcept override;
  std::size_t reclaim(SpanRecord** out, std::size_t max) noexcept override;

  /// One producing thread's queue.
  struct Producer {
    Producer(std::size_t limit, std::uint32_t batch) : ring(limit), until_wake(batch) {}
    common::SpscRing<SpanRecord> ring;
    std::uint32_t until_wake;    // producer thread only: pushes left before waking the worker
    RecordHome* home = nullptr;  // the record home of the thread using it (guarded by the mutex)
    std::atomic<bool> thread_gone{false};     // the producing thread exited: free to adopt
    std::atomic<bool> processor_gone{false};  // the processor was destroyed
  };

 private:
  Producer& producer_for_this_thread();
  // Takes this thread's exported records back into the pool; false when there were none.
  bool reclaim_into_pool(Producer& p) noexcept;
  void run();
  // Exports what is queued now (at most what was queued when it started); returns how many
  // spans it took. Worker thread only, or the shutting-down thread after the worker stopped.
  std::size_t drain();

  // How often the worker looks for spans on its own while spans keep coming.
  static constexpr std::chrono::microseconds kBusyPollInterval{100};
  // Spans per drain at or above which the worker keeps polling (about 300,000 spans/s given the
  // timer granularity of these machines).
  static constexpr std::size_t kBusyThreshold = 64;

  TracerCore& core_;
  const std::vector<std::shared_ptr<SpanExporter>> exporters_;
  const BatchOptions options_;
  const std::uint64_t id_;

  std::mutex mu_;
  std::condition_variable wake_cv_;
  std::condition_variable flushed_cv_;
  bool stop_ = false;                  // guarded by mu_
  bool wake_ = false;                  // guarded by mu_
  std::uint64_t flush_requested_ = 0;  // guarded by mu_
  std::uint64_t flush_done_ = 0;       // guarded by mu_

  mutable std::mutex producers_mu_;
  // One per producing thread, kept when the thread exits and adopted by the next new thread.
  std::vector<std::shared_ptr<Producer>> producers_;  // guarded by producers_mu_

  alignas(64) std::atomic<bool> worker_idle_{false};  // in the long sleep: needs a wake-up
  alignas(64) std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> dropped_full_{0};
  ProcessorCounters counters_;

  // Worker scratch: the batch, its SpanData views, and which slice came from which producer.
  std::vector<SpanRecord*> batch_;
  std::vector<const SpanData*> views_;
  std::vector<std::pair<Producer*, std::size_t>> slices_;  // (producer, records taken)
  std::thread worker_;
};

}  // namespace adminara::obs::detail
