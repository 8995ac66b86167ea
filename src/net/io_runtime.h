// IoRuntime: one boost::asio::io_context and the fixed set of threads that run it. The async
// pieces of the library (the HTTP server today; coroutine tracing and async job processors
// next) run their handlers and coroutines on one of these instead of a thread per task.
//
// Ownership and lifetime: whoever constructs an IoRuntime owns the context and its threads; the
// threads start in the constructor and run the context (kept alive by a work guard, so an idle
// context does not return) until stop() or the destructor. Objects that post work onto it
// (servers, sockets, timers, coroutines) must be stopped or destroyed before the runtime is
// stopped: stop() abandons handlers that have not run, and the context destroys them with the
// runtime. A component that borrows a runtime documents that the runtime must outlive it.
//
// Thread-safety: context() and executor() may be used from any thread (io_context is
// thread-safe for post/dispatch and for running). stop() is idempotent and may be called from
// any thread except the runtime's own threads (it joins them; from one of them it throws
// std::logic_error). The destructor stops, so it too must not run on a runtime thread.
//
// Errors: the constructor throws std::system_error when a thread cannot be started. An exception
// escaping a handler is logged and the thread goes back to running the context: one bad
// handler does not take the runtime down.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace adminara::obs::net {

class IoRuntime {
 public:
  using Executor = boost::asio::io_context::executor_type;

  /// Starts `threads` threads (at least 1) that run the context, each named `thread_name`
  /// (cut to 15 bytes; see common/thread_name.h).
  explicit IoRuntime(std::string thread_name = "obs-io", std::size_t threads = 1);
  ~IoRuntime();

  IoRuntime(const IoRuntime&) = delete;
  IoRuntime& operator=(const IoRuntime&) = delete;

  boost::asio::io_context& context() noexcept { return context_; }
  Executor executor() noexcept { return context_.get_executor(); }

  /// Number of threads running the context (the constructor's `threads`, at least 1).
  std::size_t thread_count() const noexcept { return thread_count_; }
  const std::string& thread_name() const noexcept { return thread_name_; }

  /// Whether the calling thread is one of this runtime's threads.
  bool running_in_this_thread() const noexcept;

  /// Releases the work guard, stops the context (handlers not yet run are abandoned) and joins
  /// the threads. Idempotent. Throws std::logic_error when called on a runtime thread.
  void stop();

  /// Whether stop() has been called.
  bool stopped() const;

 private:
  void run_thread() noexcept;

  std::string thread_name_;
  std::size_t thread_count_;
  boost::asio::io_context context_;
  std::optional<boost::asio::executor_work_guard<Executor>> work_;
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  bool stopped_ = false;
};

}  // namespace adminara::obs::net
