// Exporters for tests: one that blocks until released, one that fails or throws on demand.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "adminara/obs/exporter.h"

namespace adminara::obs::testing {

/// Blocks every export until release() is called; counts what it received.
class GateExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanData* const> spans) override {
    std::unique_lock lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    received_ += spans.size();
    return ExportResult::kSuccess;
  }
  void wait_until_entered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::size_t received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  bool entered_ = false;
  std::size_t received_ = 0;
};

/// Fails (or throws) every export.
class FailingExporter final : public SpanExporter {
 public:
  explicit FailingExporter(bool throw_instead) : throw_(throw_instead) {}
  ExportResult export_spans(std::span<const SpanData* const>) override {
    calls.fetch_add(1);
    if (throw_) throw std::runtime_error("exporter exploded");
    return ExportResult::kFailure;
  }
  std::atomic<int> calls{0};

 private:
  bool throw_;
};

}  // namespace adminara::obs::testing
