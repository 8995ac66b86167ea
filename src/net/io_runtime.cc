#include "net/io_runtime.h"

#include <stdexcept>

#include "common/log.h"
#include "common/thread_name.h"

namespace adminara::obs::net {

IoRuntime::IoRuntime(std::string thread_name, std::size_t threads)
    : thread_name_(std::move(thread_name)),
      thread_count_(threads == 0 ? 1 : threads),
      // The hint lets Asio skip locking when one thread runs the context.
      context_(static_cast<int>(thread_count_)),
      work_(std::in_place, context_.get_executor()) {
  threads_.reserve(thread_count_);
  try {
    for (std::size_t i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { run_thread(); });
  } catch (...) {
    stop();
    throw;
  }
}

IoRuntime::~IoRuntime() {
  stop();
}

void IoRuntime::run_thread() noexcept {
  common::set_thread_name(thread_name_);
  for (;;) {
    try {
      context_.run();
      return;  // stopped, or the work guard released and no work left
    } catch (const std::exception& e) {
      common::log_error(std::string("io runtime ") + thread_name_ +
                        ": a handler threw, continuing: " + e.what());
    } catch (...) {
      common::log_error("io runtime " + thread_name_ + ": a handler threw, continuing");
    }
  }
}

bool IoRuntime::running_in_this_thread() const noexcept {
  const auto self = std::this_thread::get_id();
  for (const std::thread& t : threads_) {
    if (t.get_id() == self) return true;
  }
  return false;
}

void IoRuntime::stop() {
  if (running_in_this_thread()) {
    throw std::logic_error("IoRuntime::stop() called on one of the runtime's own threads");
  }
  std::lock_guard lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  work_.reset();
  context_.stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool IoRuntime::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

}  // namespace adminara::obs::net
